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
import { layers } from '../src/engine/layers/index.js';
import { sequential } from '../src/engine/model/sequential.js';
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

/**
 * Which lab model: 'plain' (x / 255 fused into the input), 'rescaling' (raw pixels, layers.rescaling(1/255)
 * inside the model), 'batchnorm' (x / 255, layers.batchNormalization() after the first dense layer).
 */
export type ModelVariant = 'plain' | 'rescaling' | 'batchnorm';

export async function timeNormlab(
  backend: string,
  dtype: DType,
  data: BenchData,
  plan: RunPlan,
  label = `normlab ${backend} ${dtype}`,
  variant: ModelVariant = 'plain',
): Promise<EngineTiming> {
  const transform = inputTransform(variant === 'rescaling' ? 'none' : 'scale');
  const inputShape = [data.train.height, data.train.width];
  const classes = data.train.classNames.length;
  const config = { units: [128], activation: 'relu' as const, dtype, backend, seed: 1 };
  const model =
    variant === 'batchnorm'
      ? sequential({
          dtype,
          backend,
          seed: 1,
          layers: [
            layers.flatten({ inputShape }),
            layers.dense({ units: 128, activation: 'relu' }),
            layers.batchNormalization(),
            layers.dense({ units: classes, activation: 'softmax' }),
          ],
        })
      : buildLabModel(config, inputShape, classes, variant === 'rescaling' ? [layers.rescaling({ scale: 1 / 255, inputShape }), layers.flatten()] : undefined);
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
