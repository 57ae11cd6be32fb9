/**
 * The Backend interface: the one seam between the model/fit loop (which live once, above) and the code
 * that does arithmetic (reference TypeScript, or WASM SIMD).
 *
 * Why this granularity: a backend receives a whole *network* (a stack of dense layers, a loss and an
 * optimizer) rather than individual tensor ops, so a fast backend can fuse forward + loss + backward +
 * update of one batch into a single call, and keep the dataset's uint8 pixels in its own memory. The
 * model, shuffling, batching order, callbacks, history and probes stay above this line, so every backend
 * sees exactly the same sequence of row indices and can be checked number-for-number against the
 * reference.
 *
 * Weights cross this boundary as Float64Array (one per parameter tensor, in the order
 * kernel0, bias0, kernel1, bias1, … — a layer without bias contributes only its kernel). A float32
 * backend rounds them on the way in, so `getWeights()` returns float32-representable values.
 * Kernels are stored row-major as [inputSize, units] — the same layout as tfjs/Keras `getWeights()`.
 */
import type { Affine } from '../data/transforms.js';

export type DType = 'float32' | 'float64';

export type ActivationName = 'linear' | 'relu' | 'sigmoid' | 'tanh' | 'softmax';

export type LossName = 'sparseCategoricalCrossentropy' | 'categoricalCrossentropy' | 'meanSquaredError';

/**
 * An element-wise or per-feature step applied to a dense layer's *input*, before its matmul (Keras'
 * Rescaling / Normalization, BatchNormalization, Dropout placed in front of that dense layer). Stages
 * of one layer run in order; each maps [rows, inputSize] to [rows, inputSize].
 * - affine: x' = scale[i]·x + offset[i], constants (rescaling, an adapted normalization). A model's
 *   leading *scalar* affine stages never reach a backend: the model folds them into the input transform,
 *   so the uint8 fast path stays (see Sequential).
 * - batchNorm: Keras BatchNormalization over the feature axis. Training (trainBatch, trace): batch mean
 *   and biased variance; the moving statistics are updated by trainBatch only,
 *   moving ← momentum·moving + (1 − momentum)·batch. Inference (evaluate, predict): moving statistics.
 * - dropout: training only (trainBatch, trace), inverted dropout (kept values scaled by 1/(1 − rate)),
 *   with a mask drawn from dropoutUniform(seed, step, index), so both backends drop the same units.
 */
export type StageSpec =
  | { kind: 'affine'; scale: number[]; offset: number[] }
  | { kind: 'batchNorm'; momentum: number; epsilon: number; center: boolean; scale: boolean }
  | { kind: 'dropout'; rate: number; seed: number };

/** One dense layer as a backend sees it: y = activation(stages(x) · kernel + bias). */
export interface DenseSpec {
  inputSize: number;
  units: number;
  activation: ActivationName;
  useBias: boolean;
  /** Steps applied to this layer's input first (absent or empty: none). */
  stages?: StageSpec[];
}

export interface LossSpec {
  name: LossName;
  /**
   * Cross-entropy only. When true the network output is treated as logits. When false and the last
   * layer is softmax, the loss is computed from the softmax's input (fused softmax-crossentropy, as
   * tf.keras in Python does), so a saturated softmax still yields a finite loss and a gradient.
   */
  fromLogits: boolean;
  /**
   * Cross-entropy with a softmax output only (ignored otherwise). When true the loss is computed the way
   * TensorFlow.js layers computes it: from the softmax *probabilities*, clipped to [ε, 1 − ε] with
   * ε = CLIP_EPSILON (1e-7, tfjs' float32 epsilon), renormalised, clipped again, then −log of the true
   * class. A sample whose true-class probability is below ε then contributes a constant loss
   * (−log ε ≈ 16.1) and *no gradient* — which is what makes raw pixels collapse in tfjs. Default false:
   * the fused softmax–cross-entropy from the logits, as tf.keras in Python does.
   */
  clipProbabilities?: boolean;
}

