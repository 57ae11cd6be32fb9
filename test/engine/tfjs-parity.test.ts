/**
 * Parity with TensorFlow.js 4.22 (cpu backend) on real Fashion-MNIST images.
 *
 * The lab's network (flatten 28×28 → dense 128 relu → dense 10 softmax, sparse categorical
 * cross-entropy on probabilities, float32) is built in both libraries with the *same initial weights*
 * (normlab's getWeights() copied into tfjs' setWeights()) and trained on the *same batches in the same
 * order*: normlab through `model.fit(x.div(255), y, {shuffle: false, batchSize: 32, epochs: 1})` on exactly
 * STEPS·32 rows, tfjs through `model.trainOnBatch` on the same rows, pixel/255 in float32.
 *
 * What tfjs does differently (and why the numbers still agree to ~1e-6):
 * - Loss timing: tfjs' trainOnBatch returns the loss of the forward pass that `optimizer.minimize(…,
 *   returnCost = true)` evaluates *before* applying the gradients — the same "loss before the update"
 *   that normlab's fit reports per batch (checked below against evaluate() on the first batch).
 * - Cross-entropy on probabilities: tfjs-layers normalises the softmax output, clips it to [1e-7, 1−1e-7]
 *   and takes −Σ t·log p, differentiating through softmax, clip and log by autodiff; normlab fuses
 *   softmax and cross-entropy (loss = logsumexp(z) − z_label, gradient softmax(z) − onehot). They differ
 *   only when a probability is clipped (a saturated softmax: tfjs' loss floors at −log(1−1e-7) and its
 *   gradient through the clip is 0); with inputs scaled to [0, 1] nothing saturates in 50 steps.
 * - Precision: tfjs does everything in float32, including the running sums inside matMul; normlab's
 *   reference backend stores float32 but accumulates each dot product in double and rounds once. Adam's
 *   β^t is a float32 running product in tfjs (accBeta1 ← accBeta1·β1), Math.pow in double in normlab.
 *   These round-off differences are what the per-step loss differences below measure.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { layers, losses, sequential, tensor, train, type Sequential } from '../../src/engine/index.js';
import { registerNodeBackends } from '../../src/node.js';
import { maxAbsDiff, relDiff, withTfjsCpu, type Tfjs } from './helpers.js';
import { fashion, NO_FASHION } from '../shared-data.js';

registerNodeBackends();

const DEFAULT_STEPS = 50;
const STEPS = DEFAULT_STEPS;
const BATCH = 32;
const LOSS_REL_TOL = 1e-4;

let tf: Tfjs;
withTfjsCpu((loaded) => (tf = loaded));

interface ParityOptions {
  /** Divide the pixels by 255 (default) or feed the raw 0–255 values. */
  scale?: boolean;
  /** normlab's loss: fused from the logits (default) or clipped probabilities as tfjs computes it. */
  clipProbabilities?: boolean;
  steps?: number;
  backend?: string;
}

function normlabModel(optimizer: 'adam' | 'sgd', opts: ParityOptions = {}): Sequential {
  const m = sequential({
    seed: 2024,
    backend: opts.backend,
    layers: [layers.flatten({ inputShape: [28, 28] }), layers.dense({ units: 128, activation: 'relu' }), layers.dense({ units: 10, activation: 'softmax' })],
  });
  m.compile({
    optimizer: optimizer === 'adam' ? train.adam(0.001, 0.9, 0.999, 1e-7) : train.sgd(0.1),
    loss: losses.sparseCategoricalCrossentropy({ clipProbabilities: opts.clipProbabilities }),
    metrics: ['accuracy'],
  });
  return m;
}

function tfjsModel(optimizer: 'adam' | 'sgd', weights: { values: Float32Array; shape: number[] }[]) {
  const m = tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: [28, 28] }),
      tf.layers.dense({ units: 128, activation: 'relu' }),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
  m.compile({
    optimizer: optimizer === 'adam' ? tf.train.adam(0.001, 0.9, 0.999, 1e-7) : tf.train.sgd(0.1),
    loss: 'sparseCategoricalCrossentropy',
    metrics: ['accuracy'],
  });
  m.setWeights(weights.map((w) => tf.tensor(w.values, w.shape, 'float32')));
  return m;
}

interface ParityResult {
  maxRel: number;
  normlabLosses: number[];
  tfjsLosses: number[];
  normlabAcc: number[];
  tfjsAcc: number[];
  weightDiff: number[];
  weightMove: number[];
}

