/**
 * From the runs' raw measurements to the study's comparisons: summaries across seeds, the
 * reparametrisation check, the learning-rate sweep, float32 vs float64. Pure functions of RunResults,
 * so tests can feed synthetic results.
 */
import type { DType } from '../../engine/backend.js';
import type { ProbeDiagnostics } from '../../engine/probes.js';
import type { CurvePoint, PrecisionComparison, ReparamCheck, RunResult, RunSummary, StudyOptimizer, SweepPoint } from './types.js';

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
      testAcc: { mean: mean(accs), std: std(accs), min: Math.min(...accs), max: Math.max(...accs), values: accs },
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
    const rawKey = rep.spec.key.replace('·reparam', '');
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
          ? { finalMaxAbsDiff: maxAbsDiff(raw.outputs.final, norm.outputs.final), lossMaxAbsDiff: maxAbsDiff(raw.stepLosses, norm.stepLosses, Math.min(raw.stepLosses.length, steps)), testAcc: raw.test.acc }
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
  const norm64 = firstSeedRun(runs, norm32.spec.key.replace('·f32', '·f64'));
  if (!norm64 || norm64.spec.seed !== norm32.spec.seed || !norm64.stepLosses || !norm32.stepLosses || norm64.stepLosses.length < steps) return null;
  const sameLength = norm64.stepLosses.length === steps && norm32.stepLosses.length === steps;
  return {
    lossMaxAbsDiff: maxAbsDiff(norm32.stepLosses, norm64.stepLosses, steps),
    finalMaxAbsDiff: sameLength && norm32.outputs && norm64.outputs ? maxAbsDiff(norm32.outputs.final, norm64.outputs.final) : null,
    lossDiffCurve: windowedMaxDiff(norm32.stepLosses.slice(0, steps), norm64.stepLosses.slice(0, steps), norm32.stepsPerEpoch),
  };
}

export function sweepPoints(summaries: RunSummary[]): SweepPoint[] {
  const raw = summaries.find((s) => s.key === 'relu·none·adam·f32');
  const scaled = summaries.find((s) => s.key === 'relu·scale·adam·f32');
  const points = summaries.filter((s) => s.group === 'sweep' || s.key === 'relu·none·adam·f32');
  if (!points.some((s) => s.group === 'sweep')) return [];
  return points
    .map((s) => ({
      learningRate: s.learningRate,
      key: s.key,
      testAcc: s.testAcc.mean,
      gapRecovered: raw && scaled && scaled.testAcc.mean !== raw.testAcc.mean ? (s.testAcc.mean - raw.testAcc.mean) / (scaled.testAcc.mean - raw.testAcc.mean) : null,
    }))
    .sort((a, b) => b.learningRate - a.learningRate);
}

export function precisionComparisons(runs: RunResult[]): PrecisionComparison[] {
  const out: PrecisionComparison[] = [];
  for (const optimizer of ['adam', 'sgd'] as StudyOptimizer[]) {
    const a = firstSeedRun(runs, `relu·none·${optimizer}·f32`);
    const b = firstSeedRun(runs, `relu·none·${optimizer}·f64`);
    if (!a || !b || a.spec.seed !== b.spec.seed) continue;
    const pairs = a.probes.map((p) => [p, b.probes.find((q) => q.step === p.step)] as const).filter(([, q]) => q);
    const maxOne = (r: RunResult) => Math.max(0, ...r.probes.map((p) => p.softmax.maxExactlyOne).filter(Number.isFinite));
    const firstNF = (r: RunResult) => (r.nonFinite.loss ? r.nonFinite.loss.step : r.nonFinite.firstProbeStep);
    out.push({
      optimizer,
      float32: a.spec.key,
      float64: b.spec.key,
      testAcc: [a.test.acc, b.test.acc],
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
