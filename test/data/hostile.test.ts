/**
 * Hostile inputs to the data layer (issue 10, bugs 2 and 3): a gzip bomb, a mirror streaming junk or
 * trickling bytes, a plain-HTTP mirror or redirect, and a corrupt file in the cache. Each is stopped
 * early, with a message that says what happened; the network is never touched (a fake fetch serves).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { loadDataset } from '../../src/data/dataset.js';
import { DownloadFailed, downloadFile } from '../../src/data/download.js';
import { decodeIdx } from '../../src/data/idx.js';
import { datasetCacheDir } from '../../src/data/locate.js';
import { DATASETS, DATASET_NAMES, type RegisteredDataset } from '../../src/data/registry.js';
import { MNIST_TEST_DIR, NO_MNIST, assertNormlabError, fakeFetch, gzipLabels, tempDir } from './helpers.js';

const [MIRROR_A, MIRROR_B] = DATASETS.mnist.mirrors;
const LABELS = 't10k-labels-idx1-ubyte.gz';
const IMAGES = 't10k-images-idx3-ubyte.gz';

/** A stream of `chunks` chunks of `size` junk bytes, one every `everyMs` (0: as fast as read), no Content-Length. */
function junkStream(chunks: number, size: number, everyMs = 0, signal?: AbortSignal): Response {
  let sent = 0;
  return new Response(
    new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (signal?.aborted) return controller.error(signal.reason);
        if (sent++ >= chunks) return controller.close();
        if (everyMs) await new Promise((r) => setTimeout(r, everyMs));
        controller.enqueue(new Uint8Array(size).fill(0x41));
      },
    }),
  );
}

/** Why every mirror failed, from the DownloadFailed it threw. */
async function failures(run: () => Promise<unknown>): Promise<string[]> {
  try {
    await run();
  } catch (e) {
    if (e instanceof DownloadFailed) return e.attempts;
    throw e;
  }
  assert.fail('the download was expected to fail');
}

describe('gzip bombs', () => {
  test('a file whose header says 500 images but inflates to 64 MiB is stopped at the declared size', async () => {
    const header = new Uint8Array(16);
    const view = new DataView(header.buffer);
    [0x803, 500, 28, 28].forEach((v, i) => view.setUint32(4 * i, v));
    const body = new Uint8Array(16 + 64 * 1024 * 1024);
    body.set(header);
    const bomb = gzipSync(body);
    assert.ok(bomb.length < 100_000, 'a small file');
    // Before: inflated all 64 MiB, then said "extra bytes" (the 5 GiB one took 4.4 GB and 25 s).
    await assertNormlabError(() => decodeIdx(bomb, 'bomb.gz'), 'idx-gzip', [/inflates to more than the 392016 bytes its IDX header declares/, /gzip bomb/]);
  });

  test('a header that declares more than the registered size is capped at the registered size', async () => {
    const labels = gzipLabels(Array.from({ length: 20_000 }, (_, i) => i % 10)); // 20,008 bytes inflated
    await assertNormlabError(() => decodeIdx(labels, 'labels.gz', 10_008), 'idx-gzip', [/more than the 10008 bytes this file should have/]);
  });
});

