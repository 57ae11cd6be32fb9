/**
 * The measurements a study run takes besides training (RunSpec.analyses): the mechanism at
 * initialisation (raw vs /255 on the same weights), the curvature (λ_max by power iteration on
 * Hessian-vector products, src/engine/curvature.ts), the 2-D loss plane and the input spectrum.
 * Plain engine calls on typed arrays, no Node imports: the same code runs in a browser worker.
 */
import type { Backend, InputSource, NetworkSpec, TargetSource } from '../../engine/backend.js';
import { flattenWeights, gradientOracle, lossPlane, sharpness, splitWeights, topEigenpairs, type GradientOracle } from '../../engine/curvature.js';
import { symmetricEigenvalues } from '../../engine/math/eigen.js';
import type { CurvaturePoint, InputSpectrum, LossPlaneResult, MechanismAtInit, SpectrumRow } from './types.js';

/** The probe rows as a backend input: uint8 pixels with the transform x' = a·x + b. */
export interface ProbeBatch {
  pixels: Uint8Array;
  labels: Int32Array;
  rows: number;
  inputSize: number;
}

function source(batch: ProbeBatch, a: number, b: number, rows = batch.rows): { x: InputSource; y: TargetSource } {
  return {
    x: { values: batch.pixels.subarray(0, rows * batch.inputSize), rows, inputSize: batch.inputSize, transform: { a, b } },
    y: { kind: 'sparse', labels: batch.labels.subarray(0, rows), rows },
  };
}

const meanAbs = (v: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += Math.abs(v[i]);
  return s / v.length;
};
const l2 = (v: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
};

/**
 * Raw and /255 networks with the same initial weights (the lab model: dense relu → dense softmax), in
 * float64 on the probe rows: the exact 255× homogeneity, the split of the first kernel's gradient ratio
 * into 255 × per-sample error × alignment, the outputs moved by Adam's first step, and the bias step
 * relative to the pre-activations it shifts.
 */
