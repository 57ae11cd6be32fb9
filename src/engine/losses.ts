/** Loss names as compile() accepts them (tfjs camelCase, Keras snake_case, and short aliases). */
import { NormlabError } from '../errors.js';
import type { LossName, LossSpec } from './backend.js';

const ALIASES: Record<string, LossName> = {
  sparsecategoricalcrossentropy: 'sparseCategoricalCrossentropy',
  sparse_categorical_crossentropy: 'sparseCategoricalCrossentropy',
  categoricalcrossentropy: 'categoricalCrossentropy',
  categorical_crossentropy: 'categoricalCrossentropy',
  meansquarederror: 'meanSquaredError',
  mean_squared_error: 'meanSquaredError',
  mse: 'meanSquaredError',
};

export const LOSS_NAMES: readonly LossName[] = ['sparseCategoricalCrossentropy', 'categoricalCrossentropy', 'meanSquaredError'];

export interface CrossentropyOptions {
  fromLogits?: boolean;
  /** Compute the loss from clipped probabilities, as TensorFlow.js layers does (see LossSpec). */
  clipProbabilities?: boolean;
}

function crossentropy(name: LossName, opts: CrossentropyOptions): LossSpec {
  return { name, fromLogits: opts.fromLogits ?? false, ...(opts.clipProbabilities ? { clipProbabilities: true } : {}) };
}

/** `losses.sparseCategoricalCrossentropy({fromLogits: true})` etc. return plain LossSpecs. */
export const losses = {
  sparseCategoricalCrossentropy: (opts: CrossentropyOptions = {}): LossSpec => crossentropy('sparseCategoricalCrossentropy', opts),
  categoricalCrossentropy: (opts: CrossentropyOptions = {}): LossSpec => crossentropy('categoricalCrossentropy', opts),
  meanSquaredError: (): LossSpec => ({ name: 'meanSquaredError', fromLogits: false }),
};

export function resolveLoss(loss: unknown): LossSpec {
  if (typeof loss === 'string') {
    const name = ALIASES[loss.toLowerCase()];
    if (name) return { name, fromLogits: false };
  } else if (loss && typeof loss === 'object' && 'name' in loss) {
    const spec = loss as LossSpec;
    const name = ALIASES[String(spec.name).toLowerCase()];
    if (name)
      return { name, fromLogits: Boolean(spec.fromLogits), ...(spec.clipProbabilities && name !== 'meanSquaredError' ? { clipProbabilities: true } : {}) };
  }
  throw new NormlabError('config', `unknown loss ${JSON.stringify(loss)}`, `use one of ${LOSS_NAMES.join(', ')}`);
}
