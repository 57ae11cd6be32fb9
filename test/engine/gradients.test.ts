/**
 * Finite-difference gradient checks of the reference backend, in float64, for every hidden activation ×
 * every output/loss combination, with and without bias, for uint8 and float inputs under a non-trivial
 * input transform x' = a·x + b.
 *
 * What is checked, and against what:
 * - the forward pass (pre-activations, activations) and the per-sample losses of `trace()` against a
 *   separate, naive implementation written here from the Keras definitions of the losses;
 * - `trace().gradients` (gradient of the *mean* batch loss) against central differences
 *   (L(w + h·e_k) − L(w − h·e_k)) / 2h of the mean loss L = evaluate().lossSum / rows, with every weight
 *   perturbed through setWeights (h = 1e-6, float64: truncation error O(h²) ≈ 1e-12, round-off
 *   ≈ 1e-16·L/h ≈ 1e-10, so a correct gradient agrees to ~1e-8 relative; we require 1e-6).
 * - ReLU kinks are avoided by construction (every ReLU pre-activation is at least 0.02 from 0, while a
 *   perturbation moves it by at most ~1e-6); the kink itself (z = 0 exactly) is checked separately: the
 *   engine takes relu'(0) = 0, TensorFlow's choice, which equals the left derivative.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ActivationName, Affine, DenseSpec, InputSource, LossSpec, NetworkRunner, TargetSource } from '../../src/engine/backend.js';
import { TestRandom, allRows, assertClose, makeRunner, maxAbs, maxAbsDiff, paramSizes, targetAt, transformed } from './helpers.js';

const H = 1e-6;
const REL_TOL = 1e-6;
/** Absolute floor for elements whose gradient is ~0: the central difference's own round-off. */
const ABS_TOL = 1e-9;
const RELU_MARGIN = 0.02;

// ---------------------------------------------------------------------------------------------------
// A naive forward pass and loss, written from the definitions (independent of the engine's code).
// ---------------------------------------------------------------------------------------------------

function act(name: ActivationName, z: number[]): number[] {
  switch (name) {
    case 'linear':
      return z.slice();
    case 'relu':
      return z.map((v) => Math.max(v, 0));
    case 'sigmoid':
      return z.map((v) => 1 / (1 + Math.exp(-v)));
    case 'tanh':
      return z.map((v) => Math.tanh(v));
    case 'softmax': {
      const e = z.map((v) => Math.exp(v));
      const s = e.reduce((p, v) => p + v, 0);
      return e.map((v) => v / s);
    }
  }
}

function manualForward(layers: DenseSpec[], weights: Float64Array[], x: Float64Array, rows: number): { pre: number[][][]; post: number[][][] } {
  const pre: number[][][] = [];
  const post: number[][][] = [];
  let input: number[][] = Array.from({ length: rows }, (_, r) => Array.from(x.subarray(r * layers[0].inputSize, (r + 1) * layers[0].inputSize)));
  let w = 0;
  for (const layer of layers) {
    const kernel = weights[w++];
    const bias = layer.useBias ? weights[w++] : undefined;
    const z = input.map((row) =>
      Array.from({ length: layer.units }, (_, u) => row.reduce((s, xi, i) => s + xi * kernel[i * layer.units + u], bias ? bias[u] : 0)),
    );
    const y = z.map((row) => act(layer.activation, row));
    pre.push(z);
    post.push(y);
    input = y;
  }
  return { pre, post };
}

/** Keras' per-sample losses: CE on probabilities −Σ t·log p, from logits −Σ t·log softmax(o), MSE mean (o − t)². */
function manualLoss(loss: LossSpec, out: number[], target: number[]): number {
  if (loss.name === 'meanSquaredError') return out.reduce((s, o, j) => s + (o - target[j]) ** 2, 0) / out.length;
  const p = loss.fromLogits ? act('softmax', out) : out;
  return -target.reduce((s, t, j) => s + (t === 0 ? 0 : t * Math.log(p[j])), 0);
}

// ---------------------------------------------------------------------------------------------------
// The finite-difference check.
// ---------------------------------------------------------------------------------------------------

function meanLoss(runner: NetworkRunner, id: number, rows: number): number {
  const r = runner.evaluate(id, allRows(rows), rows);
  return r.lossSum / r.rows;
}

