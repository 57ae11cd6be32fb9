/**
 * Keras' answers to "normalize the inputs", as layers inside the model: Rescaling (a fixed affine map),
 * Normalization (per-feature mean/variance adapted once from the data), BatchNormalization (learned,
 * with batch statistics in training and moving statistics in inference) — and Dropout, the next lab's
 * regularizer. Like every layer here they only describe; the backends compute (see StageSpec in
 * ../backend.ts). Defaults and semantics follow Keras / tfjs-layers.
 */
import { NormlabError } from '../../errors.js';
import type { Tensor } from '../tensor.js';
import {
  Layer,
  type BatchNormalizationConfig,
  type DropoutConfig,
  type LayerArgs,
  type NormalizationConfig,
  type RescalingConfig,
  type Shape,
} from './layer.js';

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

export interface RescalingArgs extends LayerArgs {
  scale: number;
  offset?: number;
}

/** Rescaling: x' = scale·x + offset (tf.layers.rescaling). `rescaling({scale: 1/255})` is the in-model /255. */
export class Rescaling extends Layer {
  readonly className = 'Rescaling';
  readonly scale: number;
  readonly offset: number;

  constructor(args: RescalingArgs) {
    super(args ?? {}, 'Rescaling');
    if (!args || !finite(args.scale)) {
      throw new NormlabError(
        'config',
        `layers.rescaling needs a finite number scale, got ${JSON.stringify(args?.scale)}`,
        'e.g. layers.rescaling({scale: 1 / 255, inputShape: [28, 28]})',
      );
    }
    if (args.offset !== undefined && !finite(args.offset)) {
      throw new NormlabError(
        'config',
        `layers.rescaling offset must be a finite number, got ${JSON.stringify(args.offset)}`,
        'e.g. layers.rescaling({scale: 2 / 255, offset: -1})',
      );
    }
    this.scale = args.scale;
    this.offset = args.offset ?? 0;
  }

  computeOutputShape(input: Shape): Shape {
    return input;
  }

  countParams(): number {
    return 0;
  }

  getConfig(): RescalingConfig {
    return { className: 'Rescaling', name: this.name, inputShape: this.inputShape, scale: this.scale, offset: this.offset };
  }
}

export interface NormalizationArgs extends LayerArgs {
  /** The axis with one mean/variance per index (default -1, the last); null: one for all values. */
  axis?: number | null;
  mean?: number | number[];
  variance?: number | number[];
}

/** Keras' backend.epsilon(): the floor of √variance, so a constant feature maps to 0, not NaN. */
export const NORMALIZATION_EPSILON = 1e-7;

/**
 * Normalization: x' = (x − mean) / max(√variance, 1e-7) per feature along `axis` (Keras 3's formula).
 * The statistics are given, or computed once by `adapt(x)` (population variance, as Keras); they are
 * non-trainable weights of the model ([mean, variance] in getWeights, saved and loaded with it).
 */
export class Normalization extends Layer {
  readonly className = 'Normalization';
  readonly axis: number | null;
  private stats?: { mean: Float64Array; variance: Float64Array };
  /** Bumped by adapt()/setStatistics(), so a model notices new statistics. */
  version = 0;

  constructor(args: NormalizationArgs = {}) {
    super(args, 'Normalization');
    const axis = args.axis === undefined ? -1 : args.axis;
    if (axis !== null && !Number.isInteger(axis)) {
      throw new NormlabError(
        'config',
        `layers.normalization axis must be a whole number or null, got ${JSON.stringify(args.axis)}`,
        'e.g. axis: -1 (one mean/variance per last-axis feature) or axis: null (one for all values)',
      );
    }
    this.axis = axis;
    if ((args.mean === undefined) !== (args.variance === undefined)) {
      throw new NormlabError(
        'config',
        'layers.normalization needs both mean and variance, or neither (then call adapt(x))',
        'pass {mean, variance} together, or call layer.adapt(trainImages)',
      );
    }
    if (args.mean !== undefined && args.variance !== undefined) {
      const mean = [args.mean].flat();
      const variance = [args.variance].flat();
      if (mean.length !== variance.length || mean.length === 0 || !mean.every(finite) || !variance.every((v) => finite(v) && v >= 0)) {
        throw new NormlabError(
          'config',
          `layers.normalization mean and variance must be finite numbers of the same length (variance ≥ 0), got ${mean.length} and ${variance.length} values`,
          'e.g. {mean: 72.9, variance: 8100}',
        );
      }
      this.stats = { mean: Float64Array.from(mean), variance: Float64Array.from(variance) };
    }
  }

  get isAdapted(): boolean {
    return this.stats !== undefined;
  }

