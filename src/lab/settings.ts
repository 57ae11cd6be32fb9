/**
 * The settings of one training run, as one zod schema with one set of limits. `normlab train` parses its
 * flags into it, the browser lab parses its URL into it, the worker pool and the web worker parse the job
 * they receive with it, and trainOnDataset parses what it is given; so a value one of them accepts, all
 * accept, and the limits below are the only ones.
 */
import { z } from 'zod';
import { NORMALIZE_CHOICES } from './normalizers.js';

export const HIDDEN_ACTIVATIONS = ['relu', 'sigmoid', 'tanh', 'linear'] as const;
export const OPTIMIZER_CHOICES = ['adam', 'sgd', 'rmsprop'] as const;
export const DTYPE_CHOICES = ['float32', 'float64'] as const;

/** The limits of a training run, with the reason for each. */
export const TRAIN_LIMITS = {
  /** More than 1000 passes over a dataset of this size teaches nothing a learner can see. */
  epochs: { min: 1, max: 1000 },
  /** Beyond the 60,000-image training set a batch is the whole set anyway; 100,000 leaves room for idx: data. */
  batchSize: { min: 1, max: 100_000 },
  /** Units of one hidden layer; whether the whole model fits in memory is checked separately (engine/model/memory.ts). */
  units: { min: 1, max: 16_384 },
  /** Hidden layers: deep enough for every experiment here; a deeper plain MLP only shows vanishing gradients. */
  hiddenLayers: { max: 16 },
  /** At least 10% of the training set stays for training. */
  validationSplit: { min: 0, max: 0.9 },
  /** The seed is a uint32 (engine/random.ts). */
  seed: { min: 0, max: 2 ** 32 - 1 },
} as const;

const L = TRAIN_LIMITS;

export const TrainSettings = z.object({
  dataset: z.string().default('fashion-mnist'),
  epochs: z.number().int().min(L.epochs.min).max(L.epochs.max).default(5),
  batchSize: z.number().int().min(L.batchSize.min).max(L.batchSize.max).default(32),
  optimizer: z.enum(OPTIMIZER_CHOICES).default('adam'),
  /** Default: Keras' default for the optimizer (adam 0.001, sgd 0.01, rmsprop 0.001). */
  learningRate: z.number().positive().finite().optional(),
  /** Hidden layer sizes; [] for no hidden layer. */
  units: z.array(z.number().int().min(L.units.min).max(L.units.max)).max(L.hiddenLayers.max).default([128]),
  activation: z.enum(HIDDEN_ACTIVATIONS).default('relu'),
  /** An input transform (x/255, …) or an in-model layer on raw pixels (layer:rescaling, …): see normalizers.ts. */
  normalize: z.enum(NORMALIZE_CHOICES).default('scale'),
  dtype: z.enum(DTYPE_CHOICES).default('float32'),
  backend: z.string().default('wasm'),
  seed: z.number().int().min(L.seed.min).max(L.seed.max).default(1),
  validationSplit: z.number().min(L.validationSplit.min).max(L.validationSplit.max).default(0),
});
export type TrainSettings = z.infer<typeof TrainSettings>;

/** One readable line per problem (src/util/zod-issues.ts); kept here too, where the CLI found it first. */
export { describeIssues } from '../util/zod-issues.js';
