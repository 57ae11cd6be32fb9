/**
 * Optimizer steps against hand-computed values.
 *
 * The update rules below are written here from TensorFlow.js' source (tfjs-core 4.22,
 * src/optimizers/*_optimizer.ts), not from the engine's code, and applied to the gradient of the mean
 * batch loss. That gradient comes either from a formula worked out by hand (single-weight network) or
 * from `runner.trace()` (whose correctness gradients.test.ts establishes by finite differences).
 *
 * tfjs, per parameter tensor w with gradient g (t = number of the step, 1-based):
 * - SGDOptimizer:       w ← w − lr·g
 * - MomentumOptimizer:  a ← m·a + g;  w ← w − lr·a,  or with useNesterov  w ← w − lr·(g + m·a)
 * - AdamOptimizer:      m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;
 *                       w ← w − lr · (m / (1−β1^t)) / (√(v / (1−β2^t)) + ε)
 *                       (tfjs keeps β^t as accBeta = β·accBeta, starting at β; ε outside the root)
 * - RMSPropOptimizer:   ms ← ρ·ms + (1−ρ)·g²;  mom ← μ·mom + lr·g / √(ms + ε);  w ← w − mom
 *                       (ε *inside* the root; Python Keras 2 put it outside)
 *   centered:           mg ← ρ·mg + (1−ρ)·g;   mom ← μ·mom + lr·g / √(ms − mg² + ε)
 *   NOTE: tfjs 4.22 literally computes √(ms − (mg² + ε)), i.e. it *subtracts* ε. That is a sign slip in
 *   tfjs: for a parameter whose gradient is always 0 (e.g. the kernel row of an always-black border
 *   pixel) ms = mg = 0 and tfjs takes √(−ε) = NaN. normlab follows TensorFlow's ApplyCenteredRMSProp
 *   kernel (√(ms − mg² + ε)), and the test below holds it to that and checks the zero-gradient case.
 * - normlab's paramScales multiply lr (all optimizers) and ε (Adam, RMSprop) per parameter tensor.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DenseSpec, InputSource, LossSpec, OptimizerSpec, ParamScale, TargetSource } from '../../src/engine/backend.js';
import { layers, sequential, tensor, train, withParamScales, type Sequential } from '../../src/engine/index.js';
import { TestRandom, allRows, assertClose, makeRunner, maxAbsDiff } from './helpers.js';

// ---------------------------------------------------------------------------------------------------
// 1. One weight, gradient by hand: out = w·x', L = (out − t)², dL/dw = 2·(w·x' − t)·x'.
//    x stored as 4 with transform a = 0.5 ⇒ x' = 2; t = 1; w0 = 1 ⇒ g1 = 2·(2 − 1)·2 = 4.
// ---------------------------------------------------------------------------------------------------

const ONE_WEIGHT: DenseSpec[] = [{ inputSize: 1, units: 1, activation: 'linear', useBias: false }];
const MSE: LossSpec = { name: 'meanSquaredError', fromLogits: false };

function oneWeightRun(optimizer: OptimizerSpec, steps: number): { weights: number[]; losses: number[] } {
  const runner = makeRunner({ layers: ONE_WEIGHT, loss: MSE, optimizer }, [Float64Array.of(1)]);
  const id = runner.loadData(
    { values: Float64Array.of(4), rows: 1, inputSize: 1, transform: { a: 0.5, b: 0 } },
    { kind: 'dense', values: Float64Array.of(1), rows: 1, width: 1 },
  );
  const weights: number[] = [];
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    losses.push(runner.trainBatch(id, allRows(1), 1).lossSum);
    weights.push(runner.getWeights()[0][0]);
  }
  return { weights, losses };
}

const close = (actual: number[], expected: number[], what: string) => assertClose(actual, expected, 1e-12, 1e-15, what);

describe('optimizer steps on a single weight, worked out by hand', () => {
  it('sgd lr 0.1: w = 0.6, 0.52, 0.504; losses (before each update) 1, 0.04, 0.0016', () => {
    // g1 = 4 → w1 = 1 − 0.4 = 0.6; out 1.2, g2 = 2·0.2·2 = 0.8 → w2 = 0.52; g3 = 2·0.04·2 = 0.16 → w3 = 0.504.
    const r = oneWeightRun(train.sgd(0.1), 3);
    close(r.weights, [0.6, 0.52, 0.504], 'sgd weights');
    close(r.losses, [1, 0.04, 0.0016], 'sgd losses');
  });

  it('momentum 0.9, lr 0.1: w = 0.6, 0.16, 0.036', () => {
    // a1 = 4 → w1 = 0.6; g2 = 0.8, a2 = 0.9·4 + 0.8 = 4.4 → w2 = 0.6 − 0.44 = 0.16;
    // out 0.32, g3 = 2·(−0.68)·2 = −2.72, a3 = 0.9·4.4 − 2.72 = 1.24 → w3 = 0.16 − 0.124 = 0.036.
    const r = oneWeightRun(train.momentum(0.1, 0.9), 3);
    close(r.weights, [0.6, 0.16, 0.036], 'momentum weights');
    close(r.losses, [1, 0.04, (0.32 - 1) ** 2], 'momentum losses');
  });

  it('nesterov momentum 0.9, lr 0.1: w = 0.24, 0.3112', () => {
    // a1 = 4, step g + m·a = 4 + 3.6 = 7.6 → w1 = 1 − 0.76 = 0.24; out 0.48, g2 = 2·(−0.52)·2 = −2.08,
    // a2 = 3.6 − 2.08 = 1.52, step −2.08 + 0.9·1.52 = −0.712 → w2 = 0.24 + 0.0712 = 0.3112.
    const r = oneWeightRun(train.momentum(0.1, 0.9, true), 2);
    close(r.weights, [0.24, 0.3112], 'nesterov weights');
  });

  it('adam: the first step is lr·g/(|g| + ε) (bias correction makes m̂ = g, v̂ = g²); the second by formula', () => {
    const lr = 0.01;
    const r = oneWeightRun(train.adam(lr, 0.9, 0.999, 1e-7), 2);
    const w1 = 1 - (lr * 4) / (4 + 1e-7);
    close([r.weights[0]], [w1], 'adam step 1');
    // Step 2 by hand: g2 = 2·(2·w1 − 1)·2.
    const g2 = 4 * (2 * w1 - 1);
    const m = 0.9 * (0.1 * 4) + 0.1 * g2;
    const v = 0.999 * (0.001 * 16) + 0.001 * g2 * g2;
    const w2 = w1 - (lr * (m / (1 - 0.9 ** 2))) / (Math.sqrt(v / (1 - 0.999 ** 2)) + 1e-7);
    close([r.weights[1]], [w2], 'adam step 2');
    // Without bias correction step 2 would be visibly different: the test can tell.
    assert.ok(Math.abs(w2 - (w1 - (lr * m) / (Math.sqrt(v) + 1e-7))) > 1e-4, 'Math.abs(w2 - (w1 - (lr * m) / (Math.sqrt(v) + 1e-7))) > 1e-4');
  });

  it('rmsprop ρ 0.9, lr 0.01: first step lr·g/√(0.1·g² + ε)', () => {
    const r = oneWeightRun(train.rmsprop(0.01, 0.9, 0, 1e-7), 1);
    close(r.weights, [1 - (0.01 * 4) / Math.sqrt(0.1 * 16 + 1e-7)], 'rmsprop step 1');
  });

  it('centered rmsprop, first step: lr·g/√(0.1·g² − (0.1·g)² + ε)', () => {
    const r = oneWeightRun(train.rmsprop(0.01, 0.9, 0, 1e-7, true), 1);
    close(r.weights, [1 - (0.01 * 4) / Math.sqrt(0.1 * 16 - 0.4 * 0.4 + 1e-7)], 'centered rmsprop step 1');
  });
});

// ---------------------------------------------------------------------------------------------------
// 2. Several steps on a small two-layer network, every parameter tensor, gradients from trace().
// ---------------------------------------------------------------------------------------------------

interface HandState {
  t: number;
  s1: Float64Array[];
  s2: Float64Array[];
  s3: Float64Array[];
}

/** The tfjs update rules (see the header), applied independently of the engine. */
function handStep(spec: OptimizerSpec, st: HandState, w: Float64Array[], g: Float64Array[]): void {
  st.t += 1;
  w.forEach((wi, i) => {
    const scale: ParamScale = spec.paramScales?.[i] ?? { lr: 1, epsilon: 1 };
    const lr = spec.learningRate * scale.lr;
    for (let k = 0; k < wi.length; k++) {
      const gk = g[i][k];
      if (spec.name === 'sgd') {
        if (spec.momentum === 0) {
          wi[k] -= lr * gk;
        } else {
          st.s1[i][k] = spec.momentum * st.s1[i][k] + gk;
          wi[k] -= lr * (spec.nesterov ? gk + spec.momentum * st.s1[i][k] : st.s1[i][k]);
        }
      } else if (spec.name === 'adam') {
        const eps = spec.epsilon * scale.epsilon;
        st.s1[i][k] = spec.beta1 * st.s1[i][k] + (1 - spec.beta1) * gk;
        st.s2[i][k] = spec.beta2 * st.s2[i][k] + (1 - spec.beta2) * gk * gk;
        const mHat = st.s1[i][k] / (1 - spec.beta1 ** st.t);
        const vHat = st.s2[i][k] / (1 - spec.beta2 ** st.t);
        wi[k] -= (lr * mHat) / (Math.sqrt(vHat) + eps);
      } else {
        const eps = spec.epsilon * scale.epsilon;
        st.s1[i][k] = spec.rho * st.s1[i][k] + (1 - spec.rho) * gk * gk;
        let denominator = st.s1[i][k] + eps;
        if (spec.centered) {
          st.s3[i][k] = spec.rho * st.s3[i][k] + (1 - spec.rho) * gk;
          denominator = st.s1[i][k] - st.s3[i][k] ** 2 + eps;
        }
        st.s2[i][k] = spec.momentum * st.s2[i][k] + (lr * gk) / Math.sqrt(denominator);
        wi[k] -= st.s2[i][k];
      }
    }
  });
}

