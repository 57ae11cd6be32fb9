/**
 * The same model, data and settings on TensorFlow.js 4.22 with its WASM backend (SIMD; tfjs picks the
 * non-threaded build in Node): glorotUniform kernels, adam 0.001, batch 32, shuffled epochs, x / 255.
 * tfjs is a dev dependency, loaded only when this runs.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { sliceDataset } from '../src/data/slice.js';
import type { BenchData } from './data.js';
import type { RunPlan } from './normlab.js';
import { BATCH_SIZE, PREDICT_BATCH, mean, measure, peakRssMB, type EngineTiming } from './timing.js';
import type { Dataset } from '../src/data/dataset.js';

type Tf = typeof import('@tensorflow/tfjs');

export interface TfjsInfo {
  version: string;
  backend: string;
  simd: boolean;
  threads: boolean;
}

/** Load tfjs and switch it to the WASM backend, reading the .wasm files from the installed package. */
export async function loadTfjsWasm(): Promise<{ tf: Tf; info: TfjsInfo }> {
  const tf = await import('@tensorflow/tfjs');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const require = createRequire(import.meta.url);
  wasm.setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');
  if (!(await tf.setBackend('wasm'))) throw new Error('TensorFlow.js could not initialise its wasm backend');
  await tf.ready();
  return {
    tf,
    info: {
      version: tf.version.tfjs,
      backend: tf.getBackend(),
      simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'),
      threads: tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT'),
    },
  };
}

function tensors(tf: Tf, ds: Dataset) {
  const pixels = new Float32Array(ds.images.length);
  for (let i = 0; i < pixels.length; i++) pixels[i] = ds.images[i] / 255;
  return { x: tf.tensor3d(pixels, [ds.count, ds.height, ds.width]), y: tf.tensor1d(Float32Array.from(ds.labels)) };
}

/** `batchNorm`: the model with tf.layers.batchNormalization() after the first dense layer. */
export async function timeTfjs(tf: Tf, data: BenchData, plan: RunPlan, batchNorm = false): Promise<EngineTiming> {
  const model = tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: [data.train.height, data.train.width] }),
      tf.layers.dense({ units: 128, activation: 'relu' }),
      ...(batchNorm ? [tf.layers.batchNormalization()] : []),
      tf.layers.dense({ units: data.train.classNames.length, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(0.001), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const warm = tensors(tf, sliceDataset(data.train, plan.warmupRows));
  const timedSet = sliceDataset(data.train, plan.timedRows);
  const timed = tensors(tf, timedSet);
  const test = tensors(tf, data.test);
  try {
    const warmup = await measure(() => model.fit(warm.x, warm.y, { epochs: 1, batchSize: BATCH_SIZE, shuffle: true, verbose: 0 }));
    const epochSeconds: number[] = [];
    let started = 0;
    const run = await measure(() =>
      model.fit(timed.x, timed.y, {
        epochs: plan.epochs,
        batchSize: BATCH_SIZE,
        shuffle: true,
        verbose: 0,
        callbacks: {
          onEpochBegin: async () => {
            started = performance.now();
          },
          onEpochEnd: async () => {
            epochSeconds.push((performance.now() - started) / 1000);
          },
        },
      }),
    );
    const history = run.value.history as Record<string, number[]>;
    const evaluated = model.evaluate(test.x, test.y, { batchSize: PREDICT_BATCH }) as import('@tensorflow/tfjs').Tensor[];
    const testAcc = (await evaluated[1].data())[0];
    evaluated.forEach((t) => t.dispose());
    tf.tidy(() => (model.predict(test.x.slice(0, 512), { batchSize: PREDICT_BATCH }) as import('@tensorflow/tfjs').Tensor).dataSync()); // warm
    const predict = await measure(() => tf.tidy(() => (model.predict(test.x, { batchSize: PREDICT_BATCH }) as import('@tensorflow/tfjs').Tensor).dataSync()));
    const scale = data.train.count / timedSet.count;
    return {
      name: batchNorm ? 'tfjs wasm float32, batchNormalization after dense 1' : 'tfjs wasm float32',
      warmup: { rows: warm.x.shape[0], seconds: warmup.seconds },
      timed: { rows: timedSet.count, epochs: plan.epochs, epochSeconds, cpuSeconds: run.cpuSeconds },
      secondsPerEpoch: mean(epochSeconds) * scale,
      cpuSecondsPerEpoch: (run.cpuSeconds / plan.epochs) * scale,
      extrapolated: scale !== 1,
      loss: history.loss,
      acc: history.acc,
      testAcc,
      predictSamplesPerSecond: data.test.count / predict.seconds,
      peakRssMB: peakRssMB(),
    };
  } finally {
    for (const t of [warm.x, warm.y, timed.x, timed.y, test.x, test.y]) t.dispose();
    model.dispose();
  }
}
