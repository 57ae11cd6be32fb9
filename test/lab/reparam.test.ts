/**
 * The reparametrisation check on a real Fashion-MNIST slice: raw inputs with kernel0 ÷ 255 and the first
 * kernel's step rescaled reproduce the x/255 run to rounding; without it they do not.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { reparamChecks } from '../../src/lab/study/analyze.js';
import { runStudyJob, type StudyData } from '../../src/lab/study/job.js';
import { planStudy, reparamScales, resolveStudyOptions } from '../../src/lab/study/plan.js';
import type { RunResult } from '../../src/lab/study/types.js';
import { fashion, NO_FASHION } from '../shared-data.js';

const TRAIN = 320; // 10 steps of batch 32
const TEST = 100;

describe('reparametrisation on a small slice (reference backend)', { skip: NO_FASHION }, () => {
  let data: StudyData;
  let runs: RunResult[];

  before(async () => {
    data = await fashion(TRAIN, TEST);
    const options = resolveStudyOptions({
      quick: true,
      seeds: 1,
      backend: 'reference',
      trainLimit: TRAIN,
      testLimit: TEST,
      probeRows: 32,
      probeTestRows: 50,
      probeSteps: [0, 5],
      runs: ['reparam', 'main'],
    });
    const specs = planStudy(options, { train: TRAIN, test: TEST });
    runs = [];
    for (const spec of specs) runs.push(await runStudyJob(spec, data));
  });

  test('the recipe: SGD lr ÷ 255² on kernel0; Adam lr ÷ 255 and ε × 255; nothing else', () => {
    assert.deepEqual(reparamScales('sgd')[0], { lr: 1 / 65025, epsilon: 1 });
    assert.deepEqual(reparamScales('adam')[0], { lr: 1 / 255, epsilon: 255 });
    assert.deepEqual(reparamScales('adam').slice(1), [
      { lr: 1, epsilon: 1 },
      { lr: 1, epsilon: 1 },
      { lr: 1, epsilon: 1 },
    ]);
  });

  test('float64: initial predictions, per-step losses and final predictions match to ~1e-12', () => {
    const checks = reparamChecks(runs).filter((c) => c.dtype === 'float64');
    assert.equal(checks.length, 2);
    for (const c of checks) {
      assert.equal(c.steps, 10);
      assert.ok(c.initialMaxAbsDiff < 1e-12, `${c.optimizer} init ${c.initialMaxAbsDiff}`);
      assert.ok(c.lossMaxAbsDiff < 1e-12, `${c.optimizer} loss ${c.lossMaxAbsDiff}`);
      assert.ok(c.finalMaxAbsDiff < 1e-12, `${c.optimizer} final ${c.finalMaxAbsDiff}`);
      assert.equal(c.passed, true);
      assert.equal(c.testAcc[0], c.testAcc[1]);
    }
  });

  test('float32: the same to float32 rounding (~1e-6)', () => {
    const checks = reparamChecks(runs).filter((c) => c.dtype === 'float32');
    assert.equal(checks.length, 2);
    for (const c of checks) {
      assert.ok(c.initialMaxAbsDiff < 1e-5 && c.lossMaxAbsDiff < 1e-5 && c.finalMaxAbsDiff < 1e-5, JSON.stringify({ ...c, lossDiffCurve: undefined }));
      // the control: the same raw inputs without the reparametrisation are far off
      assert.ok(c.unreparametrised && c.unreparametrised.finalMaxAbsDiff > 0.01, `control ${c.unreparametrised?.finalMaxAbsDiff}`);
    }
  });

  test('the reparametrised run starts from the normalized run’s weights (kernel0 hashed before ÷ 255)', () => {
    const hashes = new Set(runs.map((r) => r.initialWeightsHash));
    assert.equal(hashes.size, 1);
  });
});
