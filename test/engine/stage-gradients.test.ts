/**
 * Finite-difference gradient checks (float64, reference backend) for the layers that run as stages in
 * front of a dense layer: batch normalization in training mode (batch statistics), dropout (with the
 * mask of the step being traced), rescaling/normalization (affine), and all of them stacked.
 *
 * `trace()` computes exactly what the next trainBatch would (batch statistics, that step's dropout
 * mask) without updating anything, so the mean loss L(w) = Σ trace().losses / rows is a fixed function of
 * the weights and its central differences (h = 1e-6) must match trace().gradients to ~1e-8; we require
 * 1e-6 relative. Moving statistics do not enter a training-mode loss: their central differences must be 0
 * and so must their reported gradients. tanh hidden units keep the loss smooth (no ReLU kinks).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { weightLayout, type DenseSpec, type InputSource, type NetworkSpec, type TargetSource } from '../../src/engine/backend.js';
import { referenceBackend } from '../../src/engine/backends/reference/index.js';
import { allRows, layoutWeights, TestRandom } from './helpers.js';

const H = 1e-6;
const REL_TOL = 1e-6;
const ABS_TOL = 1e-9;

function check(name: string, layers: DenseSpec[], x: InputSource, y: TargetSource) {
  it(name, () => {
    const spec: NetworkSpec = {
      dtype: 'float64',
      layers,
      loss: { name: 'sparseCategoricalCrossentropy', fromLogits: false },
      optimizer: { name: 'sgd', learningRate: 0.1, momentum: 0, nesterov: false },
    };
    const weights = layoutWeights(spec, 7);
    const net = referenceBackend.createNetwork(spec, weights);
    const id = net.loadData(x, y);
    const rows = allRows(x.rows);
    const loss = (w: Float64Array[]) => {
      net.setWeights(w);
      const t = net.trace(id, rows, x.rows);
      return t.losses.reduce((s, v) => s + v, 0) / x.rows;
    };
    net.setWeights(weights);
    const grads = net.trace(id, rows, x.rows).gradients;
    const layout = weightLayout(spec);
    let checked = 0;
    weights.forEach((w, t) => {
      for (let k = 0; k < w.length; k++) {
        const plus = weights.map((v) => v.slice());
        const minus = weights.map((v) => v.slice());
        plus[t][k] += H;
        minus[t][k] -= H;
        const fd = (loss(plus) - loss(minus)) / (2 * H);
        const g = grads[t][k];
        const tol = ABS_TOL + REL_TOL * Math.max(Math.abs(fd), Math.abs(g));
        assert.ok(Math.abs(fd - g) <= tol, `${layout[t].role} of layer ${layout[t].layer} [${k}]: analytic ${g}, finite difference ${fd}`);
        if (!layout[t].trainable) assert.equal(g, 0, 'moving statistics have no gradient');
        checked++;
      }
    });
    assert.ok(checked > 30);
  });
}

const rng = new TestRandom(3);
const ROWS = 7;
const floatX = (n: number): InputSource => ({
  values: Float64Array.from({ length: ROWS * n }, () => rng.next() * 4 - 1),
  rows: ROWS,
  inputSize: n,
  transform: { a: 1, b: 0 },
});
const bytesX = (n: number): InputSource => ({
  values: Uint8Array.from({ length: ROWS * n }, () => (rng.next() < 0.4 ? 0 : Math.floor(rng.next() * 256))),
  rows: ROWS,
  inputSize: n,
  transform: { a: 1, b: 0 },
});
const labels: TargetSource = { kind: 'sparse', labels: Uint8Array.from({ length: ROWS }, (_, i) => i % 3), rows: ROWS };

describe('stage gradients (float64 central differences, reference backend)', () => {
  check(
    'batch norm as the first layer, on raw uint8 pixels',
    [
      { inputSize: 6, units: 4, activation: 'tanh', useBias: true, stages: [{ kind: 'batchNorm', momentum: 0.9, epsilon: 1e-3, center: true, scale: true }] },
      { inputSize: 4, units: 3, activation: 'softmax', useBias: true },
    ],
    bytesX(6),
    labels,
  );
  check(
    'batch norm after a dense layer, without center/scale variants',
    [
      { inputSize: 5, units: 6, activation: 'tanh', useBias: true },
      {
        inputSize: 6,
        units: 4,
        activation: 'sigmoid',
        useBias: false,
        stages: [{ kind: 'batchNorm', momentum: 0.99, epsilon: 1e-3, center: false, scale: true }],
      },
      {
        inputSize: 4,
        units: 3,
        activation: 'softmax',
        useBias: true,
        stages: [{ kind: 'batchNorm', momentum: 0.5, epsilon: 1e-2, center: true, scale: false }],
      },
    ],
    floatX(5),
    labels,
  );
  check(
    "dropout (rate 0.4) with the traced step's mask",
    [
      { inputSize: 5, units: 6, activation: 'tanh', useBias: true, stages: [{ kind: 'dropout', rate: 0.4, seed: 11 }] },
      { inputSize: 6, units: 3, activation: 'softmax', useBias: true, stages: [{ kind: 'dropout', rate: 0.4, seed: 12 }] },
    ],
    floatX(5),
    labels,
  );
  check(
    'per-feature affine (normalization) and rescaling after a dense layer',
    [
      { inputSize: 4, units: 5, activation: 'tanh', useBias: true, stages: [{ kind: 'affine', scale: [0.5, 2, 1, 3], offset: [0.1, -0.2, 0, 1] }] },
      { inputSize: 5, units: 3, activation: 'softmax', useBias: true, stages: [{ kind: 'affine', scale: [2, 2, 2, 2, 2], offset: [-1, -1, -1, -1, -1] }] },
    ],
    floatX(4),
    labels,
  );
  check(
    'everything stacked: affine → batch norm → dropout → dense → batch norm → dropout → dense',
    [
      {
        inputSize: 5,
        units: 6,
        activation: 'tanh',
        useBias: true,
        stages: [
          { kind: 'affine', scale: [1, 2, 3, 4, 5], offset: [0, 0, 1, 1, -1] },
          { kind: 'batchNorm', momentum: 0.9, epsilon: 1e-3, center: true, scale: true },
          { kind: 'dropout', rate: 0.25, seed: 5 },
        ],
      },
      {
        inputSize: 6,
        units: 3,
        activation: 'softmax',
        useBias: true,
        stages: [
          { kind: 'batchNorm', momentum: 0.9, epsilon: 1e-3, center: true, scale: true },
          { kind: 'dropout', rate: 0.5, seed: 6 },
        ],
      },
    ],
    floatX(5),
    labels,
  );
});
