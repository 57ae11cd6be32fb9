/**
 * Two-thread training of the wasm backend (Node): a network whose batches are shared between the main
 * thread and a helper worker thread must give bit-identical per-step losses, accuracies, weights,
 * evaluations, predictions and traces to the one-thread kernels — for every optimizer, activation,
 * dtype, loss, input kind and transform, odd batch sizes and layer widths that are not a multiple of the
 * SIMD width, with the barriers spinning and with them sleeping — and so must the optimizer state. Also: the measuring policy, the
 * `threads` option, worker threads and the permission model falling back to one thread, and processes
 * exiting cleanly with a helper thread alive.
 *
 * Run with `node scripts/run-tests.mjs wasm-threads`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import ts from 'typescript';
import type { DType, InputSource, NetworkRunner, NetworkSpec, TargetSource } from '../../../src/engine/backend.js';
import { kernelsFromInstance, wasmBackendFromKernels } from '../../../src/engine/backends/wasm/index.js';
import { loadWasmBackendSync, loadWasmModuleSync, wantsTwoThreads, wasmMtFilePath } from '../../../src/engine/backends/wasm/node.js';
import { splitOffset } from '../../../src/engine/backends/wasm/runner.js';
import { BASE_PERIOD, MAX_PERIOD, SplitPolicy, WINDOW } from '../../../src/engine/backends/wasm/split-policy.js';
import { createThreadedKernels } from '../../../src/engine/backends/wasm/threads.js';
import { isNormlabError } from '../../../src/errors.js';
import { layoutWeights } from '../helpers.js';
import { OPTIMIZERS, ensureWasmBuilt, glorotWeights, oneHot, randomBytes, randomLabels, trainEpochs } from './wasm-helpers.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
ensureWasmBuilt();
const mtModule = new WebAssembly.Module(readFileSync(wasmMtFilePath()));
const single = loadWasmBackendSync({ threads: 1 });

/** A backend whose networks split every batch they can, with a handle on its helper thread. */
function threadedBackend(spinPolls?: number) {
  const threaded = createThreadedKernels(mtModule, 'always', spinPolls);
  const backend = wasmBackendFromKernels(kernelsFromInstance(new WebAssembly.Instance(loadWasmModuleSync(), {})), () => threaded);
  return { backend, helper: threaded.split };
}
const spinning = threadedBackend();
/** Every wait at a barrier sleeps (futex) instead of polling first: the other code path. */
const sleeping = threadedBackend(0);

/** Exact equality, element by element (NaN equals NaN); the message names the first difference. */
function assertBitIdentical(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} ≠ ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) assert.fail(`${what}[${i}]: two threads ${actual[i]} vs one thread ${expected[i]}`);
  }
}

async function roundsReach(helper: typeof spinning.helper, expected: number): Promise<number> {
  // The helper counts a batch just after thread 0 returns from it, so wait for the count, not for a set
  // time (a busy machine can keep the helper thread off the CPU for a while); a minute means it is stuck.
  const giveUp = Date.now() + 60_000;
  while (helper.status().rounds < expected && Date.now() < giveUp) await new Promise((r) => setTimeout(r, 5));
  return helper.status().rounds;
}

interface Case {
  spec: NetworkSpec;
  x: InputSource;
  y: TargetSource;
  batch?: number;
  epochs?: number;
  sleeping?: boolean;
  /** Between epochs, on both networks (setLearningRate, resetOptimizer, …). */
  between?: (net: NetworkRunner, epoch: number) => void;
}