const NET: DenseSpec[] = [
  { inputSize: 3, units: 4, activation: 'tanh', useBias: true },
  { inputSize: 4, units: 2, activation: 'linear', useBias: true },
];

function netData(): { x: InputSource; y: TargetSource; w: Float64Array[] } {
  const rnd = new TestRandom(99);
  return {
    x: { values: rnd.array(15, -1, 1), rows: 5, inputSize: 3, transform: { a: 1.5, b: -0.25 } },
    y: { kind: 'dense', values: rnd.array(10, -1, 1), rows: 5, width: 2 },
    w: [rnd.array(12, -0.7, 0.7), rnd.array(4, -0.2, 0.2), rnd.array(8, -0.7, 0.7), rnd.array(2, -0.2, 0.2)],
  };
}

/** Runs `steps` engine steps and hand steps side by side; returns the final engine weights. */
function compareSteps(spec: OptimizerSpec, steps: number): Float64Array[] {
  const { x, y, w } = netData();
  const runner = makeRunner({ layers: NET, loss: MSE, optimizer: spec }, w);
  const id = runner.loadData(x, y);
  const expected = w.map((a) => Float64Array.from(a));
  const st: HandState = {
    t: 0,
    s1: w.map((a) => new Float64Array(a.length)),
    s2: w.map((a) => new Float64Array(a.length)),
    s3: w.map((a) => new Float64Array(a.length)),
  };
  for (let s = 0; s < steps; s++) {
    const trace = runner.trace(id, allRows(5), 5);
    const lossBefore = trace.losses.reduce((p, v) => p + v, 0);
    handStep(spec, st, expected, trace.gradients);
    const result = runner.trainBatch(id, allRows(5), 5);
    // The reported loss is the batch's loss *before* the update, as Keras/tfjs report it.
    assertClose([result.lossSum], [lossBefore], 1e-14, 0, `${spec.name} step ${s + 1} loss`);
    runner.getWeights().forEach((got, i) => assertClose(got, expected[i], 1e-12, 1e-15, `${spec.name} step ${s + 1} tensor ${i}`));
  }
  const final = runner.getWeights();
  // Meaningful: the weights moved.
  assert.ok(
    final.some((f, i) => maxAbsDiff(f, w[i]) > 1e-4),
    'the optimizer did not move the weights',
  );
  return final;
}

