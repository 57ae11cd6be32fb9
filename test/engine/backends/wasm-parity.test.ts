/**
 * Parity of the wasm backend with the reference backend: the same initial weights and the same row order
 * must give the same per-step losses, accuracies, weights, predictions, evaluations and traces, within
 * 1e-5 relative in float64 and 1e-3 in float32 — for every optimizer, activation, loss, input kind and
 * awkward layer width. Run with `node scripts/run-tests.mjs wasm`.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DType, InputSource, NetworkSpec, OptimizerSpec, TargetSource } from '../../../src/engine/backend.js';
import { referenceBackend } from '../../../src/engine/backends/reference/index.js';
import {
  OPTIMIZERS,
  TOLERANCE,
  assertAllClose,
  assertTensorClose,
  glorotWeights,
  makePair,
  oneHot,
  randomBytes,
  randomLabels,
  trainEpochs,
} from './wasm-helpers.js';

const DTYPES: DType[] = ['float64', 'float32'];
const ROWS = 100;
const BATCH = 32; // 100 rows → batches of 32, 32, 32 and a partial 4

interface Case {
  spec: NetworkSpec;
  x: InputSource;
  y: TargetSource;
  batch?: number;
  epochs?: number;
  seed?: number;
  biasNoise?: number;
}

/**
 * Train both backends on the case and compare everything observable. Accuracy counts must match exactly
 * in float64; in float32 a prediction sitting on an argmax tie may flip, so they may differ by one.
 */
function checkParity(c: Case): void {
  const rtol = TOLERANCE[c.spec.dtype];
  const weights = glorotWeights(c.spec, c.seed ?? 7, c.biasNoise ?? 0.1);
  const { ref, wsm, refId, wsmId } = makePair(referenceBackend, { spec: c.spec, weights, x: c.x, y: c.y });
  try {
    const rows = c.x.rows;
    const epochs = c.epochs ?? 3;
    const a = trainEpochs(ref, refId, rows, c.batch ?? BATCH, epochs, 11);
    const b = trainEpochs(wsm, wsmId, rows, c.batch ?? BATCH, epochs, 11);
    assertAllClose(b.losses, a.losses, rtol, 'per-step mean loss');
    assertAllClose(b.epochLosses, a.epochLosses, rtol, 'per-epoch mean loss');
    if (c.spec.dtype === 'float64') assert.deepEqual(b.correct, a.correct, 'per-step correct counts');
    else b.correct.forEach((v, i) => assert.ok(Math.abs(v - a.correct[i]) <= 1, `step ${i}: correct ${v} vs ${a.correct[i]}`));
    const wa = ref.getWeights();
    const wb = wsm.getWeights();
    assert.equal(wb.length, wa.length);
    wa.forEach((w, i) => assertTensorClose(wb[i], w, rtol, `weight tensor ${i} after training`));

    const all = Int32Array.from({ length: rows }, (_, i) => rows - 1 - i); // reversed order, all rows
    const ea = ref.evaluate(refId, all, rows);
    const eb = wsm.evaluate(wsmId, all, rows);
    assertAllClose([eb.lossSum], [ea.lossSum], rtol, 'evaluate lossSum');
    assert.equal(eb.rows, rows);
    assert.ok(Math.abs(eb.correct - ea.correct) <= (c.spec.dtype === 'float64' ? 0 : 1), `evaluate correct ${eb.correct} vs ${ea.correct}`);
    assertTensorClose(wsm.predict(wsmId, all, rows), ref.predict(refId, all, rows), rtol, 'predict');

    const some = all.subarray(3, 3 + Math.min(37, rows - 3));
    const ta = ref.trace(refId, some, some.length);
    const tb = wsm.trace(wsmId, some, some.length);
    ta.preActivations.forEach((v, l) => assertTensorClose(tb.preActivations[l], v, rtol, `trace preActivations[${l}]`));
    ta.activations.forEach((v, l) => assertTensorClose(tb.activations[l], v, rtol, `trace activations[${l}]`));
    assert.equal(tb.gradients.length, ta.gradients.length);
    ta.gradients.forEach((v, i) => assertTensorClose(tb.gradients[i], v, rtol * 10, `trace gradients[${i}]`));
    assertAllClose(tb.losses, ta.losses, rtol, 'trace per-sample losses');
    // tracing must not have changed anything
    wa.forEach((w, i) => assertTensorClose(wsm.getWeights()[i], w, rtol, `weight tensor ${i} after trace`));
  } finally {
    ref.dispose();
    wsm.dispose();
  }
}

function dense(inputSize: number, units: number, activation: NetworkSpec['layers'][number]['activation'], useBias = true) {
  return { inputSize, units, activation, useBias };
}