  /** Number of features the statistics have for one sample of `shape` (no batch dimension). */
  featureCount(sampleShape: number[]): number {
    if (this.axis === null) return 1;
    const ax = this.axis < 0 ? sampleShape.length + this.axis : this.axis - 1;
    if (ax < 0 || ax >= sampleShape.length) {
      throw new NormlabError(
        'config',
        `layers.normalization axis ${this.axis} does not exist in input of shape [null,${sampleShape.join(',')}]`,
        'use axis: -1 (the last axis) or null',
      );
    }
    return sampleShape[ax];
  }

  /** For each flat value of one sample, the index of its feature. */
  featureOf(sampleShape: number[]): Int32Array {
    const size = sampleShape.reduce((p, d) => p * d, 1);
    const out = new Int32Array(size);
    if (this.axis === null) return out;
    const ax = this.axis < 0 ? sampleShape.length + this.axis : this.axis - 1;
    const inner = sampleShape.slice(ax + 1).reduce((p, d) => p * d, 1);
    for (let f = 0; f < size; f++) out[f] = Math.floor(f / inner) % sampleShape[ax];
    return out;
  }

  /**
   * Compute mean and (population) variance per feature from x ([samples, …sampleShape], any dtype;
   * a lazy transform such as x.div(255) is applied). Like Keras, the layer keeps them until adapted again.
   */
  adapt(x: Tensor): void {
    if (!x || typeof x !== 'object' || !('shape' in x) || !('values' in x)) {
      throw new NormlabError('input', `normalization.adapt() needs a Tensor, got ${x === null ? 'null' : typeof x}`, 'e.g. norm.adapt(trainImages)');
    }
    if (x.shape.length < 1 || x.shape[0] === 0 || x.size === 0) {
      throw new NormlabError(
        'input',
        `normalization.adapt() got no data (shape [${x.shape.join(',')}]): there is nothing to compute a mean and variance from`,
        'pass the training images, e.g. norm.adapt(trainImages)',
      );
    }
    const sampleShape = x.shape.slice(1);
    if (this.inputShape && (sampleShape.length !== this.inputShape.length || sampleShape.some((d, i) => d !== this.inputShape![i]))) {
      throw new NormlabError(
        'shape',
        `normalization.adapt() got samples of shape [${sampleShape.join(',')}] but the layer's inputShape is [${this.inputShape.join(',')}]`,
        'adapt on the same kind of data the model will see',
      );
    }
    const features = this.featureCount(sampleShape);
    const featureOf = this.featureOf(sampleShape);
    const size = featureOf.length;
    const { a, b } = x.transform;
    const values = x.values;
    const sums = new Float64Array(features);
    const counts = new Float64Array(features);
    for (let k = 0; k < values.length; k++) {
      const f = featureOf[k % size];
      sums[f] += a * values[k] + b;
      counts[f]++;
    }
    const mean = sums.map((s, f) => s / counts[f]);
    const sq = new Float64Array(features);
    for (let k = 0; k < values.length; k++) {
      const f = featureOf[k % size];
      sq[f] += (a * values[k] + b - mean[f]) ** 2;
    }
    const variance = sq.map((s, f) => s / counts[f]);
    if (!mean.every(Number.isFinite) || !variance.every(Number.isFinite)) {
      throw new NormlabError('input', 'normalization.adapt() found NaN or Infinity in the data', 'check the data for non-finite values');
    }
    this.setStatistics(mean, variance);
  }

  setStatistics(mean: Float64Array, variance: Float64Array): void {
    this.stats = { mean: Float64Array.from(mean), variance: Float64Array.from(variance) };
    this.version++;
  }

  /** The statistics, or a one-line error saying adapt() is missing. */
  statistics(): { mean: Float64Array; variance: Float64Array } {
    if (!this.stats) {
      throw new NormlabError(
        'config',
        `normalization layer '${this.name}' has no mean and variance yet: it was used before adapt()`,
        `call the layer's adapt(trainImages) before fit/evaluate/predict, or pass {mean, variance} when creating it`,
      );
    }
    return this.stats;
  }

  /** The per-value affine map x' = scale·x + offset for one flattened sample of `sampleShape`. */
  affineFor(sampleShape: number[]): { scale: number[]; offset: number[] } {
    const { mean, variance } = this.statistics();
    const features = this.featureCount(sampleShape);
    const broadcast = mean.length === 1 && features !== 1;
    if (!broadcast && mean.length !== features) {
      throw new NormlabError(
        'shape',
        `normalization layer '${this.name}' has ${mean.length} means but its input has ${features} features along axis ${this.axis}`,
        "adapt the layer on data of the model's input shape",
      );
    }
    const featureOf = this.featureOf(sampleShape);
    const scale: number[] = [];
    const offset: number[] = [];
    for (const f0 of featureOf) {
      const f = broadcast ? 0 : f0;
      const s = 1 / Math.max(Math.sqrt(variance[f]), NORMALIZATION_EPSILON);
      scale.push(s);
      offset.push(-mean[f] * s);
    }
    return { scale, offset };
  }