describe('optimizer steps on a 3 → 4 tanh → 2 network (3 steps, every tensor)', () => {
  const configs: [string, OptimizerSpec][] = [
    ['sgd', train.sgd(0.1)],
    ['sgd momentum 0.9', train.momentum(0.05, 0.9)],
    ['sgd nesterov 0.9', train.momentum(0.05, 0.9, true)],
    ['adam (defaults, lr 0.01)', train.adam(0.01)],
    ['adam β1 0.5 β2 0.9 ε 1e-2 (ε matters)', train.adam(0.01, 0.5, 0.9, 1e-2)],
    ['rmsprop', train.rmsprop(0.01)],
    ['rmsprop momentum 0.5', train.rmsprop(0.01, 0.8, 0.5)],
    ['rmsprop centered', train.rmsprop(0.01, 0.9, 0, 1e-7, true)],
    ['rmsprop centered momentum 0.7, ε 1e-3', train.rmsprop(0.01, 0.9, 0.7, 1e-3, true)],
  ];
  for (const [label, spec] of configs) it(label, () => void compareSteps(spec, 3));
});

describe('paramScales (per-tensor lr and ε multipliers)', () => {
  const scales: ParamScale[] = [
    { lr: 0.25, epsilon: 10 },
    { lr: 2, epsilon: 0.1 },
    { lr: 1, epsilon: 100 },
    // the fourth tensor is missing on purpose: missing entries mean {lr: 1, epsilon: 1}
  ];
  const configs: [string, OptimizerSpec][] = [
    ['sgd', train.sgd(0.1)],
    ['sgd momentum', train.momentum(0.05, 0.9)],
    ['adam, ε 1e-3', train.adam(0.01, 0.9, 0.999, 1e-3)],
    ['rmsprop, ε 1e-3', train.rmsprop(0.01, 0.9, 0, 1e-3)],
    ['rmsprop centered, ε 1e-3', train.rmsprop(0.01, 0.9, 0.5, 1e-3, true)],
  ];
  for (const [label, spec] of configs) {
    it(`${label}: matches the hand formula and differs from the unscaled run`, () => {
      const scaled = compareSteps(withParamScales(spec, scales), 3);
      const plain = compareSteps(spec, 3);
      for (let i = 0; i < 3; i++) assert.ok(maxAbsDiff(scaled[i], plain[i]) > 1e-6, `tensor ${i} unaffected by its scale`);
    });
  }

  it('explicit {lr: 1, epsilon: 1} entries give exactly the unscaled update', () => {
    const scaled = compareSteps(
      withParamScales(train.sgd(0.1), [
        { lr: 1, epsilon: 1 },
        { lr: 1, epsilon: 1 },
        { lr: 1, epsilon: 1 },
      ]),
      1,
    );
    const plain = compareSteps(train.sgd(0.1), 1);
    assert.deepEqual(scaled, plain);
  });
});

