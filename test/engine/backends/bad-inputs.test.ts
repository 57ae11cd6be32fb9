/**
 * Bad input is checked once, above the Backend interface (the model's checks, and the checked runner
 * every backend is handed out through, src/engine/backends/checked.ts), so the reference and the wasm
 * backend answer the same bad input with the same one-line NormlabError. The table runs each case on
 * both and compares what they say, word for word.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NormlabError } from '../../../src/errors.js';
import type { NetworkSpec, TargetSource } from '../../../src/engine/backend.js';
import { getBackend, registerBackend } from '../../../src/engine/backends/registry.js';
import { layers, sequential, tensor, tensor1d, tensor2d, type Sequential, type Tensor } from '../../../src/engine/index.js';
import { wasmBackend } from './wasm-helpers.js';

const BACKENDS = ['reference', 'wasm'] as const;

/** A small compiled model on `backend`: 4 inputs, 3 hidden units, 2 classes. */
function model(backend: string, loss = 'sparseCategoricalCrossentropy'): Sequential {
  const m = sequential({
    seed: 7,
    backend,
    layers: [layers.dense({ inputShape: [4], units: 3, activation: 'relu' }), layers.dense({ units: 2, activation: 'softmax' })],
  });
  m.compile({ optimizer: 'adam', loss, metrics: ['accuracy'] });
  return m;
}

const X = () => tensor2d([0, 1, 2, 3, 3, 2, 1, 0, 1, 1, 1, 1, 2, 0, 2, 0], [4, 4]);
const Y = () => tensor1d([0, 1, 0, 1]);
const quiet = { verbose: 0 as const };

/**
 * A bad input, and how it is answered: 'error' (the default), or 'propagates' for the non-finite values
 * normlab lets through on purpose (both backends must then compute the same non-finite places).
 */
type Case = [name: string, run: (backend: string) => unknown, answer?: 'error' | 'propagates'];

/** Bad input through the tfjs-style model API. */
const MODEL_CASES: Case[] = [
  ['fit: x has 5 features, the model 4', (b) => model(b).fit(tensor2d(new Array(20).fill(1), [4, 5]), Y(), quiet)],
  ['fit: x is 1-D', (b) => model(b).fit(tensor1d([1, 2, 3, 4]), Y(), quiet)],
  ['predict: x has 5 features', (b) => model(b).predict(tensor2d(new Array(10).fill(1), [2, 5]))],
  ['evaluate: x has 3 features', (b) => model(b).evaluate(tensor2d(new Array(12).fill(1), [4, 3]), Y())],
  ['fit: 4 samples, 3 labels', (b) => model(b).fit(X(), tensor1d([0, 1, 0]), quiet)],
  ['evaluate: 4 samples, 5 labels', (b) => model(b).evaluate(X(), tensor1d([0, 1, 0, 1, 0]))],
  ['fit: label 2 with 2 output units', (b) => model(b).fit(X(), tensor1d([0, 1, 2, 1]), quiet)],
  ['fit: negative label', (b) => model(b).fit(X(), tensor1d([0, -1, 0, 1]), quiet)],
  ['fit: fractional label', (b) => model(b).fit(X(), tensor1d([0, 0.5, 0, 1]), quiet)],
  ['fit: NaN label', (b) => model(b).fit(X(), tensor1d([0, NaN, 0, 1]), quiet)],
  ['fit: one-hot labels with the sparse loss', (b) => model(b).fit(X(), tensor2d([1, 0, 0, 1, 1, 0, 0, 1], [4, 2]), quiet)],
  ['fit: class indices with categoricalCrossentropy', (b) => model(b, 'categoricalCrossentropy').fit(X(), Y(), quiet)],
  ['fit: 3-wide targets for 2 output units', (b) => model(b, 'categoricalCrossentropy').fit(X(), tensor2d(new Array(12).fill(0), [4, 3]), quiet)],
  ['fit: batchSize 0', (b) => model(b).fit(X(), Y(), { ...quiet, batchSize: 0 })],
  ['fit: batchSize -1', (b) => model(b).fit(X(), Y(), { ...quiet, batchSize: -1 })],
  ['fit: batchSize 1.5', (b) => model(b).fit(X(), Y(), { ...quiet, batchSize: 1.5 })],
  ['predict: batchSize 0', (b) => model(b).predict(X(), { batchSize: 0 })],
  ['evaluate: batchSize NaN', (b) => model(b).evaluate(X(), Y(), { batchSize: NaN })],
  ['fit: epochs -1', (b) => model(b).fit(X(), Y(), { ...quiet, epochs: -1 })],
  ['fit: validationSplit 1', (b) => model(b).fit(X(), Y(), { ...quiet, validationSplit: 1 })],
  ['fit: validationData of the wrong width', (b) => model(b).fit(X(), Y(), { ...quiet, validationData: [tensor2d([1, 2, 3], [1, 3]), tensor1d([0])] })],
  ['fit: x is a plain array', (b) => model(b).fit([[0, 1, 2, 3]] as unknown as Tensor, Y(), quiet)],
  ['fit: no labels', (b) => model(b).fit(X(), undefined as unknown as Tensor, quiet)],
  ['fit: no samples', (b) => model(b).fit(tensor(new Float32Array(0), [0, 4]), tensor(new Float32Array(0), [0]), quiet)],
  ['fit: NaN in the inputs', (b) => model(b).fit(tensor2d([0, 1, 2, NaN, 3, 2, 1, 0, 1, 1, 1, 1, 2, 0, 2, 0], [4, 4]), Y(), quiet)],
  ['fit: Infinity in the inputs', (b) => model(b).fit(tensor2d([0, 1, 2, Infinity, 3, 2, 1, 0, 1, 1, 1, 1, 2, 0, 2, 0], [4, 4]), Y(), quiet)],
  ['predict: NaN in the inputs', (b) => model(b).predict(tensor2d([0, 1, 2, NaN, 0, 1, 2, 3], [2, 4]))],
  ['evaluate: inputs scaled by Infinity', (b) => model(b).evaluate(X().mul(Infinity), Y())],
  ['fit: NaN in one-hot targets', (b) => model(b, 'categoricalCrossentropy').fit(X(), tensor2d([1, 0, 0, 1, NaN, 0, 0, 1], [4, 2]), quiet)],
  ['evaluate: before compile', (b) => sequential({ backend: b, layers: [layers.dense({ inputShape: [4], units: 2 })] }).evaluate(X(), Y())],
  ['setWeights: 3 tensors for 4', (b) => model(b).setWeights(model(b).getWeights().slice(1))],
  ['setWeights: a kernel of the wrong size', (b) => model(b).setWeights([tensor2d([1, 2], [1, 2]), ...model(b).getWeights().slice(1)])],
  [
    'setWeights: NaN in a kernel, then predict',
    (b) => {
      const m = model(b);
      m.setWeights([tensor2d([NaN, ...new Array(11).fill(0.5)], [4, 3]), ...m.getWeights().slice(1)]);
      return m.predict(X());
    },
    'propagates',
  ],
];

