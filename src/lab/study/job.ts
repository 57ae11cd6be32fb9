/**
 * One run of the study as an independent job: RunSpec (JSON) in, RunResult (JSON) out. It goes through
 * the lab's shared `trainOnDataset`, so a study run is the same thing as `normlab train` with the same
 * flags, plus probes. Data is loaded by the job itself (and cached per process/worker).
 */
import { loadDataset, type Dataset } from '../../data/dataset.js';
import { pickRows, sliceDataset } from '../../data/slice.js';
import { datasetTensors } from '../../engine/dataset-tensors.js';
import { inputTransform } from '../../data/transforms.js';
import { ProbeCallback } from '../../engine/probes.js';
import { optimizerFor, resolveBackendName, trainOnDataset } from '../training.js';
import { withParamScales } from '../../engine/optimizers.js';
import type { Sequential } from '../../engine/model/sequential.js';
import type { CurvePoint, DataSpec, RunResult, RunSpec } from './types.js';

export interface StudyData {
  train: Dataset;
  test: Dataset;
}


/** The views of the full splits that a spec trains and tests on (its trainLimit / testLimit). */
export function sliceForSpec(full: StudyData, spec: Pick<RunSpec, 'data'>): StudyData {
  return { train: sliceDataset(full.train, spec.data.trainLimit), test: sliceDataset(full.test, spec.data.testLimit) };
}

const cache = new Map<string, Promise<StudyData>>();

/** Load (once per process) the full train and test splits a DataSpec names, then slice them. */
export async function loadStudyData(spec: DataSpec): Promise<StudyData> {
  const key = JSON.stringify([spec.dataset, spec.dataDir ?? null]);
  let full = cache.get(key);
  if (!full) {
    const options = { dataDir: spec.dataDir, download: spec.download ?? false };
    full = Promise.all([loadDataset(spec.dataset, 'train', options), loadDataset(spec.dataset, 'test', options)]).then(([train, test]) => ({ train, test }));
    cache.set(key, full);
    full.catch(() => cache.delete(key));
  }
  const data = await full;
  return { train: sliceDataset(data.train, spec.trainLimit), test: sliceDataset(data.test, spec.testLimit) };
}

/** FNV-1a over the float32 bytes of the weights: equal hashes mean the same starting point. */
export function weightsHash(weights: ArrayLike<number>[]): string {
  let h = 0x811c9dc5;
  for (const w of weights) {
    const bytes = new Uint8Array(Float32Array.from(w).buffer);
    for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

function windowedMeans(values: number[], stepsPerEpoch: number, maxPoints = 120): { curve: CurvePoint[]; window: number } {
  const window = Math.max(1, Math.ceil(values.length / maxPoints));
  const curve: CurvePoint[] = [];
  for (let start = 0; start < values.length; start += window) {
    const part = values.slice(start, start + window);
    const mean = part.reduce((a, b) => a + b, 0) / part.length;
    const step = start + part.length; // steps completed at the window's end
    curve.push({ step, epoch: step / stepsPerEpoch, value: mean });
  }
  return { curve, window };
}

export async function runStudyJob(spec: RunSpec, given?: StudyData): Promise<RunResult> {
  const started = performance.now();
  const data = given ?? (await loadStudyData(spec.data));
  const backend = resolveBackendName(spec.backend);
  const transform = inputTransform(spec.transform, data.train.images);
  const { x: probeX, y: probeY } = datasetTensors(pickRows(data.train, spec.probe.rows), transform);
  const { x: testSubX, y: testSubY } = datasetTensors(pickRows(data.test, spec.probe.testRows), transform);
  const { x: testX, y: testY } = datasetTensors(data.test, transform);

  const probes = new ProbeCallback({
    x: probeX,
    y: probeY,
    steps: spec.probe.steps,
    recordStepLosses: true,
    keepOutputs: spec.keepTrajectory,
    maxSteps: spec.maxSteps,
    onProbe: (probe, model) => {
      const whole = probe.kind === 'epoch';
      const r = whole ? model.evaluateNumbers(testX, testY, { batchSize: 500 }) : model.evaluateNumbers(testSubX, testSubY, { batchSize: 500 });
      probe.extra.testLoss = r.loss;
      probe.extra.testAcc = r.acc;
      probe.extra.testRows = whole ? data.test.count : spec.probe.testRows.length;
    },
  });
  let initialWeightsHash = '';
  const baseOptimizer = optimizerFor({ optimizer: spec.optimizer, learningRate: spec.learningRate });
  const result = await trainOnDataset(
    {
      dataset: spec.data.dataset,
      epochs: spec.epochs,
      batchSize: spec.batchSize,
      optimizer: spec.optimizer,
      learningRate: spec.learningRate,
      units: spec.units,
      activation: spec.activation,
      normalize: spec.transform,
      dtype: spec.dtype,
      backend,
      seed: spec.seed,
    },
    data,
    {
      optimizer: spec.reparam ? withParamScales(baseOptimizer, spec.reparam.paramScales) : baseOptimizer,
      callbacks: [probes],
      prepareModel: (model: Sequential) => {
        const weights = model.getWeights().map((t) => Float64Array.from(t.dataSync()));
        initialWeightsHash = weightsHash(weights);
        if (spec.reparam) {
          const divisor = spec.reparam.kernel0Divisor;
          weights[0] = weights[0].map((w) => w / divisor);
          model.setWeights(weights);
        }
      },
    },
  );
  const stepsPerEpoch = Math.ceil(data.train.count / spec.batchSize);
  const { curve, window } = windowedMeans(probes.stepLosses, stepsPerEpoch);
  const nf = result.nonFinite;
  return {
    spec,
    backend,
    transform: { name: transform.name, a: transform.a, b: transform.b, formula: transform.formula, range: transform.range },
    dataset: { name: result.dataset.name, verified: result.dataset.verified, trainCount: data.train.count, testCount: data.test.count },
    history: result.history,
    test: result.test,
    probes: probes.probes,
    lossCurve: curve,
    lossWindow: window,
    stepLosses: spec.keepTrajectory ? probes.stepLosses : undefined,
    outputs: spec.keepTrajectory && probes.firstOutputs && probes.lastOutputs ? { initial: Array.from(probes.firstOutputs), final: Array.from(probes.lastOutputs) } : undefined,
    steps: probes.stepLosses.length,
    stepsPerEpoch,
    nonFinite: {
      loss: nf ? { step: nf.step, epoch: nf.epoch, value: nf.value } : null,
      firstProbeStep: probes.firstNonFiniteStep,
    },
    initialWeightsHash,
    seconds: (performance.now() - started) / 1000,
    secondsPerEpoch: result.secondsPerEpoch,
  };
}
