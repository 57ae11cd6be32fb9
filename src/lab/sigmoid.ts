/**
 * The sigmoid and softmax experiments of `normlab why`, computed exactly as proposed to the learner and
 * then pushed to the exact thresholds, in float64 and float32.
 *
 * How float32 is computed (stated in every result as `method`):
 * - 'float32' — IEEE float32 arithmetic, each operation rounded: fround(1 / fround(1 + fround(exp(−x)))).
 *   This is what a float32 framework (tfjs, PyTorch, TensorFlow) computes on its float32 tensors.
 * - 'float32-once' — the sigmoid computed in double and rounded to float32 once at the end; this is what
 *   normlab's reference backend stores for a float32 network (its activations are computed in double).
 * float64 uses the engine's own sigmoid, 1 / (1 + exp(−x)) in doubles (each operation rounded to double).
 */
import type { DType } from '../engine/backend.js';
import { elementwise } from '../engine/math/activations.js';
import { nextDown, smallestWhere } from './precision.js';

export type SigmoidMethod = 'float64' | 'float32' | 'float32-once';
export const SIGMOID_METHODS: readonly SigmoidMethod[] = ['float64', 'float32', 'float32-once'];

export const METHOD_DESCRIPTIONS: Record<SigmoidMethod, string> = {
  float64: "1/(1+exp(−x)) in doubles, each operation rounded to float64 (the engine's sigmoid)",
  float32: 'IEEE float32, each operation rounded: fround(1/fround(1+fround(exp(fround(−x))))) — as float32 tensors in tfjs/PyTorch',
  'float32-once': 'computed in double, rounded to float32 once (how the reference backend stores float32 activations)',
};

const r32 = Math.fround;

export function dtypeOfMethod(method: SigmoidMethod): DType {
  return method === 'float64' ? 'float64' : 'float32';
}

/** sigmoid(x) as the method computes it. */
export function sigmoidBy(method: SigmoidMethod, x: number): number {
  switch (method) {
    case 'float64':
      return elementwise.sigmoid.output(x);
    case 'float32': {
      const e = r32(Math.exp(r32(-r32(x))));
      return r32(1 / r32(1 + e));
    }
    case 'float32-once':
      return r32(elementwise.sigmoid.output(x));
  }
}

/** σ(1−σ) as a backend computes the derivative from the stored output (the engine's `der`). */
export function sigmoidDerivativeBy(method: SigmoidMethod, x: number): number {
  const y = sigmoidBy(method, x);
  return method === 'float64' ? y * (1 - y) : r32(y * r32(1 - y));
}

/** The derivative with no rounding to speak of: e^{−x}/(1+e^{−x})², in double. */
export function sigmoidDerivativeExact(x: number): number {
  const e = Math.exp(-Math.abs(x));
  return e / ((1 + e) * (1 + e));
}

/** numpy.linspace(start, stop, num): start + i·step, with the last value exactly `stop`. */
export function linspace(start: number, stop: number, num = 50): number[] {
  if (num === 1) return [start];
  const step = (stop - start) / (num - 1);
  const out = Array.from({ length: num }, (_, i) => start + i * step);
  out[num - 1] = stop;
  return out;
}

/** The learner's proposal, verbatim: get_sigmoid(pixel_value, weight) = sigmoid(pixel_value × weight). */
export function getSigmoid(method: SigmoidMethod, pixelValue: number, weight: number): number {
  const product = method === 'float64' ? pixelValue * weight : r32(r32(pixelValue) * r32(weight));
  return sigmoidBy(method, product);
}

export interface GetSigmoidTable {
  /** What was computed, as the learner would write it. */
  code: string;
  weights: number[];
  pixels: [number, number];
  /** Per method: rows of [sigmoid(pixel0·w), sigmoid(pixel1·w)] for each weight. */
  values: Record<SigmoidMethod, [number, number][]>;
  /** Largest sigmoid over the weights, per pixel value (float64). */
  max: [number, number];
  /** (sigmoid(255·w) − ½) / (sigmoid(1·w) − ½) at the largest weight: how much further from ½ the raw pixel pushes. */
  distanceRatio: number;
  /** Any value that rounded to exactly 1.0 in any method. */
  anyExactlyOne: boolean;
}

