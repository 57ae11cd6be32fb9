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

export type DType = 'float32' | 'float64';

export type ActivationName = 'linear' | 'relu' | 'sigmoid' | 'tanh' | 'softmax';

export type LossName = 'sparseCategoricalCrossentropy' | 'categoricalCrossentropy' | 'meanSquaredError';

/** One dense layer as a backend sees it: y = activation(x · kernel + bias). */
export interface DenseSpec {
  inputSize: number;
  units: number;
  activation: ActivationName;
  useBias: boolean;
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

export type OptimizerSpec =
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
    };

export interface NetworkSpec {
  dtype: DType;
  layers: DenseSpec[];
  loss: LossSpec;
  optimizer: OptimizerSpec;
}

/**
 * The input transform x' = a·x + b applied to every input value as batches are formed (or fused into
 * the first layer). none: a=1,b=0; scale: a=1/255,b=0; symmetric: a=2/255,b=-1; standardize:
 * a=1/std, b=-mean/std.
 */
export interface Affine {
  a: number;
  b: number;
}

/** Rows of input, row-major [rows, inputSize], plus the transform to apply to each value. */
export interface InputSource {
  values: Uint8Array | Float32Array | Float64Array;
  rows: number;
  inputSize: number;
  transform: Affine;
}

/** Targets: class indices (sparse) or a dense [rows, width] matrix (one-hot, or regression targets). */
export type TargetSource =
  | { kind: 'sparse'; labels: Uint8Array | Int32Array; rows: number }
  | { kind: 'dense'; values: Float32Array | Float64Array; rows: number; width: number };

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
  /** Pre-activations, activations, gradients and per-sample losses of the given rows (no update). */
  trace(id: DataId, rows: Int32Array, count: number): Trace;
  dispose(): void;
}

export interface Backend {
  readonly name: string;
  /** Set up a network with the given initial weights (weight order as described above). */
  createNetwork(spec: NetworkSpec, weights: Float64Array[]): NetworkRunner;
}
