/**
 * Second-order probes: the curvature of the loss surface, measured without ever forming the Hessian.
 *
 * - Hessian-vector products by central differences of the exact (backpropagated) gradient in float64:
 *   Hv ≈ (∇L(w + h·v) − ∇L(w − h·v)) / 2h, with h = 1e-8·max(1, ‖w‖) (HVP_RELATIVE_STEP). Why so small:
 *   a ReLU network's gradient jumps where a unit flips sign, and a step that flips even a few of the
 *   probe batch's units adds jump/2h to the product — with h = 1e-5·‖w‖ that faked eigenvalues of ±100
 *   on the lab model (test: the products must be symmetric, uᵀHv = vᵀHu). At 1e-8 flips are rare and
 *   round-off (≈ 1e-16·‖∇L‖/h) stays far below the 1e-3 the tests demand against a Hessian built from
 *   loss values alone (test/engine/curvature.test.ts).
 * - λ_max by Lanczos (power iteration refined over its Krylov subspace; see `lanczos` for why plain
 *   power iteration is not enough here) on those products (with a shift when the dominant eigenvalue is negative),
 *   for the whole network or a block of parameter tensors (e.g. the first layer), optionally
 *   preconditioned by a diagonal D (the eigenvalue of D^{-1/2} H D^{-1/2} = that of D⁻¹H), which is
 *   Adam's "preconditioned sharpness" (Cohen et al. 2022) when D = √v̂ + ε.
 * - The top eigenvectors (deflation) and the loss on the plane they span, for the 2-D loss picture.
 *
 * Everything runs on any Backend through `trace` and `evaluate` of a float64 copy of the network, so the
 * fast backend measures and the reference backend validates.
 */
import type { Backend, InputSource, NetworkRunner, NetworkSpec, TargetSource } from './backend.js';
import { symmetricEigenSmall } from './math/eigen.js';
import { Random } from './random.js';

/** Loss and gradient of the mean loss over a fixed batch, as functions of the flat weight vector. */
export interface GradientOracle {
  /** Number of parameters (all tensors, flattened in weight order). */
  readonly dim: number;
  /** Length of each parameter tensor in weight order. */
  readonly sizes: number[];
  loss(w: Float64Array): number;
  gradient(w: Float64Array): Float64Array;
  /** Gradient of the mean loss over a subset of the rows (indices into the oracle's batch). */
  gradientOfRows(w: Float64Array, rows: Int32Array): Float64Array;
  /** Calls of gradient() so far (the cost of a measurement). */
  readonly gradientCalls: number;
  dispose(): void;
}

export function flattenWeights(weights: ArrayLike<number>[]): Float64Array {
  const out = new Float64Array(weights.reduce((s, w) => s + w.length, 0));
  let o = 0;
  for (const w of weights) {
    out.set(w as ArrayLike<number>, o);
    o += w.length;
  }
  return out;
}

export function splitWeights(flat: Float64Array, sizes: number[]): Float64Array[] {
  const out: Float64Array[] = [];
  let o = 0;
  for (const n of sizes) {
    out.push(flat.slice(o, o + n));
    o += n;
  }
  return out;
}

/**
 * A gradient oracle on `backend` for the network `spec` (run in float64 whatever its dtype) over the
 * rows `rows` of (x, y) — for a minibatch oracle pass a subset of rows.
 */
export function gradientOracle(
  backend: Backend,
  spec: NetworkSpec,
  weights: ArrayLike<number>[],
  x: InputSource,
  y: TargetSource,
  rows?: Int32Array,
): GradientOracle {
  const spec64: NetworkSpec = { ...spec, dtype: 'float64', optimizer: structuredClone(spec.optimizer) };
  const sizes = weights.map((w) => w.length);
  const runner: NetworkRunner = backend.createNetwork(
    spec64,
    weights.map((w) => Float64Array.from(w)),
  );
  const id = runner.loadData(x, y);
  const all = rows ?? Int32Array.from({ length: x.rows }, (_, i) => i);
  let calls = 0;
  return {
    dim: sizes.reduce((a, b) => a + b, 0),
    sizes,
    loss(w) {
      runner.setWeights(splitWeights(w, sizes));
      const r = runner.evaluate(id, all, all.length);
      return r.lossSum / r.rows;
    },
    gradient(w) {
      calls++;
      runner.setWeights(splitWeights(w, sizes));
      return flattenWeights(runner.trace(id, all, all.length).gradients);
    },
    gradientOfRows(w, subset) {
      runner.setWeights(splitWeights(w, sizes));
      return flattenWeights(
        runner.trace(
          id,
          subset.map((i) => all[i]),
          subset.length,
        ).gradients,
      );
    },
    get gradientCalls() {
      return calls;
    },
    dispose() {
      runner.dispose();
    },
  };
}

function norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Relative step of the finite-difference Hessian-vector product. */
export const HVP_RELATIVE_STEP = 1e-8;

