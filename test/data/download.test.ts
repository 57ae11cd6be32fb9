/**
 * Downloading, with a fake fetch serving real files: the network is never touched.
 * The served bytes are the lab's MNIST test split (its gzip wrapper differs from the mirrors', the
 * decompressed bytes are the official ones, which is all that is verified).
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { loadDataset } from '../../src/data/dataset.js';
import { downloadFile, terminalProgress, type DownloadProgress } from '../../src/data/download.js';
import { datasetCacheDir } from '../../src/data/locate.js';
import { DATASETS } from '../../src/data/registry.js';
import { DEBIAN_FASHION_DIR, MNIST_TEST_DIR, NO_FASHION, NO_MNIST, assertNormlabError, fakeFetch, gzipLabels, tempDir } from './helpers.js';

const [MIRROR_A, MIRROR_B] = DATASETS.mnist.mirrors;
const IMAGES = 't10k-images-idx3-ubyte.gz';
const LABELS = 't10k-labels-idx1-ubyte.gz';
const realBytes = (file: string) => new Uint8Array(readFileSync(join(MNIST_TEST_DIR, file)));

/** Every file under a folder (recursively), or [] when it does not exist. */
function filesUnder(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir, { recursive: true, encoding: 'utf8' }) : [];
}

describe('download with a fake fetch', { skip: NO_MNIST }, () => {
  test('downloads the missing files into the cache, verifies them and loads them', async () => {
    const cacheRoot = tempDir('dl');
    const fetchImpl = fakeFetch({ [MIRROR_A + IMAGES]: realBytes(IMAGES), [MIRROR_A + LABELS]: realBytes(LABELS) });
    const events: DownloadProgress[] = [];
    const ds = await loadDataset('mnist', 'test', { cacheDir: cacheRoot, env: {}, fetchImpl, onProgress: (p) => events.push({ ...p }) });

    const cacheDir = datasetCacheDir('mnist', cacheRoot);
    assert.equal(ds.verified, true);
    assert.equal(ds.count, 10000);
    assert.equal(ds.directory, cacheDir);
    assert.deepEqual(fetchImpl.calls, [MIRROR_A + IMAGES, MIRROR_A + LABELS]);
    assert.deepEqual(filesUnder(cacheDir).sort(), [IMAGES, LABELS], 'the official names, and no temp files left');
    assert.deepEqual(readFileSync(join(cacheDir, IMAGES)), readFileSync(join(MNIST_TEST_DIR, IMAGES)), 'stored as served');

    const last = events.filter((e) => e.file === IMAGES).at(-1);
    assert.equal(last?.done, true);
    assert.equal(last?.received, realBytes(IMAGES).length);
    assert.equal(last?.total, realBytes(IMAGES).length);
    assert.ok(events.some((e) => e.file === LABELS && e.done));

    // A second load finds the cache and never calls fetch.
    const offline = fakeFetch({});
    const again = await loadDataset('mnist', 'test', { cacheDir: cacheRoot, env: {}, fetchImpl: offline, onProgress: () => {} });
    assert.equal(again.directory, cacheDir);
    assert.deepEqual(offline.calls, []);
  });

  test('a failing mirror falls through to the next', async () => {
    const cacheRoot = tempDir('dl-fallback');
    const refused = new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
    const fetchImpl = fakeFetch({
      [MIRROR_A + IMAGES]: 503,
      [MIRROR_A + LABELS]: refused,
      [MIRROR_B + IMAGES]: realBytes(IMAGES),
      [MIRROR_B + LABELS]: realBytes(LABELS),
    });
    const ds = await loadDataset('mnist', 'test', { cacheDir: cacheRoot, env: {}, fetchImpl, onProgress: () => {} });
    assert.equal(ds.verified, true);
    assert.deepEqual(fetchImpl.calls, [MIRROR_A + IMAGES, MIRROR_B + IMAGES, MIRROR_A + LABELS, MIRROR_B + LABELS]);
  });

  test('only the files the cache lacks are downloaded', async () => {
    const cacheRoot = tempDir('dl-partial');
    const cacheDir = datasetCacheDir('mnist', cacheRoot);
    mkdirSync(cacheDir, { recursive: true });
    copyFileSync(join(MNIST_TEST_DIR, LABELS), join(cacheDir, LABELS));
    const fetchImpl = fakeFetch({ [MIRROR_A + IMAGES]: realBytes(IMAGES) });
    const ds = await loadDataset('mnist', 'test', { cacheDir: cacheRoot, env: {}, fetchImpl, onProgress: () => {} });
    assert.equal(ds.count, 10000);
    assert.deepEqual(fetchImpl.calls, [MIRROR_A + IMAGES]);
  });

  test('bytes an HTTP layer already decompressed are stored raw, under the name without .gz', async () => {
    const cacheRoot = tempDir('dl-raw');
    const fetchImpl = fakeFetch({
      [MIRROR_A + IMAGES]: new Uint8Array(gunzipSync(realBytes(IMAGES))),
      [MIRROR_A + LABELS]: realBytes(LABELS),
    });
    const ds = await loadDataset('mnist', 'test', { cacheDir: cacheRoot, env: {}, fetchImpl, onProgress: () => {} });
    assert.equal(ds.verified, true);
    assert.deepEqual(filesUnder(datasetCacheDir('mnist', cacheRoot)).sort(), ['t10k-images-idx3-ubyte', LABELS]);
  });

  test('a wrong file from every mirror: rejected by hash, nothing written', async () => {
    const cacheRoot = tempDir('dl-wrong');
    const wrong = gzipLabels(Array.from({ length: 10000 }, (_, i) => i % 10));
    const fetchImpl = fakeFetch({
      [MIRROR_A + IMAGES]: realBytes(IMAGES),
      [MIRROR_A + LABELS]: wrong,
      [MIRROR_B + LABELS]: wrong,
    });
    const err = await assertNormlabError(
      () => loadDataset('mnist', 'test', { cacheDir: cacheRoot, env: {}, fetchImpl, onProgress: () => {} }),
      'dataset-missing',
      [
        'missing t10k-labels-idx1-ubyte.gz',
        `${MIRROR_A + LABELS} → SHA-256 of the decompressed file is`,
        `${MIRROR_B + LABELS} → SHA-256`,
        'expected ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2',
      ],
    );
    assert.doesNotMatch(err.message, /missing [^\n]*t10k-images/, 'the images did download');
    assert.deepEqual(filesUnder(datasetCacheDir('mnist', cacheRoot)), [IMAGES], 'the verified file stays, the wrong one never lands');
  });

  test('a mirror serving the other dataset is named in the failure', { skip: NO_FASHION }, async () => {
    const cacheRoot = tempDir('dl-other');
    const fashion = new Uint8Array(readFileSync(join(DEBIAN_FASHION_DIR, LABELS)));
    const fetchImpl = fakeFetch({ [MIRROR_A + IMAGES]: realBytes(IMAGES), [MIRROR_A + LABELS]: fashion, [MIRROR_B + LABELS]: 404 });
    await assertNormlabError(() => loadDataset('mnist', 'test', { cacheDir: cacheRoot, env: {}, fetchImpl, onProgress: () => {} }), 'dataset-missing', [
      '(that is the Fashion-MNIST test labels)',
      `${MIRROR_B + LABELS} → HTTP 404`,
    ]);
  });

  test('a truncated or cut-off download is rejected and leaves nothing behind', async () => {
    const cacheRoot = tempDir('dl-truncated');
    const gz = realBytes(IMAGES);
    const half = gz.subarray(0, gz.length >> 1);
    const fetchImpl = fakeFetch({
      [MIRROR_A + IMAGES]: half,
      // The server promised more bytes than it sent.
      [MIRROR_B + IMAGES]: () => new Response(half, { headers: { 'content-length': String(gz.length) } }),
      [MIRROR_A + LABELS]: realBytes(LABELS),
    });
    await assertNormlabError(() => loadDataset('mnist', 'test', { cacheDir: cacheRoot, env: {}, fetchImpl, onProgress: () => {} }), 'dataset-missing', [
      'corrupt or truncated gzip',
      `connection closed after ${half.length} of ${gz.length} bytes`,
    ]);
    assert.deepEqual(filesUnder(datasetCacheDir('mnist', cacheRoot)), [LABELS]);
  });

  test('all mirrors unreachable: every URL and its failure is listed', async () => {
    const cacheRoot = tempDir('dl-offline');
    const offline = new TypeError('fetch failed', { cause: { code: 'ENOTFOUND' } });
    const urls = [MIRROR_A + IMAGES, MIRROR_B + IMAGES, MIRROR_A + LABELS, MIRROR_B + LABELS];
    const fetchImpl = fakeFetch(Object.fromEntries(urls.map((u) => [u, offline])));
    const err = await assertNormlabError(
      () => loadDataset('mnist', 'test', { cacheDir: cacheRoot, env: {}, fetchImpl, onProgress: () => {} }),
      'dataset-missing',
      ['missing t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz', ...urls.map((u) => `${u} → fetch failed (ENOTFOUND)`)],
    );
    assert.match(err.hint ?? '', /--data-dir DIR/);
    assert.deepEqual(filesUnder(datasetCacheDir('mnist', cacheRoot)), []);
  });

  test('no download with --data-dir or download:false', async () => {
    const fetchImpl = fakeFetch({});
    await assertNormlabError(() => loadDataset('mnist', 'train', { dataDir: MNIST_TEST_DIR, fetchImpl }), 'dataset-missing');
    await assertNormlabError(() => loadDataset('mnist', 'train', { cacheDir: tempDir('c'), env: {}, download: false, fetchImpl }), 'dataset-missing');
    assert.deepEqual(fetchImpl.calls, []);
  });

  test('an unwritable cache is reported as such', async () => {
    const blocker = join(tempDir('blocked'), 'a-file');
    writeFileSync(blocker, '');
    const fetchImpl = fakeFetch({ [MIRROR_A + IMAGES]: realBytes(IMAGES) });
    await assertNormlabError(() => loadDataset('mnist', 'test', { cacheDir: blocker, env: {}, fetchImpl, onProgress: () => {} }), 'dataset-cache', [
      'cannot write',
      'ENOTDIR',
      'the download itself succeeded',
    ]);
  });

  test('a stalled mirror is abandoned after the idle timeout', async () => {
    const target = tempDir('dl-stalled');
    const stalled = (signal?: AbortSignal) =>
      new Response(
        new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new Uint8Array([0x1f, 0x8b])); // a first chunk, then silence
            signal?.addEventListener('abort', () => controller.error(signal.reason));
          },
        }),
      );
    const fetchImpl = fakeFetch({ [MIRROR_A + LABELS]: stalled, [MIRROR_B + LABELS]: realBytes(LABELS) });
    // No wall-clock bound (flaky on a busy machine): that the call returns at all, with the second
    // mirror's file, is the proof that the first was abandoned.
    const path = await downloadFile(DATASETS.mnist, 'test', 'labels', target, { fetchImpl, idleTimeoutMs: 50 });
    assert.equal(path, join(target, LABELS));
    assert.deepEqual(fetchImpl.calls, [MIRROR_A + LABELS, MIRROR_B + LABELS]);
  });
});

test('terminal progress off a terminal: one line per download, nothing for a mirror that sent nothing', () => {
  const lines: string[] = [];
  const stream = { isTTY: false, write: (s: string) => lines.push(s) } as unknown as NodeJS.WriteStream;
  const report = terminalProgress(stream);
  report({ file: 'a.gz', url: 'https://x/a.gz', received: 0, done: true }); // HTTP 404: no bytes
  report({ file: 'a.gz', url: 'https://y/a.gz', received: 500, total: 2_000_000 });
  report({ file: 'a.gz', url: 'https://y/a.gz', received: 2_000_000, total: 2_000_000 });
  report({ file: 'a.gz', url: 'https://y/a.gz', received: 2_000_000, total: 2_000_000, done: true });
  assert.deepEqual(lines, ['downloading https://y/a.gz (2.0 MB)\n']);
});