/** Central differences of the mean loss w.r.t. every weight, perturbing through setWeights. */
function numericGradients(runner: NetworkRunner, id: number, rows: number, h = H): Float64Array[] {
  const base = runner.getWeights();
  const out = base.map((w) => new Float64Array(w.length));
  for (let t = 0; t < base.length; t++) {
    for (let k = 0; k < base[t].length; k++) {
      const w = base.map((a) => Float64Array.from(a));
      w[t][k] = base[t][k] + h;
      runner.setWeights(w);
      const plus = meanLoss(runner, id, rows);
      w[t][k] = base[t][k] - h;
      runner.setWeights(w);
      const minus = meanLoss(runner, id, rows);
      out[t][k] = (plus - minus) / (2 * h);
    }
  }
  runner.setWeights(base);
  return out;
}

/** Normwise relative error: max over tensors of ‖g − fd‖∞ / ‖fd‖∞. */
function worstRelative(g: Float64Array[], fd: Float64Array[]): number {
  let worst = 0;
  g.forEach((gt, t) => {
    const scale = Math.max(maxAbs(gt), maxAbs(fd[t]));
    if (scale > 0) worst = Math.max(worst, maxAbsDiff(gt, fd[t]) / scale);
  });
  return worst;
}

function assertGradientsMatch(analytic: Float64Array[], numeric: Float64Array[], what: string): number {
  assert.equal(analytic.length, numeric.length, `${what}: number of gradient tensors`);
  analytic.forEach((g, t) => assertClose(g, numeric[t], REL_TOL, ABS_TOL, `${what} gradient ${t}`));
  return worstRelative(analytic, numeric);
}

// ---------------------------------------------------------------------------------------------------
// Test data.
// ---------------------------------------------------------------------------------------------------

const ROWS = 6;
type InputKind = 'uint8' | 'float';
const TRANSFORMS: Record<InputKind, Affine> = {
  // The lab's "symmetric" normalization of raw pixels: x / 127.5 − 1.
  uint8: { a: 2 / 255, b: -1 },
  float: { a: 0.7, b: 0.3 },
};

function makeInputs(kind: InputKind, rows: number, size: number, rnd: TestRandom): InputSource {
  const values = kind === 'uint8' ? Uint8Array.from({ length: rows * size }, () => rnd.int(256)) : rnd.array(rows * size, -2, 2);
  return { values, rows, inputSize: size, transform: TRANSFORMS[kind] };
}

type TargetKind = 'sparse' | 'soft' | 'unnormalized' | 'regression';

function makeTargets(kind: TargetKind, rows: number, width: number, rnd: TestRandom): TargetSource {
  if (kind === 'sparse') return { kind: 'sparse', labels: Uint8Array.from({ length: rows }, () => rnd.int(width)), rows };
  const values = new Float64Array(rows * width);
  for (let r = 0; r < rows; r++) {
    if (kind === 'soft') {
      // Soft (label-smoothed-like) targets summing to 1: exercises every term of Σ t·log p.
      const raw = Array.from({ length: width }, () => rnd.uniform(0.1, 1));
      const s = raw.reduce((p, v) => p + v, 0);
      raw.forEach((v, j) => (values[r * width + j] = v / s));
    } else if (kind === 'unnormalized') {
      // Non-negative targets that do not sum to 1: the loss is still −Σ t·log p, whose gradient w.r.t.
      // the logits is p·Σt − t (not p − t).
      for (let j = 0; j < width; j++) values[r * width + j] = rnd.uniform(0, 1);
    } else {
      for (let j = 0; j < width; j++) values[r * width + j] = rnd.uniform(-0.5, 1);
    }
  }
  return { kind: 'dense', values, rows, width };
}

function randomWeights(layers: DenseSpec[], rnd: TestRandom): Float64Array[] {
  const out: Float64Array[] = [];
  for (const l of layers) {
    out.push(rnd.array(l.inputSize * l.units, -0.8, 0.8));
    if (l.useBias) out.push(rnd.array(l.units, -0.5, 0.5));
  }
  return out;
}

/**
 * Draw weights until every ReLU pre-activation is at least RELU_MARGIN from the kink and every ReLU
 * layer has both live and dead units (so the check covers both branches and nothing is trivially 0).
 */
function weightsAwayFromKinks(layers: DenseSpec[], x: InputSource, seed: number): Float64Array[] {
  const xt = transformed(x.values, x.transform);
  for (let attempt = 0; attempt < 10000; attempt++) {
    const w = randomWeights(layers, new TestRandom(seed * 7919 + attempt));
    const { pre } = manualForward(layers, w, xt, x.rows);
    const ok = layers.every((l, i) => {
      if (l.activation !== 'relu') return true;
      const z = pre[i].flat();
      const live = z.filter((v) => v > 0).length;
      return z.every((v) => Math.abs(v) >= RELU_MARGIN) && live >= z.length / 4 && live <= (3 * z.length) / 4;
    });
    if (ok) return w;
  }
  throw new Error('could not draw weights away from the ReLU kinks');
}

