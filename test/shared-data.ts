/**
 * Where the lab's shared offline data lives, for every test that needs it: the official MNIST digits
 * test split in ../shared/datasets/mnist next to the checkout (NORMLAB_SHARED_DIR overrides the shared
 * folder). Tests that need it skip with this reason when it is absent, e.g. in a clone made elsewhere;
 * .ci/run prints whether it was found, so a CI log shows which tests could run.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDataset, type Dataset } from '../src/data/dataset.js';
import { sliceDataset } from '../src/data/slice.js';

export const REPO_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const SHARED_DIR = process.env.NORMLAB_SHARED_DIR ?? resolve(REPO_ROOT, '../shared');
export const MNIST_TEST_DIR = join(SHARED_DIR, 'datasets', 'mnist');
export const HAVE_MNIST_TEST = existsSync(join(MNIST_TEST_DIR, 't10k-images-idx3-ubyte.gz'));
/**
 * Fashion-MNIST, as Debian's dataset-fashion-mnist installs it (.ci/run installs it on a fresh machine).
 * Every test that needs it says `{ skip: NO_FASHION }` (on its describe or test) and so skips with this one
 * reason when it is absent; on CI, where it is installed, nothing skips.
 */
export const FASHION_DIR = '/usr/share/datasets/fashion-mnist';
export const HAVE_FASHION = ['train', 't10k'].every((p) => existsSync(join(FASHION_DIR, `${p}-images-idx3-ubyte.gz`)));
export const NO_FASHION: false | string = HAVE_FASHION
  ? false
  : `Fashion-MNIST not installed in ${FASHION_DIR} (apt-get install dataset-fashion-mnist, as .ci/run does)`;

/** `false`, or why tests that train on the MNIST test split are skipped (for node:test's `skip`). */
export const NO_MNIST: false | string = HAVE_MNIST_TEST ? false : `MNIST test split not found in ${MNIST_TEST_DIR} (set NORMLAB_SHARED_DIR)`;

let fashionSplits: Promise<{ train: Dataset; test: Dataset }> | undefined;

/**
 * Fashion-MNIST's train and test splits from FASHION_DIR through the real loader (so SHA-256 verified),
 * read once per test process; the first `trainLimit` / `testLimit` images of each (views, not copies; all
 * of a split when its limit is missing). The one test loader of the real data: callers skip on NO_FASHION.
 */
export async function fashion(trainLimit?: number, testLimit?: number): Promise<{ train: Dataset; test: Dataset }> {
  fashionSplits ??= Promise.all([
    loadDataset('fashion-mnist', 'train', { dataDir: FASHION_DIR, download: false }),
    loadDataset('fashion-mnist', 'test', { dataDir: FASHION_DIR, download: false }),
  ]).then(([train, test]) => ({ train, test }));
  const { train, test } = await fashionSplits;
  return { train: sliceDataset(train, trainLimit), test: sliceDataset(test, testLimit) };
}
