/**
 * The fit loop's semantics (Keras / tfjs-layers): determinism, stopTraining, callbacks, History,
 * validation, partial batches, non-finite losses and the misspelled-flag trap.
 */
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import {
  Callback,
  History,
  NonFiniteLossError,
  layers,
  modelWarnings,
  sequential,
  tensor,
  train,
  type Logs,
  type OptimizerSpec,
  type Sequential,
} from '../../src/engine/index.js';
import { NormlabError } from '../../src/errors.js';
import { TestRandom, assertClose, maxAbsDiff } from './helpers.js';

// A small synthetic 3-class problem: 4 features, class = argmax of a fixed linear map (learnable).
function toyData(n: number, seed = 11) {
  const rnd = new TestRandom(seed);
  const xs = new Float32Array(n * 4);
  const ys = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < 4; j++) xs[i * 4 + j] = Math.fround(rnd.uniform(-1, 1));
    const s = [xs[i * 4] + xs[i * 4 + 1], xs[i * 4 + 2] - xs[i * 4], xs[i * 4 + 3] - xs[i * 4 + 1]];
    ys[i] = s.indexOf(Math.max(...s));
  }
  return { x: tensor(xs, [n, 4]), y: tensor(ys, [n], 'int32'), xs, ys };
}

function toyModel(opts: { seed?: number; dtype?: 'float32' | 'float64'; optimizer?: OptimizerSpec | string; metrics?: string[] } = {}): Sequential {
  const m = sequential({
    seed: opts.seed ?? 3,
    dtype: opts.dtype ?? 'float32',
    layers: [layers.dense({ inputShape: [4], units: 6, activation: 'relu' }), layers.dense({ units: 3, activation: 'softmax' })],
  });
  m.compile({ optimizer: opts.optimizer ?? train.adam(0.01), loss: 'sparseCategoricalCrossentropy', metrics: opts.metrics ?? ['accuracy'] });
  return m;
}

const weightsOf = (m: Sequential) => m.getWeights().map((w) => Array.from(w.dataSync()));

// Capture warnings instead of printing them.
let warnings: string[] = [];
const originalWarn = modelWarnings.warn;
beforeEach(() => {
  warnings = [];
  modelWarnings.warn = (msg: string) => void warnings.push(msg);
});
afterEach(() => {
  modelWarnings.warn = originalWarn;
});

describe('determinism', () => {
  it('the same seed gives the identical history and weights; a different seed does not', async () => {
    const { x, y } = toyData(40);
    const run = async (seed: number) => {
      const m = toyModel({ seed });
      const h = await m.fit(x, y, { epochs: 3, batchSize: 8, verbose: 0, validationSplit: 0.2 });
      return { history: h.history, weights: weightsOf(m) };
    };
    const a = await run(7);
    const b = await run(7);
    const c = await run(8);
    assert.deepEqual(a.history, b.history);
    assert.deepEqual(a.weights, b.weights);
    assert.notDeepEqual(a.weights, c.weights);
    assert.notDeepEqual(a.history.loss, c.history.loss);
  });

  it('the seed drives shuffling too: same initial weights, different seeds ⇒ different batch order', async () => {
    const { x, y } = toyData(40);
    const a = toyModel({ seed: 1 });
    const b = toyModel({ seed: 2 });
    b.setWeights(a.getWeights());
    const firstBatchLoss = async (m: Sequential, shuffle: boolean) => {
      const losses: number[] = [];
      await m.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0, shuffle, callbacks: { onBatchEnd: (_b, l) => void losses.push(l!.loss) } });
      return losses;
    };
    const la = await firstBatchLoss(a, true);
    const lb = await firstBatchLoss(b, true);
    assert.notEqual(la[0], lb[0], 'different seeds should shuffle differently');
    // shuffle: false ⇒ the batches are rows 0–7, 8–15, …, for every seed.
    const c = toyModel({ seed: 1 });
    const d = toyModel({ seed: 2 });
    d.setWeights(c.getWeights());
    assert.deepEqual(await firstBatchLoss(c, false), await firstBatchLoss(d, false));
  });
});

