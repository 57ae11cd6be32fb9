/**
 * The queue worker's Grader in a worker thread (src/grader/queue/grader-thread.ts): it grades exactly as
 * the Grader does in-process, reports a Grader that cannot open with the Grader's own message, and says
 * when its thread is gone (the worker then opens a new one).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Grader } from '../../../src/grader/grade.js';
import { ThreadedGrader } from '../../../src/grader/queue/grader-thread.js';
import { corpusCopy, MNIST_DIR, NO_MNIST } from '../helpers.js';
import { comparable } from './helpers.js';

const options = { dataDir: MNIST_DIR, split: 'test' as const, limits: { timeoutS: 30 } };

describe('a Grader in a worker thread', { skip: NO_MNIST, timeout: 300_000 }, () => {
  const { files } = corpusCopy(['threshold-low.ts', 'throws.js']);
  let local: Grader;
  before(async () => {
    local = await Grader.open(options);
  });
  after(() => local?.close());

  it('grades as the in-process Grader does, and says when its thread is gone', async () => {
    let gone = 0;
    const threaded = await ThreadedGrader.open(options, () => gone++);
    for (const f of files) {
      const [got, want] = [await threaded.grade(f.file, f.name), await local.grade(f.file, f.name)];
      assert.deepEqual(comparable(got), comparable(want), f.name);
    }
    assert.equal(gone, 0);
    await threaded.close();
    assert.equal(gone, 1);
    await assert.rejects(threaded.grade(files[0].file, files[0].name), /the grading thread exited/);
  });

  it("rejects with the Grader's own message when it cannot open", async () => {
    await assert.rejects(ThreadedGrader.open({ ...options, dataDir: '/nonexistent-normlab-data' }), /--data-dir \/nonexistent-normlab-data does not exist/);
  });
});