/** Train the same network on one and on two threads; everything observable must be bit-identical. */
async function assertSameOnTwoThreads(c: Case): Promise<void> {
  const staged = c.spec.layers.some((l) => (l.stages ?? []).length > 0);
  const weights = staged ? layoutWeights(c.spec, 5) : glorotWeights(c.spec, 5, 0.1);
  const { backend, helper } = c.sleeping ? sleeping : spinning;
  const one = single.createNetwork(
    structuredClone(c.spec),
    weights.map((w) => w.slice()),
  );
  const two = backend.createNetwork(
    structuredClone(c.spec),
    weights.map((w) => w.slice()),
  );
  try {
    const oneId = one.loadData(c.x, c.y);
    const twoId = two.loadData(c.x, c.y);
    const splits = splitOffset(c.spec) > 0;
    if (splits) assert.ok(await helper.whenReady(), 'the helper thread did not start');
    const rounds = helper.status().rounds;
    const rows = c.x.rows;
    const batch = c.batch ?? 32;
    const epochs = c.epochs ?? 2;
    const a = trainEpochs(one, oneId, rows, batch, epochs, 11, (e) => c.between?.(one, e));
    const b = trainEpochs(two, twoId, rows, batch, epochs, 11, (e) => c.between?.(two, e));
    assertBitIdentical(b.losses, a.losses, 'per-step mean loss');
    assert.deepEqual(b.correct, a.correct, 'per-step correct counts');
    const wa = one.getWeights();
    const wb = two.getWeights();
    wa.forEach((w, i) => assertBitIdentical(wb[i], w, `weight tensor ${i}`));
    // the optimizer state too (a splitting network stores the first layer's in two blocks, one per thread)
    const sa = one.optimizerSlots!();
    const sb = two.optimizerSlots!();
    assert.deepEqual(
      sb.map((t) => [t.tensor, t.slots.length]),
      sa.map((t) => [t.tensor, t.slots.length]),
      'optimizer state tensors and slots',
    );
    sa.forEach((t, i) => t.slots.forEach((slot, k) => assertBitIdentical(sb[i].slots[k], slot, `optimizer state of tensor ${t.tensor}, slot ${k}`)));
    // the batches really were shared (or, for a network that cannot split, none was)
    const batches = epochs * Math.ceil(rows / batch);
    assert.equal((await roundsReach(helper, rounds + (splits ? batches : 0))) - rounds, splits ? batches : 0, 'batches shared by the helper thread');

    const all = Int32Array.from({ length: rows }, (_, i) => rows - 1 - i);
    const ea = one.evaluate(oneId, all, rows);
    const eb = two.evaluate(twoId, all, rows);
    assert.deepEqual(eb, ea, 'evaluate');
    assertBitIdentical(two.predict(twoId, all, rows), one.predict(oneId, all, rows), 'predict');
    const some = all.subarray(0, Math.min(19, rows));
    const ta = one.trace(oneId, some, some.length);
    const tb = two.trace(twoId, some, some.length);
    ta.gradients.forEach((g, i) => assertBitIdentical(tb.gradients[i], g, `trace gradient ${i}`));
    ta.activations.forEach((v, l) => assertBitIdentical(tb.activations[l], v, `trace activations ${l}`));
    assertBitIdentical(tb.losses, ta.losses, 'trace losses');
  } finally {
    one.dispose();
    two.dispose();
  }
}

const ROWS = 100; // batches of 32, 32, 32 and a partial 4
const bytes = randomBytes(ROWS, 70, 1);
const labels = randomLabels(ROWS, 10, 2);
const scaled: InputSource = { values: bytes, rows: ROWS, inputSize: 70, transform: { a: 1 / 255, b: 0 } };
const sparse: TargetSource = { kind: 'sparse', labels, rows: ROWS };

function net(dtype: DType, hidden: NetworkSpec['layers'][number]['activation'], units: number, optimizer = OPTIMIZERS.adam): NetworkSpec {
  return {
    dtype,
    layers: [
      { inputSize: 70, units, activation: hidden, useBias: true },
      { inputSize: units, units: 10, activation: 'softmax', useBias: true },
    ],
    loss: { name: 'sparseCategoricalCrossentropy', fromLogits: false },
    optimizer,
  };
}

const DTYPES: DType[] = ['float32', 'float64'];

