/**
 * The worker pool (src/engine/parallel): jobs run on separate threads, results come back in job order,
 * errors keep their NormlabError code and hint, shared memory is shared, and parallel training runs give
 * exactly the numbers an in-process run gives for the same seed.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { threadId } from 'node:worker_threads';
import { NormlabError } from '../../../src/errors.js';
import { createWorkerPool, runInParallel, shareBytes } from '../../../src/engine/parallel/pool.js';
import { runTrainingJob, trainInParallel, type TrainingJob } from '../../../src/lab/parallel.js';
import type { TrainingResult } from '../../../src/lab/training.js';
import { ensureWasmBuilt } from '../backends/wasm-helpers.js';
import { fashion, NO_FASHION } from '../../shared-data.js';

// written as the built code would name it; from source the pool finds tasks.ts
const TASKS = new URL('./tasks.js', import.meta.url);

describe('worker pool', () => {
  test('results in job order although later jobs finish first; two threads used', async () => {
    const seen: number[] = [];
    const jobs = [40, 30, 20, 10, 0].map((delayMs, x) => ({ x, delayMs }));
    const results = await runInParallel<{ x: number; delayMs: number }, { y: number; threadId: number }>({ module: TASKS, name: 'square' }, jobs, {
      workers: 2,
      onResult: (_r, index) => seen.push(index),
    });
    assert.deepEqual(
      results.map((r) => r.y),
      [0, 1, 4, 9, 16],
    );
    assert.equal(new Set(results.map((r) => r.threadId)).size, 2, 'both threads ran jobs');
    assert.ok(
      results.every((r) => r.threadId !== threadId),
      'no job ran on the main thread',
    );
    assert.deepEqual([...seen].sort(), [0, 1, 2, 3, 4]);
  });

  test('workers: 1 runs the same task in this thread', async () => {
    const results = await runInParallel<{ x: number }, { y: number; threadId: number }>({ module: TASKS, name: 'square' }, [{ x: 3 }], { workers: 1 });
    assert.deepEqual(results, [{ y: 9, threadId }]);
  });

  test('a failing job rejects its run with the NormlabError (code, hint); the pool stays usable', async () => {
    const pool = createWorkerPool({ module: TASKS, name: 'failWhenNegative' }, { workers: 2 });
    try {
      await assert.rejects(pool.run([{ x: 1 }, { x: -2 }, { x: 3 }]), (error: unknown) => {
        assert.ok(error instanceof NormlabError);
        assert.equal(error.code, 'config');
        assert.equal(error.message, 'x must be ≥ 0, got -2');
        assert.equal(error.hint, 'pass a non-negative x');
        return true;
      });
      assert.deepEqual(await pool.run([{ x: 5 }, { x: 6 }, { x: 7 }]), [5, 6, 7]);
    } finally {
      await pool.close();
    }
    await assert.rejects(pool.run([{ x: 1 }]), /closed/);
  });

  test('a task that does not exist is a clear error', async () => {
    await assert.rejects(runInParallel({ module: TASKS, name: 'noSuchTask' }, [{}, {}], { workers: 2 }), /does not export a function named 'noSuchTask'/);
  });

  test('context bytes in shared memory are shared with the workers, not copied', async () => {
    const bytes = shareBytes(Uint8Array.from([1, 2, 3, 4, 0, 0]));
    const results = await runInParallel<{ mark: number }, { sum: number; threadId: number }>({ module: TASKS, name: 'sumShared' }, [{ mark: 4 }, { mark: 5 }], {
      workers: 2,
      context: { bytes },
    });
    assert.deepEqual(
      results.map((r) => r.sum),
      [10, 10],
    );
    assert.ok(results.every((r) => r.threadId !== threadId));
    assert.deepEqual([bytes[4], bytes[5]], [255, 255], "the workers' writes are visible here");
  });
});

describe('training runs in parallel', { skip: NO_FASHION }, () => {
  const withoutTimes = (r: TrainingResult) => {
    const { secondsPerEpoch: _s, epochSeconds: _e, ...rest } = r;
    return rest;
  };
  const jobs: TrainingJob[] = [
    { config: { epochs: 2, seed: 1 }, trainLimit: 600, testLimit: 200 },
    { config: { epochs: 2, seed: 2, optimizer: 'sgd', normalize: 'none', dtype: 'float64' }, trainLimit: 600, testLimit: 200 },
    { config: { epochs: 2, seed: 1, activation: 'sigmoid', normalize: 'standardize', batchSize: 50, units: [31] }, trainLimit: 600, testLimit: 200 },
  ];

  test('identical to in-process runs for the same seeds (workers load the data themselves)', async () => {
    ensureWasmBuilt();
    const parallel = await trainInParallel(jobs, { workers: 2 });
    const inProcess: TrainingResult[] = [];
    for (const job of jobs) inProcess.push(await runTrainingJob(job));
    assert.equal(parallel.length, jobs.length);
    parallel.forEach((r, i) => {
      assert.equal(r.config.backend, 'wasm');
      assert.equal(r.history.loss.length, 2);
      assert.deepEqual(withoutTimes(r), withoutTimes(inProcess[i]), `job ${i}`);
    });
    assert.notDeepEqual(parallel[0].history.loss, parallel[2].history.loss);
  });

  test('identical again when the caller shares already loaded data', async () => {
    ensureWasmBuilt();
    const { train, test } = await fashion();
    const shared = await trainInParallel(jobs.slice(0, 2), { workers: 2, data: { train, test } });
    const own = await Promise.all(jobs.slice(0, 2).map((job) => runTrainingJob(job, { data: { train, test } })));
    shared.forEach((r, i) => assert.deepEqual(withoutTimes(r), withoutTimes(own[i])));
  });
});
