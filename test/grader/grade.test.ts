/**
 * The grading library: concurrency of gradeAll, the reference backend inside the sandbox, and the same
 * file graded twice giving the same run (one seed for models a submission builds without one).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Grader } from '../../src/grader/grade.js';
import { corpusCopy, MNIST_DIR, NO_MNIST } from './helpers.js';

describe('grader library', { timeout: 300_000, skip: NO_MNIST }, () => {
  let grader: Grader;
  before(async () => {
    grader = await Grader.open({ dataDir: MNIST_DIR, split: 'test', limits: { timeoutS: 60 }, typeCheck: false });
  });
  after(() => grader.close());

  it('gradeAll runs `jobs` submissions at a time, never more', async () => {
    const { files } = corpusCopy(['never-fits.ts', 'throws.js', 'threshold-low.ts', 'other-data.ts', 'missing-export.js']);
    let running = 0;
    let peak = 0;
    const results = await grader.gradeAll(
      files,
      2,
      () => running--,
      () => {
        running++;
        peak = Math.max(peak, running);
      },
    );
    assert.equal(peak, 2);
    assert.deepEqual(results.map((r) => r.submission), files.map((f) => f.name));
  });

  it('the same submission graded twice trains the same way', async () => {
    const { files } = corpusCopy(['threshold-low.ts']);
    const [a, b] = [await grader.grade(files[0].file), await grader.grade(files[0].file)];
    assert.equal(a.status, 'completed');
    assert.deepEqual(a.run.epochs.map((e) => e.acc), b.run.epochs.map((e) => e.acc));
  });

  it('trains inside the sandbox on the reference backend too', async () => {
    const reference = await Grader.open({ dataDir: MNIST_DIR, split: 'test', backend: 'reference', limits: { timeoutS: 120 }, typeCheck: false });
    try {
      const { files } = corpusCopy(['threshold-low.ts']);
      const r = await reference.grade(files[0].file);
      assert.equal(r.status, 'completed', r.statusMessage);
      assert.equal(r.run.backend, 'reference');
      assert.equal(r.score, 8);
      assert.ok(r.run.epochs.length >= 1 && r.run.epochs[0].acc! > 0.8, JSON.stringify(r.run.epochs));
    } finally {
      reference.close();
    }
  });
});
