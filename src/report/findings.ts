/**
 * The study's findings, written from its measurements. Every sentence that states a result quotes the
 * number it rests on, and the wording follows the numbers: when a measurement contradicts the expected
 * story (raw Adam catching up, the reparametrisation not matching, float64 rescuing the raw run), the
 * finding says so and its verdict records it. Nothing here is a canned paragraph.
 */
import type { ProbeDiagnostics } from '../engine/probes.js';
import type { TransformName } from '../data/transforms.js';
import { formatRunKey, type RunId } from '../lab/study/run-id.js';
import type { RunSummary, StudyOptimizer, StudyResult } from '../lab/study/types.js';
import { transformLabel } from '../lab/study/plan.js';
import type { Finding, Verdict } from './finding.js';
import { num, pct, points, sci, times } from './format.js';
import { ciText } from './stats-text.js';
import {
  AT_CHANCE_MARGIN,
  DEAD_RELU_FRACTION,
  EXPLODING_PROBE_LOSS_FACTOR,
  GAP_MOSTLY_RECOVERED,
  GAP_PARTLY_RECOVERED,
  NEGLIGIBLE_ACC_GAP,
  NO_GAP,
  PREACTIVATION_RATIO_EXPECTED_ABOVE,
  SIGMOID_RAW_WORSE_BY,
} from './verdict-thresholds.js';
import {
  ablationFinding,
  checkClaims,
  claimsFinding,
  curvatureFinding,
  forumReply,
  inputSpectrumFinding,
  lossFormFinding,
  theAnswer,
  type Claim,
} from './findings-why.js';

/** The thresholds that decide a verdict (named, each with its reason, in verdict-thresholds.ts). */
export * from './verdict-thresholds.js';

export type { Finding, Verdict };

export interface Findings {
  /** The answer first: at most five plain sentences, every number measured in this run. */
  answer: string[];
  /** A paragraph a mentor can paste as a reply on a forum. */
  reply: string;
  /** The usual explanations, each tested: supported / refuted / partly, with the number. */
  claims: Claim[];
  list: Finding[];
  /** A short closing note: the findings' key numbers in a few sentences. */
  closing: string[];
}

/** The float32 run of an activation, transform and optimizer at the optimizer's default learning rate. */
const arm = (activation: 'relu' | 'sigmoid', transform: TransformName, optimizer: StudyOptimizer): RunId => ({ activation, transform, optimizer });
/** The summary of a run: the whole-training-set tier's when the study has it, else the subset tier's. */
const get = (study: StudyResult, id: RunId): RunSummary | undefined =>
  study.summaries.find((s) => s.key === formatRunKey({ ...id, tier: 'full' })) ?? getSub(study, id);
/** The subset tier's summary of a run (every seed there; the tier the ablation compares on). */
const getSub = (study: StudyResult, id: RunId): RunSummary | undefined => study.summaries.find((s) => s.key === formatRunKey({ ...id, tier: 'subset' }));

function chanceOf(study: StudyResult): number {
  return 1 / Math.max(1, study.dataset.classNames.length);
}

function firstLayer(p: ProbeDiagnostics | null | undefined) {
  return p?.layers[0];
}

/** A run is "at chance" when its test accuracy is within AT_CHANCE_MARGIN of guessing. */
function atChance(acc: number, chance: number): boolean {
  return acc <= chance + AT_CHANCE_MARGIN;
}

function accText(s: RunSummary): string {
  const a = s.testAcc;
  return s.seeds.length > 1
    ? `${pct(a.mean)} (95% CI ${pct(a.lo)}–${pct(a.hi)}, ${s.seeds.length} seeds${s.tier === 'subset' ? ' on the subset' : ''})`
    : `${pct(a.mean)} (1 seed: not a precise number)`;
}

function epochs(study: StudyResult): string {
  const e = study.options.epochs;
  return `${e} epoch${e === 1 ? '' : 's'}`;
}