describe('stopTraining', () => {
  it('set in onEpochEnd: training stops after that epoch', async () => {
    const { x, y } = toyData(20);
    const m = toyModel();
    const begun: number[] = [];
    let trainEnded = false;
    const h = await m.fit(x, y, {
      epochs: 5,
      batchSize: 4,
      verbose: 0,
      callbacks: {
        onEpochBegin: (e) => void begun.push(e),
        onEpochEnd: (e) => {
          if (e === 1) m.stopTraining = true;
        },
        onTrainEnd: () => void (trainEnded = true),
      },
    });
    assert.deepEqual(h.epoch, [0, 1]);
    assert.deepEqual(begun, [0, 1]);
    assert.equal(h.history.loss.length, 2);
    assert.equal(h.stoppedEarly, true);
    assert.equal(trainEnded, true);
  });

  it('set in onBatchEnd: training stops after that batch; the epoch still ends (logged over the batches run)', async () => {
    const { x, y } = toyData(20);
    const m = toyModel();
    const batchLosses: number[] = [];
    const epochsEnded: number[] = [];
    const h = await m.fit(x, y, {
      epochs: 3,
      batchSize: 4,
      verbose: 0,
      callbacks: {
        onBatchEnd: (b, logs) => {
          batchLosses.push(logs!.loss);
          if (b === 2) m.stopTraining = true;
        },
        onEpochEnd: (e) => void epochsEnded.push(e),
      },
    });
    assert.equal(batchLosses.length, 3, 'batches 0, 1, 2 ran, then training stopped');
    assert.deepEqual(h.epoch, [0]);
    assert.deepEqual(epochsEnded, [0]);
    assertClose([h.history.loss[0]], [(batchLosses[0] + batchLosses[1] + batchLosses[2]) / 3], 1e-12, 0, 'epoch loss over the 3 batches');
  });

  it('is reset when fit starts, so a stopped model trains again', async () => {
    const { x, y } = toyData(20);
    const m = toyModel();
    m.stopTraining = true;
    const h = await m.fit(x, y, { epochs: 2, batchSize: 10, verbose: 0 });
    assert.deepEqual(h.epoch, [0, 1]);
  });
});

