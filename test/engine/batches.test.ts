/** forEachBatch: the one in-order batch loop behind evaluate(), predict() and fit's validation. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forEachBatch } from '../../src/engine/model/batches.js';

test('rows [from, to) in order, in batches of batchSize, the last one short', () => {
  const seen: { rows: number[]; start: number }[] = [];
  forEachBatch(3, 13, 4, (rows, count, start) => seen.push({ rows: Array.from(rows.subarray(0, count)), start }));
  assert.deepEqual(seen, [
    { rows: [3, 4, 5, 6], start: 3 },
    { rows: [7, 8, 9, 10], start: 7 },
    { rows: [11, 12], start: 11 },
  ]);
});

test('an empty range runs no batch', () => {
  let calls = 0;
  forEachBatch(5, 5, 32, () => calls++);
  assert.equal(calls, 0);
});