/** tfjs' epsilon() for float32 backends (tfjs-core EPSILON_FLOAT32), used by the clipped loss form. */
export const CLIP_EPSILON = 1e-7;

/**
 * Per-parameter-tensor multipliers, in weight order. They exist for the reparametrisation experiment
 * (raw inputs with the first kernel's learning rate / 255² under SGD, or lr / 255 and ε × 255 under
 * Adam, reproduce the normalized run). Missing entries mean 1.
 */
export interface ParamScale {
  lr: number;
  epsilon: number;
}

/**
 * Keras' gradient clipping, applied to each trainable tensor's gradient before the update (at most one
 * of them): clipnorm rescales a tensor whose L2 norm exceeds it to that norm; clipvalue clamps every
 * element to [−clipvalue, clipvalue].
 */
export interface Clipping {
  clipnorm?: number;
  clipvalue?: number;
}

export type OptimizerSpec = Clipping &
  (
    | { name: 'sgd'; learningRate: number; momentum: number; nesterov: boolean; paramScales?: ParamScale[] }
    | {
        name: 'adam';
        learningRate: number;
        beta1: number;
        beta2: number;
        epsilon: number;
        paramScales?: ParamScale[];
      }
    | {
        name: 'rmsprop';
        learningRate: number;
        rho: number;
        momentum: number;
        epsilon: number;
        centered: boolean;
        paramScales?: ParamScale[];
      }
  );

export interface NetworkSpec {
  dtype: DType;
  layers: DenseSpec[];
  loss: LossSpec;
  optimizer: OptimizerSpec;
}

/** What one weight tensor is, in weight order (see weightLayout). */
export interface WeightSlot {
  /** Index of the dense layer it belongs to (stage weights belong to the dense layer they feed). */
  layer: number;
  /** Index of the stage within that layer's stages, or -1 for the kernel and bias. */
  stage: number;
  role: 'kernel' | 'bias' | 'gamma' | 'beta' | 'movingMean' | 'movingVariance';
  size: number;
  /** False for BatchNormalization's moving statistics: no gradient, no optimizer update. */
  trainable: boolean;
}

/**
 * The weight tensors of a network in order: per dense layer, first its stages' weights (batchNorm:
 * gamma if scale, beta if center, movingMean, movingVariance — Keras' order), then kernel and bias.
 * This is Keras' `model.get_weights()` order for the layers a backend runs.
 */
export function weightLayout(spec: Pick<NetworkSpec, 'layers'>): WeightSlot[] {
  const out: WeightSlot[] = [];
  spec.layers.forEach((layer, l) => {
    (layer.stages ?? []).forEach((stage, s) => {
      if (stage.kind !== 'batchNorm') return;
      const size = layer.inputSize;
      if (stage.scale) out.push({ layer: l, stage: s, role: 'gamma', size, trainable: true });
      if (stage.center) out.push({ layer: l, stage: s, role: 'beta', size, trainable: true });
      out.push({ layer: l, stage: s, role: 'movingMean', size, trainable: false });
      out.push({ layer: l, stage: s, role: 'movingVariance', size, trainable: false });
    });
    out.push({ layer: l, stage: -1, role: 'kernel', size: layer.inputSize * layer.units, trainable: true });
    if (layer.useBias) out.push({ layer: l, stage: -1, role: 'bias', size: layer.units, trainable: true });
  });
  return out;
}

/**
 * The uniform number in [0, 1) that decides whether dropout keeps value `index` (row · size + feature)
 * of training step `step` (0-based count of trainBatch calls) of a dropout stage with `seed`: a value
 * is dropped when the number is < rate. A counter-based hash (no state to carry, identical in every
 * backend; the wasm kernels implement the same integer steps). Math.imul keeps 32-bit wraparound.
 */