export function mechanismAtInit(backend: Backend, spec: NetworkSpec, weights: Float64Array[], batch: ProbeBatch): MechanismAtInit {
  const spec64: NetworkSpec = { ...spec, dtype: 'float64', optimizer: structuredClone(spec.optimizer) };
  const [l0, l1] = spec.layers;
  if (!l0 || !l1 || spec.layers.length !== 2 || l0.activation !== 'relu' || !l0.useBias || !l1.useBias)
    throw new Error('mechanismAtInit: expects dense relu → dense softmax with biases');
  const n = batch.rows;
  const inSize = l0.inputSize;
  const H = l0.units;
  const C = l1.units;
  const side = (a: number) => {
    const runner = backend.createNetwork(spec64, weights);
    const { x, y } = source(batch, a, 0);
    const id = runner.loadData(x, y);
    const rows = Int32Array.from({ length: n }, (_, i) => i);
    const t = runner.trace(id, rows, n);
    runner.dispose();
    const z1 = t.preActivations[0];
    const h = t.activations[0];
    const z2 = t.preActivations[1];
    const p = t.activations[1];
    const W1 = weights[2];
    // Per-sample error at layer 1: δ1_r = (W1 · (p_r − onehot_r)) ⊙ relu'(z1_r) (not divided by the batch).
    let sumNorms = 0;
    let outErr = 0;
    for (let r = 0; r < n; r++) {
      const label = batch.labels[r];
      let e2 = 0;
      const dOut = new Float64Array(C);
      for (let j = 0; j < C; j++) {
        dOut[j] = p[r * C + j] - (j === label ? 1 : 0);
        e2 += dOut[j] * dOut[j];
      }
      outErr += Math.sqrt(e2);
      let d2 = 0;
      for (let u = 0; u < H; u++) {
        if (!(z1[r * H + u] > 0)) continue;
        let s = 0;
        for (let j = 0; j < C; j++) s += W1[u * C + j] * dOut[j];
        d2 += s * s;
      }
      let x2 = 0;
      for (let i = 0; i < inSize; i++) x2 += (a * batch.pixels[r * inSize + i]) ** 2;
      sumNorms += Math.sqrt(x2) * Math.sqrt(d2);
    }
    const gK0 = t.gradients[0];
    const gB0 = t.gradients[1];
    const gK1 = t.gradients[2];
    const gB1 = t.gradients[3];
    const alignment = (n * l2(gK0)) / sumNorms;
    // Adam's first step: m̂/(√v̂ + ε) with m̂ = g, v̂ = g² (t = 1).
    const adam = (g: Float64Array, lr: number, eps = 1e-7) => g.map((v) => (-lr * v) / (Math.abs(v) + eps));
    const dK1 = adam(gK1, 0.001);
    const dB1 = adam(gB1, 0.001);
    let layer2Move = 0;
    for (let r = 0; r < n; r++) {
      for (let j = 0; j < C; j++) {
        let s = dB1[j];
        for (let u = 0; u < H; u++) s += h[r * H + u] * dK1[u * C + j];
        layer2Move += Math.abs(s);
      }
    }
    const dK0 = adam(gK0, 0.001);
    let layer1Move = 0;
    const row = new Float64Array(H);
    for (let r = 0; r < n; r++) {
      row.fill(0);
      for (let i = 0; i < inSize; i++) {
        const xi = a * batch.pixels[r * inSize + i];
        if (xi === 0) continue;
        for (let u = 0; u < H; u++) row[u] += xi * dK0[i * H + u];
      }
      for (let u = 0; u < H; u++) layer1Move += Math.abs(row[u]);
    }
    let x2sum = 0;
    for (let i = 0; i < n * inSize; i++) x2sum += (a * batch.pixels[i]) ** 2;
    const z1Abs = meanAbs(z1);
    return {
      z2,
      gradNorm: l2(gK0),
      sumNorms,
      alignment,
      outErr: outErr / n,
      layer2Move: layer2Move / (n * C),
      layer1Move: layer1Move / (n * H),
      biasSgd: (0.01 * meanAbs(gB0)) / z1Abs,
      biasAdam: meanAbs(adam(gB0, 0.001)) / z1Abs,
      meanX2: x2sum / (n * inSize),
      logitAbs: meanAbs(z2),
    };
  };
  const raw = side(1);
  const scaled = side(1 / 255);
  let maxDev = 0;
  let maxRaw = 0;
  for (let i = 0; i < raw.z2.length; i++) {
    maxDev = Math.max(maxDev, Math.abs(raw.z2[i] - 255 * scaled.z2[i]));
    maxRaw = Math.max(maxRaw, Math.abs(raw.z2[i]));
  }
  return {
    rows: n,
    logitHomogeneityError: maxDev / maxRaw,
    logitRatio: raw.logitAbs / scaled.logitAbs,
    kernel0GradRatio: raw.gradNorm / scaled.gradNorm,
    perSampleErrorRatio: raw.sumNorms / (255 * scaled.sumNorms),
    alignmentRatio: raw.alignment / scaled.alignment,
    alignment: [raw.alignment, scaled.alignment],
    outputError: [raw.outErr, scaled.outErr],
    adamLayer2LogitMoveRatio: raw.layer2Move / scaled.layer2Move,
    adamLayer1PreactMoveRatio: raw.layer1Move / scaled.layer1Move,
    biasRelativeStep: { sgd: [raw.biasSgd, scaled.biasSgd], adam: [raw.biasAdam, scaled.biasAdam] },
    meanSquaredInput: [raw.meanX2, scaled.meanX2],
  };
}

export interface CurvatureRequest {
  step: number;
  rows: number;
  iterations: number;
  whole: boolean;
  /** Also λ_max of the first layer's block (kernel0 + bias0). */
  firstLayer: boolean;
  preconditioned: boolean;
  /** Adam's ε and the batch size whose gradient noise the second moment averages. */
  epsilon: number;
  batchSize: number;
  seed: number;
  /**
   * Adam's bias-corrected second moment v̂ (flat, in weight order) at these weights, when the run has one;
   * without it v̂ is estimated from the probe rows' minibatch gradients.
   */
  secondMoment?: Float64Array;
}

/** Adam's second moment, estimated as the mean of squared minibatch gradients over the probe rows. */
function secondMomentEstimate(oracle: GradientOracle, w: Float64Array, rows: number, batchSize: number): Float64Array {
  const v = new Float64Array(w.length);
  const batches = Math.max(1, Math.floor(rows / batchSize));
  for (let b = 0; b < batches; b++) {
    const g = oracle.gradientOfRows(
      w,
      Int32Array.from({ length: batchSize }, (_, i) => b * batchSize + i),
    );
    for (let i = 0; i < v.length; i++) v[i] += (g[i] * g[i]) / batches;
  }
  return v;
}

