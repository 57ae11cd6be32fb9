/**
 * The first rows of a dataset as a Dataset of its own: views into the same bytes, never copies.
 * Browser-safe (no node: imports), so the study, the pool, the bench and the web app share it.
 */
import type { Dataset } from './dataset.js';

/** The first `limit` samples (all of them when `limit` is missing, 0, or not smaller than the count). */
export function sliceDataset(ds: Dataset, limit?: number | null): Dataset {
  if (!limit || limit >= ds.count) return ds;
  const size = ds.height * ds.width;
  return { ...ds, count: limit, images: ds.images.subarray(0, limit * size), labels: ds.labels.subarray(0, limit) };
}