describe('wasm two threads: bit-identical to one thread', () => {
  for (const dtype of DTYPES) {
    for (const [name, optimizer] of Object.entries(OPTIMIZERS)) {
      test(`${dtype} ${name}, relu, 37 units`, () => assertSameOnTwoThreads({ spec: net(dtype, 'relu', 37, optimizer), x: scaled, y: sparse }));
    }
    for (const act of ['sigmoid', 'tanh', 'linear'] as const) {
      test(`${dtype} adam, ${act} first layer`, () => assertSameOnTwoThreads({ spec: net(dtype, act, 37), x: scaled, y: sparse }));
    }
    for (const units of [5, 130]) {
      test(`${dtype} width ${units} (not a multiple of the SIMD width)`, () =>
        assertSameOnTwoThreads({ spec: net(dtype, 'relu', units), x: scaled, y: sparse }));
    }
    test(`${dtype} a first layer too narrow to split runs on one thread`, () => assertSameOnTwoThreads({ spec: net(dtype, 'relu', 1), x: scaled, y: sparse }));
    test(`${dtype} odd batch sizes 7 and 1`, async () => {
      await assertSameOnTwoThreads({ spec: net(dtype, 'relu', 37), x: scaled, y: sparse, batch: 7 });
      await assertSameOnTwoThreads({ spec: net(dtype, 'tanh', 12), x: { ...scaled, rows: 9 }, y: { ...sparse, rows: 9 }, batch: 1 });
    });
    test(`${dtype} transforms with an offset (fused colsum): [-1, 1] and standardize`, async () => {
      await assertSameOnTwoThreads({ spec: net(dtype, 'relu', 37), x: { ...scaled, transform: { a: 2 / 255, b: -1 } }, y: sparse });
      await assertSameOnTwoThreads({ spec: net(dtype, 'sigmoid', 37, OPTIMIZERS.momentum), x: { ...scaled, transform: { a: 1 / 80, b: -0.4 } }, y: sparse });
    });
    test(`${dtype} float inputs (float32 and float64 arrays)`, async () => {
      const f32 = Float32Array.from(bytes, (v) => v / 255);
      await assertSameOnTwoThreads({ spec: net(dtype, 'relu', 37), x: { values: f32, rows: ROWS, inputSize: 70, transform: { a: 1, b: 0 } }, y: sparse });
      const f64 = Float64Array.from(bytes, (v) => v / 127.5 - 1);
      await assertSameOnTwoThreads({ spec: net(dtype, 'tanh', 37), x: { values: f64, rows: ROWS, inputSize: 70, transform: { a: 0.5, b: 0.1 } }, y: sparse });
    });
    test(`${dtype} three and four layers`, async () => {
      const deep: NetworkSpec = {
        dtype,
        layers: [
          { inputSize: 70, units: 40, activation: 'relu', useBias: true },
          { inputSize: 40, units: 24, activation: 'tanh', useBias: true },
          { inputSize: 24, units: 10, activation: 'softmax', useBias: true },
        ],
        loss: { name: 'sparseCategoricalCrossentropy', fromLogits: false },
        optimizer: OPTIMIZERS.rmspropCenteredMomentum,
      };
      await assertSameOnTwoThreads({ spec: deep, x: scaled, y: sparse });
      const deeper = structuredClone(deep);
      deeper.layers.splice(1, 0, { inputSize: 40, units: 40, activation: 'sigmoid', useBias: false });
      deeper.optimizer = OPTIMIZERS.nesterov;
      await assertSameOnTwoThreads({ spec: deeper, x: scaled, y: sparse, sleeping: true });
    });
    test(`${dtype} other losses: MSE, categorical one-hot, from logits; no biases; per-tensor scales`, async () => {
      const mse = net(dtype, 'relu', 37);
      mse.layers[1] = { inputSize: 37, units: 3, activation: 'linear', useBias: true };
      mse.loss = { name: 'meanSquaredError', fromLogits: false };
      const targets = Float64Array.from({ length: ROWS * 3 }, (_, i) => Math.sin(i));
      await assertSameOnTwoThreads({ spec: mse, x: scaled, y: { kind: 'dense', values: targets, rows: ROWS, width: 3 } });
      const categorical = net(dtype, 'relu', 37);
      categorical.loss = { name: 'categoricalCrossentropy', fromLogits: false };
      await assertSameOnTwoThreads({ spec: categorical, x: scaled, y: { kind: 'dense', values: oneHot(labels, 10, 'float32'), rows: ROWS, width: 10 } });
      const logits = net(dtype, 'relu', 37);
      logits.layers[1].activation = 'linear';
      logits.loss = { name: 'sparseCategoricalCrossentropy', fromLogits: true };
      logits.layers.forEach((l) => (l.useBias = false));
      await assertSameOnTwoThreads({ spec: logits, x: scaled, y: sparse });
      const scales = net(dtype, 'relu', 37, {
        ...OPTIMIZERS.adam,
        paramScales: [
          { lr: 0.5, epsilon: 3 },
          { lr: 2, epsilon: 1 },
          { lr: 1, epsilon: 0.5 },
        ],
      });
      await assertSameOnTwoThreads({ spec: scales, x: scaled, y: sparse });
    });
    test(`${dtype} batch norm and dropout after the first dense layer split by features; stages on the input and clipping stay on one thread`, async () => {
      const bn = { kind: 'batchNorm' as const, momentum: 0.9, epsilon: 1e-3, center: true, scale: true };
      const after = net(dtype, 'relu', 37);
      after.layers[1].stages = [bn];
      await assertSameOnTwoThreads({ spec: after, x: scaled, y: sparse });
      const both = net(dtype, 'tanh', 130, OPTIMIZERS.momentum);
      both.layers[1].stages = [
        { ...bn, center: false },
        { kind: 'dropout', rate: 0.3, seed: 4 },
      ];
      await assertSameOnTwoThreads({ spec: both, x: scaled, y: sparse, sleeping: true });
      const first = net(dtype, 'relu', 37);
      first.layers[0].stages = [bn];
      assert.equal(splitOffset(first), 0);
      await assertSameOnTwoThreads({ spec: first, x: scaled, y: sparse });
      const clipped = net(dtype, 'relu', 37, { ...OPTIMIZERS.adam, clipnorm: 0.1 });
      assert.equal(splitOffset(clipped), 0);
      await assertSameOnTwoThreads({ spec: clipped, x: scaled, y: sparse });
    });
    test(`${dtype} learning-rate change and optimizer reset between epochs`, () =>
      assertSameOnTwoThreads({
        spec: net(dtype, 'relu', 37),
        x: scaled,
        y: sparse,
        epochs: 3,
        between: (n, epoch) => (epoch === 0 ? n.setLearningRate(0.003) : n.resetOptimizer()),
      }));
    test(`${dtype} the lab model's shape (784 → 128 relu → 10 softmax), spinning and sleeping barriers`, async () => {
      const lab: NetworkSpec = {
        dtype,
        layers: [
          { inputSize: 784, units: 128, activation: 'relu', useBias: true },
          { inputSize: 128, units: 10, activation: 'softmax', useBias: true },
        ],
        loss: { name: 'sparseCategoricalCrossentropy', fromLogits: false },
        optimizer: { ...OPTIMIZERS.adam, learningRate: 0.001 },
      };
      const x: InputSource = { values: randomBytes(200, 784, 3), rows: 200, inputSize: 784, transform: { a: 1 / 255, b: 0 } };
      const y: TargetSource = { kind: 'sparse', labels: randomLabels(200, 10, 4), rows: 200 };
      await assertSameOnTwoThreads({ spec: lab, x, y });
      await assertSameOnTwoThreads({ spec: lab, x, y, sleeping: true });
    });
  }
});

