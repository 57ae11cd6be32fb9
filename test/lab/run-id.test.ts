/**
 * A study run's identity (src/lab/study/run-id.ts): one formatter, one parser, and every key the study
 * plans goes through them — so a key read back from why.json names exactly the run that was planned.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NormlabError } from '../../src/errors.js';
import { planStudy, resolveStudyOptions } from '../../src/lab/study/plan.js';
import { formatRunInstanceId, formatRunKey, parseRunKey, RUN_TAGS, type RunId } from '../../src/lab/study/run-id.js';

describe('run keys', () => {
  test('the serialized form is the one why.json files have always used', () => {
    assert.equal(formatRunKey({ activation: 'relu', transform: 'none', optimizer: 'adam' }), 'relu·none·adam·f32');
    assert.equal(formatRunKey({ activation: 'relu', transform: 'none', optimizer: 'sgd', tag: 'clipped', tier: 'subset' }), 'relu·none·sgd·f32·clipped·sub');
    assert.equal(
      formatRunKey({ activation: 'relu', transform: 'none', optimizer: 'adam', learningRate: 3e-5, tier: 'subset' }),
      'relu·none·adam@0.00003·f32·sub',
    );
    assert.equal(formatRunKey({ activation: 'sigmoid', transform: 'scale', optimizer: 'sgd', learningRate: 0.01, dtype: 'float64' }), 'sigmoid·scale·sgd·f64');
    assert.equal(formatRunInstanceId('relu·none·sgd·f32', 3), 'relu·none·sgd·f32·s3');
  });

  test('format → parse → format is the identity, with the defaults filled in', () => {
    const ids: RunId[] = [
      { activation: 'relu', transform: 'none', optimizer: 'adam' },
      { activation: 'relu', transform: 'centre', optimizer: 'sgd', learningRate: 1e-4, tier: 'subset' },
      { activation: 'sigmoid', transform: 'symmetric', optimizer: 'adam', dtype: 'float64', tier: 'subset' },
      ...RUN_TAGS.map((tag): RunId => ({ activation: 'relu', transform: 'none', optimizer: 'sgd', tag, tier: 'subset' })),
    ];
    for (const id of ids) {
      const key = formatRunKey(id);
      const parsed = parseRunKey(key);
      assert.deepEqual(parsed, {
        activation: id.activation,
        transform: id.transform,
        optimizer: id.optimizer,
        learningRate: id.learningRate ?? (id.optimizer === 'adam' ? 0.001 : 0.01),
        dtype: id.dtype ?? 'float32',
        ...(id.tag ? { tag: id.tag } : {}),
        tier: id.tier ?? 'full',
      });
      assert.equal(formatRunKey(parsed), key);
    }
  });

  test('every key the study plans parses back to the fields of its run', () => {
    const options = resolveStudyOptions({ seeds: 2 });
    const specs = planStudy(options, { train: 60_000, test: 10_000 }, { clipnorm: true, rescaling: true, batchNormalization: true });
    assert.ok(specs.length > 40, `expected the whole study, got ${specs.length} runs`);
    for (const spec of specs) {
      const id = parseRunKey(spec.key);
      assert.equal(id.activation, spec.activation, spec.key);
      assert.equal(id.transform, spec.transform, spec.key);
      assert.equal(id.optimizer, spec.optimizer, spec.key);
      assert.equal(id.learningRate, Number(spec.learningRate.toPrecision(3)), spec.key);
      assert.equal(id.dtype, spec.dtype, spec.key);
      assert.equal(id.tier, spec.tier, spec.key);
      assert.equal(spec.id, formatRunInstanceId(spec.key, spec.seed));
      if (spec.reparam) assert.equal(parseRunKey(spec.reparam.matches).transform, 'scale');
    }
    // The tags of the ablation and loss-form arms are all present (none is built by hand elsewhere).
    const tags = new Set(specs.map((s) => parseRunKey(s.key).tag).filter(Boolean));
    assert.deepEqual([...tags].sort(), [...RUN_TAGS].sort());
  });

  const bad: [string, RegExp][] = [
    ['', /expected at least 4 parts/],
    ['relu·none·adam', /expected at least 4 parts/],
    ['relu·nonee·adam·f32', /transform: .*"nonee"/],
    ['tanh·none·adam·f32', /activation: .*"tanh"/],
    ['relu·none·rmsprop·f32', /optimizer: .*"rmsprop"/],
    ['relu·none·adam·f16', /dtype part is 'f16', expected f32 or f64/],
    ['relu·none·adam·f32·bogus', /tag: .*"bogus"/],
    ['relu·none·adam·f32·clipped·reparam·sub', /at most one tag/],
    ['relu·none·adam@fast·f32', /the learning rate after '@' is 'fast', expected a positive number/],
    ['relu·none·adam@-1·f32', /the learning rate after '@' is '-1'/],
    ['relu·none·adam@0·f32', /the learning rate after '@' is '0'/],
    // Another spelling of a run that has a key already: one run, one key.
    ['relu·none·adam@0.001·f32', /written relu·none·adam·f32/],
    ['relu·none·adam@1e-4·f32', /written relu·none·adam@0.0001·f32/],
    ['relu·none·sgd·f32·sub·clipped', /tag: .*"sub·clipped"|at most one tag|written relu·none·sgd·f32·clipped·sub/],
  ];
  for (const [key, why] of bad) {
    test(`a bad key is one clear error: ${JSON.stringify(key)}`, () => {
      assert.throws(
        () => parseRunKey(key),
        (e: unknown) => {
          assert.ok(e instanceof NormlabError, `expected a NormlabError, got ${String(e)}`);
          assert.equal(e.code, 'run-key');
          assert.match(e.message, /is not a study run key: /);
          assert.match(e.message, why);
          assert.doesNotMatch(e.message, /\n/);
          assert.match(e.hint ?? '', /relu·none·adam·f32/);
          return true;
        },
      );
    });
  }

  test('a key that is not text says so instead of a TypeError', () => {
    assert.throws(() => parseRunKey(42 as unknown as string), /is not a study run key: expected text, got number/);
  });
});