interface Case {
  layers: DenseSpec[];
  loss: LossSpec;
  x: InputSource;
  y: TargetSource;
  weights: Float64Array[];
  label: string;
}

/** Runs every check for one network; returns the worst relative gradient error. */
function checkCase(c: Case): number {
  const runner = makeRunner({ layers: c.layers, loss: c.loss }, c.weights);
  const id = runner.loadData(c.x, c.y);
  const trace = runner.trace(id, allRows(c.x.rows), c.x.rows);

  // 1. Forward pass and per-sample losses against the naive implementation (this also checks that the
  //    input transform a·x + b is applied to the stored values).
  const manual = manualForward(c.layers, c.weights, transformed(c.x.values, c.x.transform), c.x.rows);
  c.layers.forEach((_, l) => {
    assertClose(trace.preActivations[l], manual.pre[l].flat(), 1e-12, 1e-13, `${c.label}: pre-activation ${l}`);
    assertClose(trace.activations[l], manual.post[l].flat(), 1e-12, 1e-13, `${c.label}: activation ${l}`);
  });
  const width = c.layers[c.layers.length - 1].units;
  const expectedLosses = manual.post[manual.post.length - 1].map((out, r) =>
    manualLoss(
      c.loss,
      out,
      Array.from({ length: width }, (_, j) => targetAt(c.y, r, j)),
    ),
  );
  assertClose(trace.losses, expectedLosses, 1e-10, 1e-13, `${c.label}: per-sample loss`);
  const evaluated = runner.evaluate(id, allRows(c.x.rows), c.x.rows);
  assertClose([evaluated.lossSum], [expectedLosses.reduce((s, v) => s + v, 0)], 1e-10, 0, `${c.label}: evaluate lossSum`);

  // 2. Gradients against central differences of the mean loss.
  const sizes = paramSizes(c.layers);
  assert.deepEqual(
    trace.gradients.map((g) => g.length),
    sizes,
    `${c.label}: gradient tensor sizes`,
  );
  for (const [t, g] of trace.gradients.entries()) assert.ok(maxAbs(g) > 1e-4, `${c.label}: gradient ${t} is (nearly) all zero, the check would be vacuous`);
  const numeric = numericGradients(runner, id, c.x.rows);
  const worst = assertGradientsMatch(trace.gradients, numeric, c.label);

  // 3. trace() must not change the weights or take an optimizer step.
  assert.deepEqual(
    runner.getWeights(),
    c.weights.map((w) => Float64Array.from(w)),
    `${c.label}: weights changed by trace/evaluate`,
  );
  runner.dispose();
  return worst;
}

// ---------------------------------------------------------------------------------------------------
// The matrix: hidden activation × (loss, output activation) × bias × input kind.
// ---------------------------------------------------------------------------------------------------

const HIDDEN: ActivationName[] = ['linear', 'relu', 'sigmoid', 'tanh', 'softmax'];

interface OutputCase {
  label: string;
  loss: LossSpec;
  activation: ActivationName;
  targets: TargetKind;
}

const OUTPUTS: OutputCase[] = [
  { label: 'sparseCE softmax (fused)', loss: { name: 'sparseCategoricalCrossentropy', fromLogits: false }, activation: 'softmax', targets: 'sparse' },
  { label: 'sparseCE fromLogits linear', loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true }, activation: 'linear', targets: 'sparse' },
  // fromLogits on a non-linear output: the softmax-CE gradient must still flow through tanh'.
  { label: 'sparseCE fromLogits tanh', loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true }, activation: 'tanh', targets: 'sparse' },
  { label: 'categoricalCE softmax (fused)', loss: { name: 'categoricalCrossentropy', fromLogits: false }, activation: 'softmax', targets: 'soft' },
  { label: 'categoricalCE fromLogits linear', loss: { name: 'categoricalCrossentropy', fromLogits: true }, activation: 'linear', targets: 'soft' },
  {
    label: 'categoricalCE softmax (fused), targets not summing to 1',
    loss: { name: 'categoricalCrossentropy', fromLogits: false },
    activation: 'softmax',
    targets: 'unnormalized',
  },
  {
    label: 'categoricalCE fromLogits linear, targets not summing to 1',
    loss: { name: 'categoricalCrossentropy', fromLogits: true },
    activation: 'linear',
    targets: 'unnormalized',
  },
  ...(['linear', 'relu', 'sigmoid', 'tanh', 'softmax'] as ActivationName[]).map((a) => ({
    label: `MSE ${a}`,
    loss: { name: 'meanSquaredError', fromLogits: false } as LossSpec,
    activation: a,
    targets: 'regression' as const,
  })),
];

