/**
 * The Keras normalization layers and dropout at the model level, on both backends: training vs
 * inference behaviour (batch norm's moving statistics in predict/evaluate, dropout a no-op there),
 * momentum updates, rescaling reproducing the fused x/255 run exactly, normalization.adapt, weights,
 * summary, save/load, clipping, and the one-line errors for bad input.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerNodeBackends } from '../../src/node.js';
import { layers, sequential, tensor, train, withClipping, type Sequential, type Tensor } from '../../src/engine/index.js';
import { loadModel } from '../../src/engine/model/io.js';
import { registerNodeModelFiles } from '../../src/node-files.js';
import { ProbeCallback } from '../../src/engine/probes.js';
import { NormlabError } from '../../src/errors.js';
import { TestRandom } from './helpers.js';

registerNodeModelFiles(); // model.save() writes through it

registerNodeBackends();

const BACKENDS = ['reference', 'wasm'] as const;

const oneLine =
  (code: string, ...patterns: RegExp[]) =>
  (e: unknown) => {
    if (!(e instanceof NormlabError)) throw e;
    assert.equal(e.code, code, `error code of: ${e.message}`);
    assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
    for (const p of patterns) assert.match(e.describe(), p);
    return true;
  };

function images(n: number, size = 20, seed = 1): Tensor {
  const rnd = new TestRandom(seed);
  return tensor(
    Uint8Array.from({ length: n * size }, () => (rnd.next() < 0.4 ? 0 : rnd.int(256))),
    [n, size],
  );
}
function labels(n: number, classes = 4, seed = 2): Tensor {
  const rnd = new TestRandom(seed);
  return tensor(
    Int32Array.from({ length: n }, () => rnd.int(classes)),
    [n],
    'int32',
  );
}
const values = (t: Tensor) => Array.from(t.dataSync() as ArrayLike<number>);

for (const backend of BACKENDS) {
  describe(`normalization layers on ${backend}`, () => {
    it('batch norm: batch statistics in training, moving statistics (updated with momentum) in predict', async () => {
      const m = sequential({
        seed: 3,
        dtype: 'float64',
        backend,
        layers: [layers.batchNormalization({ inputShape: [20], momentum: 0.9 }), layers.dense({ units: 4, activation: 'softmax' })],
      });
      m.compile({ optimizer: train.sgd(0.1), loss: 'sparseCategoricalCrossentropy' });
      const x = images(32);
      await m.fit(x, labels(32), { epochs: 1, batchSize: 32, shuffle: false, verbose: 0 });
      // tfjs/Keras order: trainable tensors first (gamma, beta, kernel, bias), then moving mean/variance
      const [gamma, beta, kernel, bias, movingMean, movingVar] = m.getWeights().map(values);
      const raw = values(x);
      for (let i = 0; i < 20; i++) {
        const col = Array.from({ length: 32 }, (_, r) => raw[r * 20 + i]);
        const mean = col.reduce((s, v) => s + v, 0) / 32;
        const variance = col.reduce((s, v) => s + (v - mean) ** 2, 0) / 32;
        // one step from the initial 0 / 1: moving = 0.9·initial + 0.1·batch
        assert.ok(Math.abs(movingMean[i] - 0.1 * mean) < 1e-9 * Math.max(1, mean), `moving mean ${i}`);
        assert.ok(Math.abs(movingVar[i] - (0.9 + 0.1 * variance)) < 1e-9 * Math.max(1, variance), `moving variance ${i}`);
      }
      // predict uses the moving statistics: compute it by hand from the weights
      const out = values(m.predict(x.slice(0, 3)));
      for (let r = 0; r < 3; r++) {
        const h = Array.from({ length: 20 }, (_, i) => gamma[i] * ((raw[r * 20 + i] - movingMean[i]) / Math.sqrt(movingVar[i] + 1e-3)) + beta[i]);
        const z = Array.from({ length: 4 }, (_, u) => h.reduce((s, v, i) => s + v * kernel[i * 4 + u], bias[u]));
        const e = z.map((v) => Math.exp(v - Math.max(...z)));
        const p = e.map((v) => v / e.reduce((s, w) => s + w, 0));
        p.forEach((v, u) => assert.ok(Math.abs(out[r * 4 + u] - v) < 1e-9, `predict row ${r} unit ${u}: ${out[r * 4 + u]} vs ${v}`));
      }
      // …and so does evaluate: its loss differs from the training-mode loss of the same batch
      const trace = m.trace(x, labels(32));
      const trainingLoss = trace.losses.reduce((s, v) => s + v, 0) / 32;
      const evalLoss = m.evaluateNumbers(x, labels(32)).loss;
      assert.ok(Math.abs(trainingLoss - evalLoss) > 1e-3, `inference (${evalLoss}) and training (${trainingLoss}) losses differ`);
    });

    it('batch norm after a dense layer and as the first layer on raw pixels both learn', async () => {
      for (const first of [true, false]) {
        const m = sequential({
          seed: 4,
          backend,
          layers: first
            ? [
                layers.batchNormalization({ inputShape: [20] }),
                layers.dense({ units: 16, activation: 'relu' }),
                layers.dense({ units: 4, activation: 'softmax' }),
              ]
            : [
                layers.dense({ inputShape: [20], units: 16, activation: 'relu' }),
                layers.batchNormalization(),
                layers.dense({ units: 4, activation: 'softmax' }),
              ],
        });
        m.compile({ optimizer: train.adam(0.01), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
        const h = await m.fit(images(64), labels(64), { epochs: 8, batchSize: 16, verbose: 0 });
        const loss = h.history.loss;
        assert.ok(loss[loss.length - 1] < loss[0], `loss falls (${first ? 'first' : 'after dense'}): ${loss[0]} → ${loss[loss.length - 1]}`);
      }
    });

    it('dropout: seeded and reproducible in training, a no-op in predict, rate 0 changes nothing', async () => {
      const build = (rate: number | null, seed = 5) =>
        sequential({
          seed: 7,
          backend,
          dtype: 'float64',
          layers: [
            layers.dense({ inputShape: [20], units: 12, activation: 'relu' }),
            ...(rate === null ? [] : [layers.dropout({ rate, seed })]),
            layers.dense({ units: 4, activation: 'softmax' }),
          ],
        });
      const fit = async (m: Sequential) => {
        m.compile({ optimizer: train.adam(0.01), loss: 'sparseCategoricalCrossentropy' });
        return (await m.fit(images(48).div(255), labels(48), { epochs: 2, batchSize: 16, verbose: 0 })).history.loss;
      };
      const plain = build(null);
      const a = build(0.5);
      const b = build(0.5);
      const other = build(0.5, 6);
      const zero = build(0);
      // same initial weights in every model (seeded init does not depend on dropout)
      assert.deepEqual(values(a.getWeights()[0]), values(plain.getWeights()[0]));
      const x = images(5).div(255);
      assert.deepEqual(values(a.predict(x)), values(plain.predict(x)), 'predict ignores dropout');
      const [lp, la, lb, lo, lz] = [await fit(plain), await fit(a), await fit(b), await fit(other), await fit(zero)];
      assert.deepEqual(la, lb, 'same seed, same history');
      assert.notDeepEqual(la, lo, 'another seed drops other units');
      assert.notDeepEqual(la, lp, 'dropout changes training');
      assert.deepEqual(lz, lp, 'rate 0 is the plain model');
    });

    it('rescaling(1/255) on raw bytes reproduces the x.div(255) run exactly (it is folded into the fused input transform)', async () => {
      const run = async (inModel: boolean) => {
        const m = sequential({
          seed: 8,
          backend,
          layers: [
            ...(inModel ? [layers.rescaling({ scale: 1 / 255, inputShape: [20] })] : []),
            layers.dense({ units: 12, activation: 'relu', ...(inModel ? {} : { inputShape: [20] }) }),
            layers.dense({ units: 4, activation: 'softmax' }),
          ],
        });
        m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
        const x = images(64);
        const h = await m.fit(inModel ? x : x.div(255), labels(64), { epochs: 2, batchSize: 16, verbose: 0 });
        return { loss: h.history.loss, predict: values(m.predict(inModel ? x : x.div(255))) };
      };
      const a = await run(true);
      const b = await run(false);
      assert.deepEqual(a.loss, b.loss);
      assert.deepEqual(a.predict, b.predict);
    });

    it('normalization: adapt computes per-feature mean/variance; weights, save and load keep them', async () => {
      const x = images(40);
      const norm = layers.normalization({ inputShape: [20] });
      norm.adapt(x);
      const m = sequential({ seed: 9, backend, dtype: 'float64', layers: [norm, layers.dense({ units: 4, activation: 'softmax' })] });
      m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
      const [, , mean, variance] = m.getWeights().map(values); // kernel, bias (trainable) first
      const raw = values(x);
      const col0 = Array.from({ length: 40 }, (_, r) => raw[r * 20]);
      const mu = col0.reduce((s, v) => s + v, 0) / 40;
      assert.ok(Math.abs(mean[0] - mu) < 1e-9);
      assert.ok(Math.abs(variance[0] - col0.reduce((s, v) => s + (v - mu) ** 2, 0) / 40) < 1e-6);
      await m.fit(x, labels(40), { epochs: 1, batchSize: 8, verbose: 0 });
      const dir = await mkdtemp(join(tmpdir(), 'normlab-norm-'));
      try {
        await m.save(`file://${dir}`);
        const loaded = await loadModel(dir);
        assert.deepEqual(loaded.getWeights().map(values), m.getWeights().map(values));
        assert.deepEqual(values(loaded.predict(x)), values(m.predict(x)));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('batch norm and dropout: save and load keep the moving statistics, the dropout seed and the predictions', async () => {
      const m = sequential({
        seed: 13,
        backend,
        layers: [
          layers.dense({ inputShape: [20], units: 8, activation: 'relu' }),
          layers.batchNormalization({ momentum: 0.8 }),
          layers.dropout({ rate: 0.3 }),
          layers.dense({ units: 4, activation: 'softmax' }),
        ],
      });
      m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
      const x = images(24).div(255);
      await m.fit(x, labels(24), { epochs: 2, batchSize: 8, verbose: 0 });
      const dir = await mkdtemp(join(tmpdir(), 'normlab-bn-'));
      try {
        await m.save(`file://${dir}`);
        const loaded = await loadModel(dir);
        assert.deepEqual(loaded.getConfig().layers, m.getConfig().layers);
        assert.deepEqual(loaded.getWeights().map(values), m.getWeights().map(values));
        assert.deepEqual(values(loaded.predict(x)), values(m.predict(x)));
        assert.deepEqual(loaded.networkSpec().layers[1].stages, m.networkSpec().layers[1].stages, 'same stages, same dropout seed');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('clipnorm: no trainable tensor moves further than lr · clipnorm in one SGD step', async () => {
      const m = sequential({
        seed: 10,
        backend,
        dtype: 'float64',
        layers: [
          layers.dense({ inputShape: [20], units: 8, activation: 'relu' }),
          layers.batchNormalization(),
          layers.dense({ units: 4, activation: 'softmax' }),
        ],
      });
      m.compile({ optimizer: withClipping(train.sgd(1), { clipnorm: 0.01 }), loss: 'sparseCategoricalCrossentropy' });
      const before = m.getWeights().map(values);
      const trainable = m.weightTrainable();
      await m.fit(images(16), labels(16), { epochs: 1, batchSize: 16, verbose: 0 });
      const after = m.getWeights().map(values);
      let clipped = 0;
      before.forEach((w, i) => {
        if (!trainable[i]) return;
        const step = Math.sqrt(w.reduce((s, v, k) => s + (after[i][k] - v) ** 2, 0));
        assert.ok(step <= 0.01 * (1 + 1e-9), `tensor ${i} moved ${step}`);
        if (step > 0.01 * (1 - 1e-9)) clipped++;
      });
      assert.ok(clipped >= 3, `gradients of lr 1 are far above 0.01: most tensors move exactly lr · clipnorm (${clipped})`);
    });
  });
}

describe('probes understand the new layers', () => {
  it('each dense layer lists the layers in front of it, their gradient norm and the moving variance; kernel ratios skip batch-norm weights', async () => {
    for (const backend of BACKENDS) {
      const m = sequential({
        seed: 12,
        backend,
        dtype: 'float64',
        layers: [
          layers.rescaling({ scale: 1 / 255, inputShape: [20] }),
          layers.dense({ units: 8, activation: 'relu' }),
          layers.batchNormalization(),
          layers.dropout({ rate: 0.25 }),
          layers.dense({ units: 4, activation: 'softmax' }),
        ],
      });
      m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
      const x = images(30);
      const y = labels(30);
      const probe = new ProbeCallback({ x, y, steps: [0, 2] });
      await m.fit(x, y, { epochs: 1, batchSize: 10, verbose: 0, callbacks: [probe] });
      const p = probe.probes[probe.probes.length - 1];
      assert.deepEqual(p.layers[0].inputStages, [], 'the leading rescaling is folded into the input transform');
      assert.deepEqual(p.layers[1].inputStages, ['batchNorm', 'dropout']);
      assert.equal(p.layers[0].stageGradNorm, null);
      assert.ok(p.layers[1].stageGradNorm! > 0, `stage gradient norm ${p.layers[1].stageGradNorm}`);
      assert.ok(p.layers[1].movingVarianceMean! > 0 && p.layers[1].movingVarianceMean !== 1, 'moving variance moved');
      const early = probe.probes.find((q) => q.step === 2)!;
      for (const layer of early.layers) assert.ok(layer.updateRatio! > 0 && layer.updateRatio! < 1, `kernel update ratio ${layer.updateRatio}`);
      assert.equal(p.nonFinite.gradients, 0);
    }
  });
});

describe('summary and config of the new layers', () => {
  it('summary counts non-trainable parameters; getConfig round-trips', () => {
    const m = sequential({
      seed: 1,
      layers: [
        layers.rescaling({ scale: 1 / 255, inputShape: [28, 28] }),
        layers.flatten(),
        layers.batchNormalization(),
        layers.dense({ units: 16, activation: 'relu' }),
        layers.dropout({ rate: 0.2 }),
        layers.dense({ units: 10, activation: 'softmax' }),
      ],
    });
    const lines: string[] = [];
    m.summary(undefined, undefined, (l) => lines.push(l));
    const text = lines.join('\n');
    assert.match(text, /batchnormalization/i);
    assert.match(text, /rescaling/i);
    assert.match(text, /dropout/i);
    assert.match(text, new RegExp(`Total params: ${784 * 4 + 784 * 16 + 16 + 16 * 10 + 10}`));
    assert.match(text, new RegExp(`Non-trainable params: ${784 * 2}`));
    const kinds = m.getConfig().layers.map((l) => l.className);
    assert.deepEqual(kinds, ['Rescaling', 'Flatten', 'BatchNormalization', 'Dense', 'Dropout', 'Dense']);
  });
});

describe('bad input to the new layers: one-line errors', () => {
  it('dropout rate outside [0, 1)', () => {
    for (const rate of [1, -0.1, 1.5, NaN]) assert.throws(() => layers.dropout({ rate }), oneLine('config', /rate must be in \[0, 1\)/));
  });
  it('batch norm momentum outside [0, 1]', () => {
    for (const momentum of [1.01, -0.5]) assert.throws(() => layers.batchNormalization({ momentum }), oneLine('config', /momentum must be in \[0, 1\]/));
  });
  it('adapt on empty data', () => {
    assert.throws(() => layers.normalization().adapt(tensor(new Float32Array(0), [0, 5])), oneLine('input', /no data/, /Try: pass the training images/));
  });
  it('normalization used before adapt', async () => {
    const m = sequential({ layers: [layers.normalization({ inputShape: [20] }), layers.dense({ units: 4, activation: 'softmax' })] });
    m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    await assert.rejects(m.fit(images(8), labels(8), { verbose: 0 }), oneLine('config', /used before adapt\(\)/, /adapt\(trainImages\)/));
    assert.throws(() => m.predict(images(2)), oneLine('config', /used before adapt\(\)/));
  });
  it('clipnorm and clipvalue together, or not positive', () => {
    assert.throws(() => withClipping(train.adam(), { clipnorm: 1, clipvalue: 1 }), oneLine('config', /not both/));
    assert.throws(() => withClipping(train.adam(), { clipnorm: 0 }), oneLine('config', /positive/));
  });
  it('a layer after the last dense layer', () => {
    const m = sequential({ layers: [layers.dense({ inputShape: [4], units: 2, activation: 'softmax' }), layers.dropout({ rate: 0.1 })] });
    assert.throws(() => m.networkSpec(), oneLine('config', /after the last dense layer/));
  });
});
