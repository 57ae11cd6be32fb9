/**
 * How often a study run evaluates the whole test set. Each evaluation of Fashion-MNIST's 10,000 test
 * images costs about a quarter of a 6,000-image run's training, so the study evaluates it once per
 * epoch end that something shows, and never twice on the same weights:
 * - the run's final test result is the last epoch-end probe's evaluation (the same weights), not a
 *   second evaluation of the whole test set;
 * - the subset repeats of seeds after the first evaluate the whole test set at the last epoch only
 *   (charts show the first seed along training; findings use final results), their earlier epoch ends
 *   the probe's test subset — and the probe says which (extra.testRows).
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { Backend } from '../../src/engine/backend.js';
import { referenceBackend } from '../../src/engine/backends/reference/index.js';
import { registerBackend } from '../../src/engine/backends/registry.js';
import { runStudyJob, type StudyData } from '../../src/lab/study/job.js';
import { planStudy, resolveStudyOptions } from '../../src/lab/study/plan.js';
import { ENGINE_ARMS } from '../../src/lab/study/study.js';
import type { RunResult } from '../../src/lab/study/types.js';
import { fashion, NO_FASHION } from '../shared-data.js';

const TRAIN = 320; // 10 steps of batch 32 per epoch
const TEST = 100;
const TEST_SUBSET = 40;

/** The reference backend, counting evaluate() calls by the number of rows they cover. */
const evaluatedRows: number[] = [];
const counting: Backend = {
  ...referenceBackend,
  name: 'counting-reference',
  createNetwork(spec, weights) {
    const runner = referenceBackend.createNetwork(spec, weights);
    const evaluate = runner.evaluate.bind(runner);
    runner.evaluate = (id, rows, count) => {
      evaluatedRows.push(count);
      return evaluate(id, rows, count);
    };
    return runner;
  },
};

describe('whole-test-set evaluations of a study run', { skip: NO_FASHION }, () => {
  let data: StudyData;
  const run = async (seed: number, tier: 'full' | 'subset'): Promise<{ result: RunResult; wholeEvaluations: number }> => {
    const options = resolveStudyOptions({
      seeds: [1, 2],
      epochs: 2,
      backend: 'counting-reference',
      trainLimit: TRAIN,
      subsetTrainLimit: TRAIN,
      testLimit: TEST,
      probeRows: 32,
      probeTestRows: TEST_SUBSET,
      probeSteps: [0, 5],
      curvature: false,
      runs: ['normalizations', 'main'],
    });
    const spec = planStudy(options, { train: TRAIN, test: TEST }).find(
      (s) => s.seed === seed && s.tier === tier && s.transform === 'scale' && s.optimizer === 'sgd' && s.activation === 'relu',
    );
    assert.ok(spec, `a ${tier} scale·sgd run of seed ${seed} is planned`);
    evaluatedRows.length = 0;
    const result = await runStudyJob(spec, data);
    return { result, wholeEvaluations: evaluatedRows.filter((n) => n === TEST).length };
  };

  before(async () => {
    registerBackend('counting-reference', () => counting);
    data = await fashion(TRAIN, TEST);
  });

  test('the plan: subset repeats of later seeds evaluate the whole test set at the last epoch only, probe at init only', () => {
    const options = resolveStudyOptions({});
    const specs = planStudy(options, { train: 60000, test: 10000 }, ENGINE_ARMS);
    for (const s of specs) {
      const expected = s.tier === 'subset' && s.seed !== options.seeds[0] ? 'last-epoch' : undefined;
      assert.equal(s.probe.wholeTest, expected, s.id);
      // the repeats' early probe points are not shown either: initialisation (and every epoch end) only
      assert.deepEqual(s.probe.steps, expected ? [0] : s.tier === 'full' ? options.probeSteps : [0, 10, 100], s.id);
    }
  });

  test('first seed: the whole test set at both epoch ends, and the final result reuses the last one', async () => {
    const { result, wholeEvaluations } = await run(1, 'subset');
    const ends = result.probes.filter((p) => p.kind === 'epoch');
    assert.deepEqual(
      ends.map((p) => p.extra.testRows),
      [TEST, TEST],
    );
    assert.equal(wholeEvaluations, 2, 'two epoch ends, no third evaluation for the final result');
    const last = ends[ends.length - 1];
    assert.deepEqual(result.test, { loss: last.extra.testLoss, acc: last.extra.testAcc });
  });

  test('a later seed’s subset repeat: the test subset at epoch 1, the whole test set once, at the end', async () => {
    const { result, wholeEvaluations } = await run(2, 'subset');
    const ends = result.probes.filter((p) => p.kind === 'epoch');
    assert.deepEqual(
      ends.map((p) => p.extra.testRows),
      [TEST_SUBSET, TEST],
    );
    assert.equal(wholeEvaluations, 1);
    const last = ends[ends.length - 1];
    assert.deepEqual(result.test, { loss: last.extra.testLoss, acc: last.extra.testAcc });
  });

  test('the full tier keeps every epoch end on the whole test set for every seed', async () => {
    const { result, wholeEvaluations } = await run(2, 'full');
    assert.deepEqual(
      result.probes.filter((p) => p.kind === 'epoch').map((p) => p.extra.testRows),
      [TEST, TEST],
    );
    assert.equal(wholeEvaluations, 2);
  });
});

describe("Adam's preconditioned sharpness: v̂ from Adam's own state once it has one", { skip: NO_FASHION }, () => {
  test('init: estimated from minibatch gradients; after 5 steps: the run’s bias-corrected second moment', async () => {
    const data = await fashion(TRAIN, TEST);
    const options = resolveStudyOptions({
      seeds: 1,
      epochs: 1,
      backend: 'reference',
      trainLimit: TRAIN,
      testLimit: TEST,
      probeRows: 64,
      probeTestRows: TEST_SUBSET,
      probeSteps: [0, 5],
      runs: ['main'],
    });
    const spec = planStudy(options, { train: TRAIN, test: TEST }).find((s) => s.transform === 'none' && s.optimizer === 'adam');
    assert.ok(spec);
    spec.analyses = { curvature: { steps: [0, 5], rows: 64, iterations: 6, preconditioned: true, whole: false } };
    const result = await runStudyJob(spec, data);
    const points = result.analyses?.curvature ?? [];
    assert.deepEqual(
      points.map((p) => [p.step, p.preconditionerFrom]),
      [
        [0, 'minibatch-gradients'],
        [5, 'adam-state'],
      ],
    );
    for (const p of points)
      assert.ok(p.preconditioned !== null && Number.isFinite(p.preconditioned) && p.preconditioned > 0, `step ${p.step}: ${p.preconditioned}`);
    // the minibatch estimate costs gradient calls of its own (2 minibatches of 32); Adam's state does not
    assert.ok(points[0].gradientCalls > points[1].gradientCalls - 2 * points[1].iterations, 'no extra gradient calls at step 5');
  });
});