describe('finite-difference gradients, input 5 → dense 4 → dense 3 (float64 reference)', () => {
  let seed = 1;
  for (const out of OUTPUTS) {
    for (const hidden of HIDDEN) {
      it(`hidden ${hidden}, ${out.label}`, (t) => {
        let worstHere = 0;
        for (const useBias of [true, false]) {
          for (const inputKind of ['uint8', 'float'] as InputKind[]) {
            const rnd = new TestRandom(++seed);
            const layers: DenseSpec[] = [
              { inputSize: 5, units: 4, activation: hidden, useBias },
              { inputSize: 4, units: 3, activation: out.activation, useBias },
            ];
            const x = makeInputs(inputKind, ROWS, 5, rnd);
            const y = makeTargets(out.targets, ROWS, 3, rnd);
            const label = `${hidden}/${out.label}/${useBias ? 'bias' : 'no bias'}/${inputKind}`;
            const worst = checkCase({ layers, loss: out.loss, x, y, weights: weightsAwayFromKinks(layers, x, seed), label });
            assert.ok(worst < REL_TOL, `${label}: worst relative error ${worst}`);
            worstHere = Math.max(worstHere, worst);
          }
        }
        t.diagnostic(`worst normwise relative error ${worstHere.toExponential(2)}`);
      });
    }
  }
});

describe('finite-difference gradients, deeper networks', () => {
  const cases: { label: string; layers: DenseSpec[]; loss: LossSpec; targets: TargetKind }[] = [
    {
      label: '5 → 4 tanh → 3 relu → 3 softmax, sparse CE (fused)',
      layers: [
        { inputSize: 5, units: 4, activation: 'tanh', useBias: true },
        { inputSize: 4, units: 3, activation: 'relu', useBias: true },
        { inputSize: 3, units: 3, activation: 'softmax', useBias: true },
      ],
      loss: { name: 'sparseCategoricalCrossentropy', fromLogits: false },
      targets: 'sparse',
    },
    {
      label: '5 → 4 sigmoid → 4 softmax (no bias) → 2 linear, MSE',
      layers: [
        { inputSize: 5, units: 4, activation: 'sigmoid', useBias: true },
        { inputSize: 4, units: 4, activation: 'softmax', useBias: false },
        { inputSize: 4, units: 2, activation: 'linear', useBias: true },
      ],
      loss: { name: 'meanSquaredError', fromLogits: false },
      targets: 'regression',
    },
    {
      label: '5 → 6 relu → 4 relu → 3 linear, categorical CE fromLogits',
      layers: [
        { inputSize: 5, units: 6, activation: 'relu', useBias: true },
        { inputSize: 6, units: 4, activation: 'relu', useBias: true },
        { inputSize: 4, units: 3, activation: 'linear', useBias: true },
      ],
      loss: { name: 'categoricalCrossentropy', fromLogits: true },
      targets: 'soft',
    },
  ];
  for (const [i, c] of cases.entries()) {
    for (const inputKind of ['uint8', 'float'] as InputKind[]) {
      it(`${c.label}, ${inputKind} input`, (t) => {
        const rnd = new TestRandom(1000 + i * 10 + (inputKind === 'uint8' ? 1 : 2));
        const x = makeInputs(inputKind, 8, 5, rnd);
        const y = makeTargets(c.targets, 8, c.layers[c.layers.length - 1].units, rnd);
        const worst = checkCase({ layers: c.layers, loss: c.loss, x, y, weights: weightsAwayFromKinks(c.layers, x, 50 + i), label: c.label });
        assert.ok(worst < REL_TOL, 'worst < REL_TOL');
        t.diagnostic(`worst normwise relative error ${worst.toExponential(2)}`);
      });
    }
  }
});

