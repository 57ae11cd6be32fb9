/**
 * Synthetic study results for testing the findings: plausible runs whose headline numbers a test sets,
 * fed through the real analysis (analyzeStudy), so only the measurements are made up.
 */
import type { ProbeDiagnostics } from '../../src/engine/probes.js';
import { analyzeStudy } from '../../src/lab/study/study.js';
import { planStudy, resolveStudyOptions } from '../../src/lab/study/plan.js';
import type { RunResult, RunSpec, StudyResult } from '../../src/lab/study/types.js';

export interface Knobs {
  /** Test accuracy by run key (default: a story-like value per key). */
  acc?: Record<string, number>;
  /** Max |Δ| of the reparametrised runs (per dtype). */
  reparamDiff?: { float64: number; float32: number };
  /** How far rounding alone moves the normalized run: added to its float64 twin's losses and outputs. */
  roundingDiff?: number;
  epochs?: number;
}

function probe(step: number, kind: ProbeDiagnostics['kind'], raw: boolean, spec: RunSpec, end: boolean): ProbeDiagnostics {
  const scale = raw && !spec.reparam ? 255 : 1;
  const dead = spec.activation === 'relu' ? (raw && spec.optimizer === 'sgd' && end && !spec.reparam ? 0.99 : 0.05) : null;
  return {
    step,
    epoch: step / 100,
    kind,
    loss: raw && !spec.reparam ? 200 : 2.3,
    acc: 0.1,
    layers: [
      {
        units: 128, activation: spec.activation, meanAbsPre: 0.5 * scale, maxAbsPre: 3 * scale, deadFraction: dead, activeFraction: dead === null ? null : 0.4,
        saturatedFraction: spec.activation === 'sigmoid' ? (scale > 1 ? 0.97 : 0) : null, saturatedExactFraction: spec.activation === 'sigmoid' ? (scale > 1 ? 0.7 : 0) : null,
        kernelNorm: 15, kernelGradNorm: 3 * (scale > 1 ? 700 : 1), biasGradNorm: 0.1, gradNorm: 3 * (scale > 1 ? 700 : 1),
        updateRatio: spec.optimizer === 'sgd' ? (scale > 1 ? 1.2 : 0.002) : 0.02, biasUpdateRatio: null,
      },
      { units: 10, activation: 'softmax', meanAbsPre: 0.5 * scale, maxAbsPre: 3 * scale, deadFraction: null, activeFraction: null, saturatedFraction: null, saturatedExactFraction: null, kernelNorm: 4, kernelGradNorm: 3, biasGradNorm: 0.4, gradNorm: 3, updateRatio: 0.01, biasUpdateRatio: null },
    ],
    logits: { meanAbs: 0.45 * scale, maxAbs: 4 * scale, gapMean: 0.4 * scale, gapMedian: 0.35 * scale, gapMax: 2 * scale },
    softmax: { maxExactlyOne: scale > 1 ? 0.88 : 0, trueProbZero: 0, meanMax: 0.3, errorNorm: scale > 1 ? 1.3 : 0.95 },
    nonFinite: { preActivations: 0, activations: 0, gradients: 0, losses: 0, weights: 0 },
    extra: { testAcc: 0.5, testLoss: 1 },
  };
}

const STORY: Record<string, number> = {
  'relu·none·adam·f32': 0.82,
  'relu·none·sgd·f32': 0.1,
  'relu·scale·adam·f32': 0.86,
  'relu·scale·sgd·f32': 0.84,
  'relu·standardize·adam·f32': 0.865,
  'relu·standardize·sgd·f32': 0.85,
  'relu·symmetric·adam·f32': 0.86,
  'relu·symmetric·sgd·f32': 0.845,
  'sigmoid·none·adam·f32': 0.7,
  'sigmoid·none·sgd·f32': 0.3,
  'sigmoid·scale·adam·f32': 0.85,
  'sigmoid·scale·sgd·f32': 0.78,
  'relu·none·adam@0.0003·f32': 0.84,
  'relu·none·adam@0.0001·f32': 0.845,
  'relu·none·adam@0.00003·f32': 0.83,
  'relu·none·adam@0.00001·f32': 0.8,
  'relu·none·adam·f64': 0.82,
  'relu·none·sgd·f64': 0.1,
};

export function syntheticStudy(knobs: Knobs = {}): StudyResult {
  const options = resolveStudyOptions({ epochs: knobs.epochs ?? 2, backend: 'reference' });
  const specs = planStudy(options, { train: 60000, test: 10000 });
  const steps = 200;
  const runs: RunResult[] = specs.map((spec) => {
    const raw = spec.transform === 'none';
    const normKey = spec.reparam?.matches;
    const acc = knobs.acc?.[spec.key] ?? STORY[spec.key] ?? (normKey ? STORY[normKey.replace('f64', 'f32')] : undefined) ?? STORY[spec.key.replace('f64', 'f32')] ?? 0.85;
    // float64 runs that compute the normalized network (normalized, or reparametrised) sit roundingDiff
    // away from their float32 twins; a reparametrised run sits reparamDiff away from its partner.
    const rounding = spec.dtype === 'float64' && (!raw || spec.reparam) ? (knobs.roundingDiff ?? 0) : 0;
    const diff = rounding + (spec.reparam ? (knobs.reparamDiff?.[spec.dtype] ?? (spec.dtype === 'float64' ? 1e-15 : 1e-7)) : 0);
    const base = Array.from({ length: steps }, (_, i) => 2.3 * Math.exp(-i / 50) + 0.3);
    const losses = raw && !spec.reparam ? base.map((v) => v * 100) : base.map((v) => v + diff);
    const outputs = Array.from({ length: 20 }, (_, i) => (i % 10) / 45 + (spec.reparam || !raw ? diff : 0.3));
    // float32 starts within float32 rounding (kernel0 ÷ 255 rounds); any drift comes later
    const initial = spec.dtype === 'float32' ? outputs.map((v) => v - diff + Math.min(diff, 1e-7)) : outputs;
    return {
      spec,
      backend: 'reference',
      transform: { name: spec.transform, a: 1, b: 0, formula: 'x', range: [0, 255] },
      dataset: { name: 'fashion-mnist', verified: true, trainCount: 60000, testCount: 10000 },
      history: { loss: [raw && !spec.reparam ? (spec.optimizer === 'sgd' ? 46 : 20) : 0.5, 0.4], acc: [acc - 0.02, acc] },
      test: { loss: 0.4, acc },
      probes: [probe(0, 'init', raw, spec, false), probe(steps, 'epoch', raw, spec, true)],
      lossCurve: [{ step: steps, epoch: 1, value: losses[steps - 1] }],
      lossWindow: steps,
      stepLosses: spec.keepTrajectory ? losses : undefined,
      outputs: spec.keepTrajectory ? { initial, final: outputs } : undefined,
      steps,
      stepsPerEpoch: 100,
      nonFinite: { loss: null, firstProbeStep: null },
      initialWeightsHash: spec.activation === 'relu' ? 'aaaa0000' : 'bbbb0000',
      seconds: 1,
      secondsPerEpoch: 0.5,
    };
  });
  // the normalized float32 partners are main runs: copy their trajectories for the reparam check
  return analyzeStudy(options, runs, {
    dataset: { name: 'fashion-mnist', verified: true, trainCount: 60000, testCount: 10000, classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'], directory: '/x', notes: [] },
    samples: { height: 28, width: 28, images: [], transforms: [] },
    wallSeconds: 42,
    inputSize: 784,
  });
}
