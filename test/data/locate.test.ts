import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadDataset } from '../../src/data/dataset.js';
import { candidateNames, datasetCacheDir, defaultCacheRoot, locateSplit } from '../../src/data/locate.js';
import { DEBIAN_FASHION_DIR, NO_FASHION, assertNormlabError, tempDir } from './helpers.js';

const TEST_FILES = ['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];

/** A folder holding placeholder files with the test split's names (locating looks at names only). */
function folderWithTestSplit(dir: string, names = TEST_FILES): string {
  mkdirSync(dir, { recursive: true });
  for (const n of names) writeFileSync(join(dir, n), 'placeholder');
  return dir;
}

describe('lookup order', () => {
  test('--data-dir beats NORMLAB_DATA_DIR, which beats the cache, which beats the system folder', () => {
    const dataDir = folderWithTestSplit(tempDir('datadir'));
    const envDir = folderWithTestSplit(tempDir('envdir'));
    const cacheRoot = tempDir('cache');
    const cacheDir = folderWithTestSplit(datasetCacheDir('fashion-mnist', cacheRoot));
    const systemDir = folderWithTestSplit(tempDir('system'));
    const base = { cacheDir: cacheRoot, systemDirs: [systemDir] };
    const where = (opts: Parameters<typeof locateSplit>[2]) => locateSplit('fashion-mnist', 'test', opts).located?.place;

    assert.deepEqual(where({ ...base, dataDir, env: { NORMLAB_DATA_DIR: envDir } }), { directory: dataDir, source: 'data-dir' });
    assert.deepEqual(where({ ...base, env: { NORMLAB_DATA_DIR: envDir } }), { directory: envDir, source: 'env' });
    assert.deepEqual(where({ ...base, env: {} }), { directory: cacheDir, source: 'cache' });
    assert.deepEqual(where({ cacheDir: tempDir('empty-cache'), systemDirs: [systemDir], env: {} }), { directory: systemDir, source: 'system' });
  });

  test('NORMLAB_DATA_DIR falls through when it lacks the files; --data-dir does not', () => {
    const emptyDir = tempDir('empty');
    const cacheRoot = tempDir('cache');
    const cacheDir = folderWithTestSplit(datasetCacheDir('mnist', cacheRoot));
    const viaEnv = locateSplit('mnist', 'test', { cacheDir: cacheRoot, env: { NORMLAB_DATA_DIR: emptyDir } });
    assert.equal(viaEnv.located?.place.directory, cacheDir);
    assert.deepEqual(
      viaEnv.looked.map((i) => i.place.source),
      ['env', 'cache'],
    );

    const viaFlag = locateSplit('mnist', 'test', { cacheDir: cacheRoot, dataDir: emptyDir, env: {} });
    assert.equal(viaFlag.located, undefined);
    assert.deepEqual(
      viaFlag.looked.map((i) => i.place.directory),
      [emptyDir],
    );
  });

  test('a data folder may keep each dataset in a <name>/ subfolder', () => {
    const root = tempDir('root');
    const sub = folderWithTestSplit(join(root, 'mnist'));
    const found = locateSplit('mnist', 'test', { env: { NORMLAB_DATA_DIR: root }, cacheDir: tempDir('cache') });
    assert.equal(found.located?.place.directory, sub);
  });

  test('a folder counts only with both files; raw files are preferred to .gz', () => {
    const dir = folderWithTestSplit(tempDir('both'), [...TEST_FILES, 't10k-images-idx3-ubyte']);
    const found = locateSplit('mnist', 'test', { dataDir: dir });
    assert.deepEqual(found.located?.files, {
      images: join(dir, 't10k-images-idx3-ubyte'),
      labels: join(dir, 't10k-labels-idx1-ubyte.gz'),
    });
    const half = folderWithTestSplit(tempDir('half'), ['t10k-images-idx3-ubyte.gz']);
    const notFound = locateSplit('mnist', 'test', { dataDir: half });
    assert.equal(notFound.located, undefined);
    assert.deepEqual(notFound.looked[0].missing, ['labels']);
  });

  test('candidate names: raw, gzip, and Kaggle’s dotted spelling', () => {
    assert.deepEqual(candidateNames('train-images-idx3-ubyte.gz'), [
      'train-images-idx3-ubyte',
      'train-images-idx3-ubyte.gz',
      'train-images.idx3-ubyte',
      'train-images.idx3-ubyte.gz',
    ]);
  });

  test('the default cache is env-paths’ cache for "normlab"', () => {
    assert.match(defaultCacheRoot(), /normlab$/);
    assert.equal(datasetCacheDir('mnist', '/c'), join('/c', 'datasets', 'mnist'));
  });

  test('with real files: the cache beats Debian, --data-dir beats the cache', { skip: NO_FASHION }, async () => {
    const cacheRoot = tempDir('cache-real');
    const cacheDir = datasetCacheDir('fashion-mnist', cacheRoot);
    mkdirSync(cacheDir, { recursive: true });
    const dataDir = tempDir('datadir-real');
    for (const f of TEST_FILES) {
      symlinkSync(join(DEBIAN_FASHION_DIR, f), join(cacheDir, f));
      symlinkSync(join(DEBIAN_FASHION_DIR, f), join(dataDir, f));
    }
    const fromCache = await loadDataset('fashion-mnist', 'test', { cacheDir: cacheRoot, env: {}, download: false });
    assert.equal(fromCache.directory, cacheDir);
    assert.equal(fromCache.verified, true);
    const fromDataDir = await loadDataset('fashion-mnist', 'test', { cacheDir: cacheRoot, env: {}, dataDir, download: false });
    assert.equal(fromDataDir.directory, dataDir);
    const fromDebian = await loadDataset('fashion-mnist', 'test', { cacheDir: tempDir('cache-empty'), env: {}, download: false });
    assert.equal(fromDebian.directory, DEBIAN_FASHION_DIR);
  });
});

describe('when the files are nowhere', () => {
  test('offline: the error lists the missing files, every place looked at, and how to get them', async () => {
    const cacheRoot = tempDir('cache');
    const envDir = tempDir('env');
    const system = tempDir('system');
    const err = await assertNormlabError(
      () => loadDataset('fashion-mnist', 'train', { cacheDir: cacheRoot, env: { NORMLAB_DATA_DIR: envDir }, systemDirs: [system], download: false }),
      'dataset-missing',
      [
        'Fashion-MNIST train split not found: missing train-images-idx3-ubyte.gz and train-labels-idx1-ubyte.gz',
        `NORMLAB_DATA_DIR ${envDir} (neither file)`,
        `cache ${datasetCacheDir('fashion-mnist', cacheRoot)} (does not exist)`,
        `system ${system} (neither file)`,
        'downloading is off',
      ],
    );
    assert.ok(err.hint, 'a hint is required');
    for (const needed of [
      'sudo apt-get install dataset-fashion-mnist',
      '--data-dir DIR',
      'NORMLAB_DATA_DIR',
      'train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz',
    ]) {
      assert.ok(err.hint.includes(needed), `hint lacks ${needed}: ${err.hint}`);
    }
  });

  test('a half-filled folder is reported with what it has and lacks', async () => {
    const cacheRoot = tempDir('cache');
    const cacheDir = folderWithTestSplit(datasetCacheDir('mnist', cacheRoot), ['t10k-labels-idx1-ubyte.gz']);
    const err = await assertNormlabError(() => loadDataset('mnist', 'test', { cacheDir: cacheRoot, env: {}, download: false }), 'dataset-missing', [
      'missing t10k-images-idx3-ubyte.gz (.gz or uncompressed)',
      `cache ${cacheDir} (has t10k-labels-idx1-ubyte.gz, lacks t10k-images-idx3-ubyte.gz)`,
    ]);
    assert.doesNotMatch(err.message, /missing [^\n]*t10k-labels/);
    assert.doesNotMatch(err.hint ?? '', /apt-get/, 'MNIST has no Debian package to suggest');
  });

  test('--data-dir that does not exist, or is a file', async () => {
    const dir = tempDir('x');
    await assertNormlabError(() => loadDataset('mnist', 'test', { dataDir: join(dir, 'typo') }), 'dataset-dir', [`${join(dir, 'typo')} does not exist`]);
    writeFileSync(join(dir, 'file'), '');
    await assertNormlabError(() => loadDataset('mnist', 'test', { dataDir: join(dir, 'file') }), 'dataset-dir', ['is a file']);
  });
});
