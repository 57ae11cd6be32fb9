/**
 * Train one configuration of the lab's network on a dataset and return a plain, serialisable result.
 * `normlab train`, the normalization study, the exercises and the benchmark sweep all go through here,
 * so a "run" means the same thing everywhere and its config is recorded with its numbers.
 */
import type { Dataset } from '../data/dataset.js';
import { NormlabError } from '../errors.js';
import { datasetTensors } from '../engine/dataset-tensors.js';
import type { InputTransform } from '../data/transforms.js';
import type { ActivationName, LossSpec, OptimizerSpec } from '../engine/backend.js';
import { backendNames } from '../engine/backends/registry.js';
import { Callback, type CallbackHooks, type Logs } from '../engine/model/callbacks.js';
import { sequential, type Sequential } from '../engine/model/sequential.js';
import { layers, type Layer } from '../engine/layers/index.js';
import { DEFAULT_LEARNING_RATE, train } from '../engine/optimizers.js';
import { DivergenceWatch, type Divergence } from './divergence.js';
import { normalizationFor } from './normalizers.js';
import { TrainSettings } from './settings.js';

export { HIDDEN_ACTIVATIONS } from './settings.js';
/** The settings of one run: src/lab/settings.ts (one schema, one set of limits). */
export const TrainingConfigSchema = TrainSettings;
export type TrainingConfig = TrainSettings;

export interface TrainingResult {
  config: TrainingConfig & { learningRate: number };
  /** The input transform outside the model ('none' when a layer inside the model normalizes). */
  transform: InputTransform;
  /** How the run normalizes, in words (the transform's formula, or the in-model layer). */
  normalization: string;
  dataset: { name: string; verified: boolean; directory: string; notes: string[]; trainCount: number; testCount: number };
  history: Record<string, number[]>;
  test: { loss: number; acc: number };
  secondsPerEpoch: number;
  epochSeconds: number[];
  /** Present when training stopped on a NaN/Infinity loss. */
  nonFinite?: { epoch: number; batch: number; step: number; value: number };
  /** A finite divergence: an exploding loss, or a final accuracy at chance (empty when the run was healthy). */
  divergence: Divergence[];
}

export interface TrainingHooks {
  /** Called after every batch with the running epoch means (for progress bars). */
  onBatch?(progress: { epoch: number; batch: number; batches: number; loss: number; acc: number }): void;
  onEpoch?(epoch: number, logs: Logs, seconds: number): void;
  /** Extra callbacks (e.g. probes) passed to fit. */
  callbacks?: CallbackHooks[];
  /** Called with the built model before training (e.g. to set weights for a controlled experiment). */
  prepareModel?(model: Sequential): void;
  optimizer?: OptimizerSpec;
  /** Layers between Flatten and the first dense layer (e.g. rescaling, batchNormalization). */
  inputLayers?(): Layer[];
  /** The loss (default: sparse categorical cross-entropy from the logits, as tf.keras). */
  loss?: LossSpec;
  /**
   * The whole test set's loss and accuracy at the end of training when the caller has already measured
   * them on the final weights (the study's last epoch-end probe), so they are not computed twice; return
   * undefined to have them evaluated here.
   */
  finalTest?(): { loss: number; acc: number } | undefined;
}

/**
 * The lab model: Flatten → Dense(units…, activation) → Dense(classes, softmax). `front` replaces the
 * Flatten (e.g. Rescaling → Flatten, or Flatten → BatchNormalization; see normalizers.ts).
 */
export function buildLabModel(
  config: Pick<TrainingConfig, 'units' | 'activation' | 'dtype' | 'backend' | 'seed'>,
  inputShape: number[],
  classes: number,
  front?: Layer[],
): Sequential {
  return sequential({
    dtype: config.dtype,
    seed: config.seed,
    backend: config.backend,
    layers: [
      ...(front ?? [layers.flatten({ inputShape })]),
      ...config.units.map((units) => layers.dense({ units, activation: config.activation as ActivationName })),
      layers.dense({ units: classes, activation: 'softmax' }),
    ],
  });
}

export function optimizerFor(config: Pick<TrainingConfig, 'optimizer' | 'learningRate'>): OptimizerSpec {
  const lr = config.learningRate ?? DEFAULT_LEARNING_RATE[config.optimizer];
  return config.optimizer === 'adam' ? train.adam(lr) : config.optimizer === 'sgd' ? train.sgd(lr) : train.rmsprop(lr);
}