describe('the gradient check itself', () => {
  it('detects a gradient that is wrong by 1e-5 relative in a single element', () => {
    const layers: DenseSpec[] = [
      { inputSize: 5, units: 4, activation: 'tanh', useBias: true },
      { inputSize: 4, units: 3, activation: 'softmax', useBias: true },
    ];
    const rnd = new TestRandom(77);
    const x = makeInputs('float', ROWS, 5, rnd);
    const y = makeTargets('sparse', ROWS, 3, rnd);
    const runner = makeRunner({ layers, loss: { name: 'sparseCategoricalCrossentropy', fromLogits: false } }, randomWeights(layers, rnd));
    const id = runner.loadData(x, y);
    const g = runner.trace(id, allRows(ROWS), ROWS).gradients;
    const fd = numericGradients(runner, id, ROWS);
    assertGradientsMatch(g, fd, 'unmodified');
    g[2][5] *= 1 + 1e-5;
    assert.throws(() => assertGradientsMatch(g, fd, 'modified'), /gradient 2\[5\]/);
  });
});

describe('ReLU at the kink (z = 0 exactly)', () => {
  it("uses relu'(0) = 0 (TensorFlow's subgradient), i.e. the left derivative", () => {
    // x = [1, 1], W1 = [0.5, −0.5] ⇒ z1 = 0 exactly; W2 = 2, MSE to target −1.
    const layers: DenseSpec[] = [
      { inputSize: 2, units: 1, activation: 'relu', useBias: false },
      { inputSize: 1, units: 1, activation: 'linear', useBias: false },
    ];
    const weights = [Float64Array.of(0.5, -0.5), Float64Array.of(2)];
    const runner = makeRunner({ layers, loss: { name: 'meanSquaredError', fromLogits: false } }, weights);
    const id = runner.loadData(
      { values: Float64Array.of(1, 1), rows: 1, inputSize: 2, transform: { a: 1, b: 0 } },
      { kind: 'dense', values: Float64Array.of(-1), rows: 1, width: 1 },
    );
    const trace = runner.trace(id, allRows(1), 1);
    assert.equal(trace.preActivations[0][0], 0);
    assert.equal(trace.gradients[0][0], 0);
    assert.equal(trace.gradients[0][1], 0);
    // One-sided differences on W1[0]: from the right the unit is live (out = 2·h ⇒ dL/dW1[0] = 2·(0+1)·2 = 4),
    // from the left it is dead (0). The engine's value must equal the left one, and the two must differ.
    const at = (w0: number) => {
      runner.setWeights([Float64Array.of(w0, -0.5), Float64Array.of(2)]);
      return meanLoss(runner, id, 1);
    };
    const h = 1e-6;
    const right = (at(0.5 + h) - at(0.5)) / h;
    const left = (at(0.5) - at(0.5 - h)) / h;
    assert.ok(Math.abs(right - 4) < 1e-4, `right derivative ${right}`);
    assert.equal(left, 0);
    // The W2 gradient is 0 as well: the relu output is exactly 0.
    assert.equal(trace.gradients[1][0], 0);
  });
});

describe('float32 gradients', () => {
  it('agree with the float64 gradients to float32 precision', () => {
    const layers: DenseSpec[] = [
      { inputSize: 5, units: 4, activation: 'relu', useBias: true },
      { inputSize: 4, units: 3, activation: 'softmax', useBias: true },
    ];
    const rnd = new TestRandom(4242);
    const x = makeInputs('uint8', ROWS, 5, rnd);
    const y = makeTargets('sparse', ROWS, 3, rnd);
    // float32-representable weights, so both runs start from identical values.
    const w = weightsAwayFromKinks(layers, x, 4242).map((a) => Float64Array.from(a, Math.fround));
    const loss: LossSpec = { name: 'sparseCategoricalCrossentropy', fromLogits: false };
    const r64 = makeRunner({ layers, loss, dtype: 'float64' }, w);
    const r32 = makeRunner({ layers, loss, dtype: 'float32' }, w);
    const g64 = r64.trace(r64.loadData(x, y), allRows(ROWS), ROWS).gradients;
    const g32 = r32.trace(r32.loadData(x, y), allRows(ROWS), ROWS).gradients;
    g32.forEach((g, t) => {
      assertClose(g, g64[t], 1e-5, 1e-7, `float32 gradient ${t}`);
      for (const v of g) assert.equal(v, Math.fround(v), 'float32 gradients are float32 values');
    });
    // ...but they are not bit-identical to float64 (the dtype is really used).
    assert.ok(
      g32.some((g, t) => g.some((v, k) => v !== g64[t][k])),
      'g32.some((g, t) => g.some((v, k) => v !== g64[t][k]))',
    );
  });
});
