/**
 * Parity with TensorFlow.js 4.22 (cpu) for the new layers, on real Fashion-MNIST images, float32, adam:
 * the same model built in both libraries with the *same initial weights* (normlab's getWeights() into
 * tfjs' setWeights(); batch norm's weights are gamma, beta, movingMean, movingVariance in both), trained
 * on the *same batches in the same order*; the per-step losses (each the loss before that step's update,
 * in training mode) must agree within 1e-4 relative, as in tfjs-parity.test.ts. After training, the
 * inference-mode evaluate() (batch norm's moving statistics) must agree too, which checks the momentum
 * updates. Cases: batch norm after the first dense layer; batch norm as the first layer on raw 0–255
 * pixels; dropout with rate 0; rescaling(1/255) inside the model on raw pixels.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { registerNodeBackends } from '../../src/node.js';
import { layers, sequential, tensor, train, type Layer, type Sequential } from '../../src/engine/index.js';
import { relDiff, withTfjsCpu, type Tfjs } from './helpers.js';
import { fashion, NO_FASHION } from '../shared-data.js';

registerNodeBackends();

const STEPS = 30;
const BATCH = 32;
const LOSS_REL_TOL = 1e-4;

let tf: Tfjs;
withTfjsCpu((loaded) => (tf = loaded));

interface Case {
  name: string;
  /** Pixels as given to both models: raw 0–255, or /255 outside the model. */
  raw: boolean;
  normlab: () => Layer[];
  tfjs: () => import('@tensorflow/tfjs').layers.Layer[];
}

const CASES: Case[] = [
  {
    name: 'batchNormalization after the first dense layer',
    raw: false,
    normlab: () => [
      layers.flatten({ inputShape: [28, 28] }),
      layers.dense({ units: 64, activation: 'relu' }),
      layers.batchNormalization(),
      layers.dense({ units: 10, activation: 'softmax' }),
    ],
    tfjs: () => [
      tf.layers.flatten({ inputShape: [28, 28] }),
      tf.layers.dense({ units: 64, activation: 'relu' }),
      tf.layers.batchNormalization(),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  },
  {
    name: 'batchNormalization as the first layer on raw 0–255 pixels',
    raw: true,
    normlab: () => [
      layers.flatten({ inputShape: [28, 28] }),
      layers.batchNormalization({ momentum: 0.9 }),
      layers.dense({ units: 64, activation: 'relu' }),
      layers.dense({ units: 10, activation: 'softmax' }),
    ],
    tfjs: () => [
      tf.layers.flatten({ inputShape: [28, 28] }),
      tf.layers.batchNormalization({ momentum: 0.9 }),
      tf.layers.dense({ units: 64, activation: 'relu' }),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  },
  {
    name: 'dropout with rate 0',
    raw: false,
    normlab: () => [
      layers.flatten({ inputShape: [28, 28] }),
      layers.dense({ units: 64, activation: 'relu' }),
      layers.dropout({ rate: 0 }),
      layers.dense({ units: 10, activation: 'softmax' }),
    ],
    tfjs: () => [
      tf.layers.flatten({ inputShape: [28, 28] }),
      tf.layers.dense({ units: 64, activation: 'relu' }),
      tf.layers.dropout({ rate: 0 }),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  },
  {
    name: 'rescaling(1/255) inside the model on raw pixels',
    raw: true,
    normlab: () => [
      layers.rescaling({ scale: 1 / 255, inputShape: [28, 28] }),
      layers.flatten(),
      layers.dense({ units: 64, activation: 'relu' }),
      layers.dense({ units: 10, activation: 'softmax' }),
    ],
    tfjs: () => [
      tf.layers.rescaling({ scale: 1 / 255, inputShape: [28, 28] }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 64, activation: 'relu' }),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  },
];

describe('parity with TensorFlow.js 4.22 (cpu) for the normalization layers, adam, float32', { skip: NO_FASHION }, () => {
  for (const c of CASES) {
    for (const backend of ['reference', 'wasm'] as const) {
      it(`${c.name} (${backend}): ${STEPS} per-step losses and the final evaluate agree within ${LOSS_REL_TOL}`, async (t) => {
        const data = (await fashion(STEPS * BATCH)).train;
        const model: Sequential = sequential({ seed: 2024, backend, layers: c.normlab() });
        model.compile({ optimizer: train.adam(0.001), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
        const tm = tf.sequential({ layers: c.tfjs() });
        tm.compile({ optimizer: tf.train.adam(0.001, 0.9, 0.999, 1e-7), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
        tm.setWeights(model.getWeights().map((w) => tf.tensor(Float32Array.from(w.dataSync()), w.shape, 'float32')));

        const bytes = tensor(data.images, [data.count, 28, 28]);
        const x = c.raw ? bytes : bytes.div(255);
        const y = tensor(data.labels, [data.count]);
        const losses: number[] = [];
        await model.fit(x, y, {
          epochs: 1,
          batchSize: BATCH,
          shuffle: false,
          verbose: 0,
          callbacks: { onBatchEnd: (_b, logs) => void losses.push(logs!.loss) },
        });

        const pixels = (from: number, to: number) =>
          tf.tensor(
            Float32Array.from(data.images.subarray(from * 784, to * 784), (v) => (c.raw ? v : v / 255)),
            [to - from, 28, 28],
          );
        const tfLosses: number[] = [];
        for (let s = 0; s < STEPS; s++) {
          const xs = pixels(s * BATCH, (s + 1) * BATCH);
          const ys = tf.tensor1d(Float32Array.from(data.labels.subarray(s * BATCH, (s + 1) * BATCH)));
          tfLosses.push(((await tm.trainOnBatch(xs, ys)) as number[])[0]);
          tf.dispose([xs, ys]);
        }
        const worst = Math.max(...losses.map((v, i) => relDiff(v, tfLosses[i])));
        t.diagnostic(`max relative per-step loss difference ${worst.toExponential(3)}; loss ${tfLosses[0].toFixed(4)} → ${tfLosses[STEPS - 1].toFixed(4)}`);
        losses.forEach((v, i) => assert.ok(relDiff(v, tfLosses[i]) < LOSS_REL_TOL, `step ${i}: normlab ${v}, tfjs ${tfLosses[i]}`));
        assert.ok(tfLosses[STEPS - 1] < tfLosses[0], 'training reduced the loss');

        // inference mode after training (moving statistics for batch norm)
        const evalRows = 256;
        const ours = model.evaluateNumbers(x.slice(0, evalRows), y.slice(0, evalRows), { batchSize: 64 }).loss;
        const xs = pixels(0, evalRows);
        const ys = tf.tensor1d(Float32Array.from(data.labels.subarray(0, evalRows)));
        const theirs = (tm.evaluate(xs, ys, { batchSize: 64 }) as import('@tensorflow/tfjs').Scalar[])[0].dataSync()[0];
        tf.dispose([xs, ys]);
        tm.dispose();
        assert.ok(relDiff(ours, theirs) < LOSS_REL_TOL * 10, `evaluate: normlab ${ours}, tfjs ${theirs}`);
      });
    }
  }
});
