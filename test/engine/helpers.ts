/**
 * Small, independent helpers for the engine tests: a seeded number source for test data (deliberately
 * not the engine's own Random), and comparisons. (Real Fashion-MNIST: `fashion()` in ../shared-data.ts.)
 */
import { after, before } from 'node:test';
import type { Affine, DType, DenseSpec, LossSpec, NetworkRunner, OptimizerSpec, TargetSource } from '../../src/engine/backend.js';
import { weightLayout, type NetworkSpec } from '../../src/engine/backend.js';
import { referenceBackend } from '../../src/engine/backends/reference/index.js';

/** A seeded uniform source for test data (xorshift32), independent of the engine's generator. */
export class TestRandom {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    this.s = x;
    return x / 4294967296;
  }
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  array(n: number, lo: number, hi: number): Float64Array {
    return Float64Array.from({ length: n }, () => this.uniform(lo, hi));
  }
}

/** |a − b| / max(|a|, |b|), 0 when both are 0. */
export function relDiff(a: number, b: number): number {
  const m = Math.max(Math.abs(a), Math.abs(b));
  return m === 0 ? 0 : Math.abs(a - b) / m;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** Every element within `rel` of the expected value, relative to the larger magnitude, plus `abs`. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rel: number, abs: number, what: string): void {
  if (actual.length !== expected.length) throw new Error(`${what}: length ${actual.length}, expected ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    const tol = rel * Math.max(Math.abs(a), Math.abs(e)) + abs;
    if (!(Math.abs(a - e) <= tol)) {
      throw new Error(`${what}[${i}]: got ${a}, expected ${e} (difference ${Math.abs(a - e)}, tolerance ${tol})`);
    }
  }
}

/** All rows 0..n-1 as the Int32Array the runner wants. */
export function allRows(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i);
}

export interface NetSetup {
  dtype?: DType;
  layers: DenseSpec[];
  loss: LossSpec;
  optimizer?: OptimizerSpec;
}

/** A reference-backend runner with the given weights (default optimizer: plain SGD 0.1). */
export function makeRunner(setup: NetSetup, weights: Float64Array[]): NetworkRunner {
  return referenceBackend.createNetwork(
    {
      dtype: setup.dtype ?? 'float64',
      layers: setup.layers,
      loss: setup.loss,
      optimizer: setup.optimizer ?? { name: 'sgd', learningRate: 0.1, momentum: 0, nesterov: false },
    },
    weights,
  );
}

/** Parameter tensor lengths in weight order (kernel, bias, kernel, bias, …). */
export function paramSizes(layers: DenseSpec[]): number[] {
  const out: number[] = [];
  for (const l of layers) {
    out.push(l.inputSize * l.units);
    if (l.useBias) out.push(l.units);
  }
  return out;
}

/** Target value of row r, column j, for either target kind (test-side, for manual computations). */
export function targetAt(y: TargetSource, r: number, j: number): number {
  return y.kind === 'sparse' ? (y.labels[r] === j ? 1 : 0) : y.values[r * y.width + j];
}

/** Apply x' = a·x + b to a copy of the values, in float64. */
export function transformed(values: ArrayLike<number>, t: Affine): Float64Array {
  return Float64Array.from(values, (v) => t.a * v + t.b);
}

/** Weights for every slot of the layout: kernels glorot-like, gamma near 1, beta/moving stats random. */
export function layoutWeights(spec: Pick<NetworkSpec, 'layers'>, seed: number): Float64Array[] {
  const rng = new TestRandom(seed);
  return weightLayout(spec).map((slot) => {
    const u = () => rng.next() * 2 - 1;
    switch (slot.role) {
      case 'kernel':
        return Float64Array.from({ length: slot.size }, () => u() * 0.6);
      case 'gamma':
        return Float64Array.from({ length: slot.size }, () => 1 + 0.3 * u());
      case 'movingVariance':
        return Float64Array.from({ length: slot.size }, () => 0.5 + rng.next());
      default:
        return Float64Array.from({ length: slot.size }, () => 0.2 * u());
    }
  });
}

export type Tfjs = typeof import('@tensorflow/tfjs');

/**
 * Loads TensorFlow.js on its cpu backend for a parity test, with console output silenced until the returned
 * `restoreConsole` runs: tfjs prints a hint about tfjs-node when it first runs in Node, which would clutter
 * the test output. A first tiny op triggers any first-use message while silenced.
 */
async function loadTfjsCpuQuietly(): Promise<{ tf: Tfjs; restoreConsole: () => void }> {
  const saved = { log: console.log, warn: console.warn, info: console.info };
  console.log = console.warn = console.info = () => {};
  const tf = (await import('@tensorflow/tfjs')) as Tfjs;
  await tf.setBackend('cpu');
  await tf.ready();
  tf.tidy(() => tf.scalar(1).add(1));
  return { tf, restoreConsole: () => Object.assign(console, saved) };
}

/**
 * TensorFlow.js (cpu) for the tests of the calling file: loaded quietly before them (loadTfjsCpuQuietly),
 * handed to `use`, and the console restored after them.
 */
export function withTfjsCpu(use: (tf: Tfjs) => void): void {
  let restoreConsole = (): void => {};
  before(async () => {
    const loaded = await loadTfjsCpuQuietly();
    restoreConsole = loaded.restoreConsole;
    use(loaded.tf);
  });
  after(() => restoreConsole());
}
