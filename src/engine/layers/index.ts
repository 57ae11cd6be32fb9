/** `layers.flatten(...)`, `layers.dense(...)`, … — the tfjs-layers factory names. */
import { Dense, type DenseArgs } from './dense.js';
import { Flatten } from './flatten.js';
import type { Layer, LayerArgs, LayerConfig } from './layer.js';
import { NormlabError } from '../../errors.js';
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

/** A layer from its getConfig() (model.json, a grader's model dump); unknown types are a one-line error. */
export function layerFromConfig(config: LayerConfig): Layer {
  switch (config.className) {
    case 'Flatten':
      return new Flatten(config);
    case 'Dense':
      return new Dense(config);
    case 'Rescaling':
      return new Rescaling(config);
    case 'Normalization':
      return new Normalization(config);
    case 'BatchNormalization':
      return new BatchNormalization(config);
    case 'Dropout':
      return new Dropout(config);
    default:
      throw new NormlabError(
        'model-file',
        `unknown layer type '${(config as { className: string }).className}' in the model config`,
        'normlab knows Flatten, Dense, Rescaling, Normalization, BatchNormalization and Dropout',
      );
  }
}