function outcome(study: StudyResult): Finding | null {
  const chance = chanceOf(study);
  const rawAdam = get(study, arm('relu', 'none', 'adam'));
  const normAdam = get(study, arm('relu', 'scale', 'adam'));
  const rawSgd = get(study, arm('relu', 'none', 'sgd'));
  const normSgd = get(study, arm('relu', 'scale', 'sgd'));
  if (!rawAdam && !rawSgd) return null;
  const sentences: string[] = [];
  const numbers: Finding['numbers'] = { chance, epochs: study.options.epochs };
  let expected = 0;
  let contrary = 0;
  if (rawSgd && normSgd) {
    Object.assign(numbers, {
      rawSgdAcc: rawSgd.testAcc.mean,
      scaledSgdAcc: normSgd.testAcc.mean,
      rawSgdEpoch1Loss: rawSgd.firstEpochLoss,
      scaledSgdEpoch1Loss: normSgd.firstEpochLoss,
    });
    if (atChance(rawSgd.testAcc.mean, chance)) {
      expected++;
      sentences.push(
        `With SGD (lr ${rawSgd.learningRate}) the raw 0–255 inputs do not learn at all: test accuracy ${accText(rawSgd)}, chance is ${pct(chance)}; ` +
          `the first epoch's training loss is ${num(rawSgd.firstEpochLoss)} against ${num(normSgd.firstEpochLoss)} with x/255 (which reaches ${accText(normSgd)}).`,
      );
    } else if (rawSgd.testAcc.mean < normSgd.testAcc.mean - NEGLIGIBLE_ACC_GAP) {
      expected++;
      sentences.push(
        `With SGD (lr ${rawSgd.learningRate}) the raw inputs learn, but poorly: ${accText(rawSgd)} against ${accText(normSgd)} with x/255 (epoch-1 loss ${num(rawSgd.firstEpochLoss)} vs ${num(normSgd.firstEpochLoss)}).`,
      );
    } else {
      contrary++;
      sentences.push(`Contrary to the expected story, SGD with raw inputs did about as well as with x/255: ${accText(rawSgd)} vs ${accText(normSgd)}.`);
    }
  }
  if (rawAdam && normAdam) {
    const gap = normAdam.testAcc.mean - rawAdam.testAcc.mean;
    Object.assign(numbers, { rawAdamAcc: rawAdam.testAcc.mean, scaledAdamAcc: normAdam.testAcc.mean, adamGap: gap, rawAdamEpoch1Loss: rawAdam.firstEpochLoss });
    if (gap <= 0) {
      contrary++;
      sentences.push(
        `Adam with raw inputs caught up completely — ${accText(rawAdam)} against ${accText(normAdam)} with x/255 — which contradicts the story that raw inputs ruin training; with Adam, normalization made no difference here.`,
      );
    } else if (gap < NEGLIGIBLE_ACC_GAP) {
      contrary++;
      sentences.push(
        `Adam with raw inputs nearly catches up: ${accText(rawAdam)} against ${accText(normAdam)} with x/255, a gap of only ${points(gap)} — for Adam, normalization matters little here.`,
      );
    } else {
      expected++;
      sentences.push(
        `Adam copes with raw inputs far better than SGD but still loses ${points(gap)}: ${accText(rawAdam)} against ${accText(normAdam)} with x/255` +
          (Number.isFinite(rawAdam.firstEpochLoss) ? ` (its first-epoch training loss is ${num(rawAdam.firstEpochLoss)}).` : '.'),
      );
    }
  }
  const normalized = (['scale', 'standardize', 'symmetric'] as const)
    .flatMap((t) => (['adam', 'sgd'] as const).map((o) => getSub(study, arm('relu', t, o))))
    .filter((s): s is RunSummary => Boolean(s));
  for (const o of ['adam', 'sgd'] as const) {
    const list = normalized.filter((s) => s.optimizer === o);
    if (list.length < 2) continue;
    const accs = list.map((s) => s.testAcc.mean);
    const spread = Math.max(...accs) - Math.min(...accs);
    const best = list[accs.indexOf(Math.max(...accs))];
    numbers[`${o}NormalizedSpread`] = spread;
    sentences.push(
      `Among the normalized inputs with ${o} (${study.tiers.subset} training images, ${list[0].seeds.length} seeds), ${list.map((s) => `${transformLabel(s.transform)} ${pct(s.testAcc.mean)}`).join(', ')}: ` +
        (spread < NEGLIGIBLE_ACC_GAP
          ? `within ${points(spread)} of each other — which normalization matters far less than whether there is one.`
          : `${transformLabel(best.transform)} is best by ${points(spread)} over the worst.`),
    );
  }
  return {
    id: 'outcome',
    title: `What the raw inputs cost after ${epochs(study)}`,
    expectation: 'Raw 0–255 inputs train much worse than normalized ones, and the damage depends on the optimizer.',
    verdict: contrary === 0 ? 'as expected' : expected === 0 ? 'contradicts the expected story' : 'mixed',
    sentences,
    numbers,
  };
}

