/**
 * Optimizer update rules, one parameter tensor at a time, exactly as TensorFlow.js writes them (the
 * parity tests compare against tfjs step by step). Where tfjs and Python Keras differ only in algebra
 * (SGD momentum as an accumulated gradient vs an accumulated step) the results are identical for a
 * constant learning rate; where they differ in numbers (RMSprop puts ε inside the square root, as tfjs
 * does) the comment says so.
 */
import type { OptimizerSpec, ParamScale } from '../../backend.js';

type Vec = Float64Array | Float32Array;

export interface OptimizerState {
  /** Number of updates applied so far (Adam's bias correction needs it). */
  step: number;
  /** Per parameter tensor: first slot (momentum / Adam m / RMSprop mean square). */
  slot1: Vec[];
  /** Per parameter tensor: second slot (Adam v / RMSprop momentum). */
  slot2: Vec[];
  /** Per parameter tensor: third slot (centered RMSprop's mean gradient). */
  slot3: Vec[];
}

export function createOptimizerState(params: Vec[], alloc: (n: number) => Vec): OptimizerState {
  return {
    step: 0,
    slot1: params.map((p) => alloc(p.length)),
    slot2: params.map((p) => alloc(p.length)),
    slot3: params.map((p) => alloc(p.length)),
  };
}

/** Smallest normal float32 (2⁻¹²⁶) and float64 (2⁻¹⁰²²). */
const MIN_NORMAL_F32 = 2 ** -126;
const MIN_NORMAL_F64 = 2 ** -1022;

/**
 * Flush to zero: the value stored at s[k] becomes 0 when its magnitude is below the smallest normal
 * number of the slot's dtype (NaN stays NaN). Applied to every optimizer slot after it is stored, as the
 * wasm kernels do: a moment whose gradient has gone to zero decays into the subnormal range, where x86
 * arithmetic is ~100× slower (wasm cannot set the CPU's FTZ flag, so the kernels flush explicitly), and
 * TensorFlow runs its CPU kernels with flush-to-zero set. The reference follows the same rule so that
 * it stays the oracle of the fast backend.
 */
function flushSlot(s: Vec, k: number, tiny: number): void {
  if (Math.abs(s[k]) < tiny) s[k] = 0;
}

function scaleOf(spec: OptimizerSpec, index: number): ParamScale {
  return spec.paramScales?.[index] ?? { lr: 1, epsilon: 1 };
}

/**
 * Apply one update to every parameter tensor. `grads[i]` is the gradient of the mean batch loss with
 * respect to `params[i]`. Values are written back into the typed arrays, so a float32 run rounds every
 * stored quantity to float32 as a float32 framework would.
 */
export function applyUpdate(spec: OptimizerSpec, state: OptimizerState, params: Vec[], grads: Vec[], trainable?: boolean[]): void {
  state.step += 1;
  const t = state.step;
  params.forEach((w, i) => {
    if (trainable && !trainable[i]) return;
    const g = clipGradient(spec, grads[i]);
    const scale = scaleOf(spec, i);
    const lr = spec.learningRate * scale.lr;
    const tiny = w instanceof Float32Array ? MIN_NORMAL_F32 : MIN_NORMAL_F64;
    switch (spec.name) {
      case 'sgd': {
        if (spec.momentum === 0) {
          for (let k = 0; k < w.length; k++) w[k] = w[k] - lr * g[k];
          break;
        }
        // tfjs MomentumOptimizer: accumulation = momentum·accumulation + g;
        // w -= lr·accumulation, or with Nesterov w -= lr·(g + momentum·accumulation).
        const acc = state.slot1[i];
        for (let k = 0; k < w.length; k++) {
          acc[k] = spec.momentum * acc[k] + g[k];
          flushSlot(acc, k, tiny);
          const step = spec.nesterov ? g[k] + spec.momentum * acc[k] : acc[k];
          w[k] = w[k] - lr * step;
        }
        break;
      }
      case 'adam': {
        // tfjs AdamOptimizer: bias-corrected moments, ε added outside the square root.
        const eps = spec.epsilon * scale.epsilon;
        const m = state.slot1[i];
        const v = state.slot2[i];
        const c1 = 1 - Math.pow(spec.beta1, t);
        const c2 = 1 - Math.pow(spec.beta2, t);
        for (let k = 0; k < w.length; k++) {
          m[k] = spec.beta1 * m[k] + (1 - spec.beta1) * g[k];
          v[k] = spec.beta2 * v[k] + (1 - spec.beta2) * g[k] * g[k];
          flushSlot(m, k, tiny);
          flushSlot(v, k, tiny);
          const mHat = m[k] / c1;
          const vHat = v[k] / c2;
          w[k] = w[k] - (lr * mHat) / (Math.sqrt(vHat) + eps);
        }
        break;
      }
      case 'rmsprop': {
        // tfjs RMSPropOptimizer: ε inside the square root (Python Keras puts it outside).
        // Centered: √(ms − mg² + ε), as TensorFlow's ApplyCenteredRMSProp. tfjs 4.22 writes
        // √(ms − (mg² + ε)), subtracting ε, which is NaN for a parameter whose gradient is always 0
        // (e.g. the kernel row of an always-black pixel); normlab deliberately does not copy that slip.
        const eps = spec.epsilon * scale.epsilon;
        const ms = state.slot1[i];
        const mom = state.slot2[i];
        const mg = state.slot3[i];
        for (let k = 0; k < w.length; k++) {
          ms[k] = spec.rho * ms[k] + (1 - spec.rho) * g[k] * g[k];
          flushSlot(ms, k, tiny);
          let denom = ms[k] + eps;
          if (spec.centered) {
            mg[k] = spec.rho * mg[k] + (1 - spec.rho) * g[k];
            flushSlot(mg, k, tiny);
            denom = ms[k] - mg[k] * mg[k] + eps;
          }
          const step = (lr * g[k]) / Math.sqrt(denom);
          if (spec.momentum > 0) {
            mom[k] = spec.momentum * mom[k] + step;
            flushSlot(mom, k, tiny);
            w[k] = w[k] - mom[k];
          } else {
            w[k] = w[k] - step;
          }
        }
        break;
      }
    }
  });
}

/**
 * Keras' per-tensor clipping (optimizer.clipnorm / clipvalue), before the update: g·clipnorm/‖g‖ when
 * ‖g‖ > clipnorm; each element clamped to ±clipvalue. Returns g itself when nothing is clipped.
 */
export function clipGradient(spec: Pick<OptimizerSpec, 'clipnorm' | 'clipvalue'>, g: Vec): Vec {
  if (spec.clipnorm !== undefined) {
    let sq = 0;
    for (let k = 0; k < g.length; k++) sq += g[k] * g[k];
    const norm = Math.sqrt(sq);
    if (!(norm > spec.clipnorm)) return g;
    const factor = spec.clipnorm / norm;
    const out = g.slice();
    for (let k = 0; k < g.length; k++) out[k] = g[k] * factor;
    return out;
  }
  if (spec.clipvalue !== undefined) {
    const c = spec.clipvalue;
    const out = g.slice();
    for (let k = 0; k < g.length; k++) out[k] = Math.min(c, Math.max(-c, g[k]));
    return out;
  }
  return g;
}