describe('callbacks', () => {
  it('a Callback subclass reaches the model through this.model, and gets params', async () => {
    const { x, y } = toyData(20);
    const m = toyModel();
    const seen: unknown[] = [];
    class Stopper extends Callback {
      override setParams(params: Record<string, unknown>): void {
        super.setParams(params);
      }
      onEpochEnd(epoch: number) {
        seen.push(this.model);
        if (epoch === 0) this.model.stopTraining = true;
      }
    }
    const cb = new Stopper();
    const h = await m.fit(x, y, { epochs: 4, batchSize: 5, verbose: 0, callbacks: [cb] });
    assert.equal(seen.length, 1);
    assert.equal(seen[0], m, 'this.model is the very model fit was called on');
    assert.deepEqual(h.epoch, [0]);
    assert.equal(cb.params.epochs, 4);
    assert.equal(cb.params.samples, 20);
    assert.equal(cb.params.steps, 4);
    assert.equal(cb.params.batchSize, 5);
  });

  it('callbacks may be one object or a list; a list runs in order; plain objects get this.model too', async () => {
    const { x, y } = toyData(8);
    const log: string[] = [];
    const m = toyModel();
    await m.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0, callbacks: { onEpochEnd: () => void log.push('single') } });
    assert.deepEqual(log, ['single']);
    log.length = 0;
    const withModel = {
      onTrainBegin(this: { model?: unknown }) {
        log.push(this.model === m ? 'A has model' : 'A without model');
      },
    };
    await m.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0, callbacks: [withModel, { onTrainBegin: () => void log.push('B') }] });
    assert.deepEqual(log, ['A has model', 'B']);
  });

  it('hooks run in Keras order, and async hooks are awaited before training goes on', async () => {
    const { x, y } = toyData(8);
    const m = toyModel();
    const events: string[] = [];
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    await m.fit(x, y, {
      epochs: 2,
      batchSize: 4,
      verbose: 0,
      callbacks: {
        onTrainBegin: async () => {
          await sleep(5);
          events.push('trainBegin');
        },
        onEpochBegin: async (e) => {
          await sleep(1);
          events.push(`epochBegin ${e}`);
        },
        onBatchBegin: async (b) => {
          await sleep(1);
          events.push(`batchBegin ${b}`);
        },
        onBatchEnd: async (b) => {
          await sleep(1);
          events.push(`batchEnd ${b}`);
        },
        onEpochEnd: async (e) => {
          await sleep(5);
          events.push(`epochEnd ${e}`);
        },
        onTrainEnd: async () => {
          await sleep(1);
          events.push('trainEnd');
        },
      },
    });
    assert.deepEqual(events, [
      'trainBegin',
      'epochBegin 0',
      'batchBegin 0',
      'batchEnd 0',
      'batchBegin 1',
      'batchEnd 1',
      'epochEnd 0',
      'epochBegin 1',
      'batchBegin 0',
      'batchEnd 0',
      'batchBegin 1',
      'batchEnd 1',
      'epochEnd 1',
      'trainEnd',
    ]);
  });

  it('an async onEpochEnd that sets stopTraining after an await still stops training', async () => {
    const { x, y } = toyData(8);
    const m = toyModel();
    const h = await m.fit(x, y, {
      epochs: 5,
      batchSize: 8,
      verbose: 0,
      callbacks: {
        onEpochEnd: async () => {
          await new Promise((r) => setTimeout(r, 2));
          m.stopTraining = true;
        },
      },
    });
    assert.deepEqual(h.epoch, [0]);
  });
});

describe('History', () => {
  it('has loss, acc, val_loss, val_acc per epoch and the epoch indices; model.history is the same object', async () => {
    const { x, y } = toyData(30);
    const m = toyModel();
    const epochLogs: Logs[] = [];
    const h = await m.fit(x, y, {
      epochs: 3,
      batchSize: 8,
      verbose: 0,
      validationSplit: 0.2,
      callbacks: { onEpochEnd: (_e, l) => void epochLogs.push({ ...l! }) },
    });
    assert.ok(h instanceof History, 'h instanceof History');
    assert.equal(m.history, h);
    assert.deepEqual(h.epoch, [0, 1, 2]);
    assert.deepEqual(Object.keys(h.history).sort(), ['acc', 'loss', 'val_acc', 'val_loss']);
    for (const key of ['loss', 'acc', 'val_loss', 'val_acc']) {
      assert.equal(h.history[key].length, 3);
      assert.deepEqual(
        h.history[key],
        epochLogs.map((l) => l[key]),
        `${key} equals the logs given to onEpochEnd`,
      );
    }
    for (const a of [...h.history.acc, ...h.history.val_acc]) assert.ok(a >= 0 && a <= 1, 'a >= 0 && a <= 1');
    // Accuracies are fractions of whole samples: 24 training rows, 6 validation rows.
    for (const a of h.history.acc) assert.ok(Math.abs(a * 24 - Math.round(a * 24)) < 1e-9, 'Math.abs(a * 24 - Math.round(a * 24)) < 1e-9');
    for (const a of h.history.val_acc) assert.ok(Math.abs(a * 6 - Math.round(a * 6)) < 1e-9, 'Math.abs(a * 6 - Math.round(a * 6)) < 1e-9');
    assert.ok(h.history.loss[2] < h.history.loss[0], 'training made progress');
  });

  it('without metrics only loss is logged', async () => {
    const { x, y } = toyData(10);
    const m = toyModel({ metrics: [] });
    const h = await m.fit(x, y, { epochs: 1, batchSize: 5, verbose: 0 });
    assert.deepEqual(Object.keys(h.history), ['loss']);
  });
});

