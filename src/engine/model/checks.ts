/**
 * The checks fit/evaluate/predict make before any arithmetic, each producing an error a learner can act
 * on: what was expected, what was found, the likely fix. These are the errors the lab's exercises 3
 * (no Flatten) and 4 (too few output units) exist to show.
 */
import { NormlabError } from '../../errors.js';
import type { LossSpec, TargetSource, InputSource, DenseSpec } from '../backend.js';
import type { Shape } from '../layers/layer.js';
import type { Tensor } from '../tensor.js';

const fmt = (shape: Shape | number[]) => `[${shape.map((d) => (d === null ? 'null' : d)).join(',')}]`;

export function requireTensor(value: unknown, what: string): Tensor {
  if (value && typeof value === 'object' && 'shape' in value && 'values' in value && 'transform' in value) return value as Tensor;
  throw new NormlabError(
    'input',
    `${what} must be a normlab Tensor, got ${describeValue(value)}`,
    'wrap the data with tensor(...) or use the tensors that loadDataset / datasetTensors give you',
  );
}

function describeValue(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  return typeof v === 'object' ? (v.constructor?.name ?? 'an object') : `a ${typeof v}`;
}

/** x must have the model's input shape after the batch dimension. */
export function checkInputShape(x: Tensor, inputShape: number[]): void {
  const sample = x.shape.slice(1);
  if (sample.length !== inputShape.length || sample.some((d, i) => d !== inputShape[i])) {
    const perSample = inputShape.reduce((p, d) => p * d, 1);
    throw new NormlabError(
      'shape',
      `the model expects input of shape ${fmt([null, ...inputShape])} but got ${fmt(x.shape)}`,
      sample.length === 0
        ? `the first axis of x counts the samples: ${x.size % perSample === 0 ? `reshape it with x.reshape([-1, ${inputShape.join(', ')}])` : `give it the shape [samples, ${inputShape.join(', ')}]`}`
        : x.size === x.shape[0] * perSample
          ? `reshape the data with x.reshape([-1, ${inputShape.join(', ')}]), or change the first layer's inputShape to [${sample.join(', ')}]`
          : `change the first layer's inputShape to [${sample.join(', ')}]`,
    );
  }
}

/**
 * The flat dense stack the backend runs. A dense layer whose input still has more than one feature axis
 * (the classic missing Flatten) is refused here, with the shape that gave it away.
 */
export function checkFlat(layers: { name: string; outputShape: Shape; dense?: DenseSpec }[], inputShape: number[]): void {
  for (const layer of layers) {
    if (layer.outputShape.length > 2) {
      const images = inputShape.length >= 2;
      throw new NormlabError(
        'shape',
        `layer '${layer.name}' outputs shape ${fmt(layer.outputShape)}: it received input with ${layer.outputShape.length - 1} feature axes, ` +
          `so a dense layer is applied to each of the ${layer.outputShape[1]} rows separately and the model's output is not one row of scores per sample`,
        images
          ? `add layers.flatten({inputShape: [${inputShape.join(', ')}]}) as the first layer, so each ${inputShape.join('×')} image becomes one vector of ${inputShape.reduce((p, d) => p * d, 1)} values`
          : 'flatten the input before the dense layers',
      );
    }
  }
}

