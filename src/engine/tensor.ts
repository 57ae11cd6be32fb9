/**
 * A small Tensor with the parts of the TensorFlow.js Tensor API the lab uses (shape, dtype, dataSync,
 * arraySync, reshape, argMax, scalar arithmetic), so learner code written for tfjs runs unchanged.
 *
 * One deliberate difference: scalar arithmetic on a tensor is *lazy and affine*. `images.div(255)`
 * does not copy 47 MB of pixels into floats; it returns a tensor over the same uint8 bytes with the
 * transform x' = x/255 recorded. The engine hands that transform to the backend, which applies it as
 * batches are formed. So "normalize or not" is one recorded word of a run, never a second copy of the
 * data, and a grader can see exactly what transform a learner applied.
 */
import { argmaxRow } from './math/argmax.js';
import type { Affine } from './backend.js';
import { NormlabError } from '../errors.js';

export type TensorDType = 'float32' | 'float64' | 'int32' | 'uint8';
export type TensorValues = Uint8Array | Int32Array | Float32Array | Float64Array;
export type TensorLike = number | number[] | number[][] | number[][][] | TensorValues;

const IDENTITY: Affine = { a: 1, b: 0 };

export class Tensor {
  readonly shape: number[];
  readonly dtype: TensorDType;
  /** The stored values, before `transform` is applied. */
  readonly values: TensorValues;
  /** The lazy transform x' = a·x + b that reading the tensor applies to `values`. */
  readonly transform: Affine;
  private disposed = false;

  constructor(values: TensorValues, shape: number[], dtype?: TensorDType, transform: Affine = IDENTITY) {
    const size = shape.reduce((p, d) => p * d, 1);
    if (size !== values.length) {
      throw new NormlabError(
        'shape',
        `a tensor of shape [${shape.join(',')}] needs ${size} values, but ${values.length} were given`,
        'check the shape argument, or reshape the data first',
      );
    }
    this.values = values;
    this.shape = [...shape];
    this.transform = transform;
    this.dtype = dtype ?? dtypeOf(values);
  }

  get rank(): number {
    return this.shape.length;
  }