function mechanism(study: StudyResult): Finding | null {
  const raw = get(study, arm('relu', 'none', 'sgd')) ?? get(study, arm('relu', 'none', 'adam'));
  const norm = get(study, arm('relu', 'scale', 'sgd')) ?? get(study, arm('relu', 'scale', 'adam'));
  if (!raw?.init || !norm?.init) return null;
  const ri = raw.init;
  const ni = norm.init;
  const rl = firstLayer(ri)!;
  const nl = firstLayer(ni)!;
  const preRatio = rl.meanAbsPre / nl.meanAbsPre;
  const gradRatio = rl.kernelGradNorm / nl.kernelGradNorm;
  const numbers: Finding['numbers'] = {
    rawMeanAbsZ1: rl.meanAbsPre,
    scaledMeanAbsZ1: nl.meanAbsPre,
    rawMeanAbsLogit: ri.logits.meanAbs,
    scaledMeanAbsLogit: ni.logits.meanAbs,
    rawSoftmaxOneAtInit: ri.softmax.maxExactlyOne,
    scaledSoftmaxOneAtInit: ni.softmax.maxExactlyOne,
    rawInitLoss: ri.loss,
    scaledInitLoss: ni.loss,
    rawKernel0GradNorm: rl.kernelGradNorm,
    scaledKernel0GradNorm: nl.kernelGradNorm,
  };
  const sentences: string[] = [];
  sentences.push(
    `Same initial weights, same images (seed ${raw.seeds[0]}'s probe batch of ${study.options.probeRows} images): at initialisation the raw network's first-layer pre-activations are ${times(rl.meanAbsPre, nl.meanAbsPre)} larger (mean |z| ${num(rl.meanAbsPre)} vs ${num(nl.meanAbsPre)}), ` +
      `its logits ${times(ri.logits.meanAbs, ni.logits.meanAbs)} larger (mean |logit| ${num(ri.logits.meanAbs)} vs ${num(ni.logits.meanAbs)}, median top-2 gap ${num(ri.logits.gapMedian)} vs ${num(ni.logits.gapMedian)}), ` +
      `so ${pct(ri.softmax.maxExactlyOne)} of the probe images already have a softmax maximum of exactly 1.0 in float32 (${pct(ni.softmax.maxExactlyOne)} normalized) and the loss starts at ${num(ri.loss)} instead of ${num(ni.loss)}.`,
  );
  const errRaw = ri.softmax.errorNorm;
  const errNorm = ni.softmax.errorNorm;
  numbers.rawOutputErrorNormInit = errRaw;
  numbers.scaledOutputErrorNormInit = errNorm;
  numbers.kernel0GradRatio = gradRatio;
  const m = study.mechanismAtInit;
  if (m) {
    Object.assign(numbers, {
      homogeneityError: m.logitHomogeneityError.max,
      logitRatioExact: m.logitRatio.mean,
      kernel0GradRatioSeeds: m.kernel0GradRatio.mean,
      perSampleErrorRatio: m.perSampleErrorRatio.mean,
      alignmentRatio: m.alignmentRatio.mean,
      adamLayer2LogitMoveRatio: m.adamLayer2LogitMoveRatio.mean,
      adamLayer1PreactMoveRatio: m.adamLayer1PreactMoveRatio.mean,
      biasRelativeStepSgdRaw: m.biasRelativeStepSgd[0].mean,
      biasRelativeStepSgdScaled: m.biasRelativeStepSgd[1].mean,
      meanSquaredInputRaw: m.meanSquaredInput[0].mean,
      meanSquaredInputScaled: m.meanSquaredInput[1].mean,
    });
    sentences.push(
      `At initialisation the raw network is exactly 255× the scaled one before the softmax: the biases are zero and ReLU is positively homogeneous, so z_raw = 255·z_scaled — measured in float64 to a relative deviation of at most ${sci(m.logitHomogeneityError.max)} over ${m.seeds} seeds. ` +
        `The first kernel starts 255× too large for its inputs: glorot assumes inputs of order 1, and the mean x² is ${num(m.meanSquaredInput[0].mean)} raw vs ${num(m.meanSquaredInput[1].mean, 2)} after /255.`,
    );
    sentences.push(
      `The first kernel's gradient is ${num(m.kernel0GradRatio.mean)}× larger (${ciText(m.kernel0GradRatio, (v) => num(v))}; ${m.rows} probe images, ${m.seeds} seeds). It is Σ_r x_r·δ_rᵀ, so it factors exactly into 255 (the inputs) × ${num(m.perSampleErrorRatio.mean)} (${ciText(m.perSampleErrorRatio, (v) => num(v))}, larger per-sample errors δ_r) × ${num(m.alignmentRatio.mean)} (${ciText(m.alignmentRatio, (v) => num(v))}, errors that point the same way across the batch and so add instead of cancelling: alignment ${num(m.alignmentRaw.mean, 2)} raw vs ${num(m.alignmentScaled.mean, 2)} scaled).`,
    );
    sentences.push(
      `Relative to the raw pre-activations the first-layer bias is effectively frozen: one step moves it by ${sci(m.biasRelativeStepSgd[0].mean)} of mean |z₁| with SGD (${sci(m.biasRelativeStepSgd[1].mean)} scaled) and ${sci(m.biasRelativeStepAdam[0].mean)} with Adam (${sci(m.biasRelativeStepAdam[1].mean)} scaled).`,
    );
  } else {
    sentences.push(
      `The gradient of the first kernel is ${times(rl.kernelGradNorm, nl.kernelGradNorm)} larger (‖g‖ ${num(rl.kernelGradNorm)} vs ${num(nl.kernelGradNorm)}).`,
    );
  }
  const verdict: Verdict = preRatio > PREACTIVATION_RATIO_EXPECTED_ABOVE ? 'as expected' : 'mixed';
  const rawSgd = get(study, arm('relu', 'none', 'sgd'));
  const normSgd = get(study, arm('relu', 'scale', 'sgd'));
  if (rawSgd?.init && normSgd?.init) {
    const ru = firstLayer(rawSgd.init)!.updateRatio;
    const nu = firstLayer(normSgd.init)!.updateRatio;
    numbers.rawSgdFirstUpdateRatio = ru;
    numbers.scaledSgdFirstUpdateRatio = nu;
    const run = study.runs.find((r) => r.spec.key === rawSgd.key);
    const probes = run?.probes ?? [];
    const peak = probes.reduce<ProbeDiagnostics | null>((m, p) => (!m || p.loss > m.loss ? p : m), null);
    const deadEnd = firstLayer(rawSgd.final)?.deadFraction ?? null;
    const deadNorm = firstLayer(normSgd.final)?.deadFraction ?? null;
    const firstDead = probes.find((p) => (firstLayer(p)?.deadFraction ?? 0) >= DEAD_RELU_FRACTION);
    numbers.rawSgdPeakProbeLoss = peak?.loss ?? null;
    numbers.rawSgdPeakStep = peak?.step ?? null;
    numbers.rawSgdDeadReluFinal = deadEnd;
    numbers.scaledSgdDeadReluFinal = deadNorm;
    sentences.push(
      `With SGD the step is proportional to the gradient, so the first update changes the first kernel by ${pct(ru ?? NaN)} of its norm (${pct(nu ?? NaN, 2)} with x/255)` +
        (peak && peak.loss > EXPLODING_PROBE_LOSS_FACTOR * (rawSgd.init.loss || 1)
          ? `; the probe loss explodes to ${num(peak.loss)} at step ${peak.step}`
          : '') +
        (deadEnd !== null
          ? firstDead
            ? `; by step ${firstDead.step} ${pct(firstLayer(firstDead)!.deadFraction)} of the hidden ReLUs are dead on every probe image, and ${pct(deadEnd)} at the end (${pct(deadNorm)} with x/255) — a dead ReLU passes no gradient, so the network is stuck with a near-constant output.`
            : `; at the end ${pct(deadEnd)} of the hidden ReLUs are dead on the probe batch (${pct(deadNorm)} with x/255).`
          : '.'),
    );
  }
  const rawAdam = get(study, arm('relu', 'none', 'adam'));
  const normAdam = get(study, arm('relu', 'scale', 'adam'));
  if (rawAdam?.init && normAdam?.init) {
    const ru = firstLayer(rawAdam.init)!.updateRatio;
    const nu = firstLayer(normAdam.init)!.updateRatio;
    numbers.rawAdamFirstUpdateRatio = ru;
    numbers.scaledAdamFirstUpdateRatio = nu;
    const deadEnd = firstLayer(rawAdam.final)?.deadFraction ?? null;
    numbers.rawAdamDeadReluFinal = deadEnd;
    numbers.rawAdamSoftmaxOneFinal = rawAdam.final?.softmax.maxExactlyOne ?? null;
    // How far the first steps moved the hidden pre-activations: same-sized weight steps, 255× larger inputs.
    const early = (s: RunSummary) => study.runs.find((r) => r.spec.key === s.key && r.spec.seed === s.seeds[0])?.probes.find((p) => p.step > 0);
    const er = early(rawAdam);
    const en = early(normAdam);
    const moved =
      er && en && er.step === en.step
        ? {
            step: er.step,
            raw: Math.abs(firstLayer(er)!.meanAbsPre - firstLayer(rawAdam.init)!.meanAbsPre),
            norm: Math.abs(firstLayer(en)!.meanAbsPre - firstLayer(normAdam.init)!.meanAbsPre),
          }
        : null;
    if (moved) Object.assign(numbers, { adamEarlyStep: moved.step, rawAdamMeanAbsZ1Moved: moved.raw, scaledAdamMeanAbsZ1Moved: moved.norm });
    sentences.push(
      `Adam divides each step by the gradient's running RMS, so its first step has the same relative size on raw and scaled inputs (kernel changed by ${pct(ru ?? NaN, 2)} vs ${pct(nu ?? NaN, 2)}) — ` +
        `but z = x·W, so the same weight change moves the raw network's pre-activations 255× as far` +
        (moved ? ` (after ${moved.step} steps mean |z₁| has moved by ${num(moved.raw)} raw vs ${num(moved.norm)} scaled)` : '') +
        `: its effective step on the first layer is still 255× too large; ` +
        (m
          ? `and the second layer sees 255× larger inputs too, so its same-sized step moves the logits ${num(m.adamLayer2LogitMoveRatio.mean)}× as far (${ciText(m.adamLayer2LogitMoveRatio, (v) => num(v))}; first layer: ${num(m.adamLayer1PreactMoveRatio.mean)}×) — which is why rescaling only the first layer's step does not rescue Adam; `
          : '') +
        `after training ${pct(rawAdam.final?.softmax.maxExactlyOne)} of the probe images still have a softmax maximum of exactly 1.0 (median logit gap ${num(rawAdam.final?.logits.gapMedian)}), vs ${pct(normAdam.final?.softmax.maxExactlyOne)} normalized.`,
    );
  }
  if (!(preRatio > PREACTIVATION_RATIO_EXPECTED_ABOVE))
    sentences.push(
      `Note: the measured pre-activation ratio ${num(preRatio)} is far from the 255 expected from the input scale; the inputs' transform may not be what the labels say.`,
    );
  return {
    id: 'mechanism',
    title: 'Where it goes wrong: activations, logits and step size',
    expectation: 'Raw inputs make first-layer pre-activations and gradients ~255× larger; the optimizer, not the data, is what suffers.',
    verdict,
    sentences,
    numbers,
  };
}

