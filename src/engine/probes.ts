/**
 * Probes: diagnostics of a network at chosen points of training, computed from a `trace` of a fixed probe
 * batch (pre-activations, activations, gradients, per-sample losses — no update) plus the weights before
 * and after one optimizer step. Cheap enough to leave on during a study: one forward/backward pass over
 * the probe batch per probe point.
 *
 * Everything here is plain numbers; `ProbeCallback` is a tfjs-style callback that collects them.
 *
 * Definitions (each field's doc comment says the same):
 * - dead ReLU unit: a hidden ReLU unit whose pre-activation is ≤ 0 for every sample of the probe batch
 *   (its gradient is zero for all of them, so on these samples it cannot recover);
 * - saturated sigmoid activation: a (sample, unit) pair with |z| > 5 (σ' < 0.0066, under 3% of its
 *   maximum 0.25); exactly saturated: the stored output is exactly 0 or 1, so σ(1−σ) is exactly 0;
 * - logit gap: top logit − second logit, per sample;
 * - softmax max exactly 1: the stored softmax output of the top class equals 1.0 in the run's dtype.
 */
import { weightLayout, type NetworkSpec, type StageSpec, type Trace, type WeightSlot } from './backend.js';
import { Callback, type Logs } from './model/callbacks.js';
import { backendWeights, type Sequential } from './model/sequential.js';
import type { Tensor } from './tensor.js';

/** |z| above which a sigmoid/tanh unit counts as saturated (σ'(5) = 0.0066). */
export const SATURATION_Z = 5;

export interface LayerDiagnostics {
  units: number;
  activation: string;
  /** Mean and max of |z| over the probe batch (z: the layer's pre-activation). */
  meanAbsPre: number;
  maxAbsPre: number;
  /** ReLU layers: fraction of units that are ≤ 0 on every probe sample (dead on this batch). */
  deadFraction: number | null;
  /** ReLU layers: fraction of (sample, unit) pairs with z > 0. */
  activeFraction: number | null;
  /** sigmoid/tanh layers: fraction of (sample, unit) pairs with |z| > SATURATION_Z. */
  saturatedFraction: number | null;
  /** sigmoid layers: fraction of (sample, unit) pairs whose stored output is exactly 0 or 1. */
  saturatedExactFraction: number | null;
  /** L2 norms of the kernel and of the gradient of the mean probe-batch loss w.r.t. kernel, bias, both. */
  kernelNorm: number;
  kernelGradNorm: number;
  biasGradNorm: number;
  gradNorm: number;
  /** ‖ΔW‖/‖W‖ of the kernel over one optimizer step taken right after this probe (null if none). */
  updateRatio: number | null;
  /** ‖Δb‖/‖b‖ of the bias over the same step (null if none or ‖b‖ = 0). */
  biasUpdateRatio: number | null;
  /**
   * The layers that run in front of this dense layer, in order ('affine' for rescaling/normalization,
   * 'batchNorm', 'dropout'); [] for none. Optional: probes recorded before these layers existed lack it.
   */
  inputStages?: string[];
  /** L2 norm of the gradient w.r.t. those layers' trainable weights (batch norm gamma, beta); null if none. */
  stageGradNorm?: number | null;
  /** Batch norm in front of this layer: mean over its features of movingVariance (how far the moving statistics have moved from 1). */
  movingVarianceMean?: number | null;
}

export interface ProbeDiagnostics {
  /** Optimizer steps completed before this probe. */
  step: number;
  /** step / steps per epoch. */
  epoch: number;
  /** Why this point: 'init', 'step' (an early step) or 'epoch' (end of an epoch). */
  kind: 'init' | 'step' | 'epoch';
  /** Mean loss and accuracy on the probe batch (training images). */
  loss: number;
  acc: number;
  layers: LayerDiagnostics[];
  logits: { meanAbs: number; maxAbs: number; gapMean: number; gapMedian: number; gapMax: number };
  softmax: {
    /** Fraction of probe samples whose top softmax probability is exactly 1.0 in the run's dtype. */
    maxExactlyOne: number;
    /** Fraction whose true-class probability is exactly 0.0 (log → −∞ unless the loss is fused). */
    trueProbZero: number;
    /** Mean top probability. */
    meanMax: number;
    /**
     * Mean over samples of ‖softmax − one-hot‖₂: the size of the error the output layer backpropagates
     * (δ of the fused softmax–cross-entropy), 0 when every prediction is certain and right.
     */
    errorNorm: number;
  };
  /** Counts of NaN/±Infinity values in this trace and in the weights. */
  nonFinite: { preActivations: number; activations: number; gradients: number; losses: number; weights: number };
  /** Extra numbers a caller adds (e.g. test accuracy). */
  extra: Record<string, number>;
}