/** Convert the labels tensor into the backend's TargetSource, checking shape and range. */
export function checkTargets(y: Tensor, samples: number, loss: LossSpec, outputUnits: number, classNames?: string[]): TargetSource {
  if (y.shape[0] !== samples) {
    throw new NormlabError('shape', `x has ${samples} samples but y has ${y.shape[0]}`, 'pass images and labels of the same split, in the same order');
  }
  if (loss.name === 'sparseCategoricalCrossentropy') {
    if (!(y.rank === 1 || (y.rank === 2 && y.shape[1] === 1))) {
      throw new NormlabError(
        'shape',
        `sparseCategoricalCrossentropy expects one class index per sample (shape ${fmt([samples])}), got labels of shape ${fmt(y.shape)}`,
        y.rank === 2 ? "these look one-hot encoded: use loss 'categoricalCrossentropy', or pass the class indices" : 'pass a 1-D tensor of class indices',
      );
    }
    const values = y.dataSync();
    const labels = new Int32Array(samples);
    let max = 0;
    for (let i = 0; i < samples; i++) {
      const v = Number(values[i]);
      if (!Number.isInteger(v) || v < 0) {
        throw new NormlabError(
          'labels',
          `label ${i} is ${v}, but class labels must be whole numbers 0, 1, 2, …`,
          'pass the class indices, not probabilities or scaled values',
        );
      }
      labels[i] = v;
      if (v > max) max = v;
    }
    if (max >= outputUnits) {
      const classes = classNames ? ` (${classNames.length} classes: ${classNames.join(', ')})` : '';
      throw new NormlabError(
        'labels',
        `the labels go up to ${max}, so there are at least ${max + 1} classes${classes}, but the output layer has ${outputUnits} units. ` +
          `sparseCategoricalCrossentropy needs one output unit per class (TensorFlow says: "Received a label value of ${max} which is outside the valid range of [0, ${outputUnits})")`,
        `make the last layer layers.dense({units: ${Math.max(max + 1, classNames?.length ?? 0)}, activation: 'softmax'})`,
      );
    }
    return { kind: 'sparse', labels, rows: samples };
  }
  if (y.rank !== 2 || y.shape[1] !== outputUnits) {
    throw new NormlabError(
      'shape',
      `${loss.name} expects targets of shape ${fmt([samples, outputUnits])} (one value per output unit), got ${fmt(y.shape)}`,
      loss.name === 'categoricalCrossentropy' && y.rank === 1
        ? `one-hot encode the labels with oneHot(y, ${outputUnits}), or use loss 'sparseCategoricalCrossentropy' with class indices`
        : 'make the targets match the output layer',
    );
  }
  checkFinite(y, 'y');
  const values = y.dataSync();
  return { kind: 'dense', values: values instanceof Float64Array ? values : Float32Array.from(values), rows: samples, width: outputUnits };
}

/**
 * NaN or ±Infinity in x (or in dense targets) is refused at the model's API: a model cannot learn from a
 * missing value, and it would only surface later as a NaN loss that blames the learning rate. (The
 * Backend interface below lets them through on purpose, and both backends propagate them identically.)
 * Whole-number data (uint8 pixels, int32) cannot hold them, so the common case costs nothing.
 */
export function checkFinite(t: Tensor, what: 'x' | 'y'): void {
  const { a, b } = t.transform;
  if (!Number.isFinite(a) || !Number.isFinite(b)) {
    throw new NormlabError('input', `${what} is scaled by ${a} and shifted by ${b}, which makes its values non-finite`, 'use finite numbers in mul/add/div');
  }
  const values = t.values;
  if (!(values instanceof Float32Array || values instanceof Float64Array)) return;
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      const perSample = t.shape[0] > 0 ? values.length / t.shape[0] : 1;
      throw new NormlabError(
        'input',
        `${what} holds ${values[i]} at sample ${Math.floor(i / perSample)} (value ${i % perSample} of ${perSample}): a model cannot learn from, evaluate or predict on a missing or infinite value`,
        'drop or fill in those samples first, or fix the step that produced them',
      );
    }
  }
}

export function toInputSource(x: Tensor, inputSize: number): InputSource {
  const values = x.values instanceof Int32Array ? Float64Array.from(x.values) : x.values;
  return { values, rows: x.shape[0], inputSize, transform: { ...x.transform } };
}

export function checkLossActivation(loss: LossSpec, lastActivation: string): void {
  if (loss.name !== 'meanSquaredError' && !loss.fromLogits && lastActivation !== 'softmax') {
    throw new NormlabError(
      'config',
      `${loss.name} on probabilities needs a softmax output layer, but the last layer's activation is '${lastActivation}'`,
      lastActivation === 'linear'
        ? `use activation: 'softmax' on the last layer, or losses.${loss.name}({fromLogits: true}) to treat its outputs as logits`
        : "use activation: 'softmax' on the last layer",
    );
  }
}

/** batchSize as fit/evaluate/predict take it: a positive whole number. (Here, not in sequential.ts, so the fit loop needs nothing from the model module at run time.) */
export function checkBatchSize(batchSize: unknown): number {
  if (typeof batchSize !== 'number' || !Number.isInteger(batchSize) || batchSize < 1) {
    const got = typeof batchSize === 'number' ? String(batchSize) : JSON.stringify(batchSize); // NaN, not JSON's null
    throw new NormlabError('config', `batchSize must be a positive whole number, got ${got}`, 'e.g. batchSize: 32');
  }
  return batchSize;
}