const SPEC: NetworkSpec = {
  dtype: 'float32',
  layers: [
    { inputSize: 4, units: 3, activation: 'relu', useBias: true },
    { inputSize: 3, units: 2, activation: 'softmax', useBias: true },
  ],
  loss: { name: 'sparseCategoricalCrossentropy', fromLogits: false },
  optimizer: { name: 'sgd', learningRate: 0.1, momentum: 0, nesterov: false },
};
const WEIGHTS = () => [new Float64Array(12).fill(0.1), new Float64Array(3), new Float64Array(6).fill(-0.1), new Float64Array(2)];
const SOURCE = (rows = 4, inputSize = 4) => ({ values: new Float32Array(rows * inputSize).fill(1), rows, inputSize, transform: { a: 1, b: 0 } });
const LABELS = (rows = 4): TargetSource => ({ kind: 'sparse', labels: new Int32Array(rows), rows });
const runner = (b: string, spec: NetworkSpec = SPEC, weights = WEIGHTS()) => getBackend(b).createNetwork(spec, weights);
const ROWS = Int32Array.of(0, 1, 2, 3);

/** Bad input straight to the Backend interface (as the lab's curvature and plane analyses use it). */
const RUNNER_CASES: Case[] = [
  ['createNetwork: no layers', (b) => runner(b, { ...SPEC, layers: [] }, [])],
  ['createNetwork: a layer of 0 units', (b) => runner(b, { ...SPEC, layers: [{ ...SPEC.layers[0], units: 0 }, SPEC.layers[1]] })],
  ['createNetwork: layers that do not chain', (b) => runner(b, { ...SPEC, layers: [SPEC.layers[0], { ...SPEC.layers[1], inputSize: 5 }] }, [])],
  ['createNetwork: unknown activation', (b) => runner(b, { ...SPEC, layers: [{ ...SPEC.layers[0], activation: 'swish' as never }, SPEC.layers[1]] })],
  ['createNetwork: unknown dtype', (b) => runner(b, { ...SPEC, dtype: 'float16' as never })],
  ['createNetwork: 3 weight tensors for 4', (b) => runner(b, SPEC, WEIGHTS().slice(1))],
  ['createNetwork: a bias of the wrong size', (b) => runner(b, SPEC, [new Float64Array(12), new Float64Array(4), new Float64Array(6), new Float64Array(2)])],
  ['setWeights: 3 tensors for 4', (b) => runner(b).setWeights(WEIGHTS().slice(1))],
  ['setWeights: a kernel of the wrong size', (b) => runner(b).setWeights([new Float64Array(11), ...WEIGHTS().slice(1)])],
  ['loadData: 5 values per row for 4 inputs', (b) => runner(b).loadData(SOURCE(4, 5), LABELS())],
  ['loadData: fewer values than rows × inputs', (b) => runner(b).loadData({ ...SOURCE(), values: new Float32Array(15) }, LABELS())],
  ['loadData: 4 rows, 3 labels', (b) => runner(b).loadData(SOURCE(), LABELS(3))],
  ['loadData: label 2 for 2 output units', (b) => runner(b).loadData(SOURCE(), { kind: 'sparse', labels: Int32Array.of(0, 1, 2, 0), rows: 4 })],
  ['loadData: dense targets 3 wide for 2 units', (b) => runner(b).loadData(SOURCE(), { kind: 'dense', values: new Float32Array(12), rows: 4, width: 3 })],
  [
    'trainBatch: data loaded without targets',
    (b) => {
      const r = runner(b);
      r.trainBatch(r.loadData(SOURCE()), ROWS, 4);
    },
  ],
  ['trainBatch: an unknown data id', (b) => runner(b).trainBatch(12345, ROWS, 4)],
  [
    'trainBatch: a row index past the data',
    (b) => {
      const r = runner(b);
      r.trainBatch(r.loadData(SOURCE(), LABELS()), Int32Array.of(0, 1, 2, 4), 4);
    },
  ],
  [
    'evaluate: more rows asked than the index array holds',
    (b) => {
      const r = runner(b);
      r.evaluate(r.loadData(SOURCE(), LABELS()), ROWS, 5);
    },
  ],
  [
    'predict: a count of 0',
    (b) => {
      const r = runner(b);
      r.predict(r.loadData(SOURCE()), ROWS, 0);
    },
  ],
  [
    'evaluate: after dispose',
    (b) => {
      const r = runner(b);
      const id = r.loadData(SOURCE(), LABELS());
      r.dispose();
      r.evaluate(id, ROWS, 4);
    },
  ],
];