function l2(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i] * values[i];
  return Math.sqrt(s);
}

function l2Diff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    s += d * d;
  }
  return Math.sqrt(s);
}

function countNonFinite(arrays: ArrayLike<number>[] | ArrayLike<number>): number {
  const list = Array.isArray(arrays) ? (arrays as ArrayLike<number>[]) : [arrays as ArrayLike<number>];
  let n = 0;
  for (const a of list) for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) n++;
  return n;
}

function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Index of each dense layer's kernel in weight order (bias, if any, at +1). */
export function kernelIndices(spec: Pick<NetworkSpec, 'layers'>): number[] {
  const out: number[] = [];
  weightLayout(spec).forEach((slot, index) => {
    if (slot.role === 'kernel') out.push(index);
  });
  return out;
}

/** What the layers in front of dense layer l look like in one trace (see LayerDiagnostics). */
function stageDiagnostics(layout: WeightSlot[], l: number, stages: StageSpec[], trace: Trace, weights: ArrayLike<number>[]) {
  let sq = 0;
  let any = false;
  let varianceSum = 0;
  let varianceCount = 0;
  layout.forEach((slot, t) => {
    if (slot.layer !== l || slot.stage < 0) return;
    if (slot.trainable) {
      any = true;
      sq += l2(trace.gradients[t]) ** 2;
    } else if (slot.role === 'movingVariance') {
      for (let i = 0; i < weights[t].length; i++) varianceSum += weights[t][i];
      varianceCount += weights[t].length;
    }
  });
  return {
    inputStages: stages.map((s) => s.kind),
    stageGradNorm: any ? Math.sqrt(sq) : null,
    movingVarianceMean: varianceCount ? varianceSum / varianceCount : null,
  };
}

/** ‖after − before‖ / ‖before‖ per weight tensor (Infinity when ‖before‖ = 0 and something changed). */
export function updateRatios(before: ArrayLike<number>[], after: ArrayLike<number>[]): number[] {
  return before.map((b, i) => {
    const n = l2(b);
    const d = l2Diff(after[i], b);
    return n === 0 ? (d === 0 ? 0 : Infinity) : d / n;
  });
}

/**
 * Diagnostics from one trace. `labels` are the probe batch's class indices; `weights` the weights the trace
 * was taken with; `ratios` the per-tensor update ratios of the following step (optional).
 */
