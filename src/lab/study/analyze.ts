/**
 * From the runs' raw measurements to the study's comparisons: summaries across seeds, the
 * reparametrisation check, the learning-rate sweep, float32 vs float64. Pure functions of RunResults,
 * so tests can feed synthetic results.
 */
import type { DType } from '../../engine/backend.js';
import type { ProbeDiagnostics } from '../../engine/probes.js';
import { formatRunKey, parseRunKey } from './run-id.js';
import type {
  AblationRow,
  CurvatureSummary,
  CurvePoint,
  LossFormComparison,
  MechanismAtInit,
  MechanismSummary,
  PrecisionComparison,
  ReparamCheck,
  RunResult,
  RunSummary,
  Stat,
  StudyOptimizer,
  SweepPoint,
} from './types.js';

/**
 * Fixed tolerances of the reparametrisation check on the probe outputs and per-step losses. float64 is
 * the exact check (rounding stays ~1e-15 over a whole run). In float32 the initial outputs must agree to
 * float32 rounding (`REPARAM_FLOAT32_INITIAL`); later differences may also grow up to the measured
 * rounding reference (see ReparamCheck.roundingReference).
 */
export const REPARAM_TOLERANCE: Record<DType, number> = { float64: 1e-9, float32: 1e-3 };
export const REPARAM_FLOAT32_INITIAL = 1e-5;
/** Steps over which the "early" loss difference is measured. */
export const REPARAM_EARLY_STEPS = 100;

export function mean(values: number[]): number {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN;
}

export function std(values: number[]): number {
  if (values.length < 2) return 0;
  const m = mean(values);
  return Math.sqrt(values.reduce((a, v) => a + (v - m) ** 2, 0) / (values.length - 1));
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>, length = Math.min(a.length, b.length)): number {
  let m = 0;
  for (let i = 0; i < length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (d > m || Number.isNaN(d)) m = d;
    if (Number.isNaN(m)) return NaN;
  }
  return m;
}

export function finalProbe(run: RunResult): ProbeDiagnostics | null {
  return run.probes.length ? run.probes[run.probes.length - 1] : null;
}

export function initProbe(run: RunResult): ProbeDiagnostics | null {
  return run.probes.find((p) => p.step === 0) ?? null;
}

export function summarize(runs: RunResult[]): RunSummary[] {
  const byKey = new Map<string, RunResult[]>();
  for (const r of runs) {
    const list = byKey.get(r.spec.key) ?? [];
    list.push(r);
    byKey.set(r.spec.key, list);
  }
  return [...byKey.entries()].map(([key, list]) => {
    list.sort((a, b) => a.spec.seed - b.spec.seed);
    const first = list[0];
    const accs = list.map((r) => r.test.acc);
    return {
      key,
      group: first.spec.group,
      label: first.spec.label,
      transform: first.spec.transform,
      activation: first.spec.activation,
      optimizer: first.spec.optimizer,
      learningRate: first.spec.learningRate,
      dtype: first.spec.dtype,
      seeds: list.map((r) => r.spec.seed),
      testAcc: (({ lo, hi }) => ({ mean: mean(accs), std: std(accs), min: Math.min(...accs), max: Math.max(...accs), values: accs, lo, hi }))(statOf(accs)),
      tier: first.spec.tier ?? 'full',
      testLoss: { mean: mean(list.map((r) => r.test.loss)), values: list.map((r) => r.test.loss) },
      firstEpochLoss: mean(list.map((r) => r.history.loss?.[0] ?? NaN)),
      init: initProbe(first),
      final: finalProbe(first),
      nonFiniteRuns: list.filter((r) => r.nonFinite.loss !== null || r.nonFinite.firstProbeStep !== null).length,
    };
  });
}