/** H·v at w by central differences of the gradient (v need not be normalised). */
export function hessianVectorProduct(oracle: GradientOracle, w: Float64Array, v: Float64Array, relativeStep = HVP_RELATIVE_STEP): Float64Array {
  const nv = norm(v);
  const out = new Float64Array(w.length);
  if (nv === 0) return out;
  const h = (relativeStep * Math.max(1, norm(w))) / nv;
  const plus = new Float64Array(w.length);
  const minus = new Float64Array(w.length);
  for (let i = 0; i < w.length; i++) {
    plus[i] = w[i] + h * v[i];
    minus[i] = w[i] - h * v[i];
  }
  const gp = oracle.gradient(plus);
  const gm = oracle.gradient(minus);
  for (let i = 0; i < w.length; i++) out[i] = (gp[i] - gm[i]) / (2 * h);
  return out;
}

export interface PowerIterationResult {
  /** The eigenvalue (Rayleigh quotient) of largest magnitude found, or the largest when `largest`. */
  value: number;
  vector: Float64Array;
  iterations: number;
  converged: boolean;
}

export interface PowerIterationOptions {
  iterations?: number;
  /** Stop when the Rayleigh quotient changes by less than this, relatively (default 1e-4). */
  tolerance?: number;
  seed?: number;
  /** Vectors to stay orthogonal to (deflation: already-found eigenvectors, unit length). */
  orthogonalTo?: Float64Array[];
  /** Start vector (default: seeded random). */
  start?: Float64Array;
}

function orthogonalize(v: Float64Array, basis: Float64Array[]): void {
  for (const b of basis) {
    const c = dot(v, b);
    for (let i = 0; i < v.length; i++) v[i] -= c * b[i];
  }
}

/** Power iteration for the dominant eigenpair of the symmetric operator `apply` (dimension `dim`). */
export function powerIteration(apply: (v: Float64Array) => Float64Array, dim: number, options: PowerIterationOptions = {}): PowerIterationResult {
  const iterations = options.iterations ?? 30;
  const tolerance = options.tolerance ?? 1e-4;
  const basis = options.orthogonalTo ?? [];
  let v = options.start
    ? Float64Array.from(options.start)
    : Float64Array.from(
        { length: dim },
        (
          (r) => () =>
            r.normal()
        )(new Random(options.seed ?? 7).derive('power')),
      );
  orthogonalize(v, basis);
  let n = norm(v);
  for (let i = 0; i < dim; i++) v[i] /= n;
  let value = NaN;
  for (let it = 1; it <= iterations; it++) {
    const hv = apply(v);
    orthogonalize(hv, basis);
    const next = dot(v, hv);
    n = norm(hv);
    if (n === 0 || !Number.isFinite(n)) return { value: next, vector: v, iterations: it, converged: n === 0 };
    const converged = Number.isFinite(value) && Math.abs(next - value) <= tolerance * Math.abs(next);
    value = next;
    v = hv.map((x) => x / n);
    if (converged) return { value, vector: v, iterations: it, converged: true };
  }
  return { value, vector: v, iterations, converged: false };
}

export interface LanczosResult {
  /** Ritz values, largest first (the extremes converge first). */
  values: number[];
  /** Ritz vectors of the `vectors` largest values (unit length). */
  vectors: Float64Array[];
  iterations: number;
  converged: boolean;
}

/**
 * Lanczos with full reorthogonalisation: the Krylov-subspace refinement of power iteration. Plain power
 * iteration converges to the eigenvalue of largest *magnitude*; at initialisation the Hessian of this
 * network often has a dominant *negative* eigenvalue (the cross terms between the two layers), and a
 * shifted power iteration then stalls in the cluster of near-zero eigenvalues (measured: it reported
 * 0.0018 where the top is larger). Lanczos gets both ends of the spectrum from the same ~20 products.
 * Stops when the largest Ritz value changes by less than `tolerance` (relative) between iterations.
 */
export function lanczos(apply: (v: Float64Array) => Float64Array, dim: number, options: PowerIterationOptions & { vectors?: number } = {}): LanczosResult {
  const maxIter = Math.min(options.iterations ?? 30, dim);
  const tolerance = options.tolerance ?? 1e-4;
  const q0 = options.start
    ? Float64Array.from(options.start)
    : Float64Array.from(
        { length: dim },
        (
          (r) => () =>
            r.normal()
        )(new Random(options.seed ?? 7).derive('lanczos')),
      );
  const n0 = norm(q0);
  const Q: Float64Array[] = [q0.map((x) => x / n0)];
  const alpha: number[] = [];
  const beta: number[] = [];
  let previous = NaN;
  let converged = false;
  let ritz: { values: Float64Array; vectors: Float64Array } = { values: new Float64Array(0), vectors: new Float64Array(0) };
  for (let j = 0; j < maxIter; j++) {
    const w = apply(Q[j]);
    alpha.push(dot(Q[j], w));
    for (let pass = 0; pass < 2; pass++) orthogonalize(w, Q);
    const b = norm(w);
    const k = alpha.length;
    const T = new Float64Array(k * k);
    for (let i = 0; i < k; i++) {
      T[i * k + i] = alpha[i];
      if (i + 1 < k) T[i * k + i + 1] = T[(i + 1) * k + i] = beta[i];
    }
    ritz = symmetricEigenSmall(T, k);
    const top = ritz.values[0];
    if (j >= 2 && Number.isFinite(previous) && Math.abs(top - previous) <= tolerance * Math.abs(top)) converged = true;
    previous = top;
    if (converged || b <= 1e-12 * Math.max(Math.abs(top), 1e-300) || j + 1 === maxIter) break;
    beta.push(b);
    Q.push(w.map((x) => x / b));
  }
  const k = alpha.length;
  const vectors = Array.from({ length: Math.min(options.vectors ?? 0, k) }, (_, m) => {
    const v = new Float64Array(dim);
    for (let i = 0; i < k; i++) {
      const c = ritz.vectors[i * k + m];
      for (let d = 0; d < dim; d++) v[d] += c * Q[i][d];
    }
    const nv = norm(v);
    return v.map((x) => x / nv);
  });
  return { values: Array.from(ritz.values), vectors, iterations: k, converged };
}