async function runParity(optimizer: 'adam' | 'sgd', opts: ParityOptions = {}): Promise<ParityResult> {
  const STEPS = opts.steps ?? DEFAULT_STEPS;
  const scale = opts.scale ?? true;
  const data = (await fashion(STEPS * BATCH)).train;
  assert.equal(data.count, STEPS * BATCH);
  const model = normlabModel(optimizer, opts);
  const initial = model.getWeights().map((w) => ({ values: Float32Array.from(w.dataSync()), shape: w.shape }));
  const tm = tfjsModel(optimizer, initial);

  // normlab: one epoch over exactly these rows, in order, collecting the per-batch logs.
  const x = scale ? tensor(data.images, [data.count, 28, 28]).div(255) : tensor(data.images, [data.count, 28, 28]);
  const y = tensor(data.labels, [data.count]);
  const firstBatchLoss = model.evaluateNumbers(x.slice(0, BATCH), y.slice(0, BATCH), { batchSize: BATCH }).loss;
  const normlabLosses: number[] = [];
  const normlabAcc: number[] = [];
  await model.fit(x, y, {
    epochs: 1,
    batchSize: BATCH,
    shuffle: false,
    verbose: 0,
    callbacks: {
      onBatchEnd: (_batch, logs) => {
        normlabLosses.push(logs!.loss);
        normlabAcc.push(logs!.acc);
      },
    },
  });
  assert.equal(normlabLosses.length, STEPS);
  // fit's per-batch loss is the loss before that batch's update: step 0 equals evaluate() beforehand.
  assert.ok(relDiff(normlabLosses[0], firstBatchLoss) < 1e-6, `first batch loss ${normlabLosses[0]} vs evaluate ${firstBatchLoss}`);

  // tfjs: the same rows, batch by batch. Its trainOnBatch loss is also the loss before the update:
  // step 0 equals tfjs' own evaluate() on the first batch with the initial weights.
  const batchTensors = (s: number) => ({
    xs: tf.tensor(
      Float32Array.from(data.images.subarray(s * BATCH * 784, (s + 1) * BATCH * 784), (v) => (scale ? v / 255 : v)),
      [BATCH, 28, 28],
    ),
    ys: tf.tensor1d(Float32Array.from(data.labels.subarray(s * BATCH, (s + 1) * BATCH))),
  });
  const first = batchTensors(0);
  const [tfFirstLoss] = (tm.evaluate(first.xs, first.ys, { batchSize: BATCH }) as import('@tensorflow/tfjs').Scalar[]).map((t) => t.dataSync()[0]);
  tf.dispose([first.xs, first.ys]);
  const tfjsLosses: number[] = [];
  const tfjsAcc: number[] = [];
  for (let s = 0; s < STEPS; s++) {
    const { xs, ys } = batchTensors(s);
    const [loss, acc] = (await tm.trainOnBatch(xs, ys)) as number[];
    tfjsLosses.push(loss);
    tfjsAcc.push(acc);
    tf.dispose([xs, ys]);
  }

  assert.ok(relDiff(tfjsLosses[0], tfFirstLoss) < 1e-6, `tfjs first trainOnBatch loss ${tfjsLosses[0]} vs its evaluate ${tfFirstLoss}`);

  const maxRel = Math.max(...normlabLosses.map((v, i) => relDiff(v, tfjsLosses[i])));
  const after = model.getWeights();
  const tfAfter = tm.getWeights();
  const weightDiff = after.map((w, i) => maxAbsDiff(w.dataSync(), tfAfter[i].dataSync()));
  const weightMove = after.map((w, i) => maxAbsDiff(w.dataSync(), initial[i].values));
  tm.dispose();
  return { maxRel, normlabLosses, tfjsLosses, normlabAcc, tfjsAcc, weightDiff, weightMove };
}