function reparametrisation(study: StudyResult): Finding | null {
  if (study.reparam.length === 0) return null;
  const sentences: string[] = [
    'Derivation: z = W·(x/255) + b = (W/255)·x + b, so raw inputs with W_raw = W/255 compute exactly what the normalized network computes. ' +
      'Then ∂L/∂W_raw = x·δ = 255·∂L/∂W, and keeping W_raw = W/255 after a step needs SGD’s learning rate on that kernel ÷ 255² ' +
      '(W/255 − η′·255g = (W − ηg)/255 ⇒ η′ = η/255²); Adam’s step m̂/(√v̂+ε) is invariant to the gradient’s scale except through ε, so it needs lr ÷ 255 and ε × 255.',
  ];
  const numbers: Finding['numbers'] = {};
  let allPassed = true;
  for (const c of study.reparam) {
    const tag = `${c.optimizer}${c.dtype === 'float64' ? '64' : '32'}`;
    Object.assign(numbers, {
      [`${tag}InitialMaxAbsDiff`]: c.initialMaxAbsDiff,
      [`${tag}LossMaxAbsDiff`]: c.lossMaxAbsDiff,
      [`${tag}FinalMaxAbsDiff`]: c.finalMaxAbsDiff,
      [`${tag}Steps`]: c.steps,
      [`${tag}Passed`]: c.passed,
    });
    allPassed &&= c.passed;
    const recipe = c.optimizer === 'sgd' ? 'SGD, kernel0 lr ÷ 255²' : 'Adam, kernel0 lr ÷ 255 and ε × 255';
    const control = c.unreparametrised
      ? ` Without the reparametrisation the raw run's final outputs differ by up to ${num(c.unreparametrised.finalMaxAbsDiff)} (test accuracy ${pct(c.unreparametrised.testAcc)}).`
      : '';
    sentences.push(
      `${c.dtype}, ${recipe}: initial softmax outputs match to max |Δ| ${sci(c.initialMaxAbsDiff)}; over ${c.steps} steps the per-step training losses match to ${sci(c.lossMaxAbsDiff)} ` +
        (c.earlySteps < c.steps ? `(first ${c.earlySteps}: ${sci(c.earlyLossMaxAbsDiff)}) ` : '') +
        `and the final outputs to ${sci(c.finalMaxAbsDiff)}; test accuracy ${pct(c.testAcc[1], 2)} vs ${pct(c.testAcc[0], 2)} normalized — ` +
        boundText(c) +
        control,
    );
  }
  const f64 = study.reparam.filter((c) => c.dtype === 'float64');
  if (f64.length && f64.every((c) => c.passed)) {
    sentences.push(
      'So dividing the inputs by 255 is, exactly, a change of the first layer’s parametrisation: training on raw inputs is training the normalized network with a first-layer learning rate 255² times larger (SGD), or 255 times larger with an ε 255 times smaller (Adam). It changes the optimisation, not the information in the data.',
    );
  } else if (f64.length) {
    sentences.push(
      'The float64 check did not reproduce the normalized run within tolerance, so this measurement does not establish the equivalence; look at the per-step differences in the chart to see where they part.',
    );
  }
  return {
    id: 'reparametrisation',
    title: 'Normalization is a reparametrisation: the check',
    expectation: 'Raw inputs with kernel0 ÷ 255 and a rescaled first-layer learning rate reproduce the normalized run up to rounding.',
    verdict: allPassed ? 'as expected' : f64.some((c) => c.passed) ? 'mixed' : 'contradicts the expected story',
    sentences,
    numbers,
  };
}

