/**
 * wasm ↔ reference parity for the layers that run as stages in front of a dense layer (rescaling after
 * a dense layer, normalization, batch norm, dropout) and for clipnorm/clipvalue: the same initial weights
 * and row order must give the same per-step losses, the same weights after three epochs (batch norm's
 * moving statistics included), the same predictions in inference mode and the same traced gradients,
 * within 1e-5 relative in float64 and 1e-3 in float32 (the existing parity suite's tolerances).
 */
import { describe, test } from 'node:test';
import type { DType, NetworkSpec, OptimizerSpec, StageSpec } from '../../../src/engine/backend.js';
import { referenceBackend } from '../../../src/engine/backends/reference/index.js';
import { layoutWeights } from '../helpers.js';
import { OPTIMIZERS, TOLERANCE, assertAllClose, assertTensorClose, makePair, randomBytes, randomLabels, trainEpochs } from './wasm-helpers.js';

const ROWS = 100;
const BATCH = 32;
const IN = 40;
const bn = (momentum = 0.9): StageSpec => ({ kind: 'batchNorm', momentum, epsilon: 1e-3, center: true, scale: true });

interface Case {
  name: string;
  stages0?: StageSpec[];
  stages1?: StageSpec[];
  optimizer: OptimizerSpec;
  activation?: 'relu' | 'tanh' | 'sigmoid';
  scale?: number;
}

const CASES: Case[] = [
  { name: 'batch norm after the first dense layer (adam)', stages1: [bn()], optimizer: OPTIMIZERS.adam },
  { name: 'batch norm as the first layer on raw uint8 pixels (adam)', stages0: [bn(0.5)], optimizer: OPTIMIZERS.adam, scale: 1 },
  {
    name: 'batch norm (no center) + dropout 0.3 after a tanh layer (sgd momentum)',
    stages1: [
      { kind: 'batchNorm', momentum: 0.8, epsilon: 1e-3, center: false, scale: true },
      { kind: 'dropout', rate: 0.3, seed: 9 },
    ],
    optimizer: OPTIMIZERS.momentum,
    activation: 'tanh',
  },
  {
    name: 'dropout 0.5 on the input and after the first layer (rmsprop)',
    stages0: [{ kind: 'dropout', rate: 0.5, seed: 1 }],
    stages1: [{ kind: 'dropout', rate: 0.2, seed: 2 }],
    optimizer: OPTIMIZERS.rmsprop,
  },
  {
    name: 'per-feature normalization of the input, rescaling after a dense layer',
    stages0: [{ kind: 'affine', scale: Array.from({ length: IN }, (_, i) => 1 / (50 + i)), offset: Array.from({ length: IN }, (_, i) => -0.5 + i / 100) }],
    stages1: [{ kind: 'affine', scale: new Array(24).fill(0.5), offset: new Array(24).fill(0.1) }],
    optimizer: OPTIMIZERS.adam,
    activation: 'sigmoid',
  },
  { name: 'clipnorm 0.05 (adam), batch norm after dense', stages1: [bn()], optimizer: { ...OPTIMIZERS.adam, clipnorm: 0.05 } },
  { name: 'clipvalue 0.001 (sgd), plain model', optimizer: { ...OPTIMIZERS.sgd, clipvalue: 0.001 } },
];

function spec(c: Case, dtype: DType): NetworkSpec {
  return {
    dtype,
    layers: [
      { inputSize: IN, units: 24, activation: c.activation ?? 'relu', useBias: true, ...(c.stages0 ? { stages: c.stages0 } : {}) },
      { inputSize: 24, units: 5, activation: 'softmax', useBias: true, ...(c.stages1 ? { stages: c.stages1 } : {}) },
    ],
    loss: { name: 'sparseCategoricalCrossentropy', fromLogits: false },
    optimizer: c.optimizer,
  };
}

for (const dtype of ['float64', 'float32'] as DType[]) {
  describe(`wasm ↔ reference parity with stages and clipping, ${dtype}`, () => {
    for (const c of CASES) {
      test(c.name, () => {
        const s = spec(c, dtype);
        const x = { values: randomBytes(ROWS, IN, 5), rows: ROWS, inputSize: IN, transform: { a: c.scale ?? 1 / 255, b: 0 } };
        const y = { kind: 'sparse' as const, labels: randomLabels(ROWS, 5, 6), rows: ROWS };
        const { ref, wsm, refId, wsmId } = makePair(referenceBackend, { spec: s, weights: layoutWeights(s, 3), x, y });
        const tol = TOLERANCE[dtype];
        const rows = Int32Array.from({ length: ROWS }, (_, i) => i);
        const tRef = ref.trace(refId, rows, ROWS);
        const tWsm = wsm.trace(wsmId, rows, ROWS);
        tRef.gradients.forEach((g, i) => assertTensorClose(tWsm.gradients[i], g, tol, `initial gradient ${i}`));
        const a = trainEpochs(ref, refId, ROWS, BATCH, 3, 11);
        const b = trainEpochs(wsm, wsmId, ROWS, BATCH, 3, 11);
        assertAllClose(b.losses, a.losses, tol, 'per-step loss');
        const wa = ref.getWeights();
        const wb = wsm.getWeights();
        wa.forEach((w, i) => assertTensorClose(wb[i], w, tol, `weight ${i}`));
        assertTensorClose(wsm.predict(wsmId, rows, ROWS), ref.predict(refId, rows, ROWS), tol, 'predict (inference mode)');
        assertAllClose([wsm.evaluate(wsmId, rows, ROWS).lossSum], [ref.evaluate(refId, rows, ROWS).lossSum], tol, 'evaluate');
        ref.dispose();
        wsm.dispose();
      });
    }
  });
}
