import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { loadDataset, parseDatasetSpec, type Dataset, type LoadOptions } from '../../src/data/dataset.js';
import { DEBIAN_FASHION_DIR, MNIST_TEST_DIR, NO_FASHION, NO_MNIST, assertNormlabError, imagesIdx, labelsIdx, tempDir } from './helpers.js';

/** Options that keep a test away from the user's cache, environment and network. */
const isolated = (extra: LoadOptions = {}): LoadOptions => ({ cacheDir: tempDir('cache'), env: {}, download: false, ...extra });

function labelHistogram(ds: Dataset): number[] {
  const counts = new Array<number>(ds.classNames.length).fill(0);
  for (const l of ds.labels) counts[l]++;
  return counts;
}

describe('real datasets', () => {
  test('Fashion-MNIST train and test load and verify from the Debian package', { skip: NO_FASHION }, async () => {
    const train = await loadDataset('fashion-mnist', 'train', isolated());
    assert.equal(train.name, 'fashion-mnist');
    assert.equal(train.split, 'train');
    assert.deepEqual([train.count, train.height, train.width], [60000, 28, 28]);
    assert.equal(train.images.length, 60000 * 28 * 28);
    assert.equal(train.labels.length, 60000);
    assert.equal(train.verified, true);
    assert.equal(train.directory, DEBIAN_FASHION_DIR);
    assert.deepEqual(train.notes, []);
    assert.equal(train.classNames[9], 'Ankle boot');
    assert.deepEqual(labelHistogram(train), new Array(10).fill(6000), 'Fashion-MNIST train is balanced, 6000 per class');
    assert.deepEqual(Array.from(train.labels.subarray(0, 6)), [9, 0, 0, 3, 0, 2]);

    const test_ = await loadDataset('fashion-mnist', 'test', isolated());
    assert.equal(test_.count, 10000);
    assert.equal(test_.verified, true);
    assert.deepEqual(labelHistogram(test_), new Array(10).fill(1000));
  });

  test('the MNIST test split loads on its own from the shared folder', { skip: NO_MNIST }, async () => {
    const ds = await loadDataset('mnist', 'test', isolated({ dataDir: MNIST_TEST_DIR }));
    assert.deepEqual([ds.count, ds.height, ds.width], [10000, 28, 28]);
    assert.equal(ds.verified, true);
    assert.equal(ds.directory, MNIST_TEST_DIR);
    assert.deepEqual(ds.classNames, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    // The well-known per-digit counts of the MNIST test set.
    assert.deepEqual(labelHistogram(ds), [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    assert.deepEqual(Array.from(ds.labels.subarray(0, 5)), [7, 2, 1, 0, 4]);
    let sum = 0;
    for (const p of ds.images) sum += p;
    assert.ok(Math.abs(sum / ds.images.length - 33.79) < 0.01, 'mean pixel of the MNIST test images is 33.79');
  });

  test('the split can also be given in the options object', { skip: NO_MNIST }, async () => {
    const ds = await loadDataset('mnist', { split: 'test', ...isolated({ dataDir: MNIST_TEST_DIR }) });
    assert.equal(ds.split, 'test');
    assert.equal(ds.count, 10000);
    await assertNormlabError(() => loadDataset('mnist', { split: 'validation' as 'test' }), 'dataset-split', ["unknown split 'validation'"]);
  });

  test('the MNIST train split is not there: a clear error, not a fallback', { skip: NO_MNIST }, async () => {
    await assertNormlabError(() => loadDataset('mnist', 'train', isolated({ dataDir: MNIST_TEST_DIR })), 'dataset-missing', [
      'train-images-idx3-ubyte.gz and train-labels-idx1-ubyte.gz',
      'holds only the test split',
      'never downloads when --data-dir is given',
    ]);
  });
});

describe('identity and checksum', () => {
  test('MNIST files asked for as Fashion-MNIST: the known mix-up is named', { skip: NO_MNIST }, async () => {
    const err = await assertNormlabError(() => loadDataset('fashion-mnist', 'test', isolated({ dataDir: MNIST_TEST_DIR })), 'dataset-identity', [
      'MNIST digits test split, not Fashion-MNIST',
      "the lab's known mix-up",
      MNIST_TEST_DIR,
      '--dataset mnist',
    ]);
    assert.match(err.hint ?? '', /dataset-fashion-mnist/);
  });

  test('Fashion-MNIST files asked for as MNIST', { skip: NO_FASHION }, async () => {
    await assertNormlabError(() => loadDataset('mnist', 'test', isolated({ dataDir: DEBIAN_FASHION_DIR })), 'dataset-identity', [
      'Fashion-MNIST test split, not MNIST digits',
      '--dataset fashion-mnist',
    ]);
  });

  test('test files renamed as train files are caught', { skip: NO_MNIST }, async () => {
    const dir = tempDir('renamed');
    symlinkSync(join(MNIST_TEST_DIR, 't10k-images-idx3-ubyte.gz'), join(dir, 'train-images-idx3-ubyte.gz'));
    symlinkSync(join(MNIST_TEST_DIR, 't10k-labels-idx1-ubyte.gz'), join(dir, 'train-labels-idx1-ubyte.gz'));
    await assertNormlabError(() => loadDataset('mnist', 'train', isolated({ dataDir: dir })), 'dataset-identity', [
      'are the MNIST digits test split',
      "carry the train split's names",
    ]);
  });

  test('a folder mixing two datasets names the odd file out', { skip: NO_MNIST || NO_FASHION }, async () => {
    const dir = tempDir('mixed');
    symlinkSync(join(DEBIAN_FASHION_DIR, 't10k-images-idx3-ubyte.gz'), join(dir, 't10k-images-idx3-ubyte.gz'));
    symlinkSync(join(MNIST_TEST_DIR, 't10k-labels-idx1-ubyte.gz'), join(dir, 't10k-labels-idx1-ubyte.gz'));
    await assertNormlabError(() => loadDataset('fashion-mnist', 'test', isolated({ dataDir: dir })), 'dataset-identity', [
      't10k-labels-idx1-ubyte.gz holds the MNIST digits test labels',
    ]);
  });

  test('a modified file fails the checksum with expected and found hashes and its path', { skip: NO_MNIST }, async () => {
    const dir = tempDir('modified');
    copyFileSync(join(MNIST_TEST_DIR, 't10k-images-idx3-ubyte.gz'), join(dir, 't10k-images-idx3-ubyte.gz'));
    const labels = gunzipSync(readFileSync(join(MNIST_TEST_DIR, 't10k-labels-idx1-ubyte.gz')));
    labels[8] = (labels[8] + 1) % 10; // one label changed: still a valid IDX file
    const labelsPath = join(dir, 't10k-labels-idx1-ubyte');
    writeFileSync(labelsPath, labels);
    const err = await assertNormlabError(() => loadDataset('mnist', 'test', isolated({ dataDir: dir })), 'dataset-checksum', [
      labelsPath,
      'expected ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2',
      '10000 labels',
      `idx:${dir}`,
    ]);
    assert.match(err.message, /is [0-9a-f]{64}, expected/);

    // The same folder as idx:DIR loads, unverified, and says which file is still a known one.
    const ds = await loadDataset(`idx:${dir}`, 'test', isolated());
    assert.equal(ds.verified, false);
    assert.equal(ds.count, 10000);
    assert.ok(
      ds.notes.some((n) => n.startsWith('unverified IDX files')),
      ds.notes.join('\n'),
    );
    assert.ok(
      ds.notes.some((n) => n.includes('is the MNIST digits test images')),
      ds.notes.join('\n'),
    );
    assert.deepEqual(ds.classNames, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  });
});

describe('idx:DIR', () => {
  test('loads raw and gzipped files of any size, unverified, classes from the largest label', async () => {
    const dir = tempDir('idx');
    writeFileSync(join(dir, 'train-images-idx3-ubyte'), imagesIdx(5, 4, 3));
    writeFileSync(join(dir, 'train-labels-idx1-ubyte.gz'), gzipSync(labelsIdx([0, 2, 2, 1, 2])));
    const ds = await loadDataset(`idx:${dir}`, 'train');
    assert.equal(ds.name, `idx:${dir}`);
    assert.deepEqual([ds.count, ds.height, ds.width], [5, 4, 3]);
    assert.equal(ds.verified, false);
    assert.equal(ds.directory, dir);
    assert.deepEqual(ds.classNames, ['0', '1', '2']);
    assert.deepEqual(Array.from(ds.labels), [0, 2, 2, 1, 2]);
    assert.equal(ds.images[13], 13);
    assert.match(ds.notes[0], /^unverified IDX files: .*train-images-idx3-ubyte, .*train-labels-idx1-ubyte\.gz/);
  });

  test('recognises a known dataset, verifies it and uses its class names', { skip: NO_MNIST }, async () => {
    const dir = tempDir('idx-known');
    writeFileSync(join(dir, 't10k-images-idx3-ubyte'), gunzipSync(readFileSync(join(MNIST_TEST_DIR, 't10k-images-idx3-ubyte.gz'))));
    copyFileSync(join(MNIST_TEST_DIR, 't10k-labels-idx1-ubyte.gz'), join(dir, 't10k-labels-idx1-ubyte.gz'));
    const ds = await loadDataset(`idx:${dir}`, 'test');
    assert.equal(ds.verified, true);
    assert.equal(ds.count, 10000);
    assert.match(ds.notes[0], /MNIST digits test split \(SHA-256 verified\)/);
  });

  test('accepts Kaggle-style dotted names', async () => {
    const dir = tempDir('idx-dotted');
    writeFileSync(join(dir, 't10k-images.idx3-ubyte'), imagesIdx(2, 2, 2));
    writeFileSync(join(dir, 't10k-labels.idx1-ubyte'), labelsIdx([1, 0]));
    const ds = await loadDataset(`idx:${dir}`, 'test');
    assert.equal(ds.count, 2);
  });

  test('image and label counts must agree (both files named)', async () => {
    const dir = tempDir('idx-count');
    writeFileSync(join(dir, 't10k-images-idx3-ubyte'), imagesIdx(5, 2, 2));
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), labelsIdx([1, 2, 3, 4]));
    await assertNormlabError(() => loadDataset(`idx:${dir}`, 'test'), 'dataset-count', [
      't10k-images-idx3-ubyte holds 5 images',
      't10k-labels-idx1-ubyte holds 4 labels',
    ]);
  });

  test('swapped images and labels files are named as such', async () => {
    const dir = tempDir('idx-swapped');
    writeFileSync(join(dir, 't10k-images-idx3-ubyte'), labelsIdx([1, 2]));
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), imagesIdx(2, 2, 2));
    await assertNormlabError(() => loadDataset(`idx:${dir}`, 'test'), 'idx-kind', ['should hold images', 'holds 2 labels', 'swapped']);
  });

  test('a folder without the split, or no folder at all', async () => {
    const dir = tempDir('idx-missing');
    writeFileSync(join(dir, 'train-images-idx3-ubyte'), imagesIdx(1, 1, 1));
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), labelsIdx([0]));
    await assertNormlabError(() => loadDataset(`idx:${dir}`, 'test'), 'dataset-missing', [
      'no test split',
      't10k-images-idx3-ubyte or t10k-images-idx3-ubyte.gz',
      't10k-labels-idx1-ubyte or t10k-labels-idx1-ubyte.gz',
    ]);
    await assertNormlabError(() => loadDataset(`idx:${join(dir, 'nope')}`, 'test'), 'dataset-dir', ['does not exist']);
  });

  test('a broken file inside idx:DIR is reported with its path', async () => {
    const dir = tempDir('idx-broken');
    writeFileSync(join(dir, 't10k-images-idx3-ubyte'), imagesIdx(2, 2, 2).subarray(0, 20));
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), labelsIdx([1, 0]));
    await assertNormlabError(() => loadDataset(`idx:${dir}`, 'test'), 'idx-format', [join(dir, 't10k-images-idx3-ubyte'), 'truncated']);
  });
});

describe('parseDatasetSpec', () => {
  test('named datasets and idx:DIR', () => {
    assert.deepEqual(parseDatasetSpec('fashion-mnist'), { kind: 'named', name: 'fashion-mnist' });
    assert.deepEqual(parseDatasetSpec('mnist'), { kind: 'named', name: 'mnist' });
    assert.deepEqual(parseDatasetSpec('idx:./data/x'), { kind: 'idx', dir: './data/x' });
  });

  test('unknown names list the valid ones and suggest the closest', async () => {
    await assertNormlabError(() => parseDatasetSpec('fashion_mnist'), 'dataset-name', ['fashion-mnist, mnist', 'idx:DIR', "did you mean 'fashion-mnist'"]);
    await assertNormlabError(() => parseDatasetSpec('cifar10'), 'dataset-name', ['expected one of fashion-mnist, mnist']);
    await assertNormlabError(() => parseDatasetSpec('idx:'), 'dataset-name', ['names no directory']);
  });

  test('loadDataset rejects an unknown split', async () => {
    await assertNormlabError(() => loadDataset('mnist', 'validation' as 'train'), 'dataset-split', ["'validation'"]);
  });
});
