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
import { Callback } from '../../engine/model/callbacks.js';
import { getBackend } from '../../engine/backends/registry.js';
import { losses } from '../../engine/losses.js';
import { pixelStatistics } from '../../data/transforms.js';
import { curvatureAt, inputSpectrum, mechanismAtInit, planeAtInit, type ProbeBatch } from './analyses.js';
import { optimizerFor, resolveBackendName, trainOnDataset } from '../training.js';
import { withClipping, withParamScales } from '../../engine/optimizers.js';
import { layers } from '../../engine/layers/index.js';
import type { OptimizerSpec } from '../../engine/backend.js';

function withClipnorm(spec: OptimizerSpec, clipnorm: number | undefined): OptimizerSpec {
  return clipnorm === undefined ? spec : withClipping(spec, { clipnorm });
}
import { backendOptimizerSlots, backendWeights, type Sequential } from '../../engine/model/sequential.js';
import type { CurvaturePoint, CurvePoint, DataSpec, RunAnalyses, RunResult, RunSpec } from './types.js';

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

/**
 * Adam's bias-corrected second moment v̂ = v / (1 − β₂ᵗ) after `step` updates, flat in weight order (the
 * preconditioner Adam divides by), or undefined when the runner does not expose it for every tensor.
 */
function adamSecondMoment(model: Sequential, step: number, weights: Float64Array[]): Float64Array | undefined {
  const optimizer = model.networkSpec().optimizer;
  if (optimizer.name !== 'adam') return undefined;
  const slots = backendOptimizerSlots(model);
  if (!slots || slots.length !== weights.length || slots.some((s, i) => s.tensor !== i || s.slots[1].length !== weights[i].length)) return undefined;
  const correction = 1 - Math.pow(optimizer.beta2, step);
  const flat = new Float64Array(weights.reduce((n, w) => n + w.length, 0));
  let o = 0;
  for (const s of slots) for (const v of s.slots[1]) flat[o++] = v / correction;
  return flat;
}

