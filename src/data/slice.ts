/**
 * Parts of a dataset as Datasets of their own: the first rows (views into the same bytes, never copies),
 * or chosen rows (copied).
 * Browser-safe (no node: imports), so the study, the pool, the bench and the web app share it.
 */
import type { Dataset } from './dataset.js';

/** The first `limit` samples (all of them when `limit` is missing, 0, or not smaller than the count). */
export function sliceDataset(ds: Dataset, limit?: number | null): Dataset {
  if (!limit || limit >= ds.count) return ds;
  const size = ds.height * ds.width;
  return { ...ds, count: limit, images: ds.images.subarray(0, limit * size), labels: ds.labels.subarray(0, limit) };
}

/** The given rows, in that order, copied into a Dataset of their own (probe batches, sample grids). */
export function pickRows(ds: Dataset, rows: readonly number[]): Dataset {
  const size = ds.height * ds.width;
  const images = new Uint8Array(rows.length * size);
  const labels = new Uint8Array(rows.length);
  rows.forEach((r, i) => {
    images.set(ds.images.subarray(r * size, (r + 1) * size), i * size);
    labels[i] = ds.labels[r];
  });
  return { ...ds, count: rows.length, images, labels };
}