/** Whether a reparametrisation check is within its bound, and what the bound rests on, in words. */
function boundText(c: StudyResult['reparam'][number]): string {
  const ref = c.roundingReference;
  if (c.dtype === 'float64' || !ref) {
    return c.passed
      ? `within the ${sci(c.tolerance, 1)} tolerance, i.e. rounding.`
      : `NOT within the ${sci(c.tolerance, 1)} tolerance: the trajectories diverged beyond rounding.`;
  }
  const refText =
    `the normalized run itself, computed in float32 instead of float64, moves its per-step losses by up to ${sci(ref.lossMaxAbsDiff)}` +
    (ref.finalMaxAbsDiff !== null ? ` and its final outputs by ${sci(ref.finalMaxAbsDiff)}` : '');
  const initialOk = c.initialMaxAbsDiff <= c.bound.initial;
  if (c.passed && c.lossMaxAbsDiff <= c.tolerance && c.finalMaxAbsDiff <= c.tolerance) {
    return `within the ${sci(c.tolerance, 1)} float32 tolerance, i.e. rounding (for scale: ${refText}).`;
  }
  if (c.passed) {
    return `within rounding: the initial outputs agree to float32 precision (< ${sci(c.bound.initial, 1)}), and ${refText}, so float32 rounding alone accounts for the difference.`;
  }
  return initialOk
    ? `NOT within rounding: ${refText}, and this difference is larger — the trajectories parted by more than float32 rounding explains.`
    : `NOT within rounding: the initial outputs already differ by more than float32 precision (${sci(c.bound.initial, 1)}).`;
}

