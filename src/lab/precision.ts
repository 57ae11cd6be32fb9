/**
 * Floating-point helpers for the sigmoid/softmax experiments: rounding to a dtype, stepping to the next
 * representable value, and bisection over the *representable values* of a dtype (not over reals), so a
 * threshold such as "the smallest x at which sigmoid(x) rounds to 1.0" is an exact number of the dtype.
 *
 * float32 arithmetic in JavaScript: every number is a double, so a float32 operation is emulated as
 * `Math.fround(op(Math.fround(a), Math.fround(b)))`. For + − × ÷ and √ this is exactly IEEE float32
 * arithmetic (a double holds the exact float32 result of these before the final rounding, as double has
 * more than 2·24+2 bits of significand). For exp the double result is rounded once to float32, i.e. a
 * float32 exp accurate to ½ ulp, which is what good float32 math libraries aim for.
 */
import type { DType } from '../engine/backend.js';

/** Round a double to the dtype. */
export function roundTo(dtype: DType, x: number): number {
  return dtype === 'float32' ? Math.fround(x) : x;
}

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * The ordinal of a non-negative finite value among the dtype's values (0 → 0, smallest subnormal → 1, …),
 * so that consecutive representable values have consecutive ordinals.
 */
export function ordinalOf(dtype: DType, x: number): bigint {
  if (!(x >= 0) || !Number.isFinite(x)) throw new RangeError(`ordinalOf needs a finite x ≥ 0, got ${x}`);
  if (dtype === 'float32') {
    f32[0] = x;
    if (f32[0] !== x) throw new RangeError(`${x} is not a float32 value`);
    return BigInt(u32[0]);
  }
  f64[0] = x;
  return u64[0];
}

/** The non-negative value of the dtype with the given ordinal (inverse of ordinalOf). */
export function valueOf(dtype: DType, ordinal: bigint): number {
  if (dtype === 'float32') {
    u32[0] = Number(ordinal);
    return f32[0];
  }
  u64[0] = ordinal;
  return f64[0];
}

/** The next representable value above x ≥ 0 in the dtype. */
export function nextUp(dtype: DType, x: number): number {
  return valueOf(dtype, ordinalOf(dtype, x) + 1n);
}

/** The next representable value below x > 0 in the dtype. */
export function nextDown(dtype: DType, x: number): number {
  return valueOf(dtype, ordinalOf(dtype, x) - 1n);
}

/**
 * The smallest representable x in [lo, hi] (both non-negative values of the dtype) for which `holds(x)` is
 * true, assuming `holds` is false at lo, true at hi and monotone in between. Bisection over ordinals:
 * at most 64 evaluations, and the answer is exact — its predecessor does not satisfy `holds`.
 */
export function smallestWhere(dtype: DType, lo: number, hi: number, holds: (x: number) => boolean): number {
  let a = ordinalOf(dtype, lo);
  let b = ordinalOf(dtype, hi);
  if (holds(valueOf(dtype, a))) throw new RangeError(`the predicate already holds at the lower bound ${lo}`);
  if (!holds(valueOf(dtype, b))) throw new RangeError(`the predicate does not hold at the upper bound ${hi}`);
  while (b - a > 1n) {
    const mid = (a + b) / 2n;
    if (holds(valueOf(dtype, mid))) b = mid;
    else a = mid;
  }
  return valueOf(dtype, b);
}

/** The unit in the last place of 1.0 below and above: values just under and over 1 in the dtype. */
export function epsilonOf(dtype: DType): number {
  return dtype === 'float32' ? 2 ** -23 : 2 ** -52;
}