function windowedMaxDiff(a: number[], b: number[], stepsPerEpoch: number, maxPoints = 120): CurvePoint[] {
  const n = Math.min(a.length, b.length);
  const window = Math.max(1, Math.ceil(n / maxPoints));
  const out: CurvePoint[] = [];
  for (let start = 0; start < n; start += window) {
    const end = Math.min(n, start + window);
    let m = 0;
    for (let i = start; i < end; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
    out.push({ step: end, epoch: end / stepsPerEpoch, value: m });
  }
  return out;
}

function firstSeedRun(runs: RunResult[], key: string): RunResult | undefined {
  return runs.filter((r) => r.spec.key === key).sort((a, b) => a.spec.seed - b.spec.seed)[0];
}

export function reparamChecks(runs: RunResult[]): ReparamCheck[] {
  const checks: ReparamCheck[] = [];
  for (const rep of runs.filter((r) => r.spec.reparam)) {
    const norm = firstSeedRun(runs, rep.spec.reparam!.matches);
    if (!norm || norm.spec.seed !== rep.spec.seed || !rep.outputs || !norm.outputs || !rep.stepLosses || !norm.stepLosses) continue;
    const dtype = rep.spec.dtype;
    const optimizer = rep.spec.optimizer;
    const steps = Math.min(rep.stepLosses.length, norm.stepLosses.length);
    const earlySteps = Math.min(REPARAM_EARLY_STEPS, steps);
    // The same raw run without the reparametrisation: the key less its tag.
    const rawKey = formatRunKey({ ...parseRunKey(rep.spec.key), tag: undefined });
    const raw = firstSeedRun(runs, rawKey);
    const initialMaxAbsDiff = maxAbsDiff(rep.outputs.initial, norm.outputs.initial);
    const lossMaxAbsDiff = maxAbsDiff(rep.stepLosses, norm.stepLosses, steps);
    const finalMaxAbsDiff = maxAbsDiff(rep.outputs.final, norm.outputs.final);
    const tolerance = REPARAM_TOLERANCE[dtype];
    const roundingReference = dtype === 'float32' ? roundingReferenceOf(runs, norm, steps) : null;
    const bound = {
      initial: dtype === 'float32' ? REPARAM_FLOAT32_INITIAL : tolerance,
      loss: Math.max(tolerance, roundingReference?.lossMaxAbsDiff ?? 0),
      final: Math.max(tolerance, roundingReference?.finalMaxAbsDiff ?? 0),
    };
    const scale = rep.spec.reparam!.paramScales[0];
    checks.push({
      optimizer,
      dtype,
      normalized: norm.spec.key,
      reparametrised: rep.spec.key,
      recipe:
        `raw inputs; kernel0 ÷ ${rep.spec.reparam!.kernel0Divisor} at initialisation; kernel0 learning rate × ${scale.lr.toPrecision(6)}` +
        (scale.epsilon !== 1 ? `, ε × ${scale.epsilon}` : '') +
        '; biases and the other layer untouched',
      steps,
      initialMaxAbsDiff,
      earlySteps,
      earlyLossMaxAbsDiff: maxAbsDiff(rep.stepLosses, norm.stepLosses, earlySteps),
      lossMaxAbsDiff,
      finalMaxAbsDiff,
      testAcc: [norm.test.acc, rep.test.acc],
      unreparametrised:
        raw && raw.outputs && raw.stepLosses && raw.spec.seed === rep.spec.seed
          ? {
              finalMaxAbsDiff: maxAbsDiff(raw.outputs.final, norm.outputs.final),
              lossMaxAbsDiff: maxAbsDiff(raw.stepLosses, norm.stepLosses, Math.min(raw.stepLosses.length, steps)),
              testAcc: raw.test.acc,
            }
          : null,
      lossDiffCurve: windowedMaxDiff(rep.stepLosses, norm.stepLosses, rep.stepsPerEpoch),
      tolerance,
      roundingReference,
      bound,
      passed: initialMaxAbsDiff <= bound.initial && lossMaxAbsDiff <= bound.loss && finalMaxAbsDiff <= bound.final,
    });
  }
  const order = (c: ReparamCheck) => (c.dtype === 'float64' ? 0 : 2) + (c.optimizer === 'sgd' ? 0 : 1);
  return checks.sort((a, b) => order(a) - order(b));
}

/**
 * How far rounding alone moves a float32 run: the same normalized run (same seed, so same initial weights
 * and batch order) in float32 vs float64, over its first `steps` steps. Final outputs are compared only
 * when both runs took exactly `steps` steps.
 */
function roundingReferenceOf(runs: RunResult[], norm32: RunResult, steps: number): ReparamCheck['roundingReference'] {
  const norm64 = firstSeedRun(runs, formatRunKey({ ...parseRunKey(norm32.spec.key), dtype: 'float64' }));
  if (!norm64 || norm64.spec.seed !== norm32.spec.seed || !norm64.stepLosses || !norm32.stepLosses || norm64.stepLosses.length < steps) return null;
  const sameLength = norm64.stepLosses.length === steps && norm32.stepLosses.length === steps;
  return {
    lossMaxAbsDiff: maxAbsDiff(norm32.stepLosses, norm64.stepLosses, steps),
    finalMaxAbsDiff: sameLength && norm32.outputs && norm64.outputs ? maxAbsDiff(norm32.outputs.final, norm64.outputs.final) : null,
    lossDiffCurve: windowedMaxDiff(norm32.stepLosses.slice(0, steps), norm64.stepLosses.slice(0, steps), norm32.stepsPerEpoch),
  };
}

export function sweepPoints(summaries: RunSummary[]): SweepPoint[] {
  const rawKey = formatRunKey({ activation: 'relu', transform: 'none', optimizer: 'adam', tier: 'subset' });
  const scaledKey = formatRunKey({ activation: 'relu', transform: 'scale', optimizer: 'adam', tier: 'subset' });
  const raw = summaries.find((s) => s.key === rawKey);
  const scaled = summaries.find((s) => s.key === scaledKey);
  const points = summaries.filter((s) => (s.group === 'sweep' && s.optimizer === 'adam') || s.key === rawKey);
  if (!points.some((s) => s.group === 'sweep')) return [];
  return points
    .map((s) => ({
      learningRate: s.learningRate,
      key: s.key,
      testAcc: s.testAcc.mean,
      gapRecovered:
        raw && scaled && scaled.testAcc.mean !== raw.testAcc.mean ? (s.testAcc.mean - raw.testAcc.mean) / (scaled.testAcc.mean - raw.testAcc.mean) : null,
    }))
    .sort((a, b) => b.learningRate - a.learningRate);
}

function summaryAcc(runs: RunResult[], key: string): number {
  return mean(runs.filter((r) => r.spec.key === key).map((r) => r.test.acc));
}

export function precisionComparisons(runs: RunResult[]): PrecisionComparison[] {
  const out: PrecisionComparison[] = [];
  for (const optimizer of ['adam', 'sgd'] as StudyOptimizer[]) {
    const raw = { activation: 'relu', transform: 'none', optimizer, tier: 'subset' } as const;
    const a = firstSeedRun(runs, formatRunKey({ ...raw, dtype: 'float32' }));
    const b = firstSeedRun(runs, formatRunKey({ ...raw, dtype: 'float64' }));
    if (!a || !b || a.spec.seed !== b.spec.seed) continue;
    const pairs = a.probes.map((p) => [p, b.probes.find((q) => q.step === p.step)] as const).filter(([, q]) => q);
    const maxOne = (r: RunResult) => Math.max(0, ...r.probes.map((p) => p.softmax.maxExactlyOne).filter(Number.isFinite));
    const firstNF = (r: RunResult) => (r.nonFinite.loss ? r.nonFinite.loss.step : r.nonFinite.firstProbeStep);
    out.push({
      optimizer,
      float32: a.spec.key,
      float64: b.spec.key,
      testAcc: [summaryAcc(runs, a.spec.key), summaryAcc(runs, b.spec.key)],
      testAccStats: [
        statOf(runs.filter((r) => r.spec.key === a.spec.key).map((r) => r.test.acc)),
        statOf(runs.filter((r) => r.spec.key === b.spec.key).map((r) => r.test.acc)),
      ],
      finalLoss: [finalProbe(a)?.loss ?? NaN, finalProbe(b)?.loss ?? NaN],
      maxSoftmaxOne: [maxOne(a), maxOne(b)],
      firstNonFinite: [firstNF(a), firstNF(b)],
      probeLossMaxAbsDiff: pairs.length ? Math.max(...pairs.map(([p, q]) => Math.abs(p.loss - q!.loss))) : NaN,
    });
  }
  return out;
}

/** Whether all first-seed runs of an activation began from the same weights (reparam runs are hashed before kernel0 ÷ 255). */
export function sameInitialWeights(runs: RunResult[], activation: 'relu' | 'sigmoid'): boolean | null {
  const seed = Math.min(...runs.map((r) => r.spec.seed));
  const hashes = new Set(runs.filter((r) => r.spec.activation === activation && r.spec.seed === seed).map((r) => r.initialWeightsHash));
  return hashes.size === 0 ? null : hashes.size === 1;
}

// ------------------------------------------------------------------------------- across seeds

/** Two-sided 95% Student-t quantiles by degrees of freedom (1…30; beyond, 1.96). */
const T95 = [
  NaN,
  12.706,
  4.303,
  3.182,
  2.776,
  2.571,
  2.447,
  2.365,
  2.306,
  2.262,
  2.228,
  2.201,
  2.179,
  2.16,
  2.145,
  2.131,
  2.12,
  2.11,
  2.101,
  2.093,
  2.086,
  2.08,
  2.074,
  2.069,
  2.064,
  2.06,
  2.056,
  2.052,
  2.048,
  2.045,
  2.042,
];

/** Mean, sample std, min/max and the 95% t-interval of the mean over seeds. */
export function statOf(values: number[]): Stat {
  const v = values.filter((x) => Number.isFinite(x));
  const m = mean(v);
  const s = std(v);
  const t = v.length >= 2 ? (T95[v.length - 1] ?? 1.96) : NaN;
  const half = v.length >= 2 ? (t * s) / Math.sqrt(v.length) : NaN;
  return { n: v.length, mean: m, std: s, min: v.length ? Math.min(...v) : NaN, max: v.length ? Math.max(...v) : NaN, lo: m - half, hi: m + half, values };
}

function bySeed(runs: RunResult[], key: string): Map<number, RunResult> {
  return new Map(runs.filter((r) => r.spec.key === key).map((r) => [r.spec.seed, r]));
}

/**
 * Share of the raw → /255 gap an arm recovers, paired by seed: (acc_arm − acc_raw) / (acc_/255 − acc_raw)
 * for each seed that has all three runs, then mean and 95% interval over seeds.
 */
export function gapShare(runs: RunResult[], armKey: string, rawKey: string, scaledKey: string): { share: Stat; acc: Stat; gap: Stat } | null {
  const arm = bySeed(runs, armKey);
  const raw = bySeed(runs, rawKey);
  const scaled = bySeed(runs, scaledKey);
  const shares: number[] = [];
  const accs: number[] = [];
  const gaps: number[] = [];
  for (const [seed, a] of arm) {
    const r = raw.get(seed);
    const s = scaled.get(seed);
    if (!r || !s) continue;
    const accA = Number.isFinite(a.test.acc) ? a.test.acc : 0;
    const accR = Number.isFinite(r.test.acc) ? r.test.acc : 0;
    const gap = s.test.acc - accR;
    accs.push(accA);
    gaps.push(gap);
    shares.push(gap > 0 ? (accA - accR) / gap : NaN);
  }
  return accs.length ? { share: statOf(shares), acc: statOf(accs), gap: statOf(gaps) } : null;
}

const ARM_ORDER = ['init255', 'step255', 'both', 'lr', 'centre', 'clipnorm', 'rescaling', 'batchnorm', 'clipped'];

/** Every fix of the ablation, per optimizer, ranked by the share of the raw → /255 gap it recovers. */
export function ablationRanking(runs: RunResult[]): AblationRow[] {
  const rows: AblationRow[] = [];
  for (const optimizer of ['adam', 'sgd'] as StudyOptimizer[]) {
    const rawKey = formatRunKey({ activation: 'relu', transform: 'none', optimizer, tier: 'subset' });
    const scaledKey = formatRunKey({ activation: 'relu', transform: 'scale', optimizer, tier: 'subset' });
    if (!runs.some((r) => r.spec.key === rawKey) || !runs.some((r) => r.spec.key === scaledKey)) continue;
    const candidates: { arm: string; key: string; label: string }[] = [];
    const keys = [
      ...new Set(runs.filter((r) => r.spec.tier === 'subset' && r.spec.optimizer === optimizer && r.spec.activation === 'relu').map((r) => r.spec.key)),
    ];
    for (const key of keys) {
      const run = runs.find((r) => r.spec.key === key)!;
      if (run.spec.intervention && run.spec.transform === 'none') candidates.push({ arm: run.spec.intervention.arm, key, label: run.spec.label });
      else if (run.spec.transform === 'centre' && !run.spec.intervention && run.spec.dtype === 'float32')
        candidates.push({ arm: 'centre', key, label: run.spec.label });
    }
    // The global learning-rate sweep counts as one fix: its best rate (by mean accuracy over seeds).
    const sweep = keys.filter((k) => runs.find((r) => r.spec.key === k)!.spec.group === 'sweep');
    if (sweep.length) {
      const best = sweep
        .map((key) => ({
          key,
          acc: mean(
            runs
              .filter((r) => r.spec.key === key)
              .map((r) => r.test.acc)
              .filter(Number.isFinite),
          ),
        }))
        .sort((a, b) => b.acc - a.acc)[0];
      const run = runs.find((r) => r.spec.key === best.key)!;
      candidates.push({
        arm: 'lr',
        key: best.key,
        label: `global learning rate ${run.spec.learningRate} (best of ${sweep.length} smaller rates; chosen on the same runs)`,
      });
    }
    for (const c of candidates) {
      const g = gapShare(runs, c.key, rawKey, scaledKey);
      if (g) rows.push({ optimizer, arm: c.arm, key: c.key, label: c.label, share: g.share, acc: g.acc, gap: g.gap });
    }
  }
  return rows.sort((a, b) =>
    a.optimizer === b.optimizer
      ? (b.share.mean || -Infinity) - (a.share.mean || -Infinity) || ARM_ORDER.indexOf(a.arm) - ARM_ORDER.indexOf(b.arm)
      : a.optimizer.localeCompare(b.optimizer),
  );
}

/** Loss from the logits vs from clipped probabilities (tfjs), per transform and optimizer, paired by seed. */
export function lossFormComparisons(runs: RunResult[]): LossFormComparison[] {
  const out: LossFormComparison[] = [];
  for (const optimizer of ['adam', 'sgd'] as StudyOptimizer[]) {
    for (const transform of ['none', 'scale'] as const) {
      const plain = { activation: 'relu', transform, optimizer, tier: 'subset' } as const;
      const logits = bySeed(runs, formatRunKey(plain));
      const clipped = bySeed(runs, formatRunKey({ ...plain, tag: 'clipped' }));
      const pairs = [...clipped].filter(([seed]) => logits.has(seed));
      if (!pairs.length) continue;
      const acc = (r: RunResult) => (Number.isFinite(r.test.acc) ? r.test.acc : 0);
      // Share of the probe batch whose true-class probability is below ε at init (no gradient with the clip).
      const dead = pairs.map(([, r]) => r.probes.find((p) => p.step === 0)?.softmax.trueProbZero ?? NaN);
      out.push({
        optimizer,
        transform,
        logits: statOf(pairs.map(([seed]) => acc(logits.get(seed)!))),
        clipped: statOf(pairs.map(([, r]) => acc(r))),
        difference: statOf(pairs.map(([seed, r]) => acc(r) - acc(logits.get(seed)!))),
        firstEpochLoss: [mean(pairs.map(([seed]) => logits.get(seed)!.history.loss?.[0] ?? NaN)), mean(pairs.map(([, r]) => r.history.loss?.[0] ?? NaN))],
        trueProbZeroAtInit: statOf(dead),
      });
    }
  }
  return out;
}

/** λ_max across seeds per transform and optimizer, at each measured step, with the stability limits. */
export function curvatureSummary(runs: RunResult[]): CurvatureSummary[] {
  const out: CurvatureSummary[] = [];
  const keys = [...new Set(runs.filter((r) => r.analyses?.curvature?.length).map((r) => r.spec.key))];
  for (const key of keys) {
    const list = runs.filter((r) => r.spec.key === key && r.analyses?.curvature);
    const first = list[0].spec;
    const steps = [...new Set(list.flatMap((r) => r.analyses!.curvature!.map((p) => p.step)))].sort((a, b) => a - b);
    const field = (step: number, f: 'lambdaMax' | 'lambdaMaxFirstLayer' | 'preconditioned') =>
      statOf(list.map((r) => r.analyses!.curvature!.find((p) => p.step === step)?.[f] ?? NaN).filter((v): v is number => v !== null && Number.isFinite(v)));
    out.push({
      key,
      transform: first.transform,
      optimizer: first.optimizer,
      learningRate: first.learningRate,
      // SGD is stable on a quadratic while lr·λ < 2; Adam (β1 = 0.9) while lr·λ(D⁻¹H) < 38 (Cohen et al. 2022).
      limit: first.optimizer === 'sgd' ? 2 / first.learningRate : (2 + 2 * 0.9) / ((1 - 0.9) * first.learningRate),
      points: steps.map((step) => ({
        step,
        lambdaMax: field(step, 'lambdaMax'),
        firstLayer: field(step, 'lambdaMaxFirstLayer'),
        preconditioned: field(step, 'preconditioned'),
      })),
      rows: list[0].analyses!.curvature![0] ? (first.analyses?.curvature?.rows ?? 0) : 0,
    });
  }
  return out;
}

/** The mechanism numbers at init across seeds (each field a Stat). */
export function mechanismSummary(runs: RunResult[]): MechanismSummary | null {
  const list = [...new Map(runs.filter((r) => r.analyses?.mechanism).map((r) => [r.spec.seed, r.analyses!.mechanism!])).values()];
  if (!list.length) return null;
  const f = (g: (m: MechanismAtInit) => number) => statOf(list.map(g));
  return {
    seeds: list.length,
    rows: list[0].rows,
    logitHomogeneityError: f((m) => m.logitHomogeneityError),
    logitRatio: f((m) => m.logitRatio),
    kernel0GradRatio: f((m) => m.kernel0GradRatio),
    perSampleErrorRatio: f((m) => m.perSampleErrorRatio),
    alignmentRatio: f((m) => m.alignmentRatio),
    alignmentRaw: f((m) => m.alignment[0]),
    alignmentScaled: f((m) => m.alignment[1]),
    outputErrorRaw: f((m) => m.outputError[0]),
    outputErrorScaled: f((m) => m.outputError[1]),
    adamLayer2LogitMoveRatio: f((m) => m.adamLayer2LogitMoveRatio),
    adamLayer1PreactMoveRatio: f((m) => m.adamLayer1PreactMoveRatio),
    biasRelativeStepSgd: [f((m) => m.biasRelativeStep.sgd[0]), f((m) => m.biasRelativeStep.sgd[1])],
    biasRelativeStepAdam: [f((m) => m.biasRelativeStep.adam[0]), f((m) => m.biasRelativeStep.adam[1])],
    meanSquaredInput: [f((m) => m.meanSquaredInput[0]), f((m) => m.meanSquaredInput[1])],
  };
}