export function getSigmoidTable(weights: number[], pixels: [number, number] = [255, 1], code = 'weights = np.linspace(0, 1e-5)'): GetSigmoidTable {
  const values = {} as Record<SigmoidMethod, [number, number][]>;
  for (const m of SIGMOID_METHODS) values[m] = weights.map((w) => [getSigmoid(m, pixels[0], w), getSigmoid(m, pixels[1], w)]);
  const f64 = values.float64;
  const last = f64[f64.length - 1];
  return {
    code,
    weights,
    pixels,
    values,
    max: [Math.max(...f64.map((v) => v[0])), Math.max(...f64.map((v) => v[1]))],
    distanceRatio: (last[0] - 0.5) / (last[1] - 0.5),
    anyExactlyOne: SIGMOID_METHODS.some((m) => values[m].some(([a, b]) => a === 1 || b === 1)),
  };
}

export interface SigmoidRange {
  inputs: number[];
  values: Record<SigmoidMethod, number[]>;
  /** Per method: how many inputs gave exactly 1.0, and the first such input (null if none). */
  exactlyOne: Record<SigmoidMethod, { count: number; first: number | null }>;
  min: number;
  max: number;
}

export function sigmoidRange(inputs: number[]): SigmoidRange {
  const values = {} as Record<SigmoidMethod, number[]>;
  const exactlyOne = {} as SigmoidRange['exactlyOne'];
  for (const m of SIGMOID_METHODS) {
    values[m] = inputs.map((x) => sigmoidBy(m, x));
    const ones = inputs.filter((_, i) => values[m][i] === 1);
    exactlyOne[m] = { count: ones.length, first: ones.length ? ones[0] : null };
  }
  return { inputs, values, exactlyOne, min: Math.min(...values.float64), max: Math.max(...values.float64) };
}

export interface SaturationThreshold {
  method: SigmoidMethod;
  description: string;
  /** The smallest representable x with sigmoid(x) exactly 1.0. */
  x: number;
  /** The representable value just below x, and sigmoid there (the largest value below 1.0 it reaches). */
  below: number;
  sigmoidBelow: number;
  /** The smallest whole number x with sigmoid(x) exactly 1.0. */
  integer: number;
  /** σ(1−σ) as computed from the stored output at x (0: the gradient through the unit is gone)… */
  derivativeAt: number;
  /** …just below x… */
  derivativeBelow: number;
  /** …and its exact value e^{−x}/(1+e^{−x})² at x. */
  derivativeExact: number;
  /** The closed form: 1+e^{−x} rounds to 1 once e^{−x} ≤ ½ulp(1) = 2^−p, i.e. x ≥ p·ln 2. */
  closedForm: string;
  /** On the negative side: the largest x (closest to 0) with sigmoid(x) exactly 0. */
  zeroAt: number;
}

export function saturationThreshold(method: SigmoidMethod): SaturationThreshold {
  const dtype = dtypeOfMethod(method);
  const isOne = (x: number) => sigmoidBy(method, x) === 1;
  const x = smallestWhere(dtype, 1, 1000, isOne);
  const below = nextDown(dtype, x);
  let integer = Math.ceil(x);
  while (!isOne(integer)) integer++;
  // sigmoid(−x) = 0 exactly happens when exp(x) overflows (or 1/(1+e^x) underflows) in the dtype.
  const zeroMagnitude = smallestWhere(dtype, 1, 2000, (v) => sigmoidBy(method, -v) === 0);
  const p = method === 'float64' ? 53 : method === 'float32' ? 24 : 25;
  return {
    method,
    description: METHOD_DESCRIPTIONS[method],
    x,
    below,
    sigmoidBelow: sigmoidBy(method, below),
    integer,
    derivativeAt: sigmoidDerivativeBy(method, x),
    derivativeBelow: sigmoidDerivativeBy(method, below),
    derivativeExact: sigmoidDerivativeExact(x),
    closedForm:
      method === 'float32-once'
        ? `the double result 1/(1+e^−x) ≈ 1 − e^−x rounds to float32 1.0 once e^−x < ½ulp below 1 = 2^−25, x > 25·ln 2 = ${(25 * Math.LN2).toFixed(4)}`
        : `1 + e^−x rounds to 1 once e^−x ≤ 2^−${p} (half an ulp of 1), x ≥ ${p}·ln 2 = ${(p * Math.LN2).toFixed(4)}`,
    zeroAt: -zeroMagnitude,
  };
}

/**
 * The largest softmax probability, as the engine computes a softmax row (max subtracted, exponentials
 * summed in class order, then divided), for a top logit `gap` above `competitors` equal other logits.
 * `order` says where the top class sits in the sum: first (class 0) or last (class 9). In exact
 * arithmetic this does not matter; in floating point it does, because 1 + e rounds back to 1 for small e
 * while e + e + … + e does not.
 */
