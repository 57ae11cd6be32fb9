/**
 * One training run, in its own Web Worker so the page stays responsive: load and verify the dataset,
 * train with the same `trainOnDataset` the CLI uses (same engine, same backend, same numbers), and
 * report progress, per-epoch test results and diagnostics to the page. Pause, resume and stop arrive
 * as messages and take effect between batches.
 */
import {
  argmaxRow,
  datasetTensors,
  normalizationFor,
  pickRows,
  type Sequential,
  ProbeCallback,
  isNormlabError,
  DEFAULT_PROBE_STEPS,
  probeRowsFor,
  backendNames,
  resolveBackendName,
  trainOnDataset,
  TrainingConfigSchema,
} from '../../../src/browser.js';
import { firstImagesOnly } from '../data.js';
import type { FromWorker, StartMessage, ToWorker } from './protocol.js';
import { registerWasm, type WasmRegistration } from './threads.js';

const PROGRESS_INTERVAL_MS = 100;
/** Batches in the moving window the charts plot. */
const WINDOW = 50;
/** Training images in the probe batch (fixed rows, chosen as `normlab why` chooses them). */
const PROBE_ROWS = 256;
/** Evenly spaced probes per epoch, besides the study's early steps and each epoch's end. */
const DIAG_PER_EPOCH = 4;

let runId = '';
let model: Sequential | undefined;
let paused = false;
let stopRequested = false;
let resume: (() => void) | undefined;

function post(message: FromWorker, transfer: Transferable[] = []): void {
  (self as unknown as Worker).postMessage(message, transfer);
}

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  switch (message.type) {
    case 'start':
      runId = message.runId;
      run(message).catch((error: unknown) => {
        const e = error as Error;
        post({ type: 'error', runId, message: e?.message ?? String(error), hint: isNormlabError(error) ? error.hint : undefined });
      });
      break;
    case 'pause':
      if (!paused) {
        paused = true;
        post({ type: 'paused', runId, paused: true });
      }
      break;
    case 'resume':
      if (paused) {
        paused = false;
        resume?.();
        post({ type: 'paused', runId, paused: false });
      }
      break;
    case 'stop':
      stopRequested = true;
      if (model) model.stopTraining = true;
      if (paused) {
        paused = false;
        resume?.();
      }
      break;
  }
};

/** Test images chosen for the sample grid: the first `perClass` of every class, in class order. */
function sampleIndices(labels: Uint8Array, classes: number, perClass: number): number[] {
  const picked: number[][] = Array.from({ length: classes }, () => []);
  for (let i = 0; i < labels.length && picked.some((p) => p.length < perClass); i++) {
    const p = picked[labels[i]];
    if (p && p.length < perClass) p.push(i);
  }
  return picked.flat();
}

