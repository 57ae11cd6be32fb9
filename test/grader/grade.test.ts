/**
 * The grading library: concurrency of gradeAll, the reference backend inside the sandbox, and the same
 * file graded twice giving the same run (one seed for models a submission builds without one).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Grader } from '../../src/grader/grade.js';
import { formatText, toCsv, toGradescope } from '../../src/grader/report.js';
import { VARYING_FIELDS, type SubmissionResult } from '../../src/grader/types.js';
import { corpusCopy, MNIST_DIR, NO_MNIST } from './helpers.js';

/** The JSON record without the fields that measure time and memory (the documented VARYING_FIELDS). */
function withoutVarying(r: SubmissionResult): unknown {
  const copy = JSON.parse(JSON.stringify(r)) as Record<string, unknown>;
  for (const path of VARYING_FIELDS) {
    const parts = path.split('.');
    let targets: Record<string, unknown>[] = [copy];
    for (const part of parts.slice(0, -1)) {
      targets = targets.flatMap((t) => (part.endsWith('[]') ? (t[part.slice(0, -2)] as Record<string, unknown>[]) : [t[part] as Record<string, unknown>]));
    }
    for (const t of targets) delete t[parts[parts.length - 1]];
  }
  return copy;
}

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
    assert.deepEqual(
      results.map((r) => r.submission),
      files.map((f) => f.name),
    );
  });

  it('the same submission graded twice gives identical results in every format (time and memory aside)', async () => {
    const { files } = corpusCopy(['threshold-low.ts', 'caught-read.js']);
    for (const f of files) {
      const [a, b] = [await grader.grade(f.file, f.name), await grader.grade(f.file, f.name)];
      assert.ok(a.run.epochs.length > 0, `${f.name}: ${a.statusMessage}`);
      assert.equal(formatText(a), formatText(b), f.name);
      const gs = (r: SubmissionResult) => ({ ...toGradescope(r), execution_time: 0 });
      assert.deepEqual(gs(a), gs(b), f.name);
      assert.deepEqual(withoutVarying(a), withoutVarying(b), f.name);
      assert.equal(toCsv([a]).replace(/,\d+\.\d\d,/, ','), toCsv([b]).replace(/,\d+\.\d\d,/, ','));
    }
  });

  it('trains inside the sandbox on the reference backend too', async () => {
    const reference = await Grader.open({ dataDir: MNIST_DIR, split: 'test', backend: 'reference', limits: { timeoutS: 120 }, typeCheck: false });
    try {
      const { files } = corpusCopy(['threshold-low.ts']);
      const r = await reference.grade(files[0].file);
      assert.equal(r.status, 'completed', r.statusMessage);
      assert.equal(r.run.backend, 'reference');
      assert.equal(r.score, 4);
      assert.ok(r.run.epochs.length >= 1 && r.run.epochs[0].acc! > 0.8, JSON.stringify(r.run.epochs));
    } finally {
      reference.close();
    }
  });
});
