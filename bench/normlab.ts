/**
 * Times normlab's lab model (Flatten → Dense(128, relu) → Dense(10, softmax), adam 0.001, batch 32,
 * inputs x / 255) on one backend and dtype, through the public model API — the same path as
 * `normlab train`, so the fit loop, shuffling and callbacks are part of the measured time.
 *
 * `backend` is a registered backend name: 'wasm' (the default, threads: auto), 'reference', or the
 * benchmark's own 'wasm-1-thread' (see index.ts); `label` names the row in the results.
 */
import { datasetTensors } from '../src/engine/dataset-tensors.js';
import { inputTransform } from '../src/data/transforms.js';
import type { DType } from '../src/engine/backend.js';
import { train } from '../src/engine/optimizers.js';
import { buildLabModel } from '../src/lab/training.js';
import { sliceDataset } from '../src/data/slice.js';
import type { BenchData } from './data.js';
import { BATCH_SIZE, PREDICT_BATCH, mean, measure, peakRssMB, type EngineTiming } from './timing.js';

export interface RunPlan {
  /** Rows of the warm-up epoch. */
  warmupRows: number;
  /** Rows of each timed epoch (the full training set unless --quick). */
  timedRows: number;
  epochs: number;
}

export async function timeNormlab(backend: string, dtype: DType, data: BenchData, plan: RunPlan, label = `normlab ${backend} ${dtype}`): Promise<EngineTiming> {
  const transform = inputTransform('scale');
  const model = buildLabModel({ units: [128], activation: 'relu', dtype, backend, seed: 1 }, [data.train.height, data.train.width], data.train.classNames.length);
  model.compile({ optimizer: train.adam(0.001), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  try {
    const warm = datasetTensors(sliceDataset(data.train, plan.warmupRows), transform);
    const warmup = await measure(() => model.fit(warm.x, warm.y, { epochs: 1, batchSize: BATCH_SIZE, verbose: 0 }));
    const timedSet = sliceDataset(data.train, plan.timedRows);
    const timed = datasetTensors(timedSet, transform);
    const run = await measure(() => model.fit(timed.x, timed.y, { epochs: plan.epochs, batchSize: BATCH_SIZE, verbose: 0 }));
    const history = run.value;
    const test = datasetTensors(data.test, transform);
    const testAcc = model.evaluateNumbers(test.x, test.y, { batchSize: PREDICT_BATCH }).acc;
    model.predict(datasetTensors(sliceDataset(data.test, 512), transform).x, { batchSize: PREDICT_BATCH }); // warm
    const predict = await measure(() => model.predict(test.x, { batchSize: PREDICT_BATCH }).dataSync());
    const scale = data.train.count / timedSet.count;
    return {
      name: label,
      warmup: { rows: warm.x.shape[0], seconds: warmup.seconds },
      timed: { rows: timedSet.count, epochs: plan.epochs, epochSeconds: history.epochSeconds, cpuSeconds: run.cpuSeconds },
      secondsPerEpoch: mean(history.epochSeconds) * scale,
      cpuSecondsPerEpoch: (run.cpuSeconds / plan.epochs) * scale,
      extrapolated: scale !== 1,
      loss: history.history.loss,
      acc: history.history.acc,
      testAcc,
      predictSamplesPerSecond: data.test.count / predict.seconds,
      peakRssMB: peakRssMB(),
    };
  } finally {
    model.dispose();
  }
}
