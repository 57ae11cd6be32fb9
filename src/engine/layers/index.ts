/** `layers.flatten(...)`, `layers.dense(...)`, … — the tfjs-layers factory names. */
import { Dense, type DenseArgs } from './dense.js';
import { Flatten } from './flatten.js';
import type { LayerArgs } from './layer.js';
import {
  BatchNormalization,
  Dropout,
  Normalization,
  Rescaling,
  type BatchNormalizationArgs,
  type DropoutArgs,
  type NormalizationArgs,
  type RescalingArgs,
} from './normalization.js';

export { Dense, Flatten, Rescaling, Normalization, BatchNormalization, Dropout };
export type { DenseArgs, RescalingArgs, NormalizationArgs, BatchNormalizationArgs, DropoutArgs };
export { Layer, type LayerConfig, type Shape } from './layer.js';

export const layers = {
  flatten: (args?: LayerArgs) => new Flatten(args),
  dense: (args: DenseArgs) => new Dense(args),
  rescaling: (args: RescalingArgs) => new Rescaling(args),
  normalization: (args?: NormalizationArgs) => new Normalization(args),
  batchNormalization: (args?: BatchNormalizationArgs) => new BatchNormalization(args),
  dropout: (args: DropoutArgs) => new Dropout(args),
};