describe('parity with TensorFlow.js 4.22 (cpu) on Fashion-MNIST, 784 → 128 relu → 10 softmax, float32', { skip: NO_FASHION }, () => {
  for (const optimizer of ['adam', 'sgd'] as const) {
    it(`${optimizer}: ${STEPS} per-step losses agree within ${LOSS_REL_TOL} relative, weights agree afterwards`, async (t) => {
      const r = await runParity(optimizer);
      t.diagnostic(`${optimizer}: max relative per-step loss difference ${r.maxRel.toExponential(3)}`);
      t.diagnostic(
        `${optimizer}: loss ${r.tfjsLosses[0].toFixed(4)} → ${r.tfjsLosses[STEPS - 1].toFixed(4)} (tfjs), ${r.normlabLosses[0].toFixed(4)} → ${r.normlabLosses[STEPS - 1].toFixed(4)} (normlab)`,
      );
      t.diagnostic(
        `${optimizer}: max |Δw| normlab vs tfjs per tensor ${r.weightDiff.map((d) => d.toExponential(2)).join(', ')}; moved ${r.weightMove.map((d) => d.toExponential(2)).join(', ')}`,
      );

      r.normlabLosses.forEach((v, i) => {
        assert.ok(Number.isFinite(v), 'Number.isFinite(v)');
        assert.ok(relDiff(v, r.tfjsLosses[i]) < LOSS_REL_TOL, `step ${i}: normlab ${v}, tfjs ${r.tfjsLosses[i]}`);
      });
      // Per-batch accuracy (argmax of the same outputs) agrees batch by batch, up to a rare tie-flip.
      const accMismatch = r.normlabAcc.filter((a, i) => Math.abs(a - r.tfjsAcc[i]) > 1e-6).length;
      assert.ok(accMismatch <= 2, `${accMismatch} batches with different accuracy`);
      // The run is meaningful: training reduced the loss substantially.
      const head = r.tfjsLosses.slice(0, 5).reduce((s, v) => s + v, 0) / 5;
      const tail = r.tfjsLosses.slice(-5).reduce((s, v) => s + v, 0) / 5;
      assert.ok(tail < 0.6 * head, `loss did not fall: ${head} → ${tail}`);
      // Weights after 50 steps: loosely equal (round-off accumulates), and far closer than they moved.
      r.weightDiff.forEach((d, i) => {
        assert.ok(d < 1e-4, `tensor ${i}: max |Δw| ${d}`);
        assert.ok(d < 1e-2 * r.weightMove[i], `tensor ${i}: difference ${d} not small next to the movement ${r.weightMove[i]}`);
      });
    });
  }
});

describe('the loss form on raw 0–255 pixels: tfjs computes the loss from clipped probabilities', { skip: NO_FASHION }, () => {
  // Raw pixels saturate the softmax at once: most samples' true-class probability is below 1e-7, where
  // tfjs' clip makes the loss −log(1e-7) ≈ 16.12 and the gradient 0. normlab's clipProbabilities form
  // reproduces tfjs step by step; its default (from the logits, as tf.keras) does not.
  const RAW_STEPS = 20;
  for (const backend of ['reference', 'wasm']) {
    it(`adam, ${backend}: clipProbabilities matches tfjs on raw inputs for ${RAW_STEPS} steps; the default form does not`, async (t) => {
      const clipped = await runParity('adam', { scale: false, clipProbabilities: true, steps: RAW_STEPS, backend });
      const fused = await runParity('adam', { scale: false, steps: RAW_STEPS, backend });
      t.diagnostic(`${backend}: clipped max rel per-step loss diff ${clipped.maxRel.toExponential(3)}; fused ${fused.maxRel.toExponential(3)}`);
      t.diagnostic(
        `tfjs losses ${clipped.tfjsLosses
          .slice(0, 5)
          .map((v) => v.toFixed(3))
          .join(', ')} …; normlab fused ${fused.normlabLosses
          .slice(0, 5)
          .map((v) => v.toFixed(1))
          .join(', ')} …`,
      );
      // The clipped loss is capped near −log(1e-7) per sample; the first batch is far from perfect.
      assert.ok(clipped.tfjsLosses[0] > 5 && clipped.tfjsLosses[0] <= -Math.log(1e-7) + 1e-3, `tfjs first loss ${clipped.tfjsLosses[0]}`);
      clipped.normlabLosses.forEach((v, i) =>
        assert.ok(relDiff(v, clipped.tfjsLosses[i]) < 1e-3, `step ${i}: normlab clipped ${v}, tfjs ${clipped.tfjsLosses[i]}`),
      );
      // From the logits the same first batch has a loss in the hundreds: a different objective.
      assert.ok(fused.normlabLosses[0] > 3 * clipped.tfjsLosses[0], `fused first loss ${fused.normlabLosses[0]}`);
    });
  }
});

describe('fit semantics match tfjs', () => {
  it('validationSplit trains on the same number of rows (floor(n·(1 − split))) with the same batch sizes', async () => {
    for (const [n, split] of [
      [10, 0.25],
      [7, 0.3],
      [60, 0.1],
      [9, 0.5],
      [11, 0.33],
    ] as const) {
      const xs = Float32Array.from({ length: n * 3 }, (_, i) => (i % 7) / 7);
      const ys = Float32Array.from({ length: n }, (_, i) => i % 2);
      const tm = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 2, activation: 'softmax' })] });
      tm.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
      const tfSizes: number[] = [];
      const tx = tf.tensor2d(xs, [n, 3]);
      const ty = tf.tensor1d(ys);
      await tm.fit(tx, ty, {
        epochs: 1,
        batchSize: 4,
        validationSplit: split,
        verbose: 0,
        callbacks: { onBatchEnd: async (_b, logs) => void tfSizes.push(logs!.size as number) },
      });
      tf.dispose([tx, ty]);
      tm.dispose();
      const m = sequential({ seed: 1, layers: [layers.dense({ inputShape: [3], units: 2, activation: 'softmax' })] });
      m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
      const sizes: number[] = [];
      await m.fit(tensor(xs, [n, 3]), tensor(ys, [n]), {
        epochs: 1,
        batchSize: 4,
        validationSplit: split,
        verbose: 0,
        callbacks: { onBatchEnd: (_b, logs) => void sizes.push(logs!.size) },
      });
      assert.deepEqual(sizes, tfSizes, `n ${n}, validationSplit ${split}`);
    }
  });
});