async function run(start: StartMessage): Promise<void> {
  post({ type: 'status', runId, text: 'loading the engine…' });
  const wasm: WasmRegistration = start.wasmUrl
    ? await registerWasm(start.wasmUrl, start.wasmMtUrl, start.threads)
    : { backends: backendNames(), threads: 1, note: 'no wasm module in this build' };
  const { backends } = wasm;
  const wasmError = wasm.backends.includes('wasm') ? undefined : wasm.note;
  const config = TrainingConfigSchema.parse(start.config);
  const backend = resolveBackendName(config.backend);
  const backendNote =
    backend !== config.backend
      ? `${config.backend} backend unavailable (${wasmError ?? 'not registered'}); using ${backend}`
      : backend === 'wasm' && start.threads === 'auto' && wasm.threads === 1
        ? wasm.note
        : undefined;
  if (!backends.includes(backend)) throw new Error(`backend ${backend} is not available in this browser`);

  const { train: fullTrain, test } = start.data;
  const train = start.trainLimit > 0 ? firstImagesOnly(fullTrain, start.trainLimit) : fullTrain;
  const classes = train.classNames.length;
  const transform = normalizationFor(config.normalize, train).transform;
  const testTensors = datasetTensors(test, transform);

  const probeRows = probeRowsFor(train.count, PROBE_ROWS, 'train');
  const { x: probeX, y: probeY } = datasetTensors(pickRows(train, probeRows), transform);

  const indices = sampleIndices(test.labels, classes, start.samplesPerClass);
  const samples = pickRows(test, indices);
  const { x: sampleX } = datasetTensors(samples, transform);
  const batches = Math.ceil(train.count / config.batchSize);

  let lastProgress = 0;
  const windowLoss = new Float64Array(WINDOW);
  const windowAcc = new Float64Array(WINDOW);
  let windowCount = 0;
  let latest: { epoch: number; batch: number; batches: number; loss: number; acc: number } | undefined;
  // Seconds of training per epoch, measured here so that time spent paused is not counted (the fit
  // loop's own epoch time runs on through a pause).
  let epochStarted = 0;
  let pausedMs = 0;
  let batchesThisEpoch = 0;
  const trainedSeconds: number[] = [];
  let epochsDone = 0;
  /** Batches the helper thread has shared (read at each epoch's end: the helper stops with the model). */
  let splitBatches = 0;
  const every = Math.max(1, Math.ceil(batches / (DIAG_PER_EPOCH + 1)));
  const steps = new Set(DEFAULT_PROBE_STEPS);
  for (let e = 0; e < config.epochs; e++) for (let k = 1; k <= DIAG_PER_EPOCH; k++) steps.add(e * batches + k * every);
  const probes = new ProbeCallback({ x: probeX, y: probeY, steps: [...steps].sort((a, b) => a - b) });
  let posted = 0;
  /** Post the probes taken since the last call (after their step, so update ratios are filled in). */
  const flushProbes = () => {
    for (; posted < probes.probes.length; posted++) post({ type: 'diag', runId, point: probes.probes[posted] });
  };

  const controller = {
    onEpochBegin() {
      pausedMs = 0;
      batchesThisEpoch = 0;
      epochStarted = performance.now();
    },
    async onBatchEnd(_batch: number, logs?: Record<string, number>) {
      windowLoss[windowCount % WINDOW] = logs?.loss ?? NaN;
      windowAcc[windowCount % WINDOW] = logs?.acc ?? NaN;
      windowCount++;
      batchesThisEpoch++;
      const now = performance.now();
      if (latest && (now - lastProgress >= PROGRESS_INTERVAL_MS || latest.batch + 1 === latest.batches)) {
        lastProgress = now;
        const n = Math.min(windowCount, WINDOW);
        let l = 0;
        let a = 0;
        for (let i = 0; i < n; i++) {
          l += windowLoss[i];
          a += windowAcc[i];
        }
        post({ type: 'batch', runId, ...latest, windowLoss: l / n, windowAcc: a / n });
      }
      flushProbes();
      if (paused && !stopRequested) {
        const since = performance.now();
        await new Promise<void>((resolve) => (resume = resolve));
        pausedMs += performance.now() - since;
      }
    },
    onEpochEnd(epoch: number, logs?: Record<string, number>) {
      flushProbes();
      const seconds = Math.max(0, (performance.now() - epochStarted - pausedMs) / 1000);
      const partial = batchesThisEpoch < batches;
      epochsDone = epoch + batchesThisEpoch / batches;
      if (!partial) trainedSeconds.push(seconds);
      splitBatches = Math.max(splitBatches, wasm.threaded?.split.status().rounds ?? 0);
      const m = model!;
      const evaluation = m.evaluateNumbers(testTensors.x, testTensors.y, { batchSize: 256 });
      const outputs = m.predict(testTensors.x, { batchSize: 256 }).dataSync();
      const confusion = new Array<number>(classes * classes).fill(0);
      for (let r = 0; r < test.count; r++) confusion[test.labels[r] * classes + argmaxRow(outputs, r * classes, classes)]++;
      const sampleOut = m.predict(sampleX).dataSync();
      const samplePredictions = indices.map((_, i) => {
        const best = argmaxRow(sampleOut, i * classes, classes);
        return { label: best, prob: sampleOut[i * classes + best] };
      });
      post({
        type: 'epoch',
        runId,
        info: {
          epoch,
          at: epochsDone,
          partial,
          seconds,
          loss: logs?.loss ?? NaN,
          acc: logs?.acc ?? NaN,
          testLoss: evaluation.loss,
          testAcc: evaluation.acc,
          confusion,
          samplePredictions,
        },
      });
    },
  };

  const result = await trainOnDataset(
    { ...config, backend },
    { train, test },
    {
      prepareModel(m) {
        model = m;
        if (stopRequested) m.stopTraining = true;
        post({
          type: 'ready',
          runId,
          info: {
            backend,
            backendNote,
            threads: backend === 'wasm' ? wasm.threads : 1,
            trainCount: train.count,
            testCount: test.count,
            batches,
            transform: { name: transform.name, formula: transform.formula, a: transform.a, b: transform.b, range: transform.range },
            classNames: train.classNames,
            verified: train.verified && test.verified,
            notes: [...new Set([...train.notes, ...test.notes])],
            samples: { images: samples.images, labels: Array.from(samples.labels), indices, height: test.height, width: test.width },
            params: m.countParams(),
          },
        });
      },
      onBatch(p) {
        latest = p; // posted by the controller, after it has added this batch to the moving window
      },
      // probes before the controller: the controller posts each probe once its step has filled it in
      callbacks: [probes, controller],
    },
  );
  flushProbes();
  post({
    type: 'done',
    runId,
    stopped: stopRequested,
    test: result.test,
    secondsPerEpoch: trainedSeconds.length ? trainedSeconds.reduce((a, b) => a + b, 0) / trainedSeconds.length : undefined,
    epochSeconds: trainedSeconds,
    epochsDone,
    splitBatches,
    nonFinite: result.nonFinite,
  });
}