describe('validation', () => {
  it('validationSplit takes the last fraction (tfjs: train on the first floor(n·(1 − split)) rows)', async () => {
    // n = 10, split 0.25: tfjs trains on floor(7.5) = 7 rows and validates on the last 3.
    const { x, y } = toyData(10);
    const m = toyModel({ dtype: 'float64', optimizer: train.sgd(0.5) });
    const before = m.getWeights();
    const sizes: number[] = [];
    const h = await m.fit(x, y, {
      epochs: 1,
      batchSize: 32,
      shuffle: false,
      verbose: 0,
      validationSplit: 0.25,
      callbacks: { onBatchEnd: (_b, l) => void sizes.push(l!.size) },
    });
    assert.deepEqual(sizes, [7]);
    assert.equal(h.params.samples, 7);
    // One full-batch SGD step on rows 0..6 exactly: w1 = w0 − lr·∇L(rows 0..6).
    const probe = toyModel({ dtype: 'float64', optimizer: train.sgd(0.5) });
    probe.setWeights(before);
    const g = probe.trace(x.slice(0, 7), y.slice(0, 7)).gradients;
    m.getWeights().forEach((w, i) =>
      assertClose(
        w.dataSync(),
        Float64Array.from(before[i].dataSync(), (v, k) => v - 0.5 * g[i][k]),
        1e-12,
        1e-15,
        `tensor ${i}`,
      ),
    );
    // val_loss / val_acc: the last 3 rows, with the weights at the end of the epoch.
    const val = m.evaluateNumbers(x.slice(7), y.slice(7));
    assertClose([h.history.val_loss[0], h.history.val_acc[0]], [val.loss, val.acc], 1e-12, 0, 'validation metrics');
  });

  it('validationSplit 0.1 of 60 000 keeps 54 000 for training (the lab setting)', async () => {
    const n = 60000;
    const x = tensor(new Uint8Array(n * 4), [n, 4]);
    const y = tensor(new Uint8Array(n), [n]);
    const m = toyModel();
    const h = await m.fit(x, y, { epochs: 1, batchSize: n, verbose: 0, validationSplit: 0.1 });
    assert.equal(h.params.samples, 54000);
    assert.equal(h.history.val_loss.length, 1);
  });

  it('validationData is evaluated at the end of every epoch', async () => {
    const { x, y } = toyData(20);
    const v = toyData(9, 99);
    const m = toyModel();
    const h = await m.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0, validationData: [v.x, v.y] });
    const expected = m.evaluateNumbers(v.x, v.y);
    assert.equal(h.history.val_loss.length, 2);
    assertClose([h.history.val_loss[1], h.history.val_acc[1]], [expected.loss, expected.acc], 1e-7, 0, 'validation metrics of the last epoch');
    assert.equal(h.params.samples, 20, 'validationData does not take training rows');
  });
});

describe('batches', () => {
  it('the last batch may be partial; the epoch loss is the sample-weighted mean of the batch losses', async () => {
    const { x, y } = toyData(10);
    const m = toyModel();
    const batches: { size: number; loss: number }[] = [];
    const h = await m.fit(x, y, {
      epochs: 1,
      batchSize: 4,
      verbose: 0,
      callbacks: { onBatchEnd: (_b, l) => void batches.push({ size: l!.size, loss: l!.loss }) },
    });
    assert.deepEqual(
      batches.map((b) => b.size),
      [4, 4, 2],
    );
    assert.equal(h.params.steps, 3);
    const weighted = batches.reduce((s, b) => s + b.size * b.loss, 0) / 10;
    assertClose([h.history.loss[0]], [weighted], 1e-12, 0, 'epoch loss');
    // An unweighted mean would differ: the test can tell.
    assert.notEqual(h.history.loss[0], batches.reduce((s, b) => s + b.loss, 0) / 3);
  });

  it('every training row is used exactly once per epoch (shuffled)', async () => {
    // Linear model, MSE, SGD, one epoch of batch size 3 over 9 rows, shuffled; loss before each update
    // of a float64 model is deterministic — we only check that the union of the batch sizes is 9 and
    // that the epoch mean equals the weighted mean of its batches.
    const { x, y } = toyData(9);
    const m = toyModel();
    const sizes: number[] = [];
    await m.fit(x, y, { epochs: 2, batchSize: 3, verbose: 0, callbacks: { onBatchEnd: (_b, l) => void sizes.push(l!.size) } });
    assert.deepEqual(sizes, [3, 3, 3, 3, 3, 3]);
  });
});