describe('optimizer state', () => {
  it('setLearningRate keeps Adam moments and step count; resetOptimizer forgets them', () => {
    const { x, y, w } = netData();
    const spec = train.adam(0.01);
    const runner = makeRunner({ layers: NET, loss: MSE, optimizer: spec }, w);
    const id = runner.loadData(x, y);
    const st: HandState = {
      t: 0,
      s1: w.map((a) => new Float64Array(a.length)),
      s2: w.map((a) => new Float64Array(a.length)),
      s3: w.map((a) => new Float64Array(a.length)),
    };
    const expected = w.map((a) => Float64Array.from(a));
    const step = (lr: number) => {
      handStep({ ...spec, learningRate: lr }, st, expected, runner.trace(id, allRows(5), 5).gradients);
      runner.trainBatch(id, allRows(5), 5);
      runner.getWeights().forEach((got, i) => assertClose(got, expected[i], 1e-12, 1e-15, `lr ${lr}, tensor ${i}`));
    };
    step(0.01);
    runner.setLearningRate(0.002);
    step(0.002);
    runner.resetOptimizer();
    st.t = 0;
    for (const s of [...st.s1, ...st.s2]) s.fill(0);
    step(0.002); // bias correction as for step 1 again
  });

  it('centered rmsprop keeps a parameter with an always-zero gradient finite (tfjs would give NaN)', () => {
    // Input feature 0 is always 0 ⇒ the gradient of kernel row 0 is exactly 0 at every step.
    const runner = makeRunner(
      { layers: [{ inputSize: 2, units: 1, activation: 'linear', useBias: false }], loss: MSE, optimizer: train.rmsprop(0.01, 0.9, 0, 1e-7, true) },
      [Float64Array.of(0.3, 0.5)],
    );
    const id = runner.loadData(
      { values: Float64Array.of(0, 1, 0, 2), rows: 2, inputSize: 2, transform: { a: 1, b: 0 } },
      { kind: 'dense', values: Float64Array.of(1, 1), rows: 2, width: 1 },
    );
    for (let s = 0; s < 3; s++) runner.trainBatch(id, allRows(2), 2);
    const [w] = runner.getWeights();
    assert.equal(w[0], 0.3, 'a zero gradient must leave the weight unchanged');
    assert.ok(Number.isFinite(w[1]) && w[1] !== 0.5, 'Number.isFinite(w[1]) && w[1] !== 0.5');
  });

  it('float32 runs round every stored value to float32 and stay close to the float64 hand formula', () => {
    const { x, y, w } = netData();
    const w32 = w.map((a) => Float64Array.from(a, Math.fround));
    const spec = train.adam(0.01);
    const runner = makeRunner({ layers: NET, loss: MSE, optimizer: spec, dtype: 'float32' }, w32);
    const ref = makeRunner({ layers: NET, loss: MSE, optimizer: spec, dtype: 'float64' }, w32);
    const id = runner.loadData(x, y);
    const refId = ref.loadData(x, y);
    for (let s = 0; s < 3; s++) {
      runner.trainBatch(id, allRows(5), 5);
      ref.trainBatch(refId, allRows(5), 5);
    }
    runner.getWeights().forEach((got, i) => {
      for (const v of got) assert.equal(v, Math.fround(v));
      assertClose(got, ref.getWeights()[i], 1e-5, 1e-6, `float32 vs float64 tensor ${i}`);
    });
  });
});