export function diagnose(
  spec: Pick<NetworkSpec, 'layers' | 'dtype'>,
  trace: Trace,
  labels: ArrayLike<number>,
  weights: ArrayLike<number>[],
  ratios?: number[],
): Omit<ProbeDiagnostics, 'step' | 'epoch' | 'kind' | 'extra'> {
  const rows = trace.losses.length;
  const kernels = kernelIndices(spec);
  const layout = weightLayout(spec);
  const layers: LayerDiagnostics[] = spec.layers.map((layer, l) => {
    const z = trace.preActivations[l];
    const y = trace.activations[l];
    const units = layer.units;
    let sumAbs = 0;
    let maxAbs = 0;
    for (let i = 0; i < z.length; i++) {
      const a = Math.abs(z[i]);
      sumAbs += a;
      if (a > maxAbs || Number.isNaN(a)) maxAbs = a;
    }
    let deadFraction: number | null = null;
    let activeFraction: number | null = null;
    let saturatedFraction: number | null = null;
    let saturatedExactFraction: number | null = null;
    if (layer.activation === 'relu') {
      let dead = 0;
      let active = 0;
      for (let u = 0; u < units; u++) {
        let ever = false;
        for (let r = 0; r < rows; r++) {
          if (z[r * units + u] > 0) {
            ever = true;
            active++;
          }
        }
        if (!ever) dead++;
      }
      deadFraction = dead / units;
      activeFraction = active / (units * rows);
    }
    if (layer.activation === 'sigmoid' || layer.activation === 'tanh') {
      let sat = 0;
      let exact = 0;
      const lo = layer.activation === 'sigmoid' ? 0 : -1;
      for (let i = 0; i < z.length; i++) {
        if (Math.abs(z[i]) > SATURATION_Z) sat++;
        if (y[i] === lo || y[i] === 1) exact++;
      }
      saturatedFraction = sat / z.length;
      saturatedExactFraction = exact / z.length;
    }
    const k = kernels[l];
    const gK = trace.gradients[k];
    const gB = layer.useBias ? trace.gradients[k + 1] : new Float64Array(0);
    const kernelGradNorm = l2(gK);
    const biasGradNorm = l2(gB);
    return {
      units,
      activation: layer.activation,
      meanAbsPre: sumAbs / z.length,
      maxAbsPre: maxAbs,
      deadFraction,
      activeFraction,
      saturatedFraction,
      saturatedExactFraction,
      kernelNorm: l2(weights[k]),
      kernelGradNorm,
      biasGradNorm,
      gradNorm: Math.sqrt(kernelGradNorm ** 2 + biasGradNorm ** 2),
      updateRatio: ratios ? ratios[k] : null,
      biasUpdateRatio: ratios && layer.useBias && Number.isFinite(ratios[k + 1]) ? ratios[k + 1] : null,
      ...stageDiagnostics(layout, l, layer.stages ?? [], trace, weights),
    };
  });

  const last = spec.layers.length - 1;
  const width = spec.layers[last].units;
  const logits = trace.preActivations[last];
  const out = trace.activations[last];
  const isSoftmax = spec.layers[last].activation === 'softmax';
  let logitAbs = 0;
  let logitMax = 0;
  const gaps: number[] = [];
  let correct = 0;
  let exactlyOne = 0;
  let trueZero = 0;
  let maxSum = 0;
  let errorSum = 0;
  let lossSum = 0;
  for (let r = 0; r < rows; r++) {
    const o = r * width;
    let top = 0;
    for (let j = 0; j < width; j++) {
      const a = Math.abs(logits[o + j]);
      logitAbs += a;
      if (a > logitMax || Number.isNaN(a)) logitMax = a;
      if (logits[o + j] > logits[o + top]) top = j;
    }
    let second = -Infinity;
    for (let j = 0; j < width; j++) if (j !== top && logits[o + j] > second) second = logits[o + j];
    gaps.push(width > 1 ? logits[o + top] - second : NaN);
    let outTop = 0;
    for (let j = 1; j < width; j++) if (out[o + j] > out[o + outTop]) outTop = j;
    if (outTop === labels[r]) correct++;
    if (isSoftmax) {
      if (out[o + outTop] === 1) exactlyOne++;
      if (out[o + labels[r]] === 0) trueZero++;
      maxSum += out[o + outTop];
      let e2 = 0;
      for (let j = 0; j < width; j++) {
        const d = out[o + j] - (j === labels[r] ? 1 : 0);
        e2 += d * d;
      }
      errorSum += Math.sqrt(e2);
    }
    lossSum += trace.losses[r];
  }
  const finiteGaps = gaps.filter((g) => Number.isFinite(g));
  return {
    loss: lossSum / rows,
    acc: correct / rows,
    layers,
    logits: {
      meanAbs: logitAbs / (rows * width),
      maxAbs: logitMax,
      gapMean: finiteGaps.length ? finiteGaps.reduce((a, b) => a + b, 0) / finiteGaps.length : NaN,
      gapMedian: median(finiteGaps),
      gapMax: finiteGaps.length ? Math.max(...finiteGaps) : NaN,
    },
    softmax: {
      maxExactlyOne: isSoftmax ? exactlyOne / rows : NaN,
      trueProbZero: isSoftmax ? trueZero / rows : NaN,
      meanMax: isSoftmax ? maxSum / rows : NaN,
      errorNorm: isSoftmax ? errorSum / rows : NaN,
    },
    nonFinite: {
      preActivations: countNonFinite(trace.preActivations),
      activations: countNonFinite(trace.activations),
      gradients: countNonFinite(trace.gradients),
      losses: countNonFinite(trace.losses),
      weights: countNonFinite(weights),
    },
  };
}

export interface ProbeOptions {
  /** The probe batch (fixed rows, with the run's input transform) and its labels. */
  x: Tensor;
  y: Tensor;
  /** Optimizer steps (completed) at which to probe, besides the end of every epoch. 0 = initialisation. */
  steps: number[];
  /** Probe at the end of every epoch too (default true). */
  everyEpoch?: boolean;
  /** Called after each probe; may add numbers to `extra` (e.g. test accuracy). */
  onProbe?(probe: ProbeDiagnostics, model: Sequential): void | Promise<void>;
  /** Record the loss of every training batch (before its update), e.g. for trajectory comparisons. */
  recordStepLosses?: boolean;
  /** Keep the network outputs on the probe batch at the first and the last probe. */
  keepOutputs?: boolean;
  /** Stop training after this many optimizer steps. */
  maxSteps?: number;
}

/**
 * A callback that probes the model at the given steps and at the end of every epoch. A step-s probe is
 * taken before batch s is trained (after s updates) and measures the update ratio of that batch's step;
 * an end-of-epoch probe measures the ratio of the epoch's last step.
 */
