/**
 * `tf.callbacks.earlyStopping`: the stop decisions match TensorFlow.js 4.22's own EarlyStopping on the
 * same sequences of logs (tfjs is the oracle: monitor, minDelta, patience, mode, baseline), it stops a
 * real fit, and restoreBestWeights puts back the weights of the best epoch (as Keras does; tfjs 4.x
 * refuses that option as not implemented).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Callback, callbacks, EarlyStopping, layers, sequential, tensor, train, type EarlyStoppingArgs, type Logs } from '../../src/engine/index.js';
import * as api from '../../src/api.js';
import { NormlabError } from '../../src/errors.js';
import { TestRandom } from './helpers.js';

type TF = typeof import('@tensorflow/tfjs');
let tf: TF;

/** Epoch (0-based) at which each callback first sets stopTraining, or -1. */
async function stopEpoch(cb: { onTrainBegin(l?: Logs): unknown; onEpochEnd(e: number, l?: Logs): unknown }, series: Logs[]): Promise<number> {
  const model = { stopTraining: false, getWeights: () => [], setWeights: () => {} };
  // (tfjs' setModel accepts only its own LayersModel; both callbacks read `this.model`)
  (cb as unknown as { model: unknown }).model = model;
  await cb.onTrainBegin({});
  for (let e = 0; e < series.length; e++) {
    await cb.onEpochEnd(e, { ...series[e] });
    if (model.stopTraining) return e;
  }
  return -1;
}

const seq = (key: string, values: number[]): Logs[] => values.map((v) => ({ [key]: v }));

// Each: options, then the logs epoch by epoch.
const CASES: [EarlyStoppingArgs, Logs[]][] = [
  [{ monitor: 'loss' }, seq('loss', [1, 0.8, 0.8, 0.7])],
  [{ monitor: 'loss', patience: 2 }, seq('loss', [1, 0.8, 0.9, 0.85, 0.7, 0.75, 0.76])],
  [{ monitor: 'loss', patience: 1, minDelta: 0.05 }, seq('loss', [1, 0.9, 0.87, 0.86, 0.5])],
  [{ monitor: 'loss', minDelta: -0.05 }, seq('loss', [1, 0.9, 0.87, 0.9])],
  [{ monitor: 'acc' }, seq('acc', [0.5, 0.7, 0.69, 0.9])],
  [{ monitor: 'acc', baseline: 0.99 }, seq('acc', [0.9, 0.95, 0.995])],
  [{ monitor: 'acc', baseline: 0.8, patience: 2 }, seq('acc', [0.7, 0.85, 0.84, 0.83])],
  [{ monitor: 'loss', mode: 'max', patience: 1 }, seq('loss', [1, 0.9, 0.8])],
  [{ monitor: 'val_acc', mode: 'min' }, seq('val_acc', [0.5, 0.4, 0.6])],
  [{ monitor: 'my_metric_acc' }, seq('my_metric_acc', [0.1, 0.2, 0.2])],
  [{ patience: 3 }, seq('val_loss', [0.5, 0.6, 0.4, 0.41, 0.42, 0.43, 0.3])],
  [{ monitor: 'val_loss' }, seq('loss', [1, 2, 3])],
];

