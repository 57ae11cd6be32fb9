/** The one argmax rule (src/engine/math/argmax.ts), on an array and through an accessor alike. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { argmaxOf, argmaxRow } from '../../src/engine/math/argmax.js';

test('argmaxOf picks what argmaxRow picks: the first maximum on ties; a NaN wins only in first place (nothing compares greater)', () => {
  const rows = [[0.1, 0.7, 0.2], [0.5, 0.5, 0.1], [NaN, 0.3, 0.3], [-2, -1, -3], [4]];
  for (const row of rows) {
    const values = [9, ...row]; // offset 1, as a batch row inside a larger buffer
    assert.equal(
      argmaxOf(row.length, (j) => row[j]),
      argmaxRow(values, 1, row.length),
      `row ${row}`,
    );
  }
  assert.deepEqual(
    rows.map((row) => argmaxOf(row.length, (j) => row[j])),
    [1, 0, 0, 1, 0],
  );
});
