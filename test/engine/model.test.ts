/**
 * Sequential model semantics outside the fit loop: learner-facing errors, evaluate/predict against a
 * manual computation, weights, save/load, summary, dtype.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { layers, losses, oneHot, sequential, tensor, train, type Sequential, type Tensor } from '../../src/engine/index.js';
import { loadModel } from '../../src/engine/model/io.js';
import { registerNodeModelFiles } from '../../src/node-files.js';
import { NormlabError } from '../../src/errors.js';
import { TestRandom, assertClose } from './helpers.js';

registerNodeModelFiles(); // model.save() writes through it

const isNormlab =
  (code: string, ...patterns: RegExp[]) =>
  (e: unknown) => {
    if (!(e instanceof NormlabError)) throw e;
    assert.equal(e.code, code, `error code of: ${e.message}`);
    for (const p of patterns) assert.match(e.describe(), p);
    return true;
  };

function labModel(seed = 1, dtype: 'float32' | 'float64' = 'float32'): Sequential {
  return sequential({
    seed,
    dtype,
    layers: [layers.flatten({ inputShape: [28, 28] }), layers.dense({ units: 128, activation: 'relu' }), layers.dense({ units: 10, activation: 'softmax' })],
  });
}

function images(n: number, seed = 1): Tensor {
  const rnd = new TestRandom(seed);
  return tensor(
    Uint8Array.from({ length: n * 784 }, () => (rnd.next() < 0.5 ? 0 : rnd.int(256))),
    [n, 28, 28],
  );
}

function labels(n: number, classes = 10, seed = 2): Tensor {
  const rnd = new TestRandom(seed);
  return tensor(
    Uint8Array.from({ length: n }, () => rnd.int(classes)),
    [n],
  );
}

describe('errors a learner can act on', () => {
  it('a dense layer on 28×28 images without Flatten: a shape error that says to add layers.flatten', async () => {
    const m = sequential({
      seed: 1,
      layers: [layers.dense({ inputShape: [28, 28], units: 128, activation: 'relu' }), layers.dense({ units: 10, activation: 'softmax' })],
    });
    // The model can be described (summary shows the give-away shape)…
    const lines: string[] = [];
    m.summary(undefined, undefined, (l) => lines.push(l));
    assert.ok(
      lines.some((l) => l.includes('[null,28,128]')),
      'summary shows the per-row dense output',
    );
    m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    // …but not trained or used.
    await assert.rejects(
      m.fit(images(4), labels(4), { verbose: 0 }),
      isNormlab('shape', /\[null,28,128\]/, /layers\.flatten\(\{inputShape: \[28, 28\]\}\)/, /784/),
    );
    assert.throws(() => m.predict(images(2)), isNormlab('shape', /flatten/i));
  });

  it('labels 0–9 with a 5-unit output: says 5 units, the valid range [0, 5), and the fix', async () => {
    const m = sequential({ seed: 1, layers: [layers.flatten({ inputShape: [28, 28] }), layers.dense({ units: 5, activation: 'softmax' })] });
    m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const y = tensor(Uint8Array.of(0, 9, 3, 4), [4]);
    await assert.rejects(m.fit(images(4), y, { verbose: 0 }), isNormlab('labels', /5 units/, /\[0, 5\)/, /label value of 9/, /units: 10/));
    assert.throws(() => m.evaluate(images(4), y), isNormlab('labels', /5 units/));
    // The boundary: label 5 is already out of range for 5 units; label 4 is the last valid one.
    assert.throws(() => m.evaluate(images(2), tensor(Uint8Array.of(0, 5), [2])), isNormlab('labels', /label value of 5/, /\[0, 5\)/));
    assert.equal(typeof m.evaluateNumbers(images(2), tensor(Uint8Array.of(0, 4), [2])).loss, 'number');
  });

  it('wrong input shape: says what the model expects and how to reshape', () => {
    const m = sequential({ seed: 1, layers: [layers.dense({ inputShape: [784], units: 10, activation: 'softmax' })] });
    assert.throws(() => m.predict(images(3)), isNormlab('shape', /\[null,784\]/, /\[3,28,28\]/, /reshape\(\[-1, 784\]\)/));
  });

  it('one-hot labels with sparse CE, class indices with categorical CE, non-integer labels', () => {
    const m = sequential({ seed: 1, layers: [layers.dense({ inputShape: [3], units: 2, activation: 'softmax' })] });
    const x = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    assert.throws(
      () =>
        m.evaluate(
          x,
          tensor([
            [1, 0],
            [0, 1],
          ]),
        ),
      isNormlab('shape', /one-hot/, /categoricalCrossentropy/),
    );
    assert.throws(() => m.evaluate(x, tensor([0.5, 1])), isNormlab('labels', /whole numbers/));
    m.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    assert.throws(() => m.evaluate(x, tensor([0, 1])), isNormlab('shape', /oneHot\(y, 2\)/));
  });

  it('cross-entropy on probabilities needs a softmax output; linear output suggests fromLogits', () => {
    const m = sequential({ seed: 1, layers: [layers.dense({ inputShape: [3], units: 2 })] });
    assert.throws(() => m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' }), isNormlab('config', /softmax/, /fromLogits: true/));
    m.compile({ optimizer: 'adam', loss: losses.sparseCategoricalCrossentropy({ fromLogits: true }) });
    assert.deepEqual(m.lossSpec, { name: 'sparseCategoricalCrossentropy', fromLogits: true });
  });

  it('config mistakes: unknown loss / metric / activation, first layer without inputShape, zero units', () => {
    const m = sequential({ seed: 1, layers: [layers.dense({ inputShape: [3], units: 2, activation: 'softmax' })] });
    assert.throws(() => m.compile({ optimizer: 'adam', loss: 'crossentropy' }), isNormlab('config', /unknown loss/, /sparseCategoricalCrossentropy/));
    assert.throws(() => m.compile({ optimizer: 'adam', loss: 'mse', metrics: ['precision'] }), isNormlab('config', /unknown metric 'precision'/));
    assert.throws(() => layers.dense({ units: 3, activation: 'gelu' as never }), isNormlab('config', /unknown activation 'gelu'/));
    assert.throws(() => layers.dense({ units: 0 }), isNormlab('config', /positive whole number of units/));
    assert.throws(() => sequential({ layers: [layers.dense({ units: 3 })] }), isNormlab('config', /needs an inputShape/));
    // Loss aliases resolve to the tfjs names.
    m.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
    assert.equal(m.lossSpec?.name, 'sparseCategoricalCrossentropy');
    m.compile({ optimizer: 'adam', loss: 'mse' });
    assert.equal(m.lossSpec?.name, 'meanSquaredError');
  });

  it('evaluate needs a compiled model; x must be a Tensor', () => {
    const m = sequential({ seed: 1, layers: [layers.dense({ inputShape: [3], units: 2, activation: 'softmax' })] });
    assert.throws(() => m.evaluate(tensor([[1, 2, 3]]), tensor([0])), isNormlab('config', /compiled before evaluate/));
    assert.throws(() => m.predict([[1, 2, 3]] as never), isNormlab('input', /must be a normlab Tensor/, /an array of length 1/));
  });
});

describe('evaluate and predict', () => {
  // 4 → 5 tanh → 3 softmax, float64, checked against a computation written out here.
  const build = () => {
    const m = sequential({
      seed: 12,
      dtype: 'float64',
      layers: [layers.dense({ inputShape: [4], units: 5, activation: 'tanh', biasInitializer: 'ones' }), layers.dense({ units: 3, activation: 'softmax' })],
    });
    m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    return m;
  };
  const rnd = new TestRandom(8);
  const n = 7;
  const xs = Float64Array.from({ length: n * 4 }, () => rnd.uniform(-2, 2));
  const ys = Int32Array.from({ length: n }, () => rnd.int(3));
  const x = tensor(xs, [n, 4]);
  const y = tensor(ys, [n], 'int32');

  const manual = (m: Sequential) => {
    const [k0, b0, k1, b1] = m.getWeights().map((w) => w.dataSync());
    const probs: number[] = [];
    let lossSum = 0;
    let correct = 0;
    for (let r = 0; r < n; r++) {
      const h = Array.from({ length: 5 }, (_, u) => Math.tanh(b0[u] + [0, 1, 2, 3].reduce((s, i) => s + xs[r * 4 + i] * k0[i * 5 + u], 0)));
      const z = Array.from({ length: 3 }, (_, u) => b1[u] + h.reduce((s, hi, i) => s + hi * k1[i * 3 + u], 0));
      const e = z.map(Math.exp);
      const p = e.map((v) => v / e.reduce((a, b) => a + b, 0));
      probs.push(...p);
      lossSum -= Math.log(p[ys[r]]);
      if (p.indexOf(Math.max(...p)) === ys[r]) correct++;
    }
    return { probs, loss: lossSum / n, acc: correct / n };
  };

  it('predict returns [n, units] in the model dtype with the manually computed probabilities, for any batch size', () => {
    const m = build();
    const expected = manual(m);
    for (const batchSize of [1, 3, 32]) {
      const p = m.predict(x, { batchSize });
      assert.deepEqual(p.shape, [n, 3]);
      assert.equal(p.dtype, 'float64');
      assertClose(p.dataSync(), expected.probs, 1e-12, 1e-15, `predict, batchSize ${batchSize}`);
    }
  });

  it('evaluate returns [loss, acc] scalars equal to the manual mean loss and accuracy, for any batch size', () => {
    const m = build();
    const expected = manual(m);
    for (const batchSize of [2, 7, 100]) {
      const [loss, acc] = m.evaluate(x, y, { batchSize }) as Tensor[];
      assert.deepEqual(loss.shape, []);
      assertClose([loss.dataSync()[0]], [expected.loss], 1e-6, 0, `loss, batchSize ${batchSize}`); // float32 scalar, as tfjs
      assertClose([m.evaluateNumbers(x, y, { batchSize }).loss], [expected.loss], 1e-12, 0, 'evaluateNumbers');
      assert.equal(acc.dataSync()[0], Math.fround(expected.acc));
    }
    assert.ok(expected.acc > 0 && expected.acc < 1, 'a non-trivial accuracy makes the check meaningful');
  });

  it('without metrics, evaluate returns just the loss tensor', () => {
    const m = build();
    m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    const loss = m.evaluate(x, y);
    assert.ok(!Array.isArray(loss), 'a single tensor');
    assertClose([(loss as Tensor).dataSync()[0]], [manual(m).loss], 1e-6, 0, 'loss');
  });

  it('categoricalCrossentropy with oneHot labels gives the same loss as the sparse form', () => {
    const m = build();
    const sparse = m.evaluateNumbers(x, y).loss;
    m.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    assertClose([m.evaluateNumbers(x, oneHot(y, 3)).loss], [sparse], 1e-7, 0, 'categorical vs sparse');
  });
});

describe('weights', () => {
  it('getWeights / setWeights round-trip in tfjs order and shapes (kernel [in, units], bias [units])', () => {
    const m = labModel(3, 'float64');
    assert.deepEqual(
      m.getWeights().map((w) => w.shape),
      [[784, 128], [128], [128, 10], [10]],
    );
    const rnd = new TestRandom(3);
    const fresh = m.weightShapes().map((s) => Float64Array.from({ length: s.reduce((p, d) => p * d, 1) }, () => rnd.uniform(-1, 1)));
    m.setWeights(fresh);
    m.getWeights().forEach((w, i) => assert.deepEqual(w.dataSync(), fresh[i]));
    // Tensors from getWeights can be fed back (and into another model of the same shape).
    const other = labModel(4, 'float64');
    other.setWeights(m.getWeights());
    other.getWeights().forEach((w, i) => assert.deepEqual(w.dataSync(), fresh[i]));
    // Default initialisation: glorotUniform kernels within ±√(6/(fanIn+fanOut)), zero biases.
    const init = labModel(5).getWeights();
    const limit = Math.sqrt(6 / (784 + 128));
    assert.ok(
      init[0].dataSync().every((v) => Math.abs(v) <= limit),
      'glorot limit',
    );
    assert.ok(Math.max(...init[0].dataSync()) > 0.9 * limit, 'kernel uses the range');
    assert.ok(
      init[1].dataSync().every((v) => v === 0),
      'zero biases',
    );
  });

  it('setWeights refuses the wrong number of tensors or the wrong sizes', () => {
    const m = labModel();
    const w = m.getWeights();
    assert.throws(() => m.setWeights(w.slice(0, 3)), isNormlab('shape', /expects 4 tensors, got 3/));
    assert.throws(() => m.setWeights([w[0], w[1], w[1], w[3]]), isNormlab('shape', /weight 2 should have shape \[128,10\]/));
  });
});

describe('save and load', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    it(`${dtype}: save to a directory and load it back gives identical predictions and config`, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'normlab-engine-test-'));
      try {
        const m = labModel(6, dtype);
        m.compile({ optimizer: train.adam(0.003), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
        const x = images(6).div(255);
        await m.fit(x, labels(6), { epochs: 1, batchSize: 3, verbose: 0 });
        const paths = await m.save(`file://${dir}`);
        assert.equal(paths.modelJson, join(dir, 'model.json'));
        const loaded = await loadModel(`file://${join(dir, 'model.json')}`); // tfjs-style path to model.json
        assert.equal(loaded.dtype, dtype);
        assert.deepEqual(loaded.getConfig().layers, m.getConfig().layers);
        assert.deepEqual(loaded.optimizerSpec, m.optimizerSpec);
        assert.deepEqual(loaded.metricNames, ['acc']);
        assert.deepEqual(loaded.predict(x).dataSync(), m.predict(x).dataSync());
        loaded.getWeights().forEach((w, i) => assert.deepEqual(w.dataSync(), m.getWeights()[i].dataSync()));
        const bytes = (await readFile(paths.weightsBin)).byteLength;
        assert.equal(bytes, 101770 * (dtype === 'float64' ? 8 : 4));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }

  it('a truncated weights.bin is refused with a clear error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'normlab-engine-test-'));
    try {
      const m = labModel(7);
      const { weightsBin } = await m.save(dir);
      const bytes = await readFile(weightsBin);
      await writeFile(weightsBin, bytes.subarray(0, bytes.byteLength - 4));
      await assert.rejects(loadModel(dir), isNormlab('model-file', /has 407076 bytes, expected 407080/, /truncated/));
      await assert.rejects(loadModel(join(dir, 'missing')), isNormlab('model-file', /cannot read/));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('summary', () => {
  it('the lab model: 100480 and 1290 parameters, 101770 in total, tfjs-style shapes', () => {
    const m = labModel();
    const lines: string[] = [];
    m.summary(undefined, undefined, (l) => lines.push(l));
    const text = lines.join('\n');
    const row = (needle: string) => lines.find((l) => l.includes(needle)) ?? '';
    assert.match(row('(Flatten)'), /\[null,784\]\s+0\b/);
    assert.match(row('[null,128]'), /\(Dense\).*\[null,128\]\s+100480\b/);
    assert.match(row('[null,10]'), /\(Dense\).*\[null,10\]\s+1290\b/);
    assert.match(text, /Total params: 101770/);
    assert.match(text, /Trainable params: 101770/);
    assert.equal(m.countParams(), 101770);
    // useBias: false drops the bias parameters.
    const noBias = sequential({ layers: [layers.flatten({ inputShape: [28, 28] }), layers.dense({ units: 128, useBias: false })] });
    assert.equal(noBias.countParams(), 100352);
  });
});

describe('dtype', () => {
  it('float32 models keep float32-representable weights after training; float64 models do not round', async () => {
    const x = images(16).div(255);
    const y = labels(16);
    const results: Record<string, { w: Tensor[]; p: Tensor }> = {};
    for (const dtype of ['float32', 'float64'] as const) {
      const m = labModel(8, dtype);
      m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
      await m.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 });
      results[dtype] = { w: m.getWeights(), p: m.predict(x) };
    }
    const f32 = results.float32;
    const f64 = results.float64;
    for (const w of f32.w) {
      assert.equal(w.dtype, 'float32');
      assert.ok(w.dataSync() instanceof Float32Array, 'float32 storage');
    }
    assert.ok(f32.p.dataSync() instanceof Float32Array, 'float32 predictions');
    for (const w of f64.w) assert.ok(w.dataSync() instanceof Float64Array, 'float64 storage');
    assert.ok(f64.p.dataSync() instanceof Float64Array, 'float64 predictions');
    const notRepresentable = f64.w.reduce((c, w) => c + Array.from(w.dataSync()).filter((v) => Math.fround(v) !== v).length, 0);
    assert.ok(notRepresentable > 1000, `float64 weights use double precision (${notRepresentable} values)`);
    // Same seed, same data: the two precisions agree to float32 accuracy, but not exactly.
    assertClose(f32.p.dataSync(), f64.p.dataSync(), 1e-4, 1e-6, 'float32 vs float64 predictions');
    assert.notDeepEqual(Array.from(f32.p.dataSync()), Array.from(f64.p.dataSync()));
  });

  it('setWeights on a float32 model rounds to float32, as a float32 framework stores them', () => {
    const m = sequential({ seed: 1, layers: [layers.dense({ inputShape: [1], units: 1, useBias: false })] });
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    m.predict(tensor([[1]])); // the runner exists now
    m.setWeights([Float64Array.of(0.1)]);
    assert.equal(m.getWeights()[0].dataSync()[0], Math.fround(0.1));
    assert.notEqual(Math.fround(0.1), 0.1);
    assert.equal(m.predict(tensor([[1]])).dataSync()[0], Math.fround(0.1));
  });

  it('an unknown dtype is refused', () => {
    assert.throws(() => sequential({ dtype: 'float16' as never, layers: [] }), isNormlab('config', /float32' or 'float64/));
  });
});
