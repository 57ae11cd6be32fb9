/**
 * Validation of the second-order probes (src/engine/curvature.ts) and the symmetric eigensolver.
 *
 * - The eigensolver against matrices with known spectra (Q·diag(λ)·Qᵀ with a random orthogonal Q).
 * - On a tiny network (float64, reference backend) the full Hessian is built from *loss values only*
 *   (second differences of evaluate()), independent of the engine's backward pass; the finite-difference
 *   Hessian-vector products must agree with it to a relative error < 1e-3 (they agree to ~1e-7).
 * - Power iteration's λ_max against the exact top eigenvalue of that Hessian; the block (first layer) and
 *   preconditioned variants against the eigenvalues of the corresponding exact matrices.
 * - The wasm backend's products against the reference's on the same network (the study measures on wasm).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { registerNodeBackends } from '../../src/node.js';
import type { InputSource, NetworkSpec, TargetSource } from '../../src/engine/backend.js';
import { referenceBackend } from '../../src/engine/backends/reference/index.js';
import { backendNames, getBackend } from '../../src/engine/backends/registry.js';
import {
  blockMask,
  flattenWeights,
  gradientOracle,
  hessianVectorProduct,
  lossPlane,
  powerIteration,
  sharpness,
  topEigenpairs,
} from '../../src/engine/curvature.js';
import { symmetricEigenvalues } from '../../src/engine/math/eigen.js';
import { TestRandom } from './helpers.js';

registerNodeBackends();

function randomOrthogonal(n: number, rnd: TestRandom): Float64Array {
  // Gram–Schmidt on random columns.
  const q = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const v = Array.from({ length: n }, () => rnd.uniform(-1, 1));
    for (let k = 0; k < j; k++) {
      let c = 0;
      for (let i = 0; i < n; i++) c += v[i] * q[i * n + k];
      for (let i = 0; i < n; i++) v[i] -= c * q[i * n + k];
    }
    const nv = Math.hypot(...v);
    for (let i = 0; i < n; i++) q[i * n + j] = v[i] / nv;
  }
  return q;
}

function withSpectrum(values: number[], rnd: TestRandom): Float64Array {
  const n = values.length;
  const q = randomOrthogonal(n, rnd);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += q[i * n + k] * values[k] * q[j * n + k];
      a[i * n + j] = s;
    }
  return a;
}

describe('symmetricEigenvalues', () => {
  it('recovers known spectra (distinct, repeated, zero and negative eigenvalues), sorted descending', () => {
    const rnd = new TestRandom(3);
    for (const values of [[5, 3, 1, -2], [4, 4, 1, 0, 0, -1], Array.from({ length: 40 }, (_, i) => (i % 7) - 2.5 + i * 0.01), [7]]) {
      const got = symmetricEigenvalues(withSpectrum(values, rnd), values.length);
      const want = [...values].sort((a, b) => b - a);
      want.forEach((v, i) => assert.ok(Math.abs(got[i] - v) < 1e-10, `eigenvalue ${i}: ${got[i]} vs ${v}`));
    }
  });
});

/** A tiny network: 4 inputs → 3 tanh (or relu) → 3 softmax, 6 samples, float64. */
function tiny(activation: 'tanh' | 'relu') {
  const rnd = new TestRandom(activation === 'tanh' ? 11 : 12);
  const spec: NetworkSpec = {
    dtype: 'float64',
    layers: [
      { inputSize: 4, units: 3, activation, useBias: true },
      { inputSize: 3, units: 3, activation: 'softmax', useBias: true },
    ],
    loss: { name: 'sparseCategoricalCrossentropy', fromLogits: false },
    optimizer: { name: 'sgd', learningRate: 0.1, momentum: 0, nesterov: false },
  };
  const rows = 6;
  const x: InputSource = { values: Float64Array.from({ length: rows * 4 }, () => rnd.uniform(0, 2)), rows, inputSize: 4, transform: { a: 1, b: 0 } };
  const y: TargetSource = { kind: 'sparse', labels: Int32Array.from({ length: rows }, (_, i) => i % 3), rows };
  const weights = [12, 3, 9, 3].map((n) => Float64Array.from({ length: n }, () => rnd.uniform(-1, 1)));
  return { spec, x, y, weights };
}

