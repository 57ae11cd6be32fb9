/** The lab's exercises: the errors of 3 and 4 as a learner sees them, the Fashion-MNIST check, and two quick measurements. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkFashionMnist, EXERCISES, runExercise } from '../../src/lab/exercises.js';
import { exerciseReport, renderExercise } from '../../src/report/exercises.js';
import { num } from '../../src/report/format.js';
import { existsSync } from 'node:fs';
import { registerNodeBackends } from '../../src/node.js';
import { wasmFilePath } from '../../src/engine/backends/wasm/node.js';
import { fashion, NO_FASHION } from '../shared-data.js';

registerNodeBackends();

/** The fast backend where it is built (npm install builds it), else the reference one. */
const FAST = existsSync(wasmFilePath()) ? 'wasm' : 'reference';

const opts = { backend: 'reference', trainLimit: 300, testLimit: 100 };

describe('exercises', () => {
  test('there are eight, each with a question', () => {
    assert.deepEqual(
      EXERCISES.map((e) => e.n),
      [1, 2, 3, 4, 5, 6, 7, 8],
    );
    for (const e of EXERCISES) assert.ok(e.question.endsWith('?'), e.question);
  });

  test('they refuse data that is not verified Fashion-MNIST', { skip: NO_FASHION }, async () => {
    const data = await fashion(10, 10);
    assert.equal(checkFashionMnist(data).verified, true);
    const mnist = { train: { ...data.train, name: 'mnist', classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] }, test: data.test };
    assert.throws(
      () => checkFashionMnist(mnist),
      (e: Error & { code?: string }) => e.code === 'dataset-identity' && /use Fashion-MNIST, but the data loaded is 'mnist'/.test(e.message),
    );
    const unverified = { train: { ...data.train, name: 'idx:/tmp/x', verified: false }, test: data.test };
    await assert.rejects(runExercise(3, unverified, opts), /\(unverified\)/);
  });

  test('3: without Flatten the shape error names the layer, the shape and the fix', { skip: NO_FASHION }, async () => {
    const r = await runExercise(3, await fashion(), opts);
    const m = r.measurement as { error: { code: string; message: string; hint: string }; summary: string[] };
    assert.equal(m.error.code, 'shape');
    assert.match(m.error.message, /outputs shape \[null,28,128\]/);
    assert.match(m.error.hint, /add layers\.flatten\(\{inputShape: \[28, 28\]\}\) as the first layer/);
    assert.ok(m.summary.some((l) => l.includes('[null,28,10]')));
    const text = renderExercise(exerciseReport(r));
    assert.match(text, /normlab: error: layer '.*' outputs shape \[null,28,128\]/);
    assert.match(text, / {2}Try: add layers\.flatten/);
    assert.match(text, /28 sets of 10 scores per image instead of one/);
  });

  test('4: five output units: the labels-out-of-range error says 0–9 vs 5 units and the fix', { skip: NO_FASHION }, async () => {
    const r = await runExercise(4, await fashion(), opts);
    const m = r.measurement as { error: { code: string; message: string; hint: string }; maxLabel: number };
    assert.equal(m.error.code, 'labels');
    assert.equal(m.maxLabel, 9);
    assert.match(m.error.message, /the labels go up to 9, so there are at least 10 classes, but the output layer has 5 units/);
    assert.match(m.error.hint, /units: 10/);
    const text = renderExercise(exerciseReport(r));
    assert.match(text, /no probability for labels 5–9/);
  });

  test('1: predict returns 10 probabilities that sum to 1, the argmax and the true class name', { skip: NO_FASHION }, async () => {
    const r = await runExercise(1, await fashion(), { ...opts, epochs: 1 });
    const m = r.measurement as { probabilities: number[]; sum: number; argmax: number; labelName: string };
    assert.equal(m.probabilities.length, 10);
    assert.ok(Math.abs(m.sum - 1) < 1e-5);
    assert.equal(m.probabilities.indexOf(Math.max(...m.probabilities)), m.argmax);
    assert.equal(m.labelName, 'Ankle boot', 'test image 0 of Fashion-MNIST is an ankle boot');
    assert.match(renderExercise(exerciseReport(r)), /predict returns one probability per class/);
  });

  test('2 runs its short form by default, says so with an estimate for --full, and runs the lab’s 5 epochs with full', { skip: NO_FASHION }, async () => {
    const data = await fashion();
    const short = await runExercise(2, data, { backend: 'reference', trainLimit: 100, testLimit: 50 });
    assert.equal(short.settings.form, 'short');
    assert.equal(short.settings.epochs, 2);
    const runs = (short.measurement as { runs: { secondsPerEpoch: number; epochs: number; params: number }[] }).runs;
    assert.deepEqual(
      runs.map((r) => r.epochs),
      [2, 2],
    );
    assert.deepEqual(
      runs.map((r) => r.params),
      [101_770, 814_090],
    );
    assert.ok(Math.abs(short.settings.fullEstimateSeconds! - 5 * (runs[0].secondsPerEpoch + runs[1].secondsPerEpoch)) < 1e-9);
    assert.match(renderExercise(exerciseReport(short)), /Short form: 2 epochs per model instead of the lab’s 5.*normlab exercise 2 --full/);

    const full = await runExercise(2, data, { backend: 'reference', trainLimit: 100, testLimit: 50, full: true });
    assert.equal(full.settings.form, 'full');
    assert.equal(full.settings.epochs, 5);
    assert.doesNotMatch(renderExercise(exerciseReport(full)), /Short form/);
  });

  test('6 trains its short form on the first 10 000 images and estimates the full run from the measured time', { skip: NO_FASHION }, async () => {
    const data = await fashion(12_000, 100);
    const r = await runExercise(6, data, { backend: FAST, epochs: 2 });
    assert.equal(r.settings.form, 'short');
    assert.equal(r.settings.trainCount, 10_000);
    const m = r.measurement as { secondsPerEpoch: number; curves: { testAcc: number[] } };
    assert.equal(m.curves.testAcc.length, 2);
    assert.ok(Math.abs(r.settings.fullEstimateSeconds! - m.secondsPerEpoch * 1.2 * 2) < 1e-9);
    assert.match(renderExercise(exerciseReport(r)), /Short form: the first 10 000 training images instead of all 60 000/);
  });

  test('7: raw vs x/255 under adam and sgd, the mechanism from the measured numbers, and a pointer to normlab why', { skip: NO_FASHION }, async () => {
    const r = await runExercise(7, await fashion(), { ...opts, epochs: 1 });
    const runs = (r.measurement as { runs: { transform: string; optimizer: string; initMeanAbsZ1: number; initKernel0GradNorm: number; testAcc: number }[] })
      .runs;
    assert.deepEqual(
      runs.map((x) => `${x.transform}·${x.optimizer}`),
      ['scale·adam', 'none·adam', 'scale·sgd', 'none·sgd'],
    );
    // same weights, same images: the raw inputs' pre-activations are 255× those of x/255
    const ratio = runs[1].initMeanAbsZ1 / runs[0].initMeanAbsZ1;
    assert.ok(Math.abs(ratio - 255) < 1e-3 * 255, `ratio ${ratio}`);
    const text = renderExercise(exerciseReport(r));
    assert.ok(text.includes(`kernel gradient ${num(runs[1].initKernel0GradNorm / runs[0].initKernel0GradNorm, 3)}× larger`));
    assert.match(text, /Run `normlab why` for the full study/);
  });

  test('8: the lab callback checks the loss, not the accuracy its message claims', { skip: NO_FASHION }, async () => {
    const r = await runExercise(8, await fashion(), { ...opts, epochs: 2 });
    const m = r.measurement as { threshold: number; history: { loss: number[] }; stoppedAt: unknown };
    assert.equal(m.threshold, 0.4);
    const text = renderExercise(exerciseReport(r));
    assert.match(text, /tests the loss \(logs\.loss < 0\.4\) but prints that it reached 60% accuracy/);
  });
});