function u8Input(rows: number, width: number, seed: number, transform = { a: 2 / 255, b: -1 }): InputSource {
  return { values: randomBytes(rows, width, seed), rows, inputSize: width, transform };
}

function sparseTargets(rows: number, classes: number, seed: number): TargetSource {
  return { kind: 'sparse', labels: randomLabels(rows, classes, seed), rows };
}

/** The workhorse network: widths that are not multiples of any SIMD width, three layers. */
function threeLayer(dtype: DType, optimizer: OptimizerSpec, hidden: NetworkSpec['layers'][number]['activation'] = 'relu'): NetworkSpec {
  return {
    dtype,
    layers: [dense(20, 13, hidden), dense(13, 7, 'tanh'), dense(7, 3, 'softmax')],
    loss: { name: 'sparseCategoricalCrossentropy', fromLogits: false },
    optimizer,
  };
}

const SCALES = [
  { lr: 0.5, epsilon: 3 },
  { lr: 2, epsilon: 1 },
  { lr: 1, epsilon: 0.5 },
  { lr: 0.25, epsilon: 10 },
];

for (const dtype of DTYPES) {
  describe(`wasm ↔ reference parity, ${dtype}`, () => {
    for (const [name, optimizer] of Object.entries(OPTIMIZERS)) {
      // every optimizer with every hidden activation the lab offers: 3 epochs of a 100-row set in
      // batches of 32 (the last one partial), widths 20 → 13 → 7 → 3 (no multiple of a SIMD width)
      for (const hidden of ['relu', 'sigmoid', 'tanh', 'linear'] as const) {
        test(`optimizer ${name}, hidden ${hidden}: per-step losses, weights, predict, evaluate, trace`, () => {
          checkParity({ spec: threeLayer(dtype, optimizer, hidden), x: u8Input(ROWS, 20, 1), y: sparseTargets(ROWS, 3, 2) });
        });
      }
      test(`optimizer ${name} with per-parameter paramScales {lr, epsilon}`, () => {
        checkParity({
          spec: threeLayer(dtype, { ...optimizer, paramScales: SCALES }),
          x: u8Input(ROWS, 20, 3),
          y: sparseTargets(ROWS, 3, 4),
        });
      });
    }

    test('hidden activation softmax', () => {
      checkParity({ spec: threeLayer(dtype, OPTIMIZERS.adam, 'softmax'), x: u8Input(ROWS, 20, 5), y: sparseTargets(ROWS, 3, 6) });
    });

    for (const last of ['linear', 'relu', 'sigmoid', 'tanh', 'softmax'] as const) {
      test(`output activation ${last} with meanSquaredError on one-hot targets`, () => {
        const labels = randomLabels(ROWS, 3, 8);
        checkParity({
          spec: {
            dtype,
            layers: [dense(20, 13, 'relu'), dense(13, 3, last)],
            loss: { name: 'meanSquaredError', fromLogits: false },
            optimizer: OPTIMIZERS.momentum,
          },
          x: u8Input(ROWS, 20, 7),
          y: { kind: 'dense', values: oneHot(labels, 3), rows: ROWS, width: 3 },
        });
      });
    }

    const ceCases: { name: string; loss: NetworkSpec['loss']; last: NetworkSpec['layers'][number]['activation']; sparse: boolean }[] = [
      {
        name: 'sparseCategoricalCrossentropy fused with softmax',
        loss: { name: 'sparseCategoricalCrossentropy', fromLogits: false },
        last: 'softmax',
        sparse: true,
      },
      {
        name: 'sparseCategoricalCrossentropy fromLogits (linear output)',
        loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true },
        last: 'linear',
        sparse: true,
      },
      {
        name: 'sparseCategoricalCrossentropy fromLogits on a softmax output',
        loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true },
        last: 'softmax',
        sparse: true,
      },
      {
        name: 'sparseCategoricalCrossentropy, sigmoid output, fromLogits false',
        loss: { name: 'sparseCategoricalCrossentropy', fromLogits: false },
        last: 'sigmoid',
        sparse: true,
      },
      { name: 'categoricalCrossentropy fused with softmax', loss: { name: 'categoricalCrossentropy', fromLogits: false }, last: 'softmax', sparse: false },
      {
        name: 'categoricalCrossentropy fromLogits (linear output)',
        loss: { name: 'categoricalCrossentropy', fromLogits: true },
        last: 'linear',
        sparse: false,
      },
      { name: 'categoricalCrossentropy fromLogits (tanh output)', loss: { name: 'categoricalCrossentropy', fromLogits: true }, last: 'tanh', sparse: false },
    ];
    for (const c of ceCases) {
      test(`loss ${c.name}`, () => {
        const labels = randomLabels(ROWS, 7, 10);
        const y: TargetSource = c.sparse
          ? { kind: 'sparse', labels: Int32Array.from(labels), rows: ROWS }
          : { kind: 'dense', values: oneHot(labels, 7, dtype), rows: ROWS, width: 7 };
        checkParity({
          spec: { dtype, layers: [dense(20, 13, 'relu'), dense(13, 7, c.last)], loss: c.loss, optimizer: OPTIMIZERS.adam },
          x: u8Input(ROWS, 20, 9),
          y,
        });
      });
    }

    test('categoricalCrossentropy with soft (label-smoothed) targets', () => {
      const labels = randomLabels(ROWS, 3, 12);
      const soft = oneHot(labels, 3).map((v) => v * 0.8 + 0.2 / 3);
      checkParity({
        spec: {
          dtype,
          layers: [dense(20, 7, 'sigmoid'), dense(7, 3, 'softmax')],
          loss: { name: 'categoricalCrossentropy', fromLogits: false },
          optimizer: OPTIMIZERS.rmsprop,
        },
        x: u8Input(ROWS, 20, 11),
        y: { kind: 'dense', values: soft, rows: ROWS, width: 3 },
      });
    });

    test('meanSquaredError regression, single sigmoid output (binary accuracy)', () => {
      const labels = randomLabels(ROWS, 2, 14);
      checkParity({
        spec: {
          dtype,
          layers: [dense(20, 3, 'tanh'), dense(3, 1, 'sigmoid')],
          loss: { name: 'meanSquaredError', fromLogits: false },
          optimizer: OPTIMIZERS.nesterov,
        },
        x: u8Input(ROWS, 20, 13),
        y: { kind: 'dense', values: Float32Array.from(labels), rows: ROWS, width: 1 },
      });
    });

    test('meanSquaredError regression, linear outputs, real-valued targets', () => {
      const t = Float64Array.from(randomBytes(ROWS, 2, 16, 0), (v) => v / 100 - 1);
      checkParity({
        spec: {
          dtype,
          layers: [dense(20, 13, 'relu'), dense(13, 2, 'linear')],
          loss: { name: 'meanSquaredError', fromLogits: false },
          optimizer: OPTIMIZERS.sgd,
        },
        x: u8Input(ROWS, 20, 15, { a: 1 / 255, b: 0 }),
        y: { kind: 'dense', values: t, rows: ROWS, width: 2 },
      });
    });

    const transforms = {
      'none (raw 0–255)': { a: 1, b: 0 },
      'scale (x/255)': { a: 1 / 255, b: 0 },
      'symmetric (2x/255 − 1)': { a: 2 / 255, b: -1 },
      'standardize-like': { a: 1 / 90, b: -0.35 },
    };
    for (const [name, transform] of Object.entries(transforms)) {
      test(`uint8 input, transform ${name}`, () => {
        const spec = threeLayer(dtype, name.startsWith('none') ? { name: 'sgd', learningRate: 1e-4, momentum: 0, nesterov: false } : OPTIMIZERS.adam);
        checkParity({ spec, x: u8Input(ROWS, 20, 17, transform), y: sparseTargets(ROWS, 3, 18) });
      });
    }

    for (const kind of ['float32', 'float64'] as const) {
      test(`${kind} input values with an affine transform`, () => {
        const raw = randomBytes(ROWS, 20, 19);
        const values = kind === 'float32' ? Float32Array.from(raw, (v) => v / 7 - 3) : Float64Array.from(raw, (v) => v / 7 - 3);
        checkParity({
          spec: threeLayer(dtype, OPTIMIZERS.rmspropCenteredMomentum),
          x: { values, rows: ROWS, inputSize: 20, transform: { a: 0.1, b: 0.25 } },
          y: sparseTargets(ROWS, 3, 20),
        });
      });
    }

    test('awkward widths (1, 5, 130 units), layers without bias, batch sizes 1 and 7', () => {
      const spec: NetworkSpec = {
        dtype,
        layers: [dense(37, 130, 'relu', false), dense(130, 5, 'sigmoid'), dense(5, 1, 'linear', false)],
        loss: { name: 'meanSquaredError', fromLogits: false },
        optimizer: OPTIMIZERS.adam,
      };
      const t = Float64Array.from(randomLabels(50, 2, 22));
      for (const batch of [1, 7]) {
        checkParity({ spec, x: u8Input(50, 37, 21), y: { kind: 'dense', values: t, rows: 50, width: 1 }, batch, epochs: 2 });
      }
    });

    test('evaluate and predict over more rows than one kernel chunk (600 rows, 784 inputs)', () => {
      const spec: NetworkSpec = {
        dtype,
        layers: [dense(784, 31, 'relu'), dense(31, 10, 'softmax')],
        loss: { name: 'sparseCategoricalCrossentropy', fromLogits: false },
        optimizer: OPTIMIZERS.adam,
      };
      checkParity({ spec, x: u8Input(600, 784, 23, { a: 1 / 255, b: 0 }), y: sparseTargets(600, 10, 24), batch: 128, epochs: 1 });
    });

    test('switching between a b = 0 and a b ≠ 0 dataset keeps the fused first layer right', () => {
      const spec = threeLayer(dtype, OPTIMIZERS.adam);
      const weights = glorotWeights(spec, 3, 0.1);
      const pixels = randomBytes(ROWS, 20, 25);
      const y = sparseTargets(ROWS, 3, 26);
      const scaled: InputSource = { values: pixels, rows: ROWS, inputSize: 20, transform: { a: 1 / 255, b: 0 } };
      const symmetric: InputSource = { values: pixels, rows: ROWS, inputSize: 20, transform: { a: 2 / 255, b: -1 } };
      const p1 = makePair(referenceBackend, { spec, weights, x: scaled, y });
      const idRef2 = p1.ref.loadData(symmetric, y);
      const idWsm2 = p1.wsm.loadData(symmetric, y);
      const rows = Int32Array.from({ length: ROWS }, (_, i) => i);
      const rtol = TOLERANCE[dtype];
      for (let step = 0; step < 6; step++) {
        const useB = step % 3 === 2;
        const a = p1.ref.trainBatch(useB ? idRef2 : p1.refId, rows.subarray(step * 10), 10);
        const b = p1.wsm.trainBatch(useB ? idWsm2 : p1.wsmId, rows.subarray(step * 10), 10);
        assertAllClose([b.lossSum], [a.lossSum], rtol, `step ${step} loss`);
        const ea = p1.ref.evaluate(idRef2, rows, ROWS);
        const eb = p1.wsm.evaluate(idWsm2, rows, ROWS);
        assertAllClose([eb.lossSum], [ea.lossSum], rtol, `step ${step} evaluate on the b ≠ 0 data`);
      }
      p1.ref.dispose();
      p1.wsm.dispose();
    });

    test('setWeights, setLearningRate and resetOptimizer mid-training', () => {
      const spec = threeLayer(dtype, OPTIMIZERS.adam);
      const weights = glorotWeights(spec, 5, 0.1);
      const x = u8Input(ROWS, 20, 27);
      const y = sparseTargets(ROWS, 3, 28);
      const { ref, wsm, refId, wsmId } = makePair(referenceBackend, { spec, weights, x, y });
      const rtol = TOLERANCE[dtype];
      const compare = (what: string) => {
        const a = trainEpochs(ref, refId, ROWS, 16, 1, 31);
        const b = trainEpochs(wsm, wsmId, ROWS, 16, 1, 31);
        assertAllClose(b.losses, a.losses, rtol, what);
      };
      compare('before');
      ref.setLearningRate(0.03);
      wsm.setLearningRate(0.03);
      assert.equal((wsm.spec.optimizer as { learningRate: number }).learningRate, 0.03);
      compare('after setLearningRate');
      ref.resetOptimizer();
      wsm.resetOptimizer();
      compare('after resetOptimizer');
      const fresh = glorotWeights(spec, 99, 0.2);
      ref.setWeights(fresh);
      wsm.setWeights(fresh);
      compare('after setWeights');
      ref.dispose();
      wsm.dispose();
    });

    test('the parity check can fail: a 1% different learning rate is detected', () => {
      const spec = threeLayer(dtype, OPTIMIZERS.adam);
      const other = threeLayer(dtype, { ...OPTIMIZERS.adam, learningRate: 0.0101 });
      const weights = glorotWeights(spec, 7, 0.1);
      const x = u8Input(ROWS, 20, 29);
      const y = sparseTargets(ROWS, 3, 30);
      const { ref, refId } = makePair(referenceBackend, { spec, weights, x, y });
      const { wsm, wsmId } = makePair(referenceBackend, { spec: other, weights, x, y });
      const a = trainEpochs(ref, refId, ROWS, BATCH, 3, 11);
      const b = trainEpochs(wsm, wsmId, ROWS, BATCH, 3, 11);
      assert.throws(() => {
        const wa = ref.getWeights();
        const wb = wsm.getWeights();
        wa.forEach((w, i) => assertTensorClose(wb[i], w, TOLERANCE[dtype], `weights ${i}`));
        assertAllClose(b.losses, a.losses, TOLERANCE[dtype], 'loss');
      }, assert.AssertionError);
    });
  });
}