function adamSweep(study: StudyResult): Finding | null {
  const sweep = study.sweep.filter((p) => p.key !== formatRunKey({ ...arm('relu', 'none', 'adam'), tier: 'subset' }));
  if (sweep.length === 0) return null;
  const raw = getSub(study, arm('relu', 'none', 'adam'));
  const norm = getSub(study, arm('relu', 'scale', 'adam'));
  const best = sweep.reduce((a, b) => (b.testAcc > a.testAcc ? b : a));
  const numbers: Finding['numbers'] = { bestLearningRate: best.learningRate, bestAcc: best.testAcc, bestGapRecovered: best.gapRecovered };
  for (const p of sweep) numbers[`acc@${p.learningRate}`] = p.testAcc;
  const list = sweep.map((p) => `lr ${p.learningRate}: ${pct(p.testAcc)}`).join(', ');
  const sentences: string[] = [
    `Raw inputs with Adam at smaller learning rates, mean over ${raw?.seeds.length ?? 0} seeds on ${study.tiers.subset} training images (${list}${raw ? `; lr 0.001: ${pct(raw.testAcc.mean)}` : ''}${norm ? `; normalized at lr 0.001: ${pct(norm.testAcc.mean)}` : ''}).`,
  ];
  let verdict: Verdict = 'mixed';
  const rec = best.gapRecovered;
  if (rec === null || !raw || !norm) {
    sentences.push(`The best is lr ${best.learningRate} at ${pct(best.testAcc)}.`);
  } else if (norm.testAcc.mean - raw.testAcc.mean <= NO_GAP) {
    sentences.push(`There was no gap to recover: raw Adam at lr 0.001 already matched the normalized run.`);
    verdict = 'contradicts the expected story';
  } else if (rec <= 0) {
    sentences.push(
      `No smaller learning rate helped: the best of them, lr ${best.learningRate}, reaches ${pct(best.testAcc)}, below the ${pct(raw.testAcc.mean)} of lr 0.001 — in ${epochs(study)} a smaller global step mostly slows the whole network down instead of fixing the first layer’s scale.`,
    );
    verdict = 'contradicts the expected story';
  } else if (rec >= GAP_MOSTLY_RECOVERED) {
    sentences.push(
      `Lowering the learning rate to ${best.learningRate} recovers ${pct(rec, 0)} of the gap (${pct(best.testAcc)} vs ${pct(norm.testAcc.mean)}): most of the damage was the effective step size.`,
    );
    verdict = 'as expected';
  } else if (rec > GAP_PARTLY_RECOVERED) {
    sentences.push(
      `The best, lr ${best.learningRate}, recovers ${pct(rec, 0)} of the gap (${pct(best.testAcc)} vs ${pct(norm.testAcc.mean)}): a global learning rate shrinks every layer’s step, while the reparametrisation shrinks only the first layer’s (and rescales ε); the smaller steps also train the other layer more slowly.`,
    );
    verdict = 'mixed';
  } else {
    sentences.push(
      `Smaller learning rates recover little: the best, lr ${best.learningRate}, recovers ${pct(rec, 0)} of the gap (${pct(best.testAcc)} vs ${pct(norm.testAcc.mean)}) — a smaller global step slows the whole network rather than fixing the first layer’s scale.`,
    );
    verdict = 'mixed';
  }
  return {
    id: 'adam-sweep',
    title: 'Raw inputs, Adam, smaller learning rates',
    expectation: 'Part of the raw-input gap is the effective step size, so a smaller Adam learning rate should recover some of it.',
    verdict,
    sentences,
    numbers,
  };
}

function precision(study: StudyResult): Finding | null {
  if (study.precision.length === 0) return null;
  const numbers: Finding['numbers'] = {};
  const sentences: string[] = [];
  let matters = false;
  for (const c of study.precision) {
    const d = Math.abs(c.testAcc[0] - c.testAcc[1]);
    // "Matters" only when the difference exceeds the seed-to-seed spread (intervals apart) and 2 points.
    matters ||= d > NEGLIGIBLE_ACC_GAP && (c.testAccStats[0].hi < c.testAccStats[1].lo || c.testAccStats[1].hi < c.testAccStats[0].lo);
    Object.assign(numbers, {
      [`${c.optimizer}AccF32`]: c.testAcc[0],
      [`${c.optimizer}AccF64`]: c.testAcc[1],
      [`${c.optimizer}SoftmaxOneF32`]: c.maxSoftmaxOne[0],
      [`${c.optimizer}SoftmaxOneF64`]: c.maxSoftmaxOne[1],
    });
    sentences.push(
      `Raw inputs, ${c.optimizer}: float32 ${ciText(c.testAccStats[0], pct)} vs float64 ${ciText(c.testAccStats[1], pct)} test accuracy over ${c.testAccStats[0].n} seeds (seed ${1}'s probe losses differ by at most ${num(c.probeLossMaxAbsDiff)}); ` +
        `the largest fraction of probe images with a softmax maximum of exactly 1.0 was ${pct(c.maxSoftmaxOne[0])} in float32 and ${pct(c.maxSoftmaxOne[1])} in float64` +
        (c.firstNonFinite[0] !== null || c.firstNonFinite[1] !== null
          ? `; non-finite values first appeared at step ${c.firstNonFinite[0] ?? '—'} (float32) / ${c.firstNonFinite[1] ?? '—'} (float64).`
          : '; no NaN or ∞ appeared in either.'),
    );
  }
  const th = study.sigmoid.softmax.filter((t) => t.competitors === 1);
  const t32 = th.find((t) => t.method === 'float32');
  const t64 = th.find((t) => t.method === 'float64');
  if (t32 && t64) {
    sentences.push(
      `Precision only decides where "exactly 1.0" begins: a top-2 logit gap of ${num(t32.gap, 4)} in float32, ${num(t64.gap, 4)} in float64. The loss is computed from the logits (fused softmax–cross-entropy, as tf.keras), ` +
        `so a saturated softmax still has a finite loss and gradient (softmax − one-hot) in either precision — it is the size of the gaps, not their rounding, that hurts.`,
    );
  }
  return {
    id: 'precision',
    title: 'float32 vs float64 for the raw runs',
    expectation: 'Precision is not the cause: float64 fails on raw inputs the same way float32 does.',
    verdict: matters ? 'contradicts the expected story' : 'as expected',
    sentences: matters
      ? [...sentences, `Here precision did change the outcome by more than ${points(NEGLIGIBLE_ACC_GAP, 0)} — see the runs above.`]
      : [...sentences, 'Precision did not change the outcome here.'],
    numbers,
  };
}

