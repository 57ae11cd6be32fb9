/**
 * Activation functions, each as an `{output, der}` pair (the TensorFlow Playground style): the derivative
 * sits beside the function so the two can never drift apart. `der` takes both the pre-activation `z`
 * and the output `y = output(z)`, and uses whichever is cheaper and more accurate.
 *
 * Softmax is not element-wise; it is listed here for the names and handled row-wise by `softmaxRow`.
 */
import type { ActivationName } from '../backend.js';

export interface ElementwiseActivation {
  output(z: number): number;
  der(z: number, y: number): number;
}

export const elementwise: Record<Exclude<ActivationName, 'softmax'>, ElementwiseActivation> = {
  linear: { output: (z) => z, der: () => 1 },
  // Keras' relu has derivative 0 at exactly 0 (the subgradient TensorFlow picks). NaN passes through,
  // as in TensorFlow/tfjs (relu = max(0, z); its gradient uses step(z), which is NaN at NaN): a relu
  // must not turn a diverged unit into a quiet 0 and hide a NaN from the loss.
  relu: { output: (z) => Math.max(0, z), der: (z) => (z > 0 ? 1 : z <= 0 ? 0 : NaN) },
  // 1/(1+e^-z) overflows e^-z to Infinity for z < -709 and then correctly gives 0; no branch needed.
  sigmoid: { output: (z) => 1 / (1 + Math.exp(-z)), der: (_z, y) => y * (1 - y) },
  tanh: { output: (z) => Math.tanh(z), der: (_z, y) => 1 - y * y },
};

/**
 * Softmax of one row, written into `out`. Subtracting the row's maximum first keeps exp() from
 * overflowing; it does not change the result mathematically.
 */
export function softmaxRow(z: ArrayLike<number>, offset: number, n: number, out: { [i: number]: number }, outOffset: number): void {
  let max = -Infinity;
  for (let j = 0; j < n; j++) max = Math.max(max, z[offset + j]);
  let sum = 0;
  for (let j = 0; j < n; j++) sum += Math.exp(z[offset + j] - max);
  for (let j = 0; j < n; j++) out[outOffset + j] = Math.exp(z[offset + j] - max) / sum;
}

/** log Σ exp(z_j) over one row, computed stably. */
export function logSumExpRow(z: ArrayLike<number>, offset: number, n: number): number {
  let max = -Infinity;
  for (let j = 0; j < n; j++) max = Math.max(max, z[offset + j]);
  if (!Number.isFinite(max)) return max;
  let sum = 0;
  for (let j = 0; j < n; j++) sum += Math.exp(z[offset + j] - max);
  return max + Math.log(sum);
}

export const ACTIVATIONS: readonly ActivationName[] = ['linear', 'relu', 'sigmoid', 'tanh', 'softmax'];
