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

/** Training images taken from a test split when it is all there is: 80%, the rest held out to test on. */
export function heldOutTrainCount(testCount: number): number {
  return Math.round(testCount * 0.8);
}

/**
 * Train and test sets made from a dataset's official test split alone (views, no copy): its first 80%
 * to train on, the last 20% held out to test on. For MNIST on a site that has only the test split; the
 * notes say so on every run card, since the numbers are not comparable with results on the real split.
 */
export function heldOutSplit(testSplit: Dataset): { train: Dataset; test: Dataset } {
  const n = heldOutTrainCount(testSplit.count);
  const size = testSplit.height * testSplit.width;
  const note = `only the official test split is available: trained on its first ${n.toLocaleString('en')} images, tested on the other ${(testSplit.count - n).toLocaleString('en')} (not the official train/test split)`;
  const part = (from: number, to: number): Dataset => ({
    ...testSplit,
    count: to - from,
    images: testSplit.images.subarray(from * size, to * size),
    labels: testSplit.labels.subarray(from, to),
    notes: [...testSplit.notes, note],
  });
  return { train: part(0, n), test: part(n, testSplit.count) };
}