function sigmoidFinding(study: StudyResult): Finding {
  const s = study.sigmoid;
  const t64 = s.thresholds.find((t) => t.method === 'float64')!;
  const t32 = s.thresholds.find((t) => t.method === 'float32')!;
  const numbers: Finding['numbers'] = {
    thresholdF64: t64.x,
    thresholdF32: t32.x,
    integerF64: t64.integer,
    integerF32: t32.integer,
    proposedMax255: s.proposed.max[0],
    proposedMax1: s.proposed.max[1],
    scaledRangeMax: s.scaled.max,
  };
  const sentences: string[] = [
    `The proposed experiment, get_sigmoid(pixel, w) with w from np.linspace(0, 1e-5): sigmoid(255·w) never exceeds ${num(s.proposed.max[0], 6)} and sigmoid(1·w) ${num(s.proposed.max[1], 7)} — ` +
      `${s.proposed.anyExactlyOne ? 'some values round to 1.0' : 'nothing comes near saturation at such tiny weights'}; the raw pixel only moves the output ${num(s.proposed.distanceRatio, 4)}× further from ½. ` +
      `With the lab model's actual initial weights (glorotUniform up to ${num(s.realisticWeights.weights[s.realisticWeights.weights.length - 1], 3)}), sigmoid(255·w) reaches ${num(s.realisticWeights.max[0], 10)} while sigmoid(1·w) stays at ${num(s.realisticWeights.max[1], 4)}.`,
    `sigmoid(x) rounds to exactly 1.0 from x = ${num(t64.x, 8)} in float64 (integer ${t64.integer}; ${t64.closedForm}) and from x = ${num(t32.x, 8)} in float32 arithmetic (integer ${t32.integer}); ` +
      `there σ(1−σ) computed from the output is ${t64.derivativeAt} (its true value ${sci(t64.derivativeExact)} in float64, ${sci(t32.derivativeExact)} in float32). Over 0..255, ${s.raw.exactlyOne.float64.count} of the 256 integers give exactly 1.0 in float64 and ${s.raw.exactlyOne.float32.count} in float32; over [0, 0.99] sigmoid stays in [${num(s.scaled.min, 3)}, ${num(s.scaled.max, 4)}].`,
  ];
  let verdict: Verdict = 'as expected';
  const rawSig = get(study, arm('sigmoid', 'none', 'adam')) ?? get(study, arm('sigmoid', 'none', 'sgd'));
  const normSig = get(study, arm('sigmoid', 'scale', 'adam')) ?? get(study, arm('sigmoid', 'scale', 'sgd'));
  if (rawSig?.init && normSig?.init) {
    const r = firstLayer(rawSig.init)!;
    const n = firstLayer(normSig.init)!;
    Object.assign(numbers, {
      sigmoidRawSaturatedInit: r.saturatedFraction,
      sigmoidRawExactInit: r.saturatedExactFraction,
      sigmoidScaledSaturatedInit: n.saturatedFraction,
    });
    const pairs = (['adam', 'sgd'] as const)
      .map((o) => [o, get(study, arm('sigmoid', 'none', o)), get(study, arm('sigmoid', 'scale', o))] as const)
      .filter(([, a, b]) => a && b);
    const accs = pairs.map(([o, a, b]) => `${o} ${pct(a!.testAcc.mean)} raw vs ${pct(b!.testAcc.mean)} scaled`);
    const rawWorse = pairs.filter(([, a, b]) => a!.testAcc.mean < b!.testAcc.mean - SIGMOID_RAW_WORSE_BY).map(([o]) => o);
    const rawNotWorse = pairs.filter(([, a, b]) => !(a!.testAcc.mean < b!.testAcc.mean - SIGMOID_RAW_WORSE_BY)).map(([o]) => o);
    pairs.forEach(([o, a, b]) => {
      numbers[`sigmoidRaw${o}Acc`] = a!.testAcc.mean;
      numbers[`sigmoidScaled${o}Acc`] = b!.testAcc.mean;
    });
    sentences.push(
      `In the lab network with a sigmoid hidden layer, ${pct(r.saturatedFraction)} of the hidden activations are saturated (|z| > 5) at initialisation on raw inputs and ${pct(r.saturatedExactFraction)} are exactly 0 or 1 in float32, ` +
        `against ${pct(n.saturatedFraction)} with x/255; test accuracy: ${accs.join('; ')}.` +
        (rawNotWorse.length === 0
          ? ' For sigmoid units the learner’s mechanism is real: saturated units pass (almost) no gradient.'
          : rawWorse.length === 0
            ? ` Yet the saturated raw runs did not end up worse — contrary to the saturation story, at least over ${epochs(study)}.`
            : ` With ${rawWorse.join(' and ')} the saturated raw run is worse, as the saturation story predicts; with ${rawNotWorse.join(' and ')} it is not — contrary to it.`),
    );
    if (rawNotWorse.length) verdict = 'mixed';
  }
  const reluRawSgd = get(study, arm('relu', 'none', 'sgd'));
  if (reluRawSgd && atChance(reluRawSgd.testAcc.mean, chanceOf(study))) {
    sentences.push(
      `But the lab's hidden layer is ReLU, which cannot saturate upwards, and raw SGD still ends at ${pct(reluRawSgd.testAcc.mean)}: saturation is part of the story, the step size is the rest.`,
    );
  } else if (reluRawSgd) {
    verdict = 'mixed';
  }
  return {
    id: 'sigmoid',
    title: 'The sigmoid experiments, as proposed and to the exact threshold',
    expectation: 'sigmoid(255·w) saturates where sigmoid(w) does not; exactly 1.0 from x ≈ 36.7 (float64) and ≈ 16.6 (float32).',
    verdict,
    sentences,
    numbers,
  };
}

