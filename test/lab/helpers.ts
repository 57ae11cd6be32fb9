/**
 * Shared by the lab tests: a small real Fashion-MNIST slice (loaded once per process through the real
 * loader, so it is SHA-256 verified) and synthetic study results for testing the findings' wording.
 */
import { loadDataset, type Dataset } from '../../src/data/dataset.js';
import { sliceDataset } from '../../src/data/slice.js';

let full: Promise<{ train: Dataset; test: Dataset }> | undefined;

export async function fashion(trainLimit?: number, testLimit?: number): Promise<{ train: Dataset; test: Dataset }> {
  full ??= Promise.all([loadDataset('fashion-mnist', 'train', { download: false }), loadDataset('fashion-mnist', 'test', { download: false })]).then(
    ([train, test]) => ({ train, test }),
  );
  const d = await full;
  return { train: sliceDataset(d.train, trainLimit), test: sliceDataset(d.test, testLimit) };
}
