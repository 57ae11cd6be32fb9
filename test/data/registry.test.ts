import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DATASETS, DATASET_NAMES, SPLITS, describeSplit, identifyByHash, officialFiles } from '../../src/data/registry.js';

test('every registered file has a distinct 64-hex SHA-256 and the expected count', () => {
  const seen = new Set<string>();
  for (const name of DATASET_NAMES) {
    for (const split of SPLITS) {
      for (const kind of ['images', 'labels'] as const) {
        const f = DATASETS[name].splits[split][kind];
        assert.match(f.sha256, /^[0-9a-f]{64}$/, `${name} ${split} ${kind}`);
        assert.ok(!seen.has(f.sha256), `duplicate hash ${f.sha256}`);
        seen.add(f.sha256);
        assert.equal(f.count, split === 'train' ? 60000 : 10000);
        assert.equal(f.file, officialFiles(split)[kind]);
      }
    }
  }
  assert.equal(seen.size, 8);
});

test('official file names and class names', () => {
  assert.deepEqual(officialFiles('train'), { images: 'train-images-idx3-ubyte.gz', labels: 'train-labels-idx1-ubyte.gz' });
  assert.deepEqual(officialFiles('test'), { images: 't10k-images-idx3-ubyte.gz', labels: 't10k-labels-idx1-ubyte.gz' });
  assert.deepEqual(DATASETS['fashion-mnist'].classNames, [
    'T-shirt/top',
    'Trouser',
    'Pullover',
    'Dress',
    'Coat',
    'Sandal',
    'Shirt',
    'Sneaker',
    'Bag',
    'Ankle boot',
  ]);
  assert.deepEqual(DATASETS.mnist.classNames, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
});

test('mirrors are base URLs the file name can be appended to', () => {
  for (const name of DATASET_NAMES) {
    assert.ok(DATASETS[name].mirrors.length >= 2, `${name} needs a fallback mirror`);
    for (const m of DATASETS[name].mirrors) {
      assert.ok(m.endsWith('/'), m);
      assert.equal(new URL('t10k-labels-idx1-ubyte.gz', m).href, `${m}t10k-labels-idx1-ubyte.gz`);
    }
  }
  assert.equal(DATASETS.mnist.mirrors[0], 'https://ossci-datasets.s3.amazonaws.com/mnist/');
});

test('identifyByHash finds the dataset, split and kind of a known hash', () => {
  const known = identifyByHash('0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7');
  assert.equal(known?.dataset.name, 'mnist');
  assert.equal(known?.split, 'test');
  assert.equal(known?.kind, 'images');
  assert.equal(describeSplit(known!.dataset, known!.split), 'the MNIST digits test split');
  assert.equal(identifyByHash('0'.repeat(64)), undefined);
});