/** The full Hessian from loss values only: H_ij ≈ [L(+i+j) − L(+i−j) − L(−i+j) + L(−i−j)] / 4h². */
function hessianFromLosses(loss: (w: Float64Array) => number, w: Float64Array, h = 1e-4): Float64Array {
  const n = w.length;
  const H = new Float64Array(n * n);
  const p = new Float64Array(n);
  const at = (i: number, si: number, j: number, sj: number) => {
    p.set(w);
    p[i] += si * h;
    p[j] += sj * h;
    return loss(p);
  };
  for (let i = 0; i < n; i++)
    for (let j = i; j < n; j++) {
      const v = (at(i, 1, j, 1) - at(i, 1, j, -1) - at(i, -1, j, 1) + at(i, -1, j, -1)) / (4 * h * h);
      H[i * n + j] = H[j * n + i] = v;
    }
  return H;
}

function matVec(H: Float64Array, v: Float64Array): Float64Array {
  const n = v.length;
  return Float64Array.from({ length: n }, (_, i) => {
    let s = 0;
    for (let j = 0; j < n; j++) s += H[i * n + j] * v[j];
    return s;
  });
}

const relErr = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let d = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i] - b[i]) ** 2;
    n += b[i] ** 2;
  }
  return Math.sqrt(d / n);
};