/** Where a result tensor holds NaN and ±Infinity, e.g. 'NaN at 0,1; finite 6'. */
function nonFinitePlaces(result: unknown): string {
  const values = Array.from((result as Tensor).dataSync());
  const at = (test: (v: number) => boolean) => values.flatMap((v, i) => (test(v) ? [i] : [])).join(',');
  return `NaN at ${at(Number.isNaN)}; Infinity at ${at((v) => Math.abs(v) === Infinity)}; finite ${values.filter(Number.isFinite).length}`;
}

/** What a call said: a NormlabError's code and one-line text, or the raw error (which fails the test). */
async function outcome(run: () => unknown): Promise<string> {
  try {
    const result = await run();
    return result && typeof result === 'object' && 'dataSync' in result ? `no error: ${nonFinitePlaces(result)}` : 'no error';
  } catch (error) {
    if (error instanceof NormlabError) return `${error.code}: ${error.describe()}`;
    return `RAW ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`;
  }
}

describe('bad input: the reference and the wasm backend say the same thing', () => {
  before(() => {
    const wasm = wasmBackend();
    registerBackend('wasm', () => wasm);
  });

  for (const [title, cases] of [
    ['through the model API', MODEL_CASES],
    ['straight to the Backend interface', RUNNER_CASES],
  ] as const) {
    it(title, async () => {
      const differences: string[] = [];
      for (const [name, run, answer = 'error'] of cases) {
        const [reference, wasm] = [await outcome(() => run(BACKENDS[0])), await outcome(() => run(BACKENDS[1]))];
        const answered = (said: string) => (answer === 'error' ? !said.startsWith('no error') && !said.startsWith('RAW') : /^no error: NaN at \d/.test(said));
        const problems = [
          reference !== wasm ? `backends differ:\n    reference: ${reference}\n    wasm:      ${wasm}` : '',
          answered(reference) ? '' : `reference: expected ${answer === 'error' ? 'a NormlabError' : 'NaN in the result'}, got ${reference}`,
          answered(wasm) ? '' : `wasm: expected ${answer === 'error' ? 'a NormlabError' : 'NaN in the result'}, got ${wasm}`,
        ].filter(Boolean);
        if (problems.length) differences.push(`${name}: ${problems.join('; ')}`);
        else if (process.env.NORMLAB_SHOW_ERRORS) console.log(`${name}\n    ${reference}`);
      }
      assert.deepEqual(differences, [], differences.join('\n'));
    });
  }
});
