/**
 * setSeed (issue 10): every model created afterwards without a seed gets its own seed, named or not, and
 * calling setSeed again replays the same seeds.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { layers, sequential, setSeed } from '../../src/engine/index.js';

const model = (name?: string) => sequential({ name, layers: [layers.dense({ units: 4, inputShape: [3] })] });

test('setSeed(42) then two named models: different seeds and initial weights; setSeed(42) again replays them', () => {
  setSeed(42);
  const a = model('encoder');
  const b = model('decoder');
  assert.notEqual(a.seed, b.seed);
  assert.notDeepEqual(a.getWeights()[0].dataSync(), b.getWeights()[0].dataSync());
  setSeed(42);
  const a2 = model('encoder');
  const b2 = model('other-name');
  assert.equal(a2.seed, a.seed);
  assert.equal(b2.seed, b.seed);
  assert.deepEqual(a2.getWeights()[0].dataSync(), a.getWeights()[0].dataSync());
});

test('named and unnamed models share one sequence after setSeed', () => {
  setSeed(7);
  const seeds = [model('x').seed, model().seed, model('y').seed];
  assert.equal(new Set(seeds).size, 3);
  assert.deepEqual(seeds, [8, 9, 10]);
});