describe('Hessian-vector products and sharpness on a tiny network (reference backend, float64)', () => {
  for (const activation of ['tanh', 'relu'] as const) {
    it(`${activation}: HVP matches a Hessian built from loss values (rel err < 1e-3); Lanczos and power iteration find its eigenvalues`, (t) => {
      const { spec, x, y, weights } = tiny(activation);
      const oracle = gradientOracle(referenceBackend, spec, weights, x, y);
      const w = flattenWeights(weights);
      const H = hessianFromLosses((p) => oracle.loss(p), w);
      const rnd = new TestRandom(5);
      let worst = 0;
      for (let trial = 0; trial < 5; trial++) {
        const v = Float64Array.from({ length: w.length }, () => rnd.uniform(-1, 1));
        worst = Math.max(worst, relErr(hessianVectorProduct(oracle, w, v), matVec(H, v)));
      }
      t.diagnostic(`${activation}: worst relative error of H·v over 5 random v: ${worst.toExponential(2)}`);
      assert.ok(worst < 1e-3, `HVP relative error ${worst}`);

      const exact = symmetricEigenvalues(H, w.length);
      const r = sharpness(oracle, w, { iterations: 500, tolerance: 1e-10 });
      t.diagnostic(
        `${activation}: λ_max exact ${exact[0].toPrecision(8)}, power iteration ${r.lambdaMax.toPrecision(8)} in ${r.iterations} iterations; smallest ${exact[exact.length - 1].toPrecision(4)}`,
      );
      assert.ok(Math.abs(r.lambdaMax - exact[0]) < 1e-4 * Math.abs(exact[0]), `λ_max ${r.lambdaMax} vs exact ${exact[0]}`);

      // First-layer block (kernel0 + bias0 = the first 15 parameters): the top eigenvalue of that sub-matrix.
      const b = 15;
      const sub = new Float64Array(b * b);
      for (let i = 0; i < b; i++) for (let j = 0; j < b; j++) sub[i * b + j] = H[i * w.length + j];
      const block = sharpness(oracle, w, { tensors: [0, 1], iterations: 500, tolerance: 1e-10 });
      const subTop = symmetricEigenvalues(sub, b)[0];
      assert.ok(Math.abs(block.lambdaMax - subTop) < 1e-4 * Math.abs(subTop), `block λ_max ${block.lambdaMax} vs exact ${subTop}`);
      assert.deepEqual(Array.from(blockMask(oracle.sizes, [0, 1])).slice(14, 16), [1, 0]);

      // Preconditioned: λ_max(D⁻¹H) = top eigenvalue of D^{-1/2} H D^{-1/2}.
      const d = Float64Array.from({ length: w.length }, () => rnd.uniform(0.5, 3));
      const pre = new Float64Array(H.length);
      for (let i = 0; i < w.length; i++) for (let j = 0; j < w.length; j++) pre[i * w.length + j] = H[i * w.length + j] / Math.sqrt(d[i] * d[j]);
      const preTop = symmetricEigenvalues(pre, w.length)[0];
      const pr = sharpness(oracle, w, { preconditioner: d, iterations: 500, tolerance: 1e-10 });
      assert.ok(Math.abs(pr.lambdaMax - preTop) < 1e-4 * Math.abs(preTop), `preconditioned λ_max ${pr.lambdaMax} vs exact ${preTop}`);

      // The top two eigenvectors: Rayleigh quotients equal the top two exact eigenvalues.
      const [e1, e2] = topEigenpairs(oracle, w, 2, { iterations: 800, tolerance: 1e-12 });
      assert.ok(Math.abs(e1.value - exact[0]) < 1e-3 * Math.abs(exact[0]), `top ${e1.value} vs ${exact[0]}`);
      assert.ok(Math.abs(e2.value - exact[1]) < 1e-3 * Math.abs(exact[0]), `second ${e2.value} vs ${exact[1]}`);
      // Plain power iteration finds the eigenvalue of largest magnitude.
      const dominant = [...exact].sort((p, q) => Math.abs(q) - Math.abs(p))[0];
      const pi = powerIteration((v) => hessianVectorProduct(oracle, w, v), w.length, { iterations: 2000, tolerance: 1e-12 });
      assert.ok(Math.abs(pi.value - dominant) < 1e-4 * Math.abs(dominant), `power iteration ${pi.value} vs dominant ${dominant}`);
      // The loss plane passes through the loss at w in its centre.
      const plane = lossPlane(oracle, w, e1.vector, e2.vector, 0.1, 5);
      assert.ok(Math.abs(plane.losses[2][2] - oracle.loss(w)) < 1e-12);
      oracle.dispose();
    });
  }

  it('on the lab model with raw and /255 pixels the products are symmetric (uᵀHv = vᵀHu): no ReLU-kink artefacts', () => {
    // 784 → 128 relu → 10 softmax on 64 image-like rows: many units sit near their kink, so a too-large
    // finite-difference step flips some and breaks the symmetry of the measured operator.
    const rnd = new TestRandom(21);
    const rows = 64;
    const pixels = Uint8Array.from({ length: rows * 784 }, () => (rnd.uniform(0, 3) < 2 ? Math.floor(rnd.uniform(0, 256)) : 0));
    const spec: NetworkSpec = {
      dtype: 'float64',
      layers: [
        { inputSize: 784, units: 128, activation: 'relu', useBias: true },
        { inputSize: 128, units: 10, activation: 'softmax', useBias: true },
      ],
      loss: { name: 'sparseCategoricalCrossentropy', fromLogits: false },
      optimizer: { name: 'sgd', learningRate: 0.01, momentum: 0, nesterov: false },
    };
    const limit = Math.sqrt(6 / (784 + 128));
    const limit1 = Math.sqrt(6 / (128 + 10));
    const weights = [
      Float64Array.from({ length: 784 * 128 }, () => rnd.uniform(-limit, limit)),
      new Float64Array(128),
      Float64Array.from({ length: 1280 }, () => rnd.uniform(-limit1, limit1)),
      new Float64Array(10),
    ];
    const dot = (p: Float64Array, q: Float64Array) => p.reduce((s, pi, i) => s + pi * q[i], 0);
    for (const a of [1, 1 / 255]) {
      const x: InputSource = { values: pixels, rows, inputSize: 784, transform: { a, b: 0 } };
      const y: TargetSource = { kind: 'sparse', labels: Int32Array.from({ length: rows }, (_, i) => i % 10), rows };
      const oracle = gradientOracle(referenceBackend, spec, weights, x, y);
      const w = flattenWeights(weights);
      const u = Float64Array.from({ length: w.length }, () => rnd.uniform(-1, 1));
      const v = Float64Array.from({ length: w.length }, () => rnd.uniform(-1, 1));
      const uHv = dot(u, hessianVectorProduct(oracle, w, v));
      const vHu = dot(v, hessianVectorProduct(oracle, w, u));
      assert.ok(Math.abs(uHv - vHu) < 1e-3 * Math.max(Math.abs(uHv), Math.abs(vHu)), `a = ${a}: uᵀHv ${uHv} vs vᵀHu ${vHu}`);
      oracle.dispose();
    }
  });

  it(
    'the wasm backend (float64) gives the same products as the reference',
    { skip: backendNames().includes('wasm') ? false : 'wasm backend not built' },
    () => {
      const { spec, x, y, weights } = tiny('tanh');
      const ref = gradientOracle(referenceBackend, spec, weights, x, y);
      const wasm = gradientOracle(getBackend('wasm'), spec, weights, x, y);
      const w = flattenWeights(weights);
      const v = Float64Array.from({ length: w.length }, (_, i) => Math.sin(i + 1));
      assert.ok(relErr(hessianVectorProduct(wasm, w, v), hessianVectorProduct(ref, w, v)) < 1e-8);
      ref.dispose();
      wasm.dispose();
    },
  );
});