describe('non-finite losses', () => {
  // (NaN or ±Infinity in the inputs are refused before training, test/engine/backends/bad-inputs.test.ts;
  // here an Infinity weight, set after batch 1, makes the loss of batch 2 non-finite.)
  it('a non-finite loss throws NonFiniteLossError at the right epoch/batch, with the partial history', async () => {
    const { x, y } = toyData(10);
    const m = toyModel();
    const poison = (value: number) => m.setWeights(m.getWeights().map((w) => Float64Array.from(w.dataSync(), () => value)));
    const err = await m
      .fit(x, y, { epochs: 2, batchSize: 2, shuffle: false, verbose: 0, callbacks: { onBatchEnd: (b) => void (b === 1 && poison(Infinity)) } })
      .then(
        () => assert.fail('fit should have thrown'),
        (e: unknown) => e,
      );
    assert.ok(err instanceof NonFiniteLossError, 'err instanceof NonFiniteLossError');
    assert.ok(err instanceof NormlabError, 'err instanceof NormlabError');
    assert.equal(err.code, 'non-finite');
    assert.deepEqual({ epoch: err.event.epoch, batch: err.event.batch, step: err.event.step }, { epoch: 0, batch: 2, step: 2 });
    assert.ok(!Number.isFinite(err.event.value), '!Number.isFinite(err.event.value)');
    assert.match(err.message, /epoch 1, batch 3/);
    assert.match(err.hint ?? '', /learning rate|normalize/);
    assert.deepEqual(err.history.epoch, []);
    assert.deepEqual(err.history.nonFinite, err.event);
  });

  it('a loss that turns NaN in a later epoch keeps the completed epochs in the error’s history', async () => {
    const { x, y } = toyData(10);
    const m = toyModel();
    const err = await m
      .fit(x, y, {
        epochs: 3,
        batchSize: 5,
        verbose: 0,
        callbacks: { onEpochEnd: (e) => void (e === 0 && m.setWeights(m.getWeights().map((w) => Float64Array.from(w.dataSync(), () => NaN)))) },
      })
      .then(
        () => assert.fail('fit should have thrown'),
        (e: unknown) => e,
      );
    assert.ok(err instanceof NonFiniteLossError, 'err instanceof NonFiniteLossError');
    assert.deepEqual({ epoch: err.event.epoch, batch: err.event.batch, step: err.event.step }, { epoch: 1, batch: 0, step: 2 });
    assert.deepEqual(err.history.epoch, [0]);
    assert.equal(err.history.history.loss.length, 1);
    assert.ok(Number.isFinite(err.history.history.loss[0]), 'Number.isFinite(err.history.history.loss[0])');
  });

  it('a huge learning rate diverges to a non-finite loss and throws (float32)', async () => {
    const rnd = new TestRandom(5);
    const n = 16;
    const x = tensor(
      Float32Array.from({ length: n * 4 }, () => rnd.uniform(0, 255)),
      [n, 4],
    );
    const y = tensor(
      Float32Array.from({ length: n * 2 }, () => rnd.uniform(-1, 1)),
      [n, 2],
    );
    const m = sequential({ seed: 1, layers: [layers.dense({ inputShape: [4], units: 8, activation: 'linear' }), layers.dense({ units: 2 })] });
    m.compile({ optimizer: train.sgd(10), loss: 'meanSquaredError' });
    const err = await m.fit(x, y, { epochs: 50, batchSize: 4, verbose: 0 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof NonFiniteLossError, 'expected the loss to blow up');
    assert.ok(err.event.step >= 1, 'the first steps were finite');
  });

  it("onNonFinite: 'stop' ends training without throwing and marks history.nonFinite", async () => {
    const { x, y } = toyData(10);
    const m = toyModel();
    const poison = () => m.setWeights(m.getWeights().map((w) => Float64Array.from(w.dataSync(), () => NaN)));
    const h = await m.fit(x, y, {
      epochs: 3,
      batchSize: 2,
      shuffle: false,
      verbose: 0,
      onNonFinite: 'stop',
      callbacks: { onBatchEnd: (b, _logs) => void (b === 2 && poison()) }, // ⇒ the loss of batch 3 is NaN
    });
    assert.ok(h.nonFinite, 'history.nonFinite is set');
    assert.deepEqual({ epoch: h.nonFinite.epoch, batch: h.nonFinite.batch }, { epoch: 0, batch: 3 });
    assert.ok(Number.isNaN(h.nonFinite.value), 'Number.isNaN(h.nonFinite.value)');
    // The epoch's finite batches (0..2) are still logged, and no further epoch ran.
    assert.deepEqual(h.epoch, [0]);
    assert.ok(Number.isFinite(h.history.loss[0]), 'Number.isFinite(h.history.loss[0])');
  });
});

describe('NaN through ReLU', () => {
  it('a NaN weight in a relu layer reaches the loss (relu = max(0, z) passes NaN on, as in tfjs)', async () => {
    const { x, y } = toyData(8);
    const m = toyModel();
    const w = m.getWeights().map((t) => Float64Array.from(t.dataSync()));
    w[0][0] = NaN; // kernel row 0, unit 0: every sample's pre-activation of unit 0 becomes NaN
    m.setWeights(w);
    assert.ok(Number.isNaN(m.evaluateNumbers(x, y).loss), 'the NaN must not be hidden by the relu');
    const err = await m.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof NonFiniteLossError, 'fit reports the NaN loss');
    assert.deepEqual([err.event.epoch, err.event.batch], [0, 0]);
  });
});