  get size(): number {
    return this.values.length;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** True when reading returns the stored values unchanged. */
  get isIdentity(): boolean {
    return this.transform.a === 1 && this.transform.b === 0;
  }

  /** The values with the transform applied, in the tensor's dtype. */
  dataSync(): TensorValues {
    this.assertAlive();
    if (this.isIdentity && dtypeOf(this.values) === this.dtype) return this.values;
    const out = allocate(this.dtype, this.size);
    const { a, b } = this.transform;
    for (let i = 0; i < this.size; i++) out[i] = a * this.values[i] + b;
    return out;
  }

  async data(): Promise<TensorValues> {
    return this.dataSync();
  }

  /** Nested arrays, as tfjs' arraySync. */
  arraySync(): unknown {
    const flat = Array.from(this.dataSync());
    if (this.rank === 0) return flat[0];
    const build = (offset: number, dim: number): unknown => {
      const stride = this.shape.slice(dim + 1).reduce((p, d) => p * d, 1);
      if (dim === this.rank - 1) return flat.slice(offset, offset + this.shape[dim]);
      return Array.from({ length: this.shape[dim] }, (_, i) => build(offset + i * stride, dim + 1));
    };
    return build(0, 0);
  }

  async array(): Promise<unknown> {
    return this.arraySync();
  }

  reshape(shape: number[]): Tensor {
    const known = shape.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
    const resolved = shape.map((d) => (d === -1 ? this.size / known : d));
    return new Tensor(this.values, resolved, this.dtype, this.transform);
  }

  /** Scalar arithmetic composes the lazy transform; the result is floating point, as in tfjs. */
  div(s: number | Tensor): Tensor {
    return this.affine(1 / scalarOf(s, 'div'), 0);
  }
  mul(s: number | Tensor): Tensor {
    return this.affine(scalarOf(s, 'mul'), 0);
  }
  add(s: number | Tensor): Tensor {
    return this.affine(1, scalarOf(s, 'add'));
  }
  sub(s: number | Tensor): Tensor {
    return this.affine(1, -scalarOf(s, 'sub'));
  }

  private affine(a: number, b: number): Tensor {
    this.assertAlive();
    const t = this.transform;
    const dtype = this.dtype === 'float64' ? 'float64' : 'float32';
    return new Tensor(this.values, this.shape, dtype, { a: t.a * a, b: t.b * a + b });
  }

  /** Index of the largest value along the last axis, as an int32 tensor. */
  argMax(axis = -1): Tensor {
    if (axis !== -1 && axis !== this.rank - 1) {
      throw new NormlabError('unsupported', 'argMax is only supported along the last axis', 'use argMax(-1)');
    }
    const width = this.shape[this.rank - 1];
    const rows = this.size / width;
    const data = this.dataSync();
    const out = new Int32Array(rows);
    for (let r = 0; r < rows; r++) out[r] = argmaxRow(data, r * width, width);
    return new Tensor(out, this.shape.slice(0, -1), 'int32');
  }

  /** Rows [begin, begin + count) along the first axis, sharing nothing with this tensor. */
  slice(begin: number, count?: number): Tensor {
    const rowSize = this.size / (this.shape[0] || 1);
    const n = count ?? this.shape[0] - begin;
    const values = this.values.slice(begin * rowSize, (begin + n) * rowSize);
    return new Tensor(values, [n, ...this.shape.slice(1)], this.dtype, this.transform);
  }

  print(): void {
    console.log(`Tensor ${JSON.stringify(this.arraySync())}`);
  }

  toString(): string {
    return `Tensor(shape=[${this.shape.join(',')}], dtype=${this.dtype})`;
  }

  dispose(): void {
    this.disposed = true;
  }

  private assertAlive(): void {
    if (this.disposed) throw new NormlabError('disposed', 'this tensor was disposed and cannot be read', 'keep the tensor until you are done with it');
  }
}

function scalarOf(s: number | Tensor, op: string): number {
  if (typeof s === 'number') return s;
  if (s.size === 1) return Number(s.dataSync()[0]);
  throw new NormlabError(
    'unsupported',
    `${op}() with a tensor of shape [${s.shape.join(',')}] is not supported: normlab tensors support arithmetic with a single number`,
    `pass a number, e.g. x.${op}(255)`,
  );
}

function dtypeOf(values: TensorValues): TensorDType {
  if (values instanceof Uint8Array) return 'uint8';
  if (values instanceof Int32Array) return 'int32';
  if (values instanceof Float64Array) return 'float64';
  return 'float32';
}

function allocate(dtype: TensorDType, n: number): TensorValues {
  switch (dtype) {
    case 'uint8':
      return new Uint8Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'float64':
      return new Float64Array(n);
    default:
      return new Float32Array(n);
  }
}

function flatten(values: TensorLike): { data: number[] | TensorValues; shape: number[] } {
  if (typeof values === 'number') return { data: [values], shape: [] };
  if (ArrayBuffer.isView(values)) return { data: values, shape: [values.length] };
  const shape: number[] = [];
  let level: unknown = values;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0];
  }
  return { data: (values as unknown[]).flat(Infinity as 1) as number[], shape };
}

/** tf.tensor(values, shape?, dtype?) */
export function tensor(values: TensorLike, shape?: number[], dtype?: TensorDType): Tensor {
  const flat = flatten(values);
  const finalShape = shape ?? flat.shape;
  const kind = dtype ?? (ArrayBuffer.isView(flat.data) ? dtypeOf(flat.data as TensorValues) : 'float32');
  const data = ArrayBuffer.isView(flat.data) && dtypeOf(flat.data as TensorValues) === kind ? (flat.data as TensorValues) : allocateFrom(kind, flat.data);
  return new Tensor(data, finalShape, kind);
}

function allocateFrom(dtype: TensorDType, data: ArrayLike<number>): TensorValues {
  const out = allocate(dtype, data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i];
  return out;
}

export const tensor1d = (v: TensorLike, dtype?: TensorDType) => tensor(v, undefined, dtype);
export const tensor2d = (v: TensorLike, shape?: [number, number], dtype?: TensorDType) => tensor(v, shape, dtype);
export const tensor3d = (v: TensorLike, shape?: [number, number, number], dtype?: TensorDType) => tensor(v, shape, dtype);
export const scalar = (v: number, dtype?: TensorDType) => tensor(v, [], dtype);

/** One-hot encode class indices into a float32 [n, depth] tensor, as tf.oneHot. */
export function oneHot(indices: Tensor, depth: number): Tensor {
  const idx = indices.dataSync();
  const out = new Float32Array(idx.length * depth);
  for (let i = 0; i < idx.length; i++) out[i * depth + Number(idx[i])] = 1;
  return new Tensor(out, [idx.length, depth], 'float32');
}
