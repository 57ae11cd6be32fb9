/**
 * The web app's link settings (web/src/settings.ts) are checked by TrainSettings' own rules
 * (src/lab/settings.ts): a link is accepted exactly when `normlab train` would accept the same values, and
 * every bad field gets its own line in the banner while the rest of the link still applies.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TRAIN_LIMITS, TrainSettings } from '../../src/lab/settings.js';
import { DEFAULT_LAB, parseSettings } from '../../web/src/settings.js';

describe('link settings', () => {
  test('a good link is read whole', () => {
    const { settings, problems } = parseSettings('?view=lab&optimizer=sgd&lr=0.05&units=64,32&activation=tanh&epochs=3&seed=7&batch=64&dtype=float64');
    assert.deepEqual(problems, []);
    assert.equal(settings.lab.optimizer, 'sgd');
    assert.equal(settings.lab.lr, 0.05);
    assert.deepEqual(settings.lab.units, [64, 32]);
    assert.equal(settings.lab.activation, 'tanh');
    assert.equal(settings.lab.epochs, 3);
    assert.equal(settings.lab.seed, 7);
    assert.equal(settings.lab.batchSize, 64);
    assert.equal(settings.lab.dtype, 'float64');
  });

  test('the limits are the CLI’s: the largest values train accepts are accepted, one more is not', () => {
    const L = TRAIN_LIMITS;
    const top = `?epochs=${L.epochs.max}&batch=${L.batchSize.max}&seed=${L.seed.max}&units=${Array(L.hiddenLayers.max).fill(L.units.max).join(',')}&lr=100`;
    const ok = parseSettings(top);
    assert.deepEqual(ok.problems, []);
    // The same values pass the CLI's schema.
    const cli = TrainSettings.safeParse({
      epochs: ok.settings.lab.epochs,
      batchSize: ok.settings.lab.batchSize,
      seed: ok.settings.lab.seed,
      units: ok.settings.lab.units,
      learningRate: ok.settings.lab.lr,
    });
    assert.ok(cli.success);
    const over = parseSettings(`?epochs=${L.epochs.max + 1}&batch=${L.batchSize.max + 1}&seed=${L.seed.max + 1}&units=${L.units.max + 1}&lr=-1`);
    assert.equal(over.problems.length, 5, over.problems.join('\n'));
    assert.deepEqual(
      [over.settings.lab.epochs, over.settings.lab.batchSize, over.settings.lab.seed, over.settings.lab.units, over.settings.lab.lr],
      [DEFAULT_LAB.epochs, DEFAULT_LAB.batchSize, DEFAULT_LAB.seed, DEFAULT_LAB.units, undefined],
    );
  });

  test('each bad field is one line naming it and what was expected; the good ones still apply', () => {
    const { settings, problems } = parseSettings(
      '?optimizer=adamw&activation=gelu&dtype=f16&epochs=0x10&batch=1e3&units=128,,64&lr=fast&seed=7&normalize=none',
    );
    assert.deepEqual(problems, [
      'units=128,,64 (expected up to 16 layer sizes from 1 to 16384, e.g. 128 or 256,128)',
      'lr=fast (expected a positive number such as 0.001)',
      'optimizer=adamw (expected adam, sgd, rmsprop)',
      'activation=gelu (expected relu, sigmoid, tanh, linear)',
      'epochs=0x10 (expected a whole number from 1 to 1000)',
      'batch=1e3 (expected a whole number from 1 to 100000)',
      'dtype=f16 (expected float32, float64)',
    ]);
    assert.equal(settings.lab.seed, 7);
    assert.deepEqual(settings.lab.normalize, ['none']);
    assert.equal(settings.lab.optimizer, DEFAULT_LAB.optimizer);
  });
});