/** λ_max (whole, first layer) and/or Adam's preconditioned sharpness at the current weights. */
export function curvatureAt(
  backend: Backend,
  spec: NetworkSpec,
  weights: Float64Array[],
  batch: ProbeBatch,
  transform: { a: number; b: number },
  req: CurvatureRequest,
): CurvaturePoint {
  const rows = Math.min(req.rows, batch.rows);
  const { x, y } = source(batch, transform.a, transform.b, rows);
  const oracle = gradientOracle(backend, spec, weights, x, y);
  const w = flattenWeights(weights);
  const options = { iterations: req.iterations, tolerance: 1e-3, seed: req.seed };
  let lambdaMax: number | null = null;
  let lambdaMaxFirstLayer: number | null = null;
  let preconditioned: number | null = null;
  let iterations = 0;
  let converged = true;
  const note = (r: { iterations: number; converged: boolean }) => {
    iterations += r.iterations;
    converged &&= r.converged;
  };
  if (req.whole) {
    const whole = sharpness(oracle, w, options);
    note(whole);
    lambdaMax = whole.lambdaMax;
  }
  if (req.firstLayer) {
    const first = sharpness(oracle, w, { ...options, tensors: [0, 1] });
    note(first);
    lambdaMaxFirstLayer = first.lambdaMax;
  }
  if (req.preconditioned) {
    const v = req.secondMoment ?? secondMomentEstimate(oracle, w, rows, req.batchSize);
    const d = v.map((vi) => Math.sqrt(vi) + req.epsilon);
    const pre = sharpness(oracle, w, { ...options, preconditioner: d });
    note(pre);
    preconditioned = pre.lambdaMax;
  }
  const calls = oracle.gradientCalls;
  oracle.dispose();
  return {
    step: req.step,
    lambdaMax,
    lambdaMaxFirstLayer,
    preconditioned,
    preconditionerFrom: req.preconditioned ? (req.secondMoment ? 'adam-state' : 'minibatch-gradients') : null,
    iterations,
    gradientCalls: calls,
    converged,
  };
}

/** The plane of the top two Hessian eigenvectors at w0; `project` later places the first steps on it. */
export function planeAtInit(
  backend: Backend,
  spec: NetworkSpec,
  weights: Float64Array[],
  batch: ProbeBatch,
  transform: { a: number; b: number },
  rows: number,
  iterations: number,
) {
  const { x, y } = source(batch, transform.a, transform.b, Math.min(rows, batch.rows));
  const oracle = gradientOracle(backend, spec, weights, x, y);
  const w0 = flattenWeights(weights);
  const [e1, e2] = topEigenpairs(oracle, w0, 2, { iterations, tolerance: 1e-3 });
  return {
    /** Finish the picture with the weights after each of the first steps. */
    finish(path: Float64Array[][], grid: number): LossPlaneResult {
      const coords = path.map((ws, i) => {
        const d = flattenWeights(ws);
        let a = 0;
        let b = 0;
        for (let k = 0; k < d.length; k++) {
          d[k] -= w0[k];
          a += d[k] * e1.vector[k];
          b += d[k] * e2.vector[k];
        }
        let off = 0;
        for (let k = 0; k < d.length; k++) off += (d[k] - a * e1.vector[k] - b * e2.vector[k]) ** 2;
        return { step: i + 1, a, b, off: Math.sqrt(off) };
      });
      const reach = Math.max(0, ...coords.map((c) => Math.max(Math.abs(c.a), Math.abs(c.b))));
      // The picture must show the path, and at least the region where the quadratic model changes the loss.
      const range = Math.max(1.25 * reach, Math.sqrt(2 / Math.max(Math.abs(e1.value), 1e-12)), 1e-6);
      const plane = lossPlane(oracle, w0, e1.vector, e2.vector, range, grid);
      const at = (a: number, b: number) => oracle.loss(w0.map((v, k) => v + a * e1.vector[k] + b * e2.vector[k]));
      const result: LossPlaneResult = {
        rows: x.rows,
        eigenvalues: [e1.value, e2.value],
        alphas: plane.alphas,
        losses: plane.losses,
        path: [{ step: 0, a: 0, b: 0, loss: at(0, 0) }, ...coords.map((c) => ({ step: c.step, a: c.a, b: c.b, loss: at(c.a, c.b) }))],
        offPlane: coords.map((c) => c.off),
      };
      oracle.dispose();
      return result;
    },
    dispose: () => oracle.dispose(),
  };
}

