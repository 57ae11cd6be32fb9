/**
 * The input transforms of the normalization study, each an affine map x' = a·x + b of the raw 0–255
 * pixel (centre: x − mean, the centring of standardize without its scaling). They are recorded by name in every run and applied lazily (Tensor transform → backend), so
 * the pixels themselves stay uint8.
 */
import { NormlabError } from '../errors.js';

/**
 * x' = a·x + b, applied to every input value as batches are formed (or fused into the first layer).
 * Defined here, below the engine, because a transform is a property of the data; the engine's Backend
 * interface re-exports it. none: a=1,b=0; scale: a=1/255,b=0; symmetric: a=2/255,b=-1; standardize:
 * a=1/std, b=-mean/std.
 */
export interface Affine {
  a: number;
  b: number;
}

export const TRANSFORM_NAMES = ['none', 'scale', 'standardize', 'symmetric', 'centre'] as const;
export type TransformName = (typeof TRANSFORM_NAMES)[number];

export interface InputTransform extends Affine {
  name: TransformName;
  /** What a learner would write, e.g. "x / 255". */
  formula: string;
  /** Range of the transformed pixel values: [a·0 + b, a·255 + b]. */
  range: [number, number];
}

/** Mean and standard deviation of all pixel values (the statistics `standardize` uses). */
export function pixelStatistics(images: Uint8Array): { mean: number; std: number } {
  let sum = 0;
  let sumSq = 0;
  for (const v of images) {
    sum += v;
    sumSq += v * v;
  }
  const mean = sum / images.length;
  return { mean, std: Math.sqrt(Math.max(sumSq / images.length - mean * mean, 0)) };
}

/** The transform by name. `standardize` needs the *training* images' statistics. */
export function inputTransform(name: string, trainImages?: Uint8Array): InputTransform {
  const make = (n: TransformName, a: number, b: number, formula: string): InputTransform => ({
    name: n,
    a,
    b,
    formula,
    range: [b, a * 255 + b],
  });
  switch (name) {
    case 'none':
      return make('none', 1, 0, 'x (raw 0–255)');
    case 'scale':
      return make('scale', 1 / 255, 0, 'x / 255');
    case 'symmetric':
      return make('symmetric', 2 / 255, -1, 'x / 127.5 − 1');
    case 'standardize': {
      if (!trainImages) throw new Error('standardize needs the training images to compute mean and std');
      const { mean, std } = pixelStatistics(trainImages);
      return make('standardize', 1 / std, -mean / std, `(x − ${mean.toFixed(2)}) / ${std.toFixed(2)}`);
    }
    case 'centre': {
      // Centring only (x − mean, unscaled): separates "the mean is far from 0" from "the values are large".
      if (!trainImages) throw new Error('centre needs the training images to compute the mean');
      const { mean } = pixelStatistics(trainImages);
      return make('centre', 1, -mean, `x − ${mean.toFixed(2)}`);
    }
    default:
      throw new NormlabError('flag', `unknown normalization '${name}'`, `use one of ${TRANSFORM_NAMES.join(', ')}`);
  }
}