export async function runStudyJob(spec: RunSpec, given?: StudyData): Promise<RunResult> {
  const started = performance.now();
  const data = given ?? (await loadStudyData(spec.data));
  const backend = resolveBackendName(spec.backend);
  const transform = inputTransform(spec.transform, data.train.images);
  const { x: probeX, y: probeY } = datasetTensors(pickRows(data.train, spec.probe.rows), transform);
  const { x: testSubX, y: testSubY } = datasetTensors(pickRows(data.test, spec.probe.testRows), transform);
  const { x: testX, y: testY } = datasetTensors(data.test, transform);

  // The whole test set at the last epoch-end probe: the run's final test result when no step followed it.
  let lastWholeTest: { step: number; loss: number; acc: number } | undefined;
  const probes = new ProbeCallback({
    x: probeX,
    y: probeY,
    steps: spec.probe.steps,
    recordStepLosses: true,
    keepOutputs: spec.keepTrajectory,
    maxSteps: spec.maxSteps,
    onProbe: (probe, model) => {
      measureCurvature(probe.step, model);
      if (probe.step === 0 && asked?.plane && !plane) {
        const p = asked.plane;
        plane = timed(() => planeAtInit(engineBackend, model.networkSpec(), backendWeights(model), batch, transform, p.rows, p.iterations));
      }
      const whole = probe.kind === 'epoch' && (spec.probe.wholeTest !== 'last-epoch' || probe.step >= Math.min(lastStep, spec.maxSteps ?? Infinity));
      const r = whole ? model.evaluateNumbers(testX, testY, { batchSize: 500 }) : model.evaluateNumbers(testSubX, testSubY, { batchSize: 500 });
      if (whole) lastWholeTest = { step: probe.step, loss: r.loss, acc: r.acc };
      probe.extra.testLoss = r.loss;
      probe.extra.testAcc = r.acc;
      probe.extra.testRows = whole ? data.test.count : spec.probe.testRows.length;
    },
  });
  let initialWeightsHash = '';
  const baseOptimizer = optimizerFor({ optimizer: spec.optimizer, learningRate: spec.learningRate });
  const intervention = spec.intervention;
  const divisor = spec.reparam?.kernel0Divisor ?? intervention?.kernel0Divisor;
  const paramScales = spec.reparam?.paramScales ?? intervention?.paramScales;

  // Extra measurements (RunSpec.analyses), on the probe rows, in float64 on the run's backend.
  const asked = spec.analyses;
  const analyses: RunAnalyses = { seconds: 0 };
  const timed = <T>(f: () => T): T => {
    const t = performance.now();
    try {
      return f();
    } finally {
      analyses.seconds += (performance.now() - t) / 1000;
    }
  };
  const probeSet = pickRows(data.train, spec.probe.rows);
  const batch: ProbeBatch = {
    pixels: probeSet.images,
    labels: Int32Array.from(probeSet.labels),
    rows: probeSet.count,
    inputSize: data.train.height * data.train.width,
  };
  const engineBackend = getBackend(backend);
  if (asked?.spectrum) {
    const count = Math.min(asked.spectrum.images, data.train.count);
    analyses.spectrum = timed(() =>
      inputSpectrum(data.train.images, count, batch.inputSize, pixelStatistics(data.train.images), 1e-6, asked.spectrum!.transforms),
    );
  }
  const curvature: CurvaturePoint[] = [];
  let plane: ReturnType<typeof planeAtInit> | undefined;
  const path: Float64Array[][] = [];
  const lastStep = spec.epochs * Math.ceil(data.train.count / spec.batchSize);
  const measureCurvature = (step: number, model: Sequential) => {
    const c = asked?.curvature;
    if (!c) return;
    const wanted = c.steps.includes(step) || (c.steps.includes(-1) && step === Math.min(lastStep, spec.maxSteps ?? Infinity));
    if (!wanted || curvature.some((p) => p.step === step)) return;
    const weights = backendWeights(model);
    const netSpec = model.networkSpec();
    const epsilon = netSpec.optimizer.name === 'adam' ? netSpec.optimizer.epsilon : 1e-7;
    const secondMoment = c.preconditioned && step > 0 ? adamSecondMoment(model, step, weights) : undefined;
    curvature.push(
      timed(() =>
        curvatureAt(engineBackend, netSpec, weights, batch, transform, {
          step,
          rows: c.rows,
          iterations: c.iterations,
          whole: c.whole,
          firstLayer: c.firstLayer ?? false,
          preconditioned: c.preconditioned,
          epsilon,
          batchSize: spec.batchSize,
          seed: spec.seed,
          secondMoment,
        }),
      ),
    );
  };
  const planeCapture = new (class extends Callback {
    onBatchEnd() {
      if (plane && asked?.plane && path.length < asked.plane.steps) path.push(backendWeights(this.model as Sequential));
    }
  })();
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
      optimizer: withClipnorm(paramScales ? withParamScales(baseOptimizer, paramScales) : baseOptimizer, intervention?.clipnorm),
      inputLayers: intervention?.firstLayer
        ? () => [intervention.firstLayer === 'rescaling' ? layers.rescaling({ scale: 1 / 255 }) : layers.batchNormalization()]
        : undefined,
      loss: intervention?.clipProbabilities ? losses.sparseCategoricalCrossentropy({ clipProbabilities: true }) : undefined,
      callbacks: [probes, planeCapture],
      finalTest: () => (lastWholeTest && lastWholeTest.step === probes.stepLosses.length ? { loss: lastWholeTest.loss, acc: lastWholeTest.acc } : undefined),
      prepareModel: (model: Sequential) => {
        const weights = model.getWeights().map((t) => Float64Array.from(t.dataSync()));
        initialWeightsHash = weightsHash(weights);
        if (asked?.mechanism)
          analyses.mechanism = timed(() => mechanismAtInit(engineBackend, model.networkSpec(), weights, { ...batch, rows: Math.min(batch.rows, 256) }));
        if (divisor !== undefined) {
          weights[0] = weights[0].map((w) => w / divisor);
          model.setWeights(weights);
        }
      },
    },
  );
  const stepsPerEpoch = Math.ceil(data.train.count / spec.batchSize);
  if (plane && asked?.plane) {
    const p = plane;
    analyses.plane = timed(() => p.finish(path, asked.plane!.grid));
  }
  if (asked?.curvature) analyses.curvature = curvature.sort((a, b) => a.step - b.step);
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
    outputs:
      spec.keepTrajectory && probes.firstOutputs && probes.lastOutputs
        ? { initial: Array.from(probes.firstOutputs), final: Array.from(probes.lastOutputs) }
        : undefined,
    steps: probes.stepLosses.length,
    stepsPerEpoch,
    nonFinite: {
      loss: nf ? { step: nf.step, epoch: nf.epoch, value: nf.value } : null,
      firstProbeStep: probes.firstNonFiniteStep,
    },
    initialWeightsHash,
    seconds: (performance.now() - started) / 1000,
    secondsPerEpoch: result.secondsPerEpoch,
    analyses: asked ? analyses : undefined,
  };
}