export { splitWeights };

/** The transforms whose E[xxᵀ] spectrum the study reports: x' = a·x + b, plus per-pixel centring. */
export function spectrumTransforms(stats: { mean: number; std: number }): { transform: string; formula: string; a: number; b: number; perPixel?: boolean }[] {
  return [
    { transform: 'none', formula: 'x', a: 1, b: 0 },
    { transform: 'scale', formula: 'x / 255', a: 1 / 255, b: 0 },
    { transform: 'standardize', formula: '(x − mean) / std', a: 1 / stats.std, b: -stats.mean / stats.std },
    { transform: 'symmetric', formula: 'x / 127.5 − 1', a: 2 / 255, b: -1 },
    { transform: 'centre', formula: 'x − mean', a: 1, b: -stats.mean },
    { transform: 'centre per pixel', formula: 'x − mean of that pixel', a: 1, b: 0, perPixel: true },
  ];
}

/**
 * The spectrum of the input second-moment matrix E[x'x'ᵀ] (inputSize²) for each transform, from the
 * first `count` images. Computed once from the raw moments μ = E[x], M = E[xxᵀ] (skipping zero pixels,
 * about half of them): E[x'x'ᵀ] = a²M + ab(μ1ᵀ + 1μᵀ) + b²11ᵀ; per-pixel centring is M − μμᵀ.
 */
export function inputSpectrum(
  images: Uint8Array,
  count: number,
  inputSize: number,
  stats: { mean: number; std: number },
  floor = 1e-6,
  only?: string[],
): InputSpectrum {
  const started = performance.now();
  const n = inputSize;
  const M = new Float64Array(n * n);
  const mu = new Float64Array(n);
  const idx = new Int32Array(n);
  const val = new Float64Array(n);
  for (let r = 0; r < count; r++) {
    let k = 0;
    for (let i = 0; i < n; i++) {
      const v = images[r * n + i];
      if (v === 0) continue;
      idx[k] = i;
      val[k++] = v;
      mu[i] += v;
    }
    for (let p = 0; p < k; p++) {
      const row = idx[p] * n;
      const vp = val[p];
      for (let q = 0; q <= p; q++) M[row + idx[q]] += vp * val[q];
    }
  }
  for (let i = 0; i < n; i++) {
    mu[i] /= count;
    for (let j = 0; j <= i; j++) M[j * n + i] = M[i * n + j] = M[i * n + j] / count;
  }
  const rows: SpectrumRow[] = [];
  let rawEigen: Float64Array | null = null;
  let standardEigen: Float64Array | null = null;
  const wanted = new Set(only ?? spectrumTransforms(stats).map((t) => t.transform));
  for (const t of spectrumTransforms(stats).filter((t) => wanted.has(t.transform))) {
    let eig: Float64Array;
    if (t.transform === 'scale' && rawEigen) {
      eig = rawEigen.map((v) => v * t.a * t.a); // exactly (1/255)² × the raw spectrum
    } else if (t.transform === 'centre' && standardEigen) {
      eig = standardEigen.map((v) => v * stats.std * stats.std); // standardize = centre / std, exactly
    } else {
      const C = new Float64Array(n * n);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          C[i * n + j] = t.perPixel ? M[i * n + j] - mu[i] * mu[j] : t.a * t.a * M[i * n + j] + t.a * t.b * (mu[i] + mu[j]) + t.b * t.b;
        }
      }
      eig = symmetricEigenvalues(C, n);
      if (t.transform === 'none') rawEigen = eig;
      if (t.transform === 'standardize') standardEigen = eig;
    }
    const top = eig[0];
    const kept = Array.from(eig).filter((v) => v > floor * top);
    const trace = Array.from(eig).reduce((s, v) => s + Math.max(v, 0), 0);
    rows.push({
      transform: t.transform,
      formula: t.formula,
      top,
      second: eig[1],
      ratio12: top / eig[1],
      condition: top / kept[kept.length - 1],
      nonNegligible: kept.length,
      topShare: top / trace,
      largest10: Array.from(eig.subarray(0, 10)),
    });
  }
  return { images: count, floor, rows, seconds: (performance.now() - started) / 1000 };
}