export function softmaxMaxBy(
  method: SigmoidMethod,
  gap: number,
  competitors: number,
  order: 'top-first' | 'top-last' = 'top-first',
): { max: number; other: number } {
  const round = method === 'float32' ? r32 : (v: number) => v;
  const e = method === 'float32' ? r32(Math.exp(r32(-r32(gap)))) : Math.exp(-gap);
  let sum = order === 'top-first' ? 1 : 0;
  for (let j = 0; j < competitors; j++) sum = round(sum + e);
  if (order === 'top-last') sum = round(sum + 1);
  const max = round(1 / sum);
  const other = round(e / sum);
  return method === 'float32-once' ? { max: r32(max), other: r32(other) } : { max, other };
}

export interface SoftmaxThreshold {
  method: SigmoidMethod;
  competitors: number;
  order: 'top-first' | 'top-last';
  /** Smallest top-1 − other logit gap at which the top probability is exactly 1.0. */
  gap: number;
  /** Smallest gap at which the other classes' probability is exactly 0.0 (its log: −∞). */
  zeroGap: number;
}

export function softmaxThreshold(method: SigmoidMethod, competitors: number, order: 'top-first' | 'top-last' = 'top-first'): SoftmaxThreshold {
  const dtype = dtypeOfMethod(method);
  return {
    method,
    competitors,
    order,
    gap: smallestWhere(dtype, 1, 1000, (g) => softmaxMaxBy(method, g, competitors, order).max === 1),
    zeroGap: smallestWhere(dtype, 1, 5000, (g) => softmaxMaxBy(method, g, competitors, order).other === 0),
  };
}

export interface SoftmaxAtGap {
  label: string;
  gap: number;
  /** Per method: top probability and 1 − it, with one competitor at −gap (others ignored: an upper bound). */
  values: Record<SigmoidMethod, { max: number; oneMinus: number; exactlyOne: boolean }>;
}

export function softmaxAtGaps(gaps: { label: string; gap: number }[]): SoftmaxAtGap[] {
  return gaps
    .filter((g) => Number.isFinite(g.gap))
    .map(({ label, gap }) => {
      const values = {} as SoftmaxAtGap['values'];
      for (const m of SIGMOID_METHODS) {
        const { max } = softmaxMaxBy(m, gap, 1);
        values[m] = { max, oneMinus: 1 - max, exactlyOne: max === 1 };
      }
      return { label, gap, values };
    });
}

export interface SigmoidStudy {
  methods: Record<SigmoidMethod, string>;
  /** The learner's get_sigmoid experiment with weights = np.linspace(0, 1e-5) (50 values). */
  proposed: GetSigmoidTable;
  /** The same with weights up to the lab model's actual initial range, glorotUniform ±√(6/(784+128)). */
  realisticWeights: GetSigmoidTable;
  /** sigmoid over the integers 0..255 and over 0, 0.01, …, 0.99. */
  raw: SigmoidRange;
  scaled: SigmoidRange;
  thresholds: SaturationThreshold[];
  softmax: SoftmaxThreshold[];
  /** Filled in by the study with the logit gaps its runs measured. */
  softmaxAtMeasuredGaps: SoftmaxAtGap[];
}

export function sigmoidStudy(options: { inputSize?: number; hiddenUnits?: number } = {}): SigmoidStudy {
  const limit = Math.sqrt(6 / ((options.inputSize ?? 784) + (options.hiddenUnits ?? 128)));
  return {
    methods: { ...METHOD_DESCRIPTIONS },
    proposed: getSigmoidTable(linspace(0, 1e-5, 50)),
    realisticWeights: getSigmoidTable(
      linspace(0, limit, 50),
      [255, 1],
      `weights = np.linspace(0, ${limit.toPrecision(4)})  # glorotUniform limit of the first layer`,
    ),
    raw: sigmoidRange(Array.from({ length: 256 }, (_, i) => i)),
    scaled: sigmoidRange(Array.from({ length: 100 }, (_, i) => i / 100)),
    thresholds: SIGMOID_METHODS.map(saturationThreshold),
    softmax: SIGMOID_METHODS.flatMap((m) => [softmaxThreshold(m, 1), softmaxThreshold(m, 9, 'top-first'), softmaxThreshold(m, 9, 'top-last')]),
    softmaxAtMeasuredGaps: [],
  };
}
