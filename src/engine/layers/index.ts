/** `layers.flatten(...)`, `layers.dense(...)` — the tfjs-layers factory names. */
import { Dense, type DenseArgs } from './dense.js';
import { Flatten } from './flatten.js';
import type { LayerArgs } from './layer.js';

export { Dense, Flatten };
export { Layer, type LayerConfig, type Shape } from './layer.js';

export const layers = {
  flatten: (args?: LayerArgs) => new Flatten(args),
  dense: (args: DenseArgs) => new Dense(args),
};