describe('tf.callbacks.earlyStopping', () => {
  before(async () => {
    tf = (await import('@tensorflow/tfjs')) as TF;
  });

  it('is exported like tfjs: callbacks.earlyStopping(args) makes an EarlyStopping (a Callback), also from the public API', () => {
    const cb = callbacks.earlyStopping({ monitor: 'acc', patience: 2 });
    assert.ok(cb instanceof EarlyStopping);
    assert.ok(cb instanceof Callback);
    assert.equal((api as unknown as { callbacks: typeof callbacks }).callbacks.earlyStopping, callbacks.earlyStopping);
    assert.equal(cb.monitor, 'acc');
    assert.equal(cb.patience, 2);
    const defaults = callbacks.earlyStopping();
    assert.deepEqual([defaults.monitor, defaults.minDelta, defaults.patience, defaults.mode, defaults.baseline], ['val_loss', 0, 0, 'auto', undefined]);
  });

  for (const [args, series] of CASES) {
    it(`stops where tfjs 4.22 stops: ${JSON.stringify(args)} on ${JSON.stringify(series.map((l) => Object.values(l)[0]))}`, async () => {
      const warn = console.warn;
      console.warn = () => {};
      try {
        const ours = await stopEpoch(callbacks.earlyStopping(args), series);
        const theirs = await stopEpoch(tf.callbacks.earlyStopping(args as never) as never, series);
        assert.equal(ours, theirs);
      } finally {
        console.warn = warn;
      }
    });
  }

  it('a monitor missing from the logs warns with the keys there are and never stops', async () => {
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (m: string) => void warnings.push(m);
    try {
      assert.equal(await stopEpoch(callbacks.earlyStopping(), seq('loss', [1, 2, 3])), -1);
    } finally {
      console.warn = warn;
    }
    assert.match(warnings[0], /Metric for EarlyStopping val_loss is not available\. Available metrics are: loss/);
  });

  it('rejects options that are not numbers with a one-line reason', () => {
    assert.throws(
      () => callbacks.earlyStopping({ patience: 'two' as never }),
      (e: unknown) => e instanceof NormlabError && /patience must be a finite number/.test(e.message),
    );
    assert.throws(() => callbacks.earlyStopping({ baseline: Number.NaN }), NormlabError);
  });

  // A real fit: a learnable 3-class toy problem.
  function toy(n = 256) {
    const rnd = new TestRandom(5);
    const xs = new Float32Array(n * 4);
    const ys = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < 4; j++) xs[i * 4 + j] = Math.fround(rnd.uniform(-1, 1));
      ys[i] = xs[i * 4] > xs[i * 4 + 1] ? (xs[i * 4 + 2] > 0 ? 0 : 1) : 2;
    }
    const model = sequential({
      seed: 7,
      layers: [layers.dense({ inputShape: [4], units: 8, activation: 'relu' }), layers.dense({ units: 3, activation: 'softmax' })],
    });
    model.compile({ optimizer: train.adam(0.02), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    return { model, x: tensor(xs, [n, 4]), y: tensor(ys, [n], 'int32') };
  }

  it('stops a real fit: with a baseline the model cannot beat, after `patience` epochs', async () => {
    const { model, x, y } = toy();
    const history = await model.fit(x, y, { epochs: 20, verbose: 0, callbacks: [callbacks.earlyStopping({ monitor: 'loss', baseline: 0, patience: 3 })] });
    assert.equal(history.epoch.length, 3);
    assert.equal(history.stoppedEarly, true);
  });

  it('restoreBestWeights puts back the weights of the best epoch when it stops', async () => {
    const { model, x, y } = toy();
    const perEpoch: number[][][] = [];
    const recorder = { onEpochEnd: () => void perEpoch.push(model.getWeights().map((w) => Array.from(w.dataSync()))) };
    // mode 'max' on the loss: the first epoch (highest loss) is the "best", so after 2 more epochs without
    // improvement it stops and goes back to epoch 1's weights.
    const stopper = callbacks.earlyStopping({ monitor: 'loss', mode: 'max', patience: 2, restoreBestWeights: true });
    const history = await model.fit(x, y, { epochs: 10, verbose: 0, callbacks: [recorder, stopper] });
    assert.equal(history.epoch.length, 3);
    assert.equal(stopper.bestEpoch, 0);
    assert.equal(stopper.stoppedEpoch, 2);
    const final = model.getWeights().map((w) => Array.from(w.dataSync()));
    assert.deepEqual(final, perEpoch[0]);
    assert.notDeepEqual(final, perEpoch[2]);
  });

  it('restoreBestWeights with no improvement on the baseline restores the first epoch', async () => {
    const { model, x, y } = toy();
    const perEpoch: number[][][] = [];
    const recorder = { onEpochEnd: () => void perEpoch.push(model.getWeights().map((w) => Array.from(w.dataSync()))) };
    const stopper = callbacks.earlyStopping({ monitor: 'acc', baseline: 1.5, patience: 2, restoreBestWeights: true });
    await model.fit(x, y, { epochs: 10, verbose: 0, callbacks: [recorder, stopper] });
    assert.equal(perEpoch.length, 2);
    assert.deepEqual(
      model.getWeights().map((w) => Array.from(w.dataSync())),
      perEpoch[0],
    );
  });
});
