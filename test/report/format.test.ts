/** fixed(): the live numbers of the browser lab's run cards, from the same src/report/format.ts as the reports. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixed, pct } from '../../src/report/format.js';

test('fixed decimals, exponent form far from 1, and a NaN loss shown as NaN (the web app showed "–")', () => {
  assert.equal(fixed(0.5), '0.5000');
  assert.equal(fixed(2.345678, 2), '2.35');
  assert.equal(fixed(0), '0.0000');
  assert.equal(fixed(1.5e-5), '1.50×10⁻⁵');
  assert.equal(fixed(123456), '1.23×10⁵');
  assert.equal(fixed(NaN), 'NaN');
  assert.equal(fixed(Infinity), '∞');
  assert.equal(fixed(undefined), 'n/a');
  assert.equal(pct(0.8234), '82.3%');
});