describe('wasm two threads: SplitPolicy', () => {
  /** Feed the policy `batches` batches of 32 rows that take `two` / `one` time units per row. */
  function feed(policy: SplitPolicy, batches: number, two: number, one: number): boolean[] {
    const choices: boolean[] = [];
    for (let i = 0; i < batches; i++) {
      const wantsTwo = policy.wantsTwo();
      choices.push(wantsTwo);
      policy.record(wantsTwo, 32, 32 * (wantsTwo ? two : one));
    }
    return choices;
  }

  test("'always' asks for two threads every batch and keeps no timing", () => {
    const policy = new SplitPolicy('always');
    assert.ok(feed(policy, 100, 5, 1).every(Boolean));
    assert.equal(policy.comparisons, 0);
  });

  test('auto keeps two threads while they are faster, timing one thread only briefly', () => {
    const policy = new SplitPolicy('auto');
    const choices = feed(policy, 2 * WINDOW + BASE_PERIOD, 0.6, 1);
    assert.equal(policy.comparisons, 1);
    assert.equal(policy.twoThreadWins, 1);
    assert.deepEqual(choices.slice(0, WINDOW), new Array(WINDOW).fill(true));
    assert.deepEqual(choices.slice(WINDOW, 2 * WINDOW), new Array(WINDOW).fill(false));
    assert.ok(choices.slice(2 * WINDOW).every(Boolean), 'two threads for the whole period after winning');
    // the same winner again: the period doubles, so the one-thread windows become rarer
    feed(policy, 2 * WINDOW + 2 * BASE_PERIOD, 0.6, 1);
    assert.equal(policy.comparisons, 2);
    const later = feed(policy, 40_000, 0.6, 1);
    const oneThreadShare = later.filter((c) => !c).length / later.length;
    assert.ok(oneThreadShare < WINDOW / MAX_PERIOD + 0.01, `one thread in ${(100 * oneThreadShare).toFixed(1)}% of batches`);
  });

  test('auto falls back to one thread when two are slower (an oversubscribed machine), and returns', () => {
    const policy = new SplitPolicy('auto');
    feed(policy, 2 * WINDOW, 3, 1);
    assert.equal(policy.twoThreadWins, 0);
    const run = feed(policy, BASE_PERIOD, 3, 1);
    assert.ok(
      run.every((c) => !c),
      'one thread for the period after losing',
    );
    // the machine becomes quiet: the next comparison switches back, and the period starts over
    feed(policy, 2 * WINDOW, 0.5, 1);
    assert.equal(policy.twoThreadWins, 1);
    assert.ok(feed(policy, BASE_PERIOD, 0.5, 1).every(Boolean));
  });

  test('two threads must win by the margin; batches that could not use two threads do not count', () => {
    const policy = new SplitPolicy('auto');
    feed(policy, 2 * WINDOW, 0.98, 1);
    assert.equal(policy.twoThreadWins, 0, 'a 2% gain is not worth twice the CPU');
    const starting = new SplitPolicy('auto');
    for (let i = 0; i < 100; i++) starting.record(false, 32, 32); // helper still starting
    assert.ok(starting.wantsTwo(), 'still waiting to time two threads');
    assert.equal(starting.comparisons, 0);
  });
});

