/**
 * Fashion-MNIST for the benchmark, through the project's data layer (verified against the registry's
 * SHA-256s, found by the same lookup as `normlab train`: --data-dir, $NORMLAB_DATA_DIR, the cache, the
 * Debian package folder). Nothing is downloaded from here.
 */
import { loadDataset, type Dataset } from '../src/data/dataset.js';

export interface BenchData {
  train: Dataset;
  test: Dataset;
}

export async function loadFashion(dataDir?: string): Promise<BenchData> {
  const options = { dataDir, download: false };
  const [train, test] = await Promise.all([loadDataset('fashion-mnist', 'train', options), loadDataset('fashion-mnist', 'test', options)]);
  return { train, test };
}