export function deriveFindings(study: StudyResult): Findings {
  const base = [
    outcome(study),
    mechanism(study),
    curvatureFinding(study),
    inputSpectrumFinding(study),
    ablationFinding(study),
    lossFormFinding(study),
    reparametrisation(study),
    adamSweep(study),
    precision(study),
    sigmoidFinding(study),
  ].filter((f): f is Finding => f !== null);
  const claims = checkClaims(study, base);
  const list = [...base, claimsFinding(claims)];
  return { answer: theAnswer(study, list), reply: forumReply(study, list), claims, list, closing: closingNote(study, list) };
}

function closingNote(study: StudyResult, list: Finding[]): string[] {
  const out: string[] = [];
  const n = (f: Finding | undefined, k: string) => (f?.numbers[k] as number | undefined) ?? NaN;
  const o = list.find((f) => f.id === 'outcome');
  const m = list.find((f) => f.id === 'mechanism');
  const r = list.find((f) => f.id === 'reparametrisation');
  const sw = list.find((f) => f.id === 'adam-sweep');
  const p = list.find((f) => f.id === 'precision');
  const ds = study.dataset.name;
  if (o && Number.isFinite(n(o, 'rawSgdAcc'))) {
    out.push(
      `On ${ds} (${study.dataset.trainCount} training images, ${epochs(study)}), dividing by 255 takes SGD from ${pct(n(o, 'rawSgdAcc'))} to ${pct(n(o, 'scaledSgdAcc'))} test accuracy` +
        (Number.isFinite(n(o, 'rawAdamAcc')) ? ` and Adam from ${pct(n(o, 'rawAdamAcc'))} to ${pct(n(o, 'scaledAdamAcc'))}.` : '.'),
    );
  }
  if (m) {
    out.push(
      `The data carries the same information either way; what changes is scale: first-layer pre-activations ${times(n(m, 'rawMeanAbsZ1'), n(m, 'scaledMeanAbsZ1'))} and first-kernel gradients ${study.mechanismAtInit ? `${num(study.mechanismAtInit.kernel0GradRatio.mean)}× (mean of ${study.mechanismAtInit.seeds} seeds)` : times(n(m, 'rawKernel0GradNorm'), n(m, 'scaledKernel0GradNorm'))} larger, ` +
        `${pct(n(m, 'rawSoftmaxOneAtInit'))} of softmax maxima exactly 1.0 at initialisation` +
        (Number.isFinite(n(m, 'rawSgdDeadReluFinal')) ? `, and under SGD ${pct(n(m, 'rawSgdDeadReluFinal'))} of the ReLUs end up dead.` : '.'),
    );
  }
  if (r) {
    const f64 = study.reparam.filter((c) => c.dtype === 'float64');
    if (f64.length) {
      const worst = sci(Math.max(...f64.map((c) => Math.max(c.lossMaxAbsDiff, c.finalMaxAbsDiff))));
      const steps = Math.min(...f64.map((c) => c.steps));
      out.push(
        f64.every((c) => c.passed)
          ? `Raw inputs with kernel0 ÷ 255 and that layer's step rescaled (SGD lr ÷ 255²; Adam lr ÷ 255, ε × 255) reproduce the normalized runs in float64 to ${worst} over ${steps} steps: normalization is a change of the optimisation, not of the data.`
          : `Raw inputs with kernel0 ÷ 255 and that layer's step rescaled did NOT reproduce the normalized runs in float64 (max |Δ| ${worst} over ${steps} steps, tolerance ${sci(f64[0].tolerance, 1)}), so this run does not confirm that normalization is only a reparametrisation.`,
      );
    }
  }
  if (sw && Number.isFinite(n(sw, 'bestAcc')))
    out.push(`A smaller Adam learning rate alone (best ${n(sw, 'bestLearningRate')}) gets raw inputs to ${pct(n(sw, 'bestAcc'))}.`);
  if (p) {
    out.push(
      p.verdict === 'as expected'
        ? `float64 does not rescue the raw runs (SGD ${pct(n(p, 'sgdAccF64'))}, Adam ${pct(n(p, 'adamAccF64'))}); precision only sets where a probability prints as exactly 1.0 (gap ${num(study.sigmoid.softmax.find((t) => t.method === 'float32')?.gap, 4)} in float32, ${num(study.sigmoid.softmax.find((t) => t.method === 'float64')?.gap, 4)} in float64).`
        : `Here float64 changed the raw runs' outcome (SGD ${pct(n(p, 'sgdAccF64'))}, Adam ${pct(n(p, 'adamAccF64'))} vs float32 ${pct(n(p, 'sgdAccF32'))}, ${pct(n(p, 'adamAccF32'))}).`,
    );
  }
  return out;
}
