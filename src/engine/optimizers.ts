/**
 * Optimizer configs: plain data (an OptimizerSpec), with Keras' defaults. `train.adam(…)` etc. mirror
 * tfjs' `tf.train.*` factories; compile() also accepts the strings 'adam' | 'sgd' | 'rmsprop'.
 */
import { NormlabError } from '../errors.js';
import type { Clipping, OptimizerSpec, ParamScale } from './backend.js';

/** Keras' default ε, also tfjs' float32 epsilon. */
export const DEFAULT_EPSILON = 1e-7;

export const OPTIMIZER_NAMES = ['adam', 'sgd', 'rmsprop'] as const;
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];

export const DEFAULT_LEARNING_RATE: Record<OptimizerName, number> = { adam: 0.001, sgd: 0.01, rmsprop: 0.001 };

export const train = {
  sgd: (learningRate = 0.01): OptimizerSpec => ({ name: 'sgd', learningRate, momentum: 0, nesterov: false }),
  momentum: (learningRate: number, momentum: number, useNesterov = false): OptimizerSpec => ({
    name: 'sgd',
    learningRate,
    momentum,
    nesterov: useNesterov,
  }),
  adam: (learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon = DEFAULT_EPSILON): OptimizerSpec => ({
    name: 'adam',
    learningRate,
    beta1,
    beta2,
    epsilon,
  }),
  rmsprop: (learningRate = 0.001, decay = 0.9, momentum = 0, epsilon = DEFAULT_EPSILON, centered = false): OptimizerSpec => ({
    name: 'rmsprop',
    learningRate,
    rho: decay,
    momentum,
    epsilon,
    centered,
  }),
};

/** Attach per-parameter learning-rate / ε multipliers (the reparametrisation experiment). */
export function withParamScales(spec: OptimizerSpec, paramScales: ParamScale[]): OptimizerSpec {
  return { ...spec, paramScales };
}

/**
 * Keras' `clipnorm` / `clipvalue` on an optimizer: `withClipping(train.adam(0.001), {clipnorm: 1})`, or
 * the same fields on the spec passed to compile(). Per tensor, as Keras; at most one of the two.
 */
export function withClipping(spec: OptimizerSpec, clipping: Clipping): OptimizerSpec {
  const out = { ...structuredClone(spec), ...clipping };
  checkClipping(out);
  return out;
}

function checkClipping(spec: Clipping): void {
  for (const key of ['clipnorm', 'clipvalue'] as const) {
    const v = spec[key];
    if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && v > 0)) {
      throw new NormlabError('config', `optimizer ${key} must be a positive number, got ${JSON.stringify(v)}`, `e.g. {${key}: 1}`);
    }
  }
  if (spec.clipnorm !== undefined && spec.clipvalue !== undefined) {
    throw new NormlabError('config', 'an optimizer takes clipnorm or clipvalue, not both (as Keras)', 'keep one of them');
  }
}

export function resolveOptimizer(optimizer: unknown): OptimizerSpec {
  if (typeof optimizer === 'string') {
    const name = optimizer.toLowerCase();
    if (name === 'adam') return train.adam();
    if (name === 'sgd') return train.sgd();
    if (name === 'rmsprop') return train.rmsprop();
    throw new NormlabError('config', `unknown optimizer '${optimizer}'`, `use one of ${OPTIMIZER_NAMES.join(', ')}, or train.adam(learningRate)`);
  }
  if (optimizer && typeof optimizer === 'object' && 'name' in optimizer) {
    const spec = optimizer as OptimizerSpec;
    if (!OPTIMIZER_NAMES.includes(spec.name) || !(spec.learningRate > 0) || !Number.isFinite(spec.learningRate)) {
      throw new NormlabError(
        'config',
        `invalid optimizer config ${JSON.stringify(optimizer)}`,
        'create it with train.adam(0.001), train.sgd(0.01) or train.rmsprop(0.001)',
      );
    }
    checkClipping(spec);
    return structuredClone(spec);
  }
  throw new NormlabError(
    'config',
    `compile() needs an optimizer, got ${JSON.stringify(optimizer)}`,
    "e.g. model.compile({optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy']})",
  );
}
