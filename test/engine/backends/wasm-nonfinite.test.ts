/**
 * NaN / ±Infinity reporting of the wasm backend, against the reference: a run that diverges must stop
 * at the same optimizer step with the same kind of non-finite loss, and a network holding a NaN (or fed
 * an Infinity) must show the non-finite values in exactly the same places of its trace, predictions and
 * evaluation — the probes of the normalization study count them.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DType, InputSource, NetworkRunner, NetworkSpec, TargetSource } from '../../../src/engine/backend.js';
import { referenceBackend } from '../../../src/engine/backends/reference/index.js';
import { registerBackend } from '../../../src/engine/backends/registry.js';
import { layers } from '../../../src/engine/layers/index.js';
import { sequential } from '../../../src/engine/model/sequential.js';
import { train } from '../../../src/engine/optimizers.js';
import { Tensor } from '../../../src/engine/tensor.js';
import { TOLERANCE, assertAllClose, glorotWeights, makePair, randomBytes, randomLabels, wasmBackend } from './wasm-helpers.js';

registerBackend('wasm', wasmBackend);

/**
 * Non-finite entries must sit at the same indices with the same value class (NaN, +Infinity,
 * −Infinity); the finite rest must agree normwise within `rtol`.
 */
function assertSameNonFinite(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, what: string): number {
  assert.equal(actual.length, expected.length, `${what}: length`);
  const kind = (v: number) => (Number.isNaN(v) ? 'NaN' : v === Infinity ? '+Infinity' : v === -Infinity ? '-Infinity' : 'finite');
  let nonFinite = 0;
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const ke = kind(expected[i]);
    assert.equal(kind(actual[i]), ke, `${what}[${i}]: wasm ${actual[i]} vs reference ${expected[i]}`);
    if (ke !== 'finite') {
      nonFinite++;
      continue;
    }
    scale = Math.max(scale, Math.abs(expected[i]));
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  }
  assert.ok(worst <= rtol * Math.max(scale, 1e-300), `${what}: finite values differ by ${worst} (scale ${scale})`);
  return nonFinite;
}

function compareTraces(ref: NetworkRunner, wsm: NetworkRunner, refId: number, wsmId: number, rows: Int32Array, rtol: number): number {
  const a = ref.trace(refId, rows, rows.length);
  const b = wsm.trace(wsmId, rows, rows.length);
  let n = 0;
  a.preActivations.forEach((v, l) => (n += assertSameNonFinite(b.preActivations[l], v, rtol, `preActivations[${l}]`)));
  a.activations.forEach((v, l) => (n += assertSameNonFinite(b.activations[l], v, rtol, `activations[${l}]`)));
  a.gradients.forEach((v, i) => (n += assertSameNonFinite(b.gradients[i], v, rtol * 10, `gradients[${i}]`)));
  n += assertSameNonFinite(b.losses, a.losses, rtol, 'per-sample losses');
  n += assertSameNonFinite(wsm.predict(wsmId, rows, rows.length), ref.predict(refId, rows, rows.length), rtol, 'predict');
  const ea = ref.evaluate(refId, rows, rows.length);
  const eb = wsm.evaluate(wsmId, rows, rows.length);
  assertSameNonFinite([eb.lossSum], [ea.lossSum], rtol, 'evaluate lossSum');
  return n;
}