describe('hostile mirrors', () => {
  test('a mirror streaming junk is cut off past the most the file can take', async () => {
    const target = tempDir('dl-junk');
    // 10,008 bytes expected; 200 × 64 KiB = 12.5 MiB offered, forever for all it knows
    const fetchImpl = fakeFetch({ [MIRROR_A + LABELS]: () => junkStream(200, 65536), [MIRROR_B + LABELS]: () => junkStream(200, 65536) });
    const why = await failures(() => downloadFile(DATASETS.mnist, 'test', 'labels', target, { fetchImpl }));
    assert.equal(why.length, 2);
    for (const w of why) assert.match(w, /sent more than \d+ bytes, more than this file can take; stopped there/);
    assert.deepEqual(readdirSync(target), [], 'nothing written');
  });

  test('a Content-Length larger than the file can be is refused before reading', async () => {
    const big = () => new Response('x', { headers: { 'content-length': String(5 * 1024 ** 3) } });
    const fetchImpl = fakeFetch({ [MIRROR_A + LABELS]: big, [MIRROR_B + LABELS]: big });
    const why = await failures(() => downloadFile(DATASETS.mnist, 'test', 'labels', tempDir('dl-big'), { fetchImpl }));
    for (const w of why) assert.match(w, /announces 5368709120 bytes, more than the \d+ this file can take/);
  });

  test('a mirror trickling bytes (never idle, never useful) is abandoned as stalled', async () => {
    // One byte every 5 ms for 2 s at most; windows of 100 ms must each bring 1 KiB.
    const trickle = (signal?: AbortSignal) => junkStream(400, 1, 5, signal);
    const fetchImpl = fakeFetch({ [MIRROR_A + LABELS]: trickle, [MIRROR_B + LABELS]: trickle });
    const why = await failures(() =>
      downloadFile(DATASETS.mnist, 'test', 'labels', tempDir('dl-trickle'), { fetchImpl, idleTimeoutMs: 100, minBytesPerWindow: 1024 }),
    );
    for (const w of why) assert.match(w, /only \d+ bytes in 0\.1 s: the mirror is stalled/);
  });

  test('every registered mirror is HTTPS', () => {
    for (const name of DATASET_NAMES) for (const m of DATASETS[name].mirrors) assert.match(m, /^https:\/\//, `${name}: ${m}`);
  });

  test('a plain-HTTP mirror is never fetched, and a redirect to HTTP is refused', async () => {
    const plain: RegisteredDataset = { ...DATASETS.mnist, mirrors: ['http://example.test/mnist/', MIRROR_A] };
    const redirected = () => Object.defineProperty(new Response(gzipLabels([1, 2])), 'url', { value: 'http://example.test/x.gz' });
    const fetchImpl = fakeFetch({ [MIRROR_A + LABELS]: redirected });
    const why = await failures(() => downloadFile(plain, 'test', 'labels', tempDir('dl-http'), { fetchImpl }));
    assert.deepEqual(fetchImpl.calls, [MIRROR_A + LABELS], 'the http mirror was skipped');
    assert.match(why[0], /http:\/\/example\.test\/mnist\/.* → not HTTPS/);
    assert.match(why[1], /redirected to http:\/\/example\.test\/x\.gz, which is not HTTPS/);
  });
});

describe('a corrupt file in the cache', { skip: NO_MNIST }, () => {
  test('is moved to quarantine/ and fetched again, and the load says so', async () => {
    const cacheRoot = tempDir('dl-quarantine');
    const cacheDir = datasetCacheDir('mnist', cacheRoot);
    mkdirSync(cacheDir, { recursive: true });
    const real = (f: string) => new Uint8Array(readFileSync(join(MNIST_TEST_DIR, f)));
    writeFileSync(join(cacheDir, IMAGES), real(IMAGES));
    writeFileSync(join(cacheDir, LABELS), real(LABELS).subarray(0, 2000)); // a cut-off download from an old version
    const fetchImpl = fakeFetch({ [MIRROR_A + LABELS]: real(LABELS) });
    const ds = await loadDataset('mnist', 'test', { cacheDir: cacheRoot, env: {}, fetchImpl, onProgress: () => {} });
    assert.equal(ds.verified, true);
    assert.equal(ds.count, 10000);
    assert.deepEqual(fetchImpl.calls, [MIRROR_A + LABELS], 'only the broken file is fetched again');
    assert.equal(ds.notes.length, 1);
    assert.match(ds.notes[0], /t10k-labels-idx1-ubyte\.gz in the cache was corrupt \(.*\); moved it to .*quarantine/);
    assert.equal(readdirSync(join(cacheDir, 'quarantine')).length, 1);
    assert.deepEqual(readFileSync(join(cacheDir, LABELS)), Buffer.from(real(LABELS)));
    // The next run finds a good cache: no note, no fetch.
    const offline = fakeFetch({});
    const again = await loadDataset('mnist', 'test', { cacheDir: cacheRoot, env: {}, fetchImpl: offline, onProgress: () => {} });
    assert.deepEqual(again.notes, []);
    assert.deepEqual(offline.calls, []);
  });

  test('with downloads off, the message says where the file went and what to do', async () => {
    const cacheRoot = tempDir('dl-quarantine-off');
    const cacheDir = datasetCacheDir('mnist', cacheRoot);
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(join(cacheDir, IMAGES), readFileSync(join(MNIST_TEST_DIR, IMAGES)));
    writeFileSync(join(cacheDir, LABELS), gzipLabels([1, 2, 3])); // valid IDX, wrong content
    await assertNormlabError(() => loadDataset('mnist', 'test', { cacheDir: cacheRoot, env: {}, download: false }), 'dataset-missing', [
      /moved it to .*quarantine/,
      /--no-download|downloading is off/,
    ]);
    assert.ok(!existsSync(join(cacheDir, LABELS)));
  });
});
