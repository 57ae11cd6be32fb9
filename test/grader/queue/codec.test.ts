/**
 * A grade stored in Redis (src/grader/queue/codec.ts): what a worker writes reads back equal, non-finite
 * numbers included; a damaged value is one clear Error (the client turns it into a grader-error), never a
 * TypeError in the API or the CLI.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeResult, encodeResult } from '../../../src/grader/queue/codec.js';
import { graderErrorResult } from '../../../src/grader/queue/result.js';

const stored = graderErrorResult('callbacks', 'a.js', 'the worker died');
const withNaN = { ...stored, seconds: NaN, output: { ...stored.output, bytes: Infinity } };

describe('stored grade', () => {
  test('round trip, NaN and Infinity included', () => {
    const back = decodeResult(encodeResult(withNaN));
    assert.ok(Number.isNaN(back.seconds));
    assert.equal(back.output.bytes, Infinity);
    assert.deepEqual({ ...back, seconds: 0, output: stored.output }, { ...stored, seconds: 0 });
  });

  const damaged: [string, string, RegExp][] = [
    ['not JSON', encodeResult(stored).slice(0, 40), /^the stored grade is not JSON \(/],
    ['null', 'null', /^the stored grade is damaged: the value: /],
    ['a score as text', JSON.stringify({ ...stored, score: '10' }), /^the stored grade is damaged: score: expected a number, got "10"$/],
    ['tests missing', JSON.stringify({ ...stored, tests: undefined }), /tests: /],
    ['a test without its message', JSON.stringify({ ...stored, tests: [{ ...stored.tests[0], message: 3 }] }), /tests\.0\.message: .*got 3/],
  ];
  for (const [what, text, why] of damaged) {
    test(`damaged (${what}): one line saying what`, () => {
      assert.throws(
        () => decodeResult(text),
        (e: unknown) => e instanceof Error && !(e instanceof TypeError) && !(e instanceof SyntaxError) && why.test(e.message) && !e.message.includes('\n'),
      );
    });
  }
});
