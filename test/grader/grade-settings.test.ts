/**
 * The grading knobs: one schema (GradeSettingsSchema) with one set of limits (GRADE_LIMITS) for local
 * `normlab grade`, `grade --redis`, `grade serve` and every queued job; a bad value is one clear error.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { settingsFrom } from '../../src/cli/commands/grade-queue.js';
import { NormlabError } from '../../src/errors.js';
import { GRADE_LIMITS, GradeSettingsSchema, graderOptions } from '../../src/grader/queue/identity.js';

const flags = { split: 'test' as const, timeout: 30, memory: 512, seed: 7, onViolation: 'flag' as const };

describe('grade settings', () => {
  test('the flags become the same settings a queued job carries, and the same Grader options', () => {
    const settings = settingsFrom(flags);
    assert.deepEqual(
      { ...settings },
      { ...GradeSettingsSchema.parse({ split: 'test', timeoutS: 30, memoryMB: 512, seed: 7, typeCheck: true, onViolation: 'flag' }), backend: undefined },
    );
    const options = graderOptions('callbacks', settings, '/data');
    assert.deepEqual(options.limits, { timeoutS: 30, memoryMB: 512 });
    assert.equal(options.seed, 7);
    assert.equal(options.onViolation, 'flag');
    assert.equal(options.split, 'test');
  });

  test('the schema holds the limits the flags document', () => {
    const at = (timeoutS: number, memoryMB: number) => GradeSettingsSchema.safeParse({ timeoutS, memoryMB }).success;
    assert.ok(at(GRADE_LIMITS.timeoutS.max, GRADE_LIMITS.memoryMB.min));
    assert.ok(!at(GRADE_LIMITS.timeoutS.max + 1, GRADE_LIMITS.memoryMB.min));
    assert.ok(!at(GRADE_LIMITS.timeoutS.min - 1, GRADE_LIMITS.memoryMB.min));
    assert.ok(!at(GRADE_LIMITS.timeoutS.min, GRADE_LIMITS.memoryMB.min - 1));
    assert.ok(!at(GRADE_LIMITS.timeoutS.min, GRADE_LIMITS.memoryMB.max + 1));
    const defaults = GradeSettingsSchema.parse({});
    assert.equal(defaults.timeoutS, GRADE_LIMITS.timeoutS.default);
    assert.equal(defaults.memoryMB, GRADE_LIMITS.memoryMB.default);
    assert.equal(defaults.seed, GRADE_LIMITS.seed.default);
  });

  test('a value outside them is one NormlabError naming the flag, not a ZodError', () => {
    assert.throws(
      () => settingsFrom({ ...flags, timeout: 0, memory: 64 }),
      (e: unknown) => {
        assert.ok(e instanceof NormlabError, `expected a NormlabError, got ${String(e)}`);
        assert.equal(e.code, 'flag');
        assert.match(e.message, /^--timeout: .*got 0; --memory: .*got 64$/);
        return true;
      },
    );
  });
});