describe('stopTraining parity', () => {
  it('set in onBatchEnd: both stop after that batch, still end (and log) the epoch, and run no further epoch', async () => {
    const n = 12;
    const xs = Float32Array.from({ length: n * 3 }, (_, i) => (i % 5) / 5);
    const ys = Float32Array.from({ length: n }, (_, i) => i % 2);
    const events = { tfjs: [] as string[], normlab: [] as string[] };
    const tm = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 2, activation: 'softmax' })] });
    tm.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    const tx = tf.tensor2d(xs, [n, 3]);
    const ty = tf.tensor1d(ys);
    const tfHistory = await tm.fit(tx, ty, {
      epochs: 3,
      batchSize: 4,
      verbose: 0,
      callbacks: {
        onBatchEnd: async (b) => {
          events.tfjs.push(`batch ${b}`);
          if (b === 1) tm.stopTraining = true;
        },
        onEpochEnd: async (e) => void events.tfjs.push(`epoch ${e}`),
      },
    });
    tf.dispose([tx, ty]);
    const m = sequential({ seed: 1, layers: [layers.dense({ inputShape: [3], units: 2, activation: 'softmax' })] });
    m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    const h = await m.fit(tensor(xs, [n, 3]), tensor(ys, [n]), {
      epochs: 3,
      batchSize: 4,
      verbose: 0,
      callbacks: {
        onBatchEnd: (b) => {
          events.normlab.push(`batch ${b}`);
          if (b === 1) m.stopTraining = true;
        },
        onEpochEnd: (e) => void events.normlab.push(`epoch ${e}`),
      },
    });
    assert.deepEqual(events.normlab, ['batch 0', 'batch 1', 'epoch 0']);
    assert.deepEqual(events.normlab, events.tfjs);
    assert.deepEqual(h.epoch, tfHistory.epoch);
    assert.equal(h.history.loss.length, tfHistory.history.loss.length);
    tm.dispose();
  });
});

describe('where normlab deliberately differs from tfjs', () => {
  it('centered RMSprop: tfjs 4.22 computes √(ms − (mg² + ε)) and turns a zero-gradient weight into NaN; normlab keeps it', async (t) => {
    // Feature 0 is always 0, so the gradient of w[0] is exactly 0 at every step.
    const x = tf.tensor2d([
      [0, 1],
      [0, 2],
    ]);
    const target = tf.tensor1d([1, 1]);
    const w = tf.variable(tf.tensor1d([0.3, 0.5]));
    const opt = tf.train.rmsprop(0.01, 0.9, 0, 1e-7, true);
    opt.minimize(() => tf.losses.meanSquaredError(target, x.matMul(w.reshape([2, 1])).reshape([2])) as import('@tensorflow/tfjs').Scalar);
    const tfW = Array.from(w.dataSync());
    tf.dispose([x, target, w]);
    opt.dispose();
    t.diagnostic(`tfjs ${tf.version.tfjs} centered RMSprop after one step: [${tfW.join(', ')}]`);

    const m = sequential({ seed: 1, layers: [layers.dense({ inputShape: [2], units: 1, useBias: false })] });
    m.compile({ optimizer: train.rmsprop(0.01, 0.9, 0, 1e-7, true), loss: 'meanSquaredError' });
    m.setWeights([Float64Array.of(0.3, 0.5)]);
    await m.fit(
      tensor([
        [0, 1],
        [0, 2],
      ]),
      tensor([[1], [1]]),
      { epochs: 1, batchSize: 2, verbose: 0 },
    );
    const w1 = Array.from(m.getWeights()[0].dataSync());
    assert.equal(w1[0], Math.fround(0.3), 'a zero gradient leaves the weight alone');
    // The live weight moves the same way in both (the ε sign only matters when ms − mg² ≈ 0).
    assert.ok(relDiff(w1[1], tfW[1]) < 1e-6, `normlab ${w1[1]} vs tfjs ${tfW[1]}`);
    if (tf.version.tfjs.startsWith('4.22.'))
      assert.ok(Number.isNaN(tfW[0]), 'tfjs 4.22 gives NaN here (if this changes, update the comment in reference/optimizers.ts)');
  });
});