describe('compile() optimizer names use the Keras / tfjs defaults', () => {
  const model = (): Sequential => sequential({ seed: 1, layers: [layers.dense({ inputShape: [2], units: 2, activation: 'softmax' })] });
  it("'adam' is lr 0.001, β1 0.9, β2 0.999, ε 1e-7", () => {
    const m = model();
    m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    assert.deepEqual(m.optimizerSpec, { name: 'adam', learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
  });
  it("'sgd' is lr 0.01 without momentum; 'rmsprop' is lr 0.001, ρ 0.9, ε 1e-7", () => {
    const m = model();
    m.compile({ optimizer: 'SGD', loss: 'sparseCategoricalCrossentropy' });
    assert.deepEqual(m.optimizerSpec, { name: 'sgd', learningRate: 0.01, momentum: 0, nesterov: false });
    m.compile({ optimizer: 'rmsprop', loss: 'sparseCategoricalCrossentropy' });
    assert.deepEqual(m.optimizerSpec, { name: 'rmsprop', learningRate: 0.001, rho: 0.9, momentum: 0, epsilon: 1e-7, centered: false });
  });
  it('unknown optimizers and bad learning rates are refused with the valid names', () => {
    const m = model();
    assert.throws(() => m.compile({ optimizer: 'adamw', loss: 'mse' }), /unknown optimizer 'adamw'.*/);
    assert.throws(() => m.compile({ optimizer: train.sgd(-1), loss: 'mse' }), /invalid optimizer config/);
  });
});

describe('paramScales reproduce normalization (the reparametrisation experiment)', () => {
  // A model on x/255 with first kernel W is the same function as a model on raw x with kernel W/255.
  // d/d(W/255) = 255·d/dW, so SGD on the raw model needs lr/255² on that kernel; Adam (invariant to the
  // gradient's scale except through ε) needs lr/255 and ε·255. Then both runs stay the same function.
  const rnd = new TestRandom(2024);
  const n = 40;
  const pixels = Uint8Array.from({ length: n * 6 }, () => rnd.int(256));
  const labels = Int32Array.from({ length: n }, () => rnd.int(3));
  const build = () =>
    sequential({
      seed: 5,
      dtype: 'float64',
      layers: [layers.dense({ inputShape: [6], units: 5, activation: 'relu' }), layers.dense({ units: 3, activation: 'softmax' })],
    });
  const cases: [string, OptimizerSpec, ParamScale][] = [
    ['sgd: lr/255² on the first kernel', train.sgd(0.5), { lr: 1 / 255 ** 2, epsilon: 1 }],
    ['adam: lr/255 and ε·255 on the first kernel', train.adam(0.01, 0.9, 0.999, 1e-4), { lr: 1 / 255, epsilon: 255 }],
  ];
  for (const [label, spec, scale] of cases) {
    it(label, async () => {
      const x = tensor(pixels, [n, 6]);
      const y = tensor(labels, [n], 'int32');
      const normalized = build();
      const raw = build();
      const w = normalized.getWeights();
      raw.setWeights([Float64Array.from(w[0].dataSync(), (v) => v / 255), ...w.slice(1)]);
      normalized.compile({ optimizer: spec, loss: 'sparseCategoricalCrossentropy' });
      raw.compile({ optimizer: withParamScales(spec, [scale]), loss: 'sparseCategoricalCrossentropy' });
      const hN = await normalized.fit(x.div(255), y, { epochs: 3, batchSize: 8, verbose: 0 });
      const hR = await raw.fit(x, y, { epochs: 3, batchSize: 8, verbose: 0 });
      assertClose(hR.history.loss, hN.history.loss, 1e-9, 0, 'epoch losses');
      const wN = normalized.getWeights();
      const wR = raw.getWeights();
      assertClose(
        Float64Array.from(wR[0].dataSync(), (v) => v * 255),
        wN[0].dataSync(),
        1e-8,
        1e-12,
        'first kernel ×255',
      );
      for (let i = 1; i < 4; i++) assertClose(wR[i].dataSync(), wN[i].dataSync(), 1e-8, 1e-12, `tensor ${i}`);
      assert.ok(maxAbsDiff(wN[0].dataSync(), w[0].dataSync()) > 1e-3, 'training moved the weights');
      // Control: without the scales the raw run is a different run.
      const control = build();
      control.setWeights([Float64Array.from(w[0].dataSync(), (v) => v / 255), ...w.slice(1)]);
      control.compile({ optimizer: spec, loss: 'sparseCategoricalCrossentropy' });
      const hC = await control.fit(x, y, { epochs: 3, batchSize: 8, verbose: 0 });
      assert.ok(Math.abs(hC.history.loss[2] - hN.history.loss[2]) > 1e-4, 'Math.abs(hC.history.loss[2] - hN.history.loss[2]) > 1e-4');
    });
  }
});
