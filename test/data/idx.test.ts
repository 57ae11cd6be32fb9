import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { decodeIdx, readIdx } from '../../src/data/idx.js';
import { parseIdx } from '../../src/data/idx-format.js';
import { checkCounts } from '../../src/data/verify.js';
import { assertNormlabError, idxBytes, imagesIdx, labelsIdx, tempDir } from './helpers.js';

test('parses uint8 images [count, height, width] as a plain Uint8Array view', () => {
  const content = parseIdx(imagesIdx(2, 3, 4), 'imgs');
  assert.equal(content.kind, 'images');
  if (content.kind !== 'images') return;
  assert.deepEqual([content.count, content.height, content.width], [2, 3, 4]);
  assert.equal(content.data.length, 24);
  assert.deepEqual(Array.from(content.data.subarray(0, 5)), [0, 1, 2, 3, 4]);
  assert.equal(Object.getPrototypeOf(content.data), Uint8Array.prototype, 'a Buffer would make .slice() share memory');
});

test('parses uint8 labels [count]', () => {
  const content = parseIdx(labelsIdx([3, 1, 4, 1, 5]), 'labels');
  assert.equal(content.kind, 'labels');
  assert.equal(content.count, 5);
  assert.deepEqual(Array.from(content.data), [3, 1, 4, 1, 5]);
});

test('decodes gzip and raw alike and hashes the decompressed bytes', () => {
  const raw = imagesIdx(3, 2, 2);
  const expected = createHash('sha256').update(raw).digest('hex');
  const fromRaw = decodeIdx(raw, 'x-idx3-ubyte');
  const fromGz = decodeIdx(gzipSync(raw), 'x-idx3-ubyte.gz');
  assert.equal(fromRaw.gzipped, false);
  assert.equal(fromGz.gzipped, true);
  assert.equal(fromRaw.sha256, expected);
  assert.equal(fromGz.sha256, expected);
  assert.deepEqual(Array.from(fromGz.content.data), Array.from(fromRaw.content.data));
});

test('accepts raw IDX bytes under a .gz name (HTTP clients and browsers decompress silently)', () => {
  const decoded = decodeIdx(labelsIdx([1, 2]), 'train-labels-idx1-ubyte.gz');
  assert.equal(decoded.gzipped, false);
  assert.equal(decoded.content.count, 2);
});

test('rejects a bad magic number, naming the file and the magic found', async () => {
  const bytes = idxBytes(0x12345678, [1], [0]);
  await assertNormlabError(() => parseIdx(bytes, 'weird.bin'), 'idx-format', ['weird.bin', '0x12345678', '0x00000803']);
});

test('rejects non-uint8 element types by name', async () => {
  const floats = idxBytes(0x00000d03, [1, 1, 1], [0, 0, 0, 0]);
  await assertNormlabError(() => parseIdx(floats, 'float-images'), 'idx-dtype', ['float-images', 'float32', 'uint8']);
  const ints = idxBytes(0x00000c01, [1], [0, 0, 0, 1]);
  await assertNormlabError(() => parseIdx(ints, 'int-labels'), 'idx-dtype', ['int32']);
});

test('rejects dimensions other than 3 (images) or 1 (labels)', async () => {
  const twoD = idxBytes(0x00000802, [2, 2], [0, 0, 0, 0]);
  await assertNormlabError(() => parseIdx(twoD, 'matrix'), 'idx-format', ['2 dimensions']);
});

test('rejects a truncated file with expected and found byte counts', async () => {
  const full = imagesIdx(2, 3, 4); // 16 header + 24 = 40 bytes
  const err = await assertNormlabError(() => parseIdx(full.subarray(0, 30), 'cut-images'), 'idx-format', ['cut-images', 'truncated']);
  assert.match(err.message, /40 bytes, found 30 \(10 missing\)/);
});

test('rejects extra bytes after the data with expected and found byte counts', async () => {
  const padded = new Uint8Array([...labelsIdx([1, 2, 3]), 0, 0]); // 8 + 3 = 11 expected, 13 found
  const err = await assertNormlabError(() => parseIdx(padded, 'padded-labels'), 'idx-format', ['padded-labels', 'extra bytes']);
  assert.match(err.message, /11 bytes, found 13 \(2 too many\)/);
});

test('rejects a file that ends inside its header', async () => {
  await assertNormlabError(() => parseIdx(new Uint8Array([0, 0, 8, 3, 0, 0]), 'stub'), 'idx-format', ['header']);
  await assertNormlabError(() => parseIdx(new Uint8Array([0, 0]), 'tiny'), 'idx-format', ['2 bytes']);
});

test('rejects corrupt gzip, naming the file', async () => {
  const gz = gzipSync(imagesIdx(10, 8, 8));
  const cut = gz.subarray(0, gz.length - 20);
  await assertNormlabError(() => decodeIdx(cut, 'train-images-idx3-ubyte.gz'), 'idx-gzip', ['train-images-idx3-ubyte.gz', 'corrupt or truncated gzip']);
});

test('says "not gzip" for an HTML page saved under a .gz name', async () => {
  const html = new TextEncoder().encode('<!DOCTYPE html><html>Access denied</html>');
  await assertNormlabError(() => decodeIdx(html, 't10k-images-idx3-ubyte.gz'), 'idx-gzip', ['not a gzip file', '3c 21 44 4f']);
});

test('readIdx reads from disk and reports unreadable paths', async () => {
  const dir = tempDir('idx');
  const path = join(dir, 'labels-idx1-ubyte.gz');
  writeFileSync(path, gzipSync(labelsIdx([7, 8, 9])));
  const decoded = readIdx(path);
  assert.equal(decoded.file, path);
  assert.deepEqual(Array.from(decoded.content.data), [7, 8, 9]);
  await assertNormlabError(() => readIdx(join(dir, 'nope')), 'dataset-read', ['ENOENT']);
});

test('checkCounts names both files when images and labels disagree', async () => {
  const images = decodeIdx(imagesIdx(3, 2, 2), 'a-images');
  const labels = decodeIdx(labelsIdx([1, 2]), 'b-labels');
  await assertNormlabError(() => checkCounts(images, labels), 'dataset-count', ['a-images holds 3 images', 'b-labels holds 2 labels']);
  assert.doesNotThrow(() => checkCounts(images, decodeIdx(labelsIdx([1, 2, 3]), 'c')));
});
