/** Probes: diagnostics from a trace, and the callback that collects them during fit. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { NetworkSpec, Trace } from '../../src/engine/backend.js';
import { layers } from '../../src/engine/layers/index.js';
import { sequential } from '../../src/engine/model/sequential.js';
import { diagnose, ProbeCallback, updateRatios } from '../../src/engine/probes.js';
import { Tensor } from '../../src/engine/tensor.js';

const spec: Pick<NetworkSpec, 'layers' | 'dtype'> = {
  dtype: 'float32',
  layers: [
    { inputSize: 2, units: 3, activation: 'relu', useBias: true },
    { inputSize: 3, units: 2, activation: 'softmax', useBias: true },
  ],
};

function trace(): Trace {
  // 2 samples. Hidden unit 2 is ≤ 0 for both → dead. Sample 0's softmax is exactly [1, 0].
  return {
    preActivations: [Float64Array.of(1, -2, 0, 3, 4, -1), Float64Array.of(100, 0, 1, 3)],
    activations: [Float64Array.of(1, 0, 0, 3, 4, 0), Float64Array.of(1, 0, 0.119, 0.881)],
    gradients: [Float64Array.of(3, 4, 0, 0, 0, 0), Float64Array.of(0, 0, 0), Float64Array.of(0, 0, 0, 0, 0, 0), Float64Array.of(0, 0)],
    losses: Float64Array.of(0, 2),
  };
}

describe('diagnose', () => {
  test('dead units, logit gaps, exact softmax saturation, gradient norms', () => {
    const weights = [Float64Array.of(1, 0, 0, 0, 0, 0), new Float64Array(3), new Float64Array(6), new Float64Array(2)];
    const d = diagnose(spec, trace(), [0, 0], weights, [0.5, 0, 0.1, 0]);
    assert.equal(d.layers[0].deadFraction, 1 / 3);
    assert.equal(d.layers[0].activeFraction, 3 / 6);
    assert.equal(d.layers[0].meanAbsPre, (1 + 2 + 0 + 3 + 4 + 1) / 6);
    assert.equal(d.layers[0].kernelGradNorm, 5);
    assert.equal(d.layers[0].updateRatio, 0.5);
    assert.equal(d.logits.gapMax, 100);
    assert.equal(d.logits.gapMedian, (100 + 2) / 2);
    assert.equal(d.softmax.maxExactlyOne, 0.5);
    assert.equal(d.softmax.trueProbZero, 0, 'sample 1 true class 0 has p 0.119');
    // ‖softmax − one-hot‖: 0 for sample 0 (certain and right), ‖(0.119 − 1, 0.881)‖ for sample 1
    assert.ok(Math.abs(d.softmax.errorNorm - Math.hypot(0.881, 0.881) / 2) < 1e-12, `errorNorm ${d.softmax.errorNorm}`);
    assert.equal(d.acc, 0.5);
    assert.equal(d.loss, 1);
    assert.deepEqual(d.nonFinite, { preActivations: 0, activations: 0, gradients: 0, losses: 0, weights: 0 });
  });

  test('non-finite values are counted', () => {
    const t = trace();
    t.losses[1] = NaN;
    t.preActivations[1][0] = Infinity;
    const d = diagnose(spec, t, [0, 0], [Float64Array.of(NaN), new Float64Array(3), new Float64Array(6), new Float64Array(2)]);
    assert.equal(d.nonFinite.losses, 1);
    assert.equal(d.nonFinite.preActivations, 1);
    assert.equal(d.nonFinite.weights, 1);
  });

  test('update ratios', () => {
    assert.deepEqual(updateRatios([Float64Array.of(3, 4), Float64Array.of(0)], [Float64Array.of(3, 5), Float64Array.of(0)]), [0.2, 0]);
  });
});

describe('ProbeCallback during fit', () => {
  test('probes at the chosen steps and every epoch end, with update ratios, and stops at maxSteps', async () => {
    const n = 40;
    const x = new Tensor(
      Float32Array.from({ length: n * 4 }, (_, i) => ((i * 7) % 11) / 11),
      [n, 4],
    );
    const y = new Tensor(
      Uint8Array.from({ length: n }, (_, i) => i % 3),
      [n],
    );
    const model = sequential({
      seed: 3,
      backend: 'reference',
      layers: [layers.dense({ units: 5, activation: 'relu', inputShape: [4] }), layers.dense({ units: 3, activation: 'softmax' })],
    });
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const seen: number[] = [];
    const probe = new ProbeCallback({ x, y, steps: [0, 1, 3], recordStepLosses: true, keepOutputs: true, onProbe: (p) => void seen.push(p.step) });
    await model.fit(x, y, { epochs: 2, batchSize: 10, verbose: 0, callbacks: [probe] });
    assert.deepEqual(
      probe.probes.map((p) => [p.step, p.kind]),
      [
        [0, 'init'],
        [1, 'step'],
        [3, 'step'],
        [4, 'epoch'],
        [8, 'epoch'],
      ],
    );
    assert.deepEqual(seen, [0, 1, 3, 4, 8]);
    assert.equal(probe.stepLosses.length, 8);
    for (const p of probe.probes) assert.ok(p.layers[0].updateRatio !== null && p.layers[0].updateRatio > 0, `update ratio at ${p.step}`);
    assert.equal(probe.firstOutputs!.length, n * 3);

    const stopping = new ProbeCallback({ x, y, steps: [0], maxSteps: 3 });
    const model2 = sequential({
      seed: 3,
      backend: 'reference',
      layers: [layers.dense({ units: 5, activation: 'relu', inputShape: [4] }), layers.dense({ units: 3, activation: 'softmax' })],
    });
    model2.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    await model2.fit(x, y, { epochs: 5, batchSize: 10, verbose: 0, callbacks: [stopping] });
    assert.equal(stopping.probes[stopping.probes.length - 1].step, 3);
  });
});
