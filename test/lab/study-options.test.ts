/**
 * The study's options (src/lab/study/options.ts): one schema with one set of limits, used by the CLI's
 * flags, the browser's Why? view and resolveStudyOptions; a bad value is one clear NormlabError.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NormlabError } from '../../src/errors.js';
import { STUDY_LIMITS } from '../../src/lab/study/options.js';
import { resolveStudyOptions } from '../../src/lab/study/plan.js';

const refused = (input: unknown, why: RegExp) =>
  assert.throws(
    () => resolveStudyOptions(input as never),
    (e: unknown) => {
      assert.ok(e instanceof NormlabError, `expected a NormlabError, got ${String(e)}`);
      assert.equal(e.code, 'study-options');
      assert.match(e.message, /^invalid study options: /);
      assert.match(e.message, why);
      assert.doesNotMatch(e.message, /\n/);
      assert.match(e.hint ?? '', /normlab why --help/);
      return true;
    },
  );

describe('study options', () => {
  test('good options resolve as before', () => {
    const o = resolveStudyOptions({ epochs: 3, seeds: [7, 9], workers: 4, sweepLearningRates: [1e-4], profile: 'browser' });
    assert.equal(o.epochs, 3);
    assert.deepEqual(o.seeds, [7, 9]);
    assert.equal(o.workers, 4);
    assert.deepEqual(o.sweepLearningRates, [1e-4]);
    assert.equal(o.profile, 'browser');
  });

  test('values outside the limits are refused, naming the option and the value', () => {
    refused({ epochs: 0 }, /epochs: .*>=1.*got 0/);
    refused({ epochs: STUDY_LIMITS.epochs.max + 1 }, new RegExp(`epochs: .*<=${STUDY_LIMITS.epochs.max}.*got ${STUDY_LIMITS.epochs.max + 1}`));
    refused({ seeds: 0 }, /seeds/);
    refused({ seeds: STUDY_LIMITS.seeds.max + 1 }, /seeds/);
    refused({ seeds: [] }, /seeds/);
    refused({ seeds: [1, -2] }, /seeds/);
    refused({ workers: 0 }, /workers: .*got 0/);
    refused({ batchSize: 1.5 }, /batchSize: .*got 1\.5/);
    refused({ sweepLearningRates: [1e-4, -1] }, /sweepLearningRates\.1: .*got -1/);
    refused({ sweepLearningRates: [1e-4, NaN] }, /sweepLearningRates\.1: .*got NaN/);
    refused({ trainLimit: 0 }, /trainLimit: .*got 0/);
    refused({ profile: 'phone' }, /profile: .*got "phone"/);
  });

  test('wrong types and misspelled options are refused instead of ignored', () => {
    refused({ epochs: '2' }, /epochs: .*expected number.*got "2"/);
    refused({ quick: 'yes' }, /quick: .*got "yes"/);
    refused({ epocs: 3 }, /epocs/);
    refused({ runs: 'main' }, /runs: .*got "main"/);
    refused({ epochs: 0, workers: 0 }, /epochs: .*; workers: /);
  });

  test('no options at all are the defaults', () => {
    assert.equal(resolveStudyOptions(undefined as never).seeds.length, 5);
    assert.equal(resolveStudyOptions({}).epochs, 2);
  });
});