/** Picks the requested backend, or says why not; `wasm` falls back to `reference` only when absent. */
export function resolveBackendName(requested: string): string {
  return backendNames().includes(requested) ? requested : requested === 'wasm' ? 'reference' : requested;
}

/** An empty training or test set (or a validation split that leaves no training image) is the learner's to fix, not a model error. */
function checkTrainable(data: { train: Dataset; test: Dataset }, validationSplit: number): void {
  for (const [split, set] of [
    ['training', data.train],
    ['test', data.test],
  ] as const) {
    if (set.count === 0) {
      throw new NormlabError(
        'dataset',
        `the ${split} set of ${set.name} has no images (in ${set.directory})`,
        'check that the IDX files are complete, or pass another --dataset',
      );
    }
  }
  const trainRows = Math.floor(data.train.count * (1 - validationSplit));
  if (trainRows < 1) {
    throw new NormlabError(
      'flag',
      `--validation-split ${validationSplit} leaves no training images out of ${data.train.count}`,
      'use a smaller --validation-split, e.g. 0.1',
    );
  }
}

export async function trainOnDataset(
  configInput: Partial<TrainingConfig>,
  data: { train: Dataset; test: Dataset },
  hooks: TrainingHooks = {},
): Promise<TrainingResult> {
  const config = TrainSettings.parse(configInput);
  checkTrainable(data, config.validationSplit);
  const learningRate = config.learningRate ?? DEFAULT_LEARNING_RATE[config.optimizer];
  const normalization = normalizationFor(config.normalize, data.train);
  const transform = normalization.transform;
  const inputShape = [data.train.height, data.train.width];
  // hooks.inputLayers (the study's rescaling / batchNormalization arms) go after the Flatten.
  const front = hooks.inputLayers ? [...(normalization.front ?? [layers.flatten({ inputShape })]), ...hooks.inputLayers()] : normalization.front;
  const model = buildLabModel(config, inputShape, data.train.classNames.length, front);
  model.compile({ optimizer: hooks.optimizer ?? optimizerFor(config), loss: hooks.loss ?? 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  hooks.prepareModel?.(model);
  const trainTensors = datasetTensors(data.train, transform);
  const testTensors = datasetTensors(data.test, transform);
  const batches = Math.ceil((data.train.count * (1 - config.validationSplit)) / config.batchSize);

  let epoch = 0;
  let lossSum = 0;
  let correct = 0;
  let seen = 0;
  let epochStart = 0;
  const progress = new (class extends Callback {
    onEpochBegin(e: number) {
      epoch = e;
      epochStart = performance.now();
      lossSum = correct = seen = 0;
    }
    onBatchEnd(batch: number, logs: Logs) {
      lossSum += logs.loss * logs.size;
      correct += (logs.acc ?? 0) * logs.size;
      seen += logs.size;
      hooks.onBatch?.({ epoch, batch, batches, loss: lossSum / seen, acc: correct / seen });
    }
    onEpochEnd(e: number, logs: Logs) {
      hooks.onEpoch?.(e, logs, (performance.now() - epochStart) / 1000);
    }
  })();
  const watch = new DivergenceWatch(data.train.classNames.length);
  const history = await model.fit(trainTensors.x, trainTensors.y, {
    epochs: config.epochs,
    batchSize: config.batchSize,
    validationSplit: config.validationSplit || undefined,
    verbose: 0,
    onNonFinite: 'stop',
    callbacks: [progress, watch, ...(hooks.callbacks ?? [])],
  });
  const test = history.nonFinite ? { loss: NaN, acc: NaN } : (hooks.finalTest?.() ?? model.evaluateNumbers(testTensors.x, testTensors.y, { batchSize: 256 }));
  model.dispose();
  const secondsPerEpoch = history.epochSeconds.length ? history.epochSeconds.reduce((a, b) => a + b, 0) / history.epochSeconds.length : 0;
  return {
    config: { ...config, learningRate },
    transform,
    normalization: normalization.description,
    dataset: {
      name: data.train.name,
      verified: data.train.verified && data.test.verified,
      directory: data.train.directory,
      notes: [...new Set([...data.train.notes, ...data.test.notes])],
      trainCount: data.train.count,
      testCount: data.test.count,
    },
    history: history.history,
    test,
    secondsPerEpoch,
    epochSeconds: history.epochSeconds,
    nonFinite: history.nonFinite,
    divergence: history.nonFinite ? [] : watch.result(),
  };
}
