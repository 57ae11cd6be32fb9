/** The sigmoid/softmax experiments: exact thresholds found by bisection over each dtype's values. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { nextDown, nextUp, ordinalOf, smallestWhere, valueOf } from '../../src/lab/precision.js';
import {
  getSigmoid,
  getSigmoidTable,
  linspace,
  saturationThreshold,
  sigmoidBy,
  sigmoidRange,
  sigmoidStudy,
  softmaxAtGaps,
  softmaxMaxBy,
  softmaxThreshold,
} from '../../src/lab/sigmoid.js';

describe('precision helpers', () => {
  test('nextUp/nextDown step by one representable value', () => {
    assert.equal(nextUp('float64', 1), 1 + 2 ** -52);
    assert.equal(nextDown('float64', 1), 1 - 2 ** -53);
    assert.equal(nextUp('float32', 1), 1 + 2 ** -23);
    assert.equal(nextDown('float32', 1), 1 - 2 ** -24);
    assert.equal(valueOf('float32', ordinalOf('float32', 0.5)), 0.5);
  });

  test('smallestWhere finds an exact boundary', () => {
    const x = smallestWhere('float64', 0, 10, (v) => v >= Math.PI);
    assert.equal(x, Math.PI);
    assert.throws(() => smallestWhere('float64', 5, 10, (v) => v >= 1));
  });
});

describe('sigmoid thresholds', () => {
  test('float64: exactly 1.0 from x = 53·ln 2 ≈ 36.7368 (integer 37)', () => {
    const t = saturationThreshold('float64');
    assert.ok(Math.abs(t.x - 53 * Math.LN2) < 1e-12, `x = ${t.x}`);
    assert.equal(t.integer, 37);
    assert.equal(sigmoidBy('float64', t.x), 1);
    assert.ok(sigmoidBy('float64', t.below) < 1);
    assert.equal(nextDown('float64', t.x), t.below);
    assert.ok(sigmoidBy('float64', 36) < 1);
    assert.equal(t.derivativeAt, 0);
    assert.ok(t.derivativeBelow > 0);
    assert.ok(Math.abs(t.derivativeExact - 2 ** -53) / 2 ** -53 < 1e-6);
    assert.ok(t.zeroAt < -709 && t.zeroAt > -710, `zeroAt ${t.zeroAt}`);
  });

  test('float32 arithmetic: exactly 1.0 from x = 24·ln 2 ≈ 16.6355 (integer 17)', () => {
    const t = saturationThreshold('float32');
    assert.ok(Math.abs(t.x - 24 * Math.LN2) < 1e-5, `x = ${t.x}`);
    assert.equal(Math.fround(t.x), t.x, 'the threshold is a float32 value');
    assert.equal(t.integer, 17);
    assert.ok(sigmoidBy('float32', 16) < 1);
    assert.equal(sigmoidBy('float32', 17), 1);
    assert.equal(t.derivativeAt, 0);
  });

  test('computed in double and rounded once to float32: later, ≈ 25·ln 2 (integer 18)', () => {
    const t = saturationThreshold('float32-once');
    assert.ok(Math.abs(t.x - 25 * Math.LN2) < 1e-5, `x = ${t.x}`);
    assert.equal(t.integer, 18);
  });

  test('over 0..255 and 0..0.99, as in the answer to the learner', () => {
    const raw = sigmoidRange(Array.from({ length: 256 }, (_, i) => i));
    assert.equal(raw.exactlyOne.float64.first, 37);
    assert.equal(raw.exactlyOne.float64.count, 256 - 37);
    assert.equal(raw.exactlyOne.float32.first, 17);
    const scaled = sigmoidRange(Array.from({ length: 100 }, (_, i) => i / 100));
    assert.equal(scaled.exactlyOne.float64.count, 0);
    assert.ok(scaled.min === 0.5 && scaled.max > 0.729 && scaled.max < 0.73);
  });
});

describe("the learner's get_sigmoid experiment", () => {
  test('linspace follows numpy: 50 values, the last exactly stop', () => {
    const w = linspace(0, 1e-5);
    assert.equal(w.length, 50);
    assert.equal(w[0], 0);
    assert.equal(w[49], 1e-5);
    assert.ok(Math.abs(w[1] - 1e-5 / 49) < 1e-20);
  });

  test('with weights up to 1e-5 nothing saturates; 255 moves ~255× further from ½', () => {
    const t = getSigmoidTable(linspace(0, 1e-5));
    assert.equal(t.anyExactlyOne, false);
    assert.ok(t.max[0] < 0.5007 && t.max[0] > 0.5006);
    assert.ok(Math.abs(t.distanceRatio - 255) < 0.01);
    assert.equal(getSigmoid('float64', 255, 0), 0.5);
    // float32 rounds the product first, then every operation
    assert.equal(getSigmoid('float32', 255, 1e-5), Math.fround(getSigmoid('float32', 255, 1e-5)));
  });
});

describe('softmax', () => {
  test('one competitor: the same threshold as sigmoid', () => {
    assert.equal(softmaxThreshold('float64', 1).gap, saturationThreshold('float64').x);
    assert.equal(softmaxThreshold('float32', 1).gap, saturationThreshold('float32').x);
  });

  test('nine competitors summed before the top class need a larger gap (≈ + ln 9)', () => {
    const first = softmaxThreshold('float32', 9, 'top-first').gap;
    const last = softmaxThreshold('float32', 9, 'top-last').gap;
    assert.equal(first, saturationThreshold('float32').x, '1 + e rounds to 1 one competitor at a time');
    assert.ok(Math.abs(last - first - Math.log(9)) < 0.05, `${last} − ${first}`);
  });

  test('the other classes underflow to exactly 0 at ≈ 745 (float64) and ≈ 104 (float32)', () => {
    assert.ok(Math.abs(softmaxThreshold('float64', 1).zeroGap - 745.13) < 0.01);
    assert.ok(Math.abs(softmaxThreshold('float32', 1).zeroGap - 103.97) < 0.01);
    assert.equal(softmaxMaxBy('float32', 200, 1).other, 0);
  });

  test('measured gaps are classified per precision', () => {
    const [a, b] = softmaxAtGaps([
      { label: 'a', gap: 20 },
      { label: 'b', gap: 2 },
      { label: 'nan', gap: NaN },
    ]);
    assert.equal(a.values.float32.exactlyOne, true);
    assert.equal(a.values.float64.exactlyOne, false);
    assert.equal(b.values.float32.exactlyOne, false);
  });

  test('the whole study object is plain JSON', () => {
    const s = sigmoidStudy();
    assert.deepEqual(JSON.parse(JSON.stringify(s)), s);
    assert.equal(s.thresholds.length, 3);
  });
});
