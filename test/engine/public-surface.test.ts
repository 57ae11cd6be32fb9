/**
 * The model's runner (the backend object that holds its weights and runs batches) is engine-internal:
 * tfjs models have none, and a package user or a graded submission that reached it could change weights
 * behind the API. Neither the package's exports nor a trained model may expose it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as tf from '../../src/index.js';
import * as sandboxApi from '../../src/api.js';
import * as browser from '../../src/browser.js';

/** Export names that would hand out a model's runner or its data uploads. */
const INTERNAL = /runner|prepareData|loadModelData|backendWeights/i;

/** Every property name (string or symbol) reachable on `value` through its prototype chain. */
function reachableNames(value: object): (string | symbol)[] {
  const names: (string | symbol)[] = [];
  for (let p: object | null = value; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) names.push(...Reflect.ownKeys(p));
  return names;
}

/** A backend runner, recognised by its shape (NetworkRunner: loadData, releaseData, trainBatch…). */
const isRunnerLike = (v: unknown): boolean =>
  typeof v === 'object' && v !== null && ['loadData', 'releaseData', 'predict'].every((k) => typeof (v as Record<string, unknown>)[k] === 'function');

describe('public surface: the model runner stays inside the engine', () => {
  it('the package exports only its root entry, and no entry exports a runner accessor', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { exports: Record<string, unknown> };
    assert.deepEqual(Object.keys(pkg.exports), ['.'], 'a deep import (normlab/dist/engine/...) must stay blocked');
    for (const [entry, mod] of [
      ['src/index.ts', tf],
      ['src/api.ts', sandboxApi],
      ['src/browser.ts', browser],
    ] as const) {
      assert.deepEqual(
        Object.keys(mod).filter((k) => INTERNAL.test(k)),
        [],
        `${entry} exports a runner accessor`,
      );
    }
  });

  it('a compiled, trained model has no property or method that reaches its runner', async () => {
    const model = tf.sequential({
      seed: 3,
      layers: [tf.layers.dense({ inputShape: [4], units: 3, activation: 'relu' }), tf.layers.dense({ units: 2, activation: 'softmax' })],
    });
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const x = tf.tensor2d([0, 1, 2, 3, 3, 2, 1, 0, 1, 1, 1, 1, 2, 0, 2, 0], [4, 4]);
    const y = tf.tensor1d([0, 1, 0, 1]);
    await model.fit(x, y, { epochs: 2, batchSize: 2, verbose: 0 });
    model.predict(x);

    const names = reachableNames(model);
    for (const name of ['getRunner', 'prepareData', 'runner']) assert.ok(!names.includes(name), `model.${name} is reachable`);
    for (const name of names) {
      const descriptor = reachableDescriptor(model, name);
      // Only data properties: calling getters or methods here could have effects of their own.
      if (descriptor && 'value' in descriptor) assert.ok(!isRunnerLike(descriptor.value), `model[${String(name)}] holds the runner`);
    }
    // The API itself still works: tfjs-style weights in, weights out.
    const weights = model.getWeights();
    model.setWeights(weights);
    assert.deepEqual(
      model.getWeights().map((w) => Array.from(w.dataSync())),
      weights.map((w) => Array.from(w.dataSync())),
    );
  });
});

function reachableDescriptor(value: object, name: string | symbol): PropertyDescriptor | undefined {
  for (let p: object | null = value; p; p = Object.getPrototypeOf(p)) {
    const d = Object.getOwnPropertyDescriptor(p, name);
    if (d) return d;
  }
  return undefined;
}