describe('wasm two threads: when a run uses them', () => {
  test('threads: auto on the main thread trains identically to one thread (lab shape)', () => {
    const spec: NetworkSpec = {
      dtype: 'float32',
      layers: [
        { inputSize: 784, units: 128, activation: 'relu', useBias: true },
        { inputSize: 128, units: 10, activation: 'softmax', useBias: true },
      ],
      loss: { name: 'sparseCategoricalCrossentropy', fromLogits: false },
      optimizer: OPTIMIZERS.adam,
    };
    const weights = glorotWeights(spec, 9);
    const x: InputSource = { values: randomBytes(640, 784, 5), rows: 640, inputSize: 784, transform: { a: 1 / 255, b: 0 } };
    const y: TargetSource = { kind: 'sparse', labels: randomLabels(640, 10, 6), rows: 640 };
    const logs = ([1, 'auto'] as const).map((threads) => {
      const n = loadWasmBackendSync({ threads }).createNetwork(
        spec,
        weights.map((w) => w.slice()),
      );
      try {
        return { log: trainEpochs(n, n.loadData(x, y), 640, 32, 3, 2), weights: n.getWeights() };
      } finally {
        n.dispose();
      }
    });
    assertBitIdentical(logs[1].log.losses, logs[0].log.losses, 'per-step loss');
    logs[0].weights.forEach((w, i) => assertBitIdentical(logs[1].weights[i], w, `weight tensor ${i}`));
  });

  test('the threads option and NORMLAB_WASM_THREADS are validated', () => {
    assert.throws(
      () => loadWasmBackendSync({ threads: 3 as never }),
      (e: unknown) => isNormlabError(e) && /threads must be/.test(e.message),
    );
    const saved = process.env.NORMLAB_WASM_THREADS;
    try {
      process.env.NORMLAB_WASM_THREADS = 'four';
      assert.throws(
        () => loadWasmBackendSync(),
        (e: unknown) => isNormlabError(e) && /NORMLAB_WASM_THREADS/.test(e.message),
      );
      process.env.NORMLAB_WASM_THREADS = '1';
      assert.ok(loadWasmBackendSync());
    } finally {
      if (saved === undefined) delete process.env.NORMLAB_WASM_THREADS;
      else process.env.NORMLAB_WASM_THREADS = saved;
    }
    assert.equal(wantsTwoThreads(1), false);
  });

  test("inside a worker thread (the pool's runs), auto stays on one thread; 2 is still honoured", async () => {
    const url = new URL('../../../src/engine/backends/wasm/node.ts', import.meta.url).href;
    const code = `
      const { parentPort } = require('node:worker_threads');
      import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url)}); })
        .then((m) => parentPort.postMessage({ auto: m.wantsTwoThreads('auto'), two: m.wantsTwoThreads(2) }));`;
    const worker = new Worker(code, { eval: true });
    const answer = await new Promise<{ auto: boolean; two: boolean }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    assert.deepEqual(answer, { auto: false, two: true });
  });
});