export class ProbeCallback extends Callback {
  readonly probes: ProbeDiagnostics[] = [];
  readonly stepLosses: number[] = [];
  /** Network outputs on the probe batch at the first and last probe (when keepOutputs). */
  firstOutputs?: Float64Array;
  lastOutputs?: Float64Array;
  /** First step at which a probe saw a non-finite value (null: none seen). */
  firstNonFiniteStep: number | null = null;

  private readonly options: ProbeOptions;
  private readonly stepSet: Set<number>;
  private readonly labels: Int32Array;
  private step = 0;
  private epoch = 0;
  private stepsPerEpoch = 1;
  private pending?: { probe: ProbeDiagnostics | null; before: Float64Array[] };
  private lastStepRatios?: number[];

  constructor(options: ProbeOptions) {
    super();
    this.options = options;
    this.stepSet = new Set(options.steps);
    const values = options.y.dataSync();
    this.labels = Int32Array.from(values as ArrayLike<number>, (v) => Number(v));
  }

  private get sequential(): Sequential {
    return this.model as Sequential;
  }

  onTrainBegin(): void {
    this.stepsPerEpoch = Math.max(1, Number(this.params.steps ?? 1));
  }

  onEpochBegin(epoch: number): void {
    this.epoch = epoch;
  }

  async onBatchBegin(batch: number): Promise<void> {
    const everyEpoch = this.options.everyEpoch ?? true;
    const atEpochStart = everyEpoch && batch === 0 && this.step > 0; // the previous epoch's end already probed here
    const wanted = this.stepSet.has(this.step) && !atEpochStart;
    const lastOfEpoch = everyEpoch && batch === this.stepsPerEpoch - 1;
    if (!wanted && !lastOfEpoch) return;
    const before = backendWeights(this.sequential);
    const probe = wanted ? await this.take(this.step === 0 ? 'init' : 'step', before) : null;
    this.pending = { probe, before };
  }

  onBatchEnd(_batch: number, logs?: Logs): void {
    if (this.options.recordStepLosses && logs) this.stepLosses.push(logs.loss);
    this.step++;
    if (this.pending) {
      const ratios = updateRatios(this.pending.before, backendWeights(this.sequential));
      const kernels = kernelIndices(this.sequential.networkSpec());
      if (this.pending.probe) {
        this.pending.probe.layers.forEach((layer, l) => {
          layer.updateRatio = ratios[kernels[l]];
          const b = ratios[kernels[l] + 1];
          layer.biasUpdateRatio = this.sequential.networkSpec().layers[l].useBias && Number.isFinite(b) ? b : null;
        });
      }
      this.lastStepRatios = ratios;
      this.pending = undefined;
    }
    if (this.options.maxSteps !== undefined && this.step >= this.options.maxSteps) this.sequential.stopTraining = true;
  }

  async onEpochEnd(): Promise<void> {
    if (!(this.options.everyEpoch ?? true)) return;
    await this.take('epoch', backendWeights(this.sequential), this.lastStepRatios);
    this.lastStepRatios = undefined;
  }

  async onTrainEnd(): Promise<void> {
    // Stopped mid-epoch (maxSteps, stopTraining, non-finite loss): probe the final state too.
    const last = this.probes[this.probes.length - 1];
    if (!last || last.step !== this.step) await this.take(this.step === 0 ? 'init' : 'step', backendWeights(this.sequential), this.lastStepRatios);
  }

  private async take(kind: ProbeDiagnostics['kind'], weights: Float64Array[], ratios?: number[]): Promise<ProbeDiagnostics> {
    const model = this.sequential;
    const trace = model.trace(this.options.x, this.options.y);
    const spec = model.networkSpec();
    const probe: ProbeDiagnostics = {
      step: this.step,
      epoch: this.step / this.stepsPerEpoch,
      kind,
      ...diagnose(spec, trace, this.labels, weights, ratios),
      extra: {},
    };
    const nf = probe.nonFinite;
    if (this.firstNonFiniteStep === null && nf.preActivations + nf.activations + nf.gradients + nf.losses + nf.weights > 0) {
      this.firstNonFiniteStep = this.step;
    }
    if (this.options.keepOutputs) {
      const outputs = trace.activations[trace.activations.length - 1];
      if (!this.firstOutputs) this.firstOutputs = Float64Array.from(outputs);
      this.lastOutputs = Float64Array.from(outputs);
    }
    await this.options.onProbe?.(probe, model);
    this.probes.push(probe);
    return probe;
  }
}
