/**
 * A Dataset as the engine's tensors: images [n, h, w] (uint8, untransformed) and labels [n]. It lives in
 * the engine (not in src/data) because the data layer sits below the engine and knows nothing of tensors;
 * any object with a Dataset's fields will do.
 */
import type { Affine } from './backend.js';
import { Tensor } from './tensor.js';

export interface DatasetLike {
  count: number;
  height: number;
  width: number;
  images: Uint8Array;
  labels: Uint8Array;
}

export function datasetTensors(ds: DatasetLike, transform?: Affine): { x: Tensor; y: Tensor } {
  const x = new Tensor(ds.images, [ds.count, ds.height, ds.width], transform ? 'float32' : 'uint8', transform ?? { a: 1, b: 0 });
  const y = new Tensor(ds.labels, [ds.count], 'uint8');
  return { x, y };
}
