/**
 * Optimizer state is flushed to zero below the dtype's smallest normal number, on both backends.
 *
 * Why it matters: Adam's first moment of a parameter whose gradient has gone to zero decays by β1 each
 * step and, after ~800 steps, enters the subnormal range, where x86 arithmetic is ~100× slower. In the
 * study it doubled the cost of every full-length Adam run (denormal moments of dead units and of pixels
 * that are black in a whole batch). The kernels flush explicitly (wasm cannot set the CPU's FTZ flag), as
 * TensorFlow's CPU kernels do, and the reference follows the same rule so that it remains the oracle.
 *
 * The set-up: one linear weight per input pixel, MSE. Pixel 0 is 1 in the first batch and 0 afterwards,
 * so its kernel row gets one gradient and then exact zeros: m = 0.1·g·0.9^(t−1) crosses the smallest
 * normal float32 (2⁻¹²⁶ ≈ 1.2e-38) near step 820 and would stay subnormal until ~step 970. At step 900 it
 * must be exactly 0 (before the fix it was a subnormal, on both backends), and nothing stored is subnormal.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Backend, NetworkSpec } from '../../../src/engine/backend.js';
import { referenceBackend } from '../../../src/engine/backends/reference/index.js';
import { wasmBackend } from './wasm-helpers.js';

const MIN_NORMAL = { float32: 2 ** -126, float64: 2 ** -1022 };

function decayRun(backend: Backend, dtype: 'float32' | 'float64', steps: number) {
  const spec: NetworkSpec = {
    dtype,
    layers: [{ inputSize: 2, units: 1, activation: 'linear', useBias: false }],
    loss: { name: 'meanSquaredError', fromLogits: false },
    optimizer: { name: 'adam', learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
  };
  const runner = backend.createNetwork(spec, [Float64Array.of(0.5, 0.25)]);
  // row 0: pixel 0 on; row 1: pixel 0 off (pixel 1 keeps the loss, and pixel 1's moments, alive)
  const id = runner.loadData(
    { values: Uint8Array.of(1, 1, 0, 1), rows: 2, inputSize: 2, transform: { a: 1, b: 0 } },
    { kind: 'dense', values: Float64Array.of(1, 0.5), rows: 2, width: 1 },
  );
  runner.trainBatch(id, Int32Array.of(0), 1);
  for (let s = 1; s < steps; s++) runner.trainBatch(id, Int32Array.of(1), 1);
  const slots = runner.optimizerSlots!();
  const weights = runner.getWeights();
  runner.dispose();
  return { m: slots[0].slots[0], v: slots[0].slots[1], weights };
}

const subnormals = (values: Float64Array, dtype: 'float32' | 'float64') => Array.from(values).filter((x) => x !== 0 && Math.abs(x) < MIN_NORMAL[dtype]).length;

describe('optimizer state below the smallest normal number is flushed to zero', () => {
  for (const [name, backend] of [
    ['reference', () => referenceBackend],
    ['wasm', wasmBackend],
  ] as const) {
    test(`${name}, float32 adam: a moment decaying from one gradient is exactly 0 by step 900, never subnormal`, () => {
      const early = decayRun(backend(), 'float32', 700);
      assert.ok(early.m[0] !== 0 && Math.abs(early.m[0]) >= MIN_NORMAL.float32, `at step 700 m is still normal (${early.m[0]})`);
      const late = decayRun(backend(), 'float32', 900);
      assert.equal(late.m[0], 0, `m of the silent pixel at step 900 (subnormal before the fix)`);
      assert.equal(subnormals(late.m, 'float32') + subnormals(late.v, 'float32'), 0);
      assert.ok(late.v[0] > 0, 'v decays by β2 only: still normal');
      assert.ok(late.m[1] !== 0, 'the live pixel keeps its moment');
    });
  }

  test('wasm and reference agree on the flushed state and on the weights (float32 and float64)', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const a = decayRun(referenceBackend, dtype, 900);
      const b = decayRun(wasmBackend(), dtype, 900);
      for (const [x, y, what] of [
        [a.m, b.m, 'm'],
        [a.v, b.v, 'v'],
        [a.weights[0], b.weights[0], 'kernel'],
      ] as const) {
        for (let i = 0; i < x.length; i++) {
          const tol =
            (dtype === 'float32' ? 1e-3 : 1e-10) * // the parity tolerances of wasm-parity.test.ts
            Math.max(Math.abs(x[i]), Math.abs(y[i]));
          assert.ok(Math.abs(x[i] - y[i]) <= tol, `${dtype} ${what}[${i}]: reference ${x[i]} vs wasm ${y[i]}`);
        }
      }
    }
  });
});