export function dropoutUniform(seed: number, step: number, index: number): number {
  let h = (seed ^ Math.imul(step + 1, 0x9e3779b1)) >>> 0;
  h = (h ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d) >>> 0;
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b) >>> 0;
  h ^= h >>> 16;
  return (h >>> 8) / 16777216;
}

/** The input transform x' = a·x + b (defined with the transforms in src/data/transforms.ts). */
export type { Affine };

/** Rows of input, row-major [rows, inputSize], plus the transform to apply to each value. */
export interface InputSource {
  values: Uint8Array | Float32Array | Float64Array;
  rows: number;
  inputSize: number;
  transform: Affine;
}

/** Targets: class indices (sparse) or a dense [rows, width] matrix (one-hot, or regression targets). */
export type TargetSource =
  { kind: 'sparse'; labels: Uint8Array | Int32Array; rows: number } | { kind: 'dense'; values: Float32Array | Float64Array; rows: number; width: number };

/** Handle of a dataset uploaded to a network runner. */
export type DataId = number;

/** Sums over the rows of one call (not means), so callers can combine partial batches exactly. */
export interface BatchResult {
  /** Sum over rows of the per-sample loss. */
  lossSum: number;
  /** Number of rows whose prediction matched the target (argmax, or 0.5 threshold for width 1). */
  correct: number;
  rows: number;
}

/** Everything a probe may want to look at for one batch; produced without updating the weights. */
export interface Trace {
  /** Per layer, [rows, units]: the pre-activation z = x·W + b. */
  preActivations: Float64Array[];
  /** Per layer, [rows, units]: the activation output (the last one is the network output). */
  activations: Float64Array[];
  /** Gradient of the *mean* batch loss w.r.t. each parameter tensor, in weight order. */
  gradients: Float64Array[];
  /** Per-sample loss, [rows]. */
  losses: Float64Array;
}

/** One network living on a backend: weights, optimizer state and uploaded datasets. */
export interface NetworkRunner {
  readonly spec: NetworkSpec;
  getWeights(): Float64Array[];
  setWeights(weights: Float64Array[]): void;
  /** Forget optimizer state (moments, step count), e.g. when the model is compiled again. */
  resetOptimizer(): void;
  /**
   * The optimizer's state of each dense layer's kernel and bias, in weight order (slot 1: momentum /
   * Adam m / RMSprop mean square; slot 2: Adam v / RMSprop momentum; slot 3: centered RMSprop's mean
   * gradient), as stored — for tests and inspection (e.g. that subnormal moments are flushed to zero).
   */
  optimizerSlots?(): { tensor: number; slots: Float64Array[] }[];
  /** Change the optimizer's learning rate in place (used by callbacks); state is kept. */
  setLearningRate(learningRate: number): void;
  /** Upload a dataset once; batches then refer to its rows by index. Targets may be omitted for predict. */
  loadData(x: InputSource, y?: TargetSource): DataId;
  releaseData(id: DataId): void;
  /**
   * One optimizer step on the rows `rows[0..count)` of dataset `id`: forward, loss, backward, update.
   * Loss and accuracy are those of the batch *before* the update (as Keras reports them).
   */
  trainBatch(id: DataId, rows: Int32Array, count: number): BatchResult;
  /** Loss and accuracy of the given rows, without updating anything. */
  evaluate(id: DataId, rows: Int32Array, count: number): BatchResult;
  /** Network outputs for the given rows, [count, outUnits], float64 copies of the dtype's values. */
  predict(id: DataId, rows: Int32Array, count: number): Float64Array;
  /**
   * Pre-activations, activations, gradients and per-sample losses of the given rows, computed exactly
   * as the next trainBatch would (batch statistics, the next step's dropout mask) but updating nothing.
   * Non-trainable weights get all-zero gradients.
   */
  trace(id: DataId, rows: Int32Array, count: number): Trace;
  dispose(): void;
}

export interface Backend {
  readonly name: string;
  /** Set up a network with the given initial weights (weight order as described above). */
  createNetwork(spec: NetworkSpec, weights: Float64Array[]): NetworkRunner;
}
