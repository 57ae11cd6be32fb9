/**
 * Small helpers on loaded datasets for the browser lab. Loading and verifying the files is
 * web/src/datasets/ (cache, this site, CORS mirrors, picked files).
 */
import { type Dataset, sliceDataset } from '../../src/browser.js';

/** The first `count` items of a dataset (views, no copy): for quick demos and tests (?trainLimit=). */
export function firstImagesOnly(ds: Dataset, count: number): Dataset {
  const sliced = sliceDataset(ds, count);
  return sliced === ds ? ds : { ...sliced, notes: [...ds.notes, `first ${count} of ${ds.count} ${ds.split} images only`] };
}