const ROWS = 40;
const spec = (dtype: DType, hidden: 'relu' | 'sigmoid' | 'tanh' | 'linear'): NetworkSpec => ({
  dtype,
  layers: [
    { inputSize: 20, units: 13, activation: hidden, useBias: true },
    { inputSize: 13, units: 5, activation: 'softmax', useBias: true },
  ],
  loss: { name: 'sparseCategoricalCrossentropy', fromLogits: false },
  optimizer: { name: 'adam', learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
});
const labels: TargetSource = { kind: 'sparse', labels: randomLabels(ROWS, 5, 2), rows: ROWS };
const pixels = (transform = { a: 1 / 255, b: 0 }): InputSource => ({ values: randomBytes(ROWS, 20, 1), rows: ROWS, inputSize: 20, transform });
const allRows = Int32Array.from({ length: ROWS }, (_, i) => i);

for (const dtype of ['float64', 'float32'] as const) {
  describe(`wasm non-finite values, ${dtype}`, () => {
    for (const hidden of ['relu', 'sigmoid', 'tanh', 'linear'] as const) {
      test(`a NaN in the first kernel (hidden ${hidden}) shows in the same places of trace, predict and evaluate`, () => {
        const s = spec(dtype, hidden);
        const weights = glorotWeights(s, 3, 0.1);
        weights[0][5 * 13 + 4] = NaN; // input 5 → unit 4
        for (const transform of [
          { a: 1 / 255, b: 0 },
          { a: 2 / 255, b: -1 },
        ]) {
          const { ref, wsm, refId, wsmId } = makePair(referenceBackend, { spec: s, weights, x: pixels(transform), y: labels });
          const n = compareTraces(ref, wsm, refId, wsmId, allRows, TOLERANCE[dtype]);
          assert.ok(n > 0, 'the NaN weight must produce non-finite values');
          // one training step: the NaN spreads through the update identically
          const a = ref.trainBatch(refId, allRows, ROWS);
          const b = wsm.trainBatch(wsmId, allRows, ROWS);
          assertSameNonFinite([b.lossSum], [a.lossSum], TOLERANCE[dtype], 'trainBatch lossSum');
          ref.getWeights().forEach((w, i) => assertSameNonFinite(wsm.getWeights()[i], w, TOLERANCE[dtype], `weights[${i}] after the step`));
          ref.dispose();
          wsm.dispose();
        }
      });
    }

    test('±Infinity and NaN in float inputs propagate identically', () => {
      const s = spec(dtype, 'relu');
      const weights = glorotWeights(s, 4, 0.1);
      const values = Float64Array.from(randomBytes(ROWS, 20, 6), (v) => v / 255);
      values[3 * 20 + 2] = Infinity;
      values[7 * 20 + 9] = -Infinity;
      values[11 * 20 + 0] = NaN;
      const x: InputSource = { values, rows: ROWS, inputSize: 20, transform: { a: 1, b: 0 } };
      const { ref, wsm, refId, wsmId } = makePair(referenceBackend, { spec: s, weights, x, y: labels });
      assert.ok(compareTraces(ref, wsm, refId, wsmId, allRows, TOLERANCE[dtype]) > 0);
      // rows without a non-finite input stay finite on both
      const clean = Int32Array.from([0, 1, 2, 4, 5, 6]);
      assert.equal(compareTraces(ref, wsm, refId, wsmId, clean, TOLERANCE[dtype]), 0);
      ref.dispose();
      wsm.dispose();
    });

    test('a diverging fit (raw pixels, linear regression) stops at the same step on both backends', async () => {
      const histories = [];
      for (const backend of ['reference', 'wasm']) {
        const model = sequential({
          dtype,
          seed: 5,
          backend,
          layers: [layers.flatten({ inputShape: [4, 5] }), layers.dense({ units: 13, activation: 'linear' }), layers.dense({ units: 5, activation: 'linear' })],
        });
        model.compile({ optimizer: train.sgd(3e-5), loss: 'meanSquaredError' });
        // raw 0–255 inputs and a regression on large targets: every step overshoots more than the last,
        // until the loss overflows to Infinity and then NaN
        const x = new Tensor(randomBytes(ROWS, 20, 8), [ROWS, 4, 5], 'float32', { a: 1, b: 0 });
        const y = new Tensor(Float32Array.from(randomBytes(ROWS, 5, 9, 0)), [ROWS, 5], 'float32');
        histories.push(await model.fit(x, y, { epochs: 20, batchSize: 8, verbose: 0, onNonFinite: 'stop' }));
        model.dispose();
      }
      const [a, b] = histories;
      assert.ok(a.nonFinite, 'the reference run should diverge (test set-up)');
      assert.ok(b.nonFinite, 'the wasm run must report the non-finite loss');
      const { value: va, ...at } = a.nonFinite;
      const { value: vb, ...bt } = b.nonFinite;
      assert.deepEqual(bt, at, 'the same epoch, batch and optimizer step');
      assert.ok(!Number.isFinite(vb));
      // float64 agrees on the kind too; in float32 the wasm kernels' float32 partial sums may overflow to
      // +Infinity and −Infinity (→ NaN) where the reference's double accumulator reaches only +Infinity
      if (dtype === 'float64') assert.equal(String(vb), String(va));
      assert.deepEqual(b.epoch, a.epoch);
      assertAllClose(b.history.loss, a.history.loss, TOLERANCE[dtype], 'per-epoch loss before the divergence');
    });
  });
}