  computeOutputShape(input: Shape): Shape {
    return input;
  }

  countParams(input: Shape): number {
    return 2 * this.featureCount(input.slice(1) as number[]);
  }

  override countNonTrainable(input: Shape): number {
    return this.countParams(input);
  }

  getConfig(): NormalizationConfig {
    return {
      className: 'Normalization',
      name: this.name,
      inputShape: this.inputShape,
      axis: this.axis,
    };
  }
}

export interface BatchNormalizationArgs extends LayerArgs {
  /** Only the last axis (-1) is supported: normalize each feature of a flat input. */
  axis?: number;
  momentum?: number;
  epsilon?: number;
  center?: boolean;
  scale?: boolean;
}

/**
 * BatchNormalization (Keras semantics, tfjs-layers defaults momentum 0.99, epsilon 1e-3): in training
 * y = γ·(x − μ_batch)/√(σ²_batch + ε) + β and the moving statistics move toward the batch's; in
 * predict/evaluate the moving statistics replace the batch's. Weights: gamma, beta (trainable),
 * movingMean, movingVariance (not trainable).
 */
export class BatchNormalization extends Layer {
  readonly className = 'BatchNormalization';
  readonly axis: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;

  constructor(args: BatchNormalizationArgs = {}) {
    super(args, 'BatchNormalization');
    const momentum = args.momentum ?? 0.99;
    if (!finite(momentum) || momentum < 0 || momentum > 1) {
      throw new NormlabError(
        'config',
        `layers.batchNormalization momentum must be in [0, 1], got ${JSON.stringify(args.momentum)}`,
        "e.g. momentum: 0.99 (Keras' default)",
      );
    }
    const epsilon = args.epsilon ?? 1e-3;
    if (!finite(epsilon) || epsilon <= 0) {
      throw new NormlabError(
        'config',
        `layers.batchNormalization epsilon must be a positive number, got ${JSON.stringify(args.epsilon)}`,
        "e.g. epsilon: 0.001 (Keras' default)",
      );
    }
    const axis = args.axis ?? -1;
    if (axis !== -1) {
      throw new NormlabError(
        'config',
        `layers.batchNormalization axis ${JSON.stringify(args.axis)} is not supported: normlab normalizes the last axis of a flat input`,
        'leave axis at -1 and put the layer after layers.flatten or a dense layer',
      );
    }
    this.axis = axis;
    this.momentum = momentum;
    this.epsilon = epsilon;
    this.center = args.center ?? true;
    this.scale = args.scale ?? true;
  }

  computeOutputShape(input: Shape): Shape {
    return input;
  }

  private features(input: Shape): number {
    return (input[input.length - 1] ?? 0) as number;
  }

  countParams(input: Shape): number {
    return this.features(input) * ((this.center ? 1 : 0) + (this.scale ? 1 : 0) + 2);
  }

  override countNonTrainable(input: Shape): number {
    return this.features(input) * 2;
  }

  getConfig(): BatchNormalizationConfig {
    return {
      className: 'BatchNormalization',
      name: this.name,
      inputShape: this.inputShape,
      axis: this.axis,
      momentum: this.momentum,
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
    };
  }
}

export interface DropoutArgs extends LayerArgs {
  rate: number;
  /** Seed of the dropout mask; default: derived from the model's seed and the layer's position. */
  seed?: number;
}

/** Dropout: in training, each value is zeroed with probability `rate` and the rest scaled by 1/(1 − rate). */
export class Dropout extends Layer {
  readonly className = 'Dropout';
  readonly rate: number;
  readonly seed?: number;

  constructor(args: DropoutArgs) {
    super(args ?? {}, 'Dropout');
    if (!args || !finite(args.rate) || args.rate < 0 || args.rate >= 1) {
      throw new NormlabError(
        'config',
        `layers.dropout rate must be in [0, 1), got ${JSON.stringify(args?.rate)}`,
        'e.g. layers.dropout({rate: 0.2}) drops 20% of the values in training',
      );
    }
    if (args.seed !== undefined && !(Number.isInteger(args.seed) && args.seed >= 0 && args.seed < 2 ** 32)) {
      throw new NormlabError('config', `layers.dropout seed must be a whole number in [0, 2^32), got ${JSON.stringify(args.seed)}`, 'e.g. seed: 42');
    }
    this.rate = args.rate;
    this.seed = args.seed;
  }

  computeOutputShape(input: Shape): Shape {
    return input;
  }

  countParams(): number {
    return 0;
  }

  getConfig(): DropoutConfig {
    return { className: 'Dropout', name: this.name, inputShape: this.inputShape, rate: this.rate, ...(this.seed !== undefined ? { seed: this.seed } : {}) };
  }
}