/** Run the child fixture; returns its JSON answer (after checking it exited by itself, with 0). */
function runChild(args: string[], nodeArgs: string[] = ['--import', 'tsx'], script = join(root, 'test/engine/backends/fixtures/threads-child.ts')) {
  const started = performance.now();
  const r = spawnSync(process.execPath, [...nodeArgs, script, ...args], { encoding: 'utf8', timeout: 60_000, cwd: root });
  const seconds = (performance.now() - started) / 1000;
  assert.equal(r.signal, null, `child ${args.join(' ')} was killed (${r.signal}) after ${seconds.toFixed(1)} s: it did not exit by itself`);
  assert.equal(r.status, 0, `child ${args.join(' ')} failed:\n${r.stderr}`);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as { losses: number[]; twoPossible: boolean; rounds: number };
}

/**
 * The fixture and every module it imports, transpiled to plain JavaScript in a temporary folder (with
 * the compiled kernels), so it can run without tsx — which needs a worker thread of its own, and the
 * permission model forbids those.
 */
function plainJsCopy(dir: string): string {
  const queue = [join(root, 'test/engine/backends/fixtures/threads-child.ts')];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const js = ts.transpileModule(readFileSync(file, 'utf8'), {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, isolatedModules: true },
    }).outputText;
    const out = join(dir, relative(root, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, js);
    for (const { fileName } of ts.preProcessFile(js, true, true).importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const target = resolve(dirname(file), fileName).replace(/\.js$/, '.ts');
      if (existsSync(target)) queue.push(target);
    }
  }
  writeFileSync(join(dir, 'package.json'), '{"type": "module"}\n');
  mkdirSync(join(dir, 'build'));
  for (const name of readdirSync(join(root, 'build'))) if (name.endsWith('.wasm')) copyFileSync(join(root, 'build', name), join(dir, 'build', name));
  return join(dir, 'test/engine/backends/fixtures/threads-child.js');
}

describe('wasm two threads: processes', () => {
  let expected: ReturnType<typeof runChild>;
  before(() => {
    expected = runChild(['1', 'return']);
  });

  for (const end of ['return', 'exit', 'dispose'] as const) {
    test(`a process with a helper thread exits by itself (${end === 'return' ? 'main module just ends' : end === 'exit' ? 'process.exit()' : 'network disposed'})`, () => {
      const answer = runChild(['2', end]);
      assert.ok(answer.twoPossible);
      assert.ok(answer.rounds > 0, 'the helper thread shared no batch');
      assertBitIdentical(answer.losses, expected.losses, 'per-step loss sums');
    });
  }

  test('under the permission model without --allow-worker (the grader): one thread, same numbers', () => {
    const dir = mkdtempSync(join(tmpdir(), 'normlab-threads-'));
    try {
      const script = plainJsCopy(dir);
      const answer = runChild(['2', 'return'], ['--experimental-permission', `--allow-fs-read=${dir}`, '--disable-warning=ExperimentalWarning'], script);
      assert.equal(answer.twoPossible, false);
      assert.equal(answer.rounds, 0);
      assertBitIdentical(answer.losses, expected.losses, 'per-step loss sums');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