describe('misspelled stop flag', () => {
  it('model.stopTraning is recorded with the suggestion stopTraining, warned about, and stops nothing', async () => {
    const { x, y } = toyData(8);
    const m = toyModel();
    const h = await m.fit(x, y, {
      epochs: 3,
      batchSize: 8,
      verbose: 0,
      callbacks: { onEpochEnd: () => void ((m as unknown as Record<string, unknown>).stopTraning = true) },
    });
    assert.deepEqual(h.epoch, [0, 1, 2], 'like tfjs, the misspelled flag does not stop training');
    assert.deepEqual(m.unknownProperties, [{ name: 'stopTraning', suggestion: 'stopTraining' }], 'recorded once, at the first write');
    assert.ok(
      warnings.some((w) => w.includes('model.stopTraning') && w.includes('did you mean model.stopTraining')),
      `warnings: ${warnings.join(' | ')}`,
    );
  });

  it("Python's stop_training maps to stopTraining", () => {
    const m = toyModel();
    (m as unknown as Record<string, unknown>).stop_training = true;
    assert.deepEqual(m.unknownProperties, [{ name: 'stop_training', suggestion: 'stopTraining' }]);
  });

  it('ordinary use (compile, fit, evaluate, predict, setWeights, stopTraining) records nothing', async () => {
    const { x, y } = toyData(8);
    const m = toyModel();
    m.stopTraining = false;
    await m.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 });
    m.evaluate(x, y);
    m.predict(x);
    m.setWeights(m.getWeights());
    m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    await m.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 });
    assert.deepEqual(m.unknownProperties, []);
    assert.deepEqual(warnings, []);
  });
});

