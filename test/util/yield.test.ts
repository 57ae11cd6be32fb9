/**
 * yieldToEventLoop: the fit loop's yield. It must let other work run (a stop request from a timer or a
 * message reaches a training loop), and where there is no setImmediate (browsers) it must yield through
 * a MessageChannel message, never through setTimeout(0), which browsers clamp to 4 ms per chained call.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { layers, sequential, tensor } from '../../src/engine/index.js';
import { yieldToEventLoop } from '../../src/util/yield.js';

describe('yieldToEventLoop', () => {
  it('lets a timer scheduled before it run (Node: setImmediate)', async () => {
    let fired = false;
    setTimeout(() => (fired = true), 0);
    // A zero timer is due after ≥ 1 ms: yield until it has run, counting the yields.
    let yields = 0;
    while (!fired && yields < 10_000) {
      await yieldToEventLoop();
      yields++;
    }
    assert.equal(fired, true);
  });

  it('without setImmediate (as in browsers) yields through a MessageChannel message, not setTimeout', async () => {
    const g = globalThis as { setImmediate?: unknown; setTimeout: unknown };
    const savedImmediate = g.setImmediate;
    const savedTimeout = g.setTimeout;
    let timeouts = 0;
    let channels = 0;
    const OriginalChannel = MessageChannel;
    class CountingChannel extends OriginalChannel {
      constructor() {
        super();
        channels++;
      }
    }
    try {
      delete g.setImmediate;
      g.setTimeout = (...args: unknown[]) => {
        timeouts++;
        return (savedTimeout as (...a: unknown[]) => unknown)(...args);
      };
      (globalThis as { MessageChannel: unknown }).MessageChannel = CountingChannel;
      await yieldToEventLoop();
    } finally {
      g.setImmediate = savedImmediate;
      g.setTimeout = savedTimeout;
      (globalThis as { MessageChannel: unknown }).MessageChannel = OriginalChannel;
    }
    assert.equal(timeouts, 0, 'no setTimeout');
    assert.equal(channels, 1, 'a MessageChannel message carried the yield');
  });

  it('a training loop yields: a stop request from a timer ends fit long before its 10,000 epochs', async () => {
    const model = sequential({ seed: 1, layers: [layers.dense({ inputShape: [2], units: 2, activation: 'softmax' })] });
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    const x = tensor(new Float32Array([0, 1, 1, 0]), [2, 2]);
    const y = tensor(new Int32Array([0, 1]), [2], 'int32');
    setTimeout(() => (model.stopTraining = true), 0);
    const history = await model.fit(x, y, { epochs: 10_000, batchSize: 2, yieldEvery: 0 });
    assert.ok(history.epoch.length < 10_000, `stopped after ${history.epoch.length} epochs`);
  });
});