export interface SharpnessOptions extends PowerIterationOptions {
  /** Parameter tensors (weight-order indices) of the block; default all. */
  tensors?: number[];
  /** Diagonal preconditioner D (flat, > 0): measures λ_max(D⁻¹H) on the block. */
  preconditioner?: Float64Array;
}

export interface SharpnessResult {
  lambdaMax: number;
  iterations: number;
  converged: boolean;
  /** The dominant negative eigenvalue, when power iteration met it first (else null). */
  mostNegative: number | null;
  gradientCalls: number;
  /** The eigenvector (flat over all parameters, zero outside the block), unit length in the block's metric. */
  vector: Float64Array;
}

/** Mask of the flat parameter positions that belong to the given tensors. */
export function blockMask(sizes: number[], tensors?: number[]): Uint8Array {
  const mask = new Uint8Array(sizes.reduce((a, b) => a + b, 0));
  let o = 0;
  sizes.forEach((n, t) => {
    if (!tensors || tensors.includes(t)) mask.fill(1, o, o + n);
    o += n;
  });
  return mask;
}

/** λ_max of the (block of the, preconditioned) Hessian at w. */
export function sharpness(oracle: GradientOracle, w: Float64Array, options: SharpnessOptions = {}): SharpnessResult {
  const mask = blockMask(oracle.sizes, options.tensors);
  const d = options.preconditioner;
  const scale = new Float64Array(w.length);
  for (let i = 0; i < w.length; i++) scale[i] = mask[i] ? (d ? 1 / Math.sqrt(d[i]) : 1) : 0;
  const before = oracle.gradientCalls;
  // Operator S H S with S = diag(mask · D^{-1/2}): symmetric, same nonzero spectrum as the block of D⁻¹H.
  const apply = (u: Float64Array) => {
    const v = u.map((x, i) => x * scale[i]);
    const hv = hessianVectorProduct(oracle, w, v);
    for (let i = 0; i < hv.length; i++) hv[i] *= scale[i];
    return hv;
  };
  const start = Float64Array.from(
    { length: w.length },
    ((r) => (_: unknown, i: number) => (mask[i] ? r.normal() : 0))(new Random(options.seed ?? 7).derive('start')),
  );
  const r = lanczos(apply, w.length, { ...options, start, vectors: 1 });
  const smallest = r.values[r.values.length - 1];
  return {
    lambdaMax: r.values[0],
    iterations: r.iterations,
    converged: r.converged,
    mostNegative: smallest < 0 ? smallest : null,
    gradientCalls: oracle.gradientCalls - before,
    vector: r.vectors[0],
  };
}

/** The top `k` (largest, algebraically) eigenpairs of the Hessian at w, by Lanczos. */
export function topEigenpairs(oracle: GradientOracle, w: Float64Array, k: number, options: PowerIterationOptions = {}): PowerIterationResult[] {
  const r = lanczos((v) => hessianVectorProduct(oracle, w, v), w.length, { ...options, vectors: k });
  return r.vectors.map((vector, i) => ({ value: r.values[i], vector, iterations: r.iterations, converged: r.converged }));
}

export interface LossPlane {
  /** Coordinates along the two directions (same for both axes: −range … range). */
  alphas: number[];
  /** Loss at w + a·d1 + b·d2, row-major [b][a]. */
  losses: number[][];
}

/** The loss on the plane through w spanned by unit directions d1, d2, on an n×n grid over ±range. */
export function lossPlane(oracle: GradientOracle, w: Float64Array, d1: Float64Array, d2: Float64Array, range: number, n: number): LossPlane {
  const alphas = Array.from({ length: n }, (_, i) => -range + (2 * range * i) / (n - 1));
  const p = new Float64Array(w.length);
  const losses = alphas.map((b) =>
    alphas.map((a) => {
      for (let i = 0; i < w.length; i++) p[i] = w[i] + a * d1[i] + b * d2[i];
      return oracle.loss(p);
    }),
  );
  return { alphas, losses };
}