describe('fit argument errors', () => {
  const { x, y } = toyData(10);
  it('an uncompiled model refuses to fit, saying to call compile', async () => {
    const m = sequential({ layers: [layers.dense({ inputShape: [4], units: 3, activation: 'softmax' })] });
    await assert.rejects(
      m.fit(x, y),
      (e: unknown) => e instanceof NormlabError && e.code === 'config' && /compiled before fit/.test(e.message) && /compile\(/.test(e.hint ?? ''),
    );
  });
  for (const batchSize of [0, -4, 2.5, '32', NaN]) {
    it(`batchSize ${JSON.stringify(batchSize)} is refused`, async () => {
      await assert.rejects(
        toyModel().fit(x, y, { batchSize: batchSize as number, verbose: 0 }),
        (e: unknown) => e instanceof NormlabError && /batchSize must be a positive whole number/.test(e.message),
      );
    });
  }
  for (const epochs of [-1, 1.5, '3']) {
    it(`epochs ${JSON.stringify(epochs)} is refused`, async () => {
      await assert.rejects(
        toyModel().fit(x, y, { epochs: epochs as number, verbose: 0 }),
        (e: unknown) => e instanceof NormlabError && /epochs must be a whole number/.test(e.message),
      );
    });
  }
  for (const validationSplit of [1, -0.1, 1.5, '0.1', NaN]) {
    it(`validationSplit ${JSON.stringify(validationSplit)} is refused`, async () => {
      await assert.rejects(
        toyModel().fit(x, y, { validationSplit: validationSplit as number, verbose: 0 }),
        (e: unknown) => e instanceof NormlabError && /validationSplit must be a fraction in \[0, 1\)/.test(e.message),
      );
    });
  }
  it('validationSplit and validationData together are refused', async () => {
    await assert.rejects(toyModel().fit(x, y, { validationSplit: 0.2, validationData: [x, y], verbose: 0 }), /either validationData or validationSplit/);
  });
  it('a split that leaves no training rows is refused', async () => {
    const one = toyData(1);
    await assert.rejects(toyModel().fit(one.x, one.y, { validationSplit: 0.5, verbose: 0 }), /no training samples left/);
  });
  it('epochs 0 trains nothing and returns an empty History', async () => {
    const m = toyModel();
    const before = weightsOf(m);
    const h = await m.fit(x, y, { epochs: 0, verbose: 0 });
    assert.deepEqual(h.epoch, []);
    assert.deepEqual(weightsOf(m), before);
  });
  it('x and y with different sample counts are refused', async () => {
    await assert.rejects(toyModel().fit(x, y.slice(0, 5), { verbose: 0 }), /x has 10 samples but y has 5/);
  });
});

describe('fit and the input transform', () => {
  it('training on uint8 x.div(255) equals training on the materialised x/255 (float64)', async () => {
    const rnd = new TestRandom(31);
    const n = 24;
    const pixels = Uint8Array.from({ length: n * 4 }, () => rnd.int(256));
    const labels = Int32Array.from({ length: n }, () => rnd.int(3));
    const y = tensor(labels, [n], 'int32');
    const lazy = toyModel({ dtype: 'float64', seed: 9 });
    const eager = toyModel({ dtype: 'float64', seed: 9 });
    const hLazy = await lazy.fit(tensor(pixels, [n, 4]).div(255), y, { epochs: 2, batchSize: 5, verbose: 0 });
    const materialised = tensor(
      Float64Array.from(pixels, (v) => v / 255),
      [n, 4],
    );
    const hEager = await eager.fit(materialised, y, { epochs: 2, batchSize: 5, verbose: 0 });
    assertClose(hLazy.history.loss, hEager.history.loss, 1e-12, 0, 'losses');
    const wl = weightsOf(lazy);
    const we = weightsOf(eager);
    wl.forEach((w, i) => assertClose(w, we[i], 1e-12, 1e-15, `tensor ${i}`));
    // ...and raw pixels (no transform) give a different run.
    const raw = toyModel({ dtype: 'float64', seed: 9 });
    await raw.fit(tensor(pixels, [n, 4]), y, { epochs: 2, batchSize: 5, verbose: 0 });
    assert.ok(maxAbsDiff(weightsOf(raw)[0], wl[0]) > 1e-3, 'maxAbsDiff(weightsOf(raw)[0], wl[0]) > 1e-3');
  });
});
