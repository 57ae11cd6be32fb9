/**
 * Helpers for the wasm backend tests: a fresh build of the kernels when the sources are newer than
 * build/normlab.wasm, Glorot-uniform initial weights from a seed, a seeded training loop driven through
 * the Backend interface (the same row order for every backend), and tolerance checks that say what
 * differed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Backend, InputSource, NetworkRunner, NetworkSpec, OptimizerSpec, TargetSource } from '../../../src/engine/backend.js';
import { Random } from '../../../src/engine/random.js';
import { loadWasmBackendSync, wasmFilePath, wasmMtFilePath } from '../../../src/engine/backends/wasm/node.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Build build/normlab.wasm and build/normlab-mt.wasm when missing or older than any kernel source. */
export function ensureWasmBuilt(): void {
  const sources = [
    join(root, 'src/engine/backends/wasm/layout.ts'),
    ...readdirSync(join(root, 'src/engine/backends/wasm/assembly')).map((f) => join(root, 'src/engine/backends/wasm/assembly', f)),
  ];
  const newest = Math.max(...sources.map((f) => statSync(f).mtimeMs));
  const fresh = (file: string) => existsSync(file) && statSync(file).mtimeMs >= newest;
  if (fresh(wasmFilePath()) && fresh(wasmMtFilePath())) return;
  const r = spawnSync(process.execPath, [join(root, 'scripts/build-wasm.mjs')], { stdio: 'inherit' });
  assert.equal(r.status, 0, 'scripts/build-wasm.mjs failed');
}

let wasm: Backend | undefined;
/** One wasm backend (instance) shared by the tests of a file, like a real process would. */
export function wasmBackend(): Backend {
  if (!wasm) {
    ensureWasmBuilt();
    // one thread: these tests compare the kernels with the reference; wasm-threads.test.ts compares
    // two threads with one
    wasm = loadWasmBackendSync({ threads: 1 });
  }
  return wasm;
}

/** Glorot-uniform kernels, zero biases (Keras' defaults), from `seed`. Biases get `biasNoise` if given. */
export function glorotWeights(spec: NetworkSpec, seed: number, biasNoise = 0): Float64Array[] {
  const rng = new Random(seed);
  const out: Float64Array[] = [];
  for (const l of spec.layers) {
    const limit = Math.sqrt(6 / (l.inputSize + l.units));
    out.push(Float64Array.from({ length: l.inputSize * l.units }, () => rng.uniform(-limit, limit)));
    if (l.useBias) out.push(Float64Array.from({ length: l.units }, () => (biasNoise ? rng.uniform(-biasNoise, biasNoise) : 0)));
  }
  return out;
}

/** uint8 "images": about `zeroFraction` zeros, the rest uniform in 1..255. */
export function randomBytes(rows: number, width: number, seed: number, zeroFraction = 0.5): Uint8Array {
  const rng = new Random(seed);
  return Uint8Array.from({ length: rows * width }, () => (rng.next() < zeroFraction ? 0 : 1 + Math.floor(rng.next() * 255)));
}

export function randomLabels(rows: number, classes: number, seed: number): Uint8Array {
  const rng = new Random(seed);
  return Uint8Array.from({ length: rows }, () => Math.floor(rng.next() * classes));
}

export function oneHot(labels: Uint8Array, classes: number, kind: 'float32' | 'float64' = 'float64'): Float32Array | Float64Array {
  const out = kind === 'float32' ? new Float32Array(labels.length * classes) : new Float64Array(labels.length * classes);
  labels.forEach((l, r) => (out[r * classes + l] = 1));
  return out;
}

export interface StepLog {
  /** mean loss of every batch, in order */
  losses: number[];
  /** correct predictions of every batch */
  correct: number[];
  /** mean loss of every epoch (sample-weighted over its batches) */
  epochLosses: number[];
}

/**
 * Train `epochs` epochs through the Backend interface with a seeded Fisher–Yates shuffle per epoch, so
 * every backend given the same seed sees the same rows in the same order.
 */
export function trainEpochs(
  net: NetworkRunner,
  id: number,
  rows: number,
  batchSize: number,
  epochs: number,
  seed: number,
  onEpoch?: (epoch: number) => void,
): StepLog {
  const rng = new Random(seed);
  const order = Int32Array.from({ length: rows }, (_, i) => i);
  const log: StepLog = { losses: [], correct: [], epochLosses: [] };
  for (let e = 0; e < epochs; e++) {
    rng.shuffle(order);
    let sum = 0;
    for (let s = 0; s < rows; s += batchSize) {
      const n = Math.min(batchSize, rows - s);
      const r = net.trainBatch(id, order.subarray(s, s + n), n);
      assert.equal(r.rows, n);
      log.losses.push(r.lossSum / n);
      log.correct.push(r.correct);
      sum += r.lossSum;
    }
    log.epochLosses.push(sum / rows);
    onEpoch?.(e);
  }
  return log;
}

/** Relative difference of two numbers (0 when both are equal, including both infinite). */
export function relDiff(a: number, b: number): number {
  if (a === b) return 0;
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-30);
}

/** Every pair within `rtol` relative; the message names the first index that is not. */
export function assertAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} ≠ ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    const d = relDiff(actual[i], expected[i]);
    if (!(d <= rtol) && !(Number.isNaN(actual[i]) && Number.isNaN(expected[i]))) {
      assert.fail(`${what}[${i}]: wasm ${actual[i]} vs reference ${expected[i]} (relative difference ${d.toExponential(2)} > ${rtol})`);
    }
  }
}

/** Normwise: max |a − e| ≤ rtol · max |e| (for tensors whose entries may be tiny or exactly zero). */
export function assertTensorClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} ≠ ${expected.length}`);
  let scale = 0;
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]));
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= worst)) {
      worst = d;
      at = i;
    }
  }
  if (!(worst <= rtol * Math.max(scale, 1e-300))) {
    assert.fail(
      `${what}[${at}]: wasm ${actual[at]} vs reference ${expected[at]}; max difference ${worst.toExponential(2)} > ${rtol} × max |value| ${scale.toExponential(2)}`,
    );
  }
}

export const TOLERANCE = { float64: 1e-5, float32: 1e-3 } as const;

export const OPTIMIZERS: Record<string, OptimizerSpec> = {
  sgd: { name: 'sgd', learningRate: 0.05, momentum: 0, nesterov: false },
  momentum: { name: 'sgd', learningRate: 0.02, momentum: 0.9, nesterov: false },
  nesterov: { name: 'sgd', learningRate: 0.02, momentum: 0.9, nesterov: true },
  adam: { name: 'adam', learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
  rmsprop: { name: 'rmsprop', learningRate: 0.005, rho: 0.9, momentum: 0, epsilon: 1e-7, centered: false },
  rmspropCenteredMomentum: { name: 'rmsprop', learningRate: 0.002, rho: 0.9, momentum: 0.8, epsilon: 1e-7, centered: true },
};

export interface PairOptions {
  spec: NetworkSpec;
  weights: Float64Array[];
  x: InputSource;
  y: TargetSource;
}

/** The same network on the reference and the wasm backend, with the same data loaded. */
export function makePair(reference: Backend, o: PairOptions) {
  const ref = reference.createNetwork(
    structuredClone(o.spec),
    o.weights.map((w) => w.slice()),
  );
  const wsm = wasmBackend().createNetwork(
    structuredClone(o.spec),
    o.weights.map((w) => w.slice()),
  );
  return { ref, wsm, refId: ref.loadData(o.x, o.y), wsmId: wsm.loadData(o.x, o.y) };
}
