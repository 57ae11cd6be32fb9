/**
 * `normlab assignment init` and `normlab grade` from the command line: files written, flags validated
 * with one-line errors, the reference solution at full marks within the 30 s, Gradescope's
 * results.json, and a folder of ten submissions graded two at a time with its CSV summary.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../cli/helpers.js';
import { CORPUS, corpusCopy, MNIST_DIR, NO_MNIST, REFERENCE, tempDir } from './helpers.js';

const DATA = ['--data-dir', MNIST_DIR, '--split', 'test'];
const noStackTrace = (text: string) => assert.doesNotMatch(text, /^\s+at .+:\d+:\d+\)?$/m, `stack trace printed:\n${text}`);

describe('normlab assignment init', () => {
  it('writes the starter module and the README, and keeps existing files', () => {
    const dir = join(tempDir(), 'my-work');
    const r = runCli(['assignment', 'init', 'callbacks', dir]);
    assert.equal(r.status, 0, r.stderr);
    const starter = readFileSync(join(dir, 'train-mnist.ts'), 'utf8');
    assert.match(starter, /export async function trainMnist\(xTrain: tf\.Tensor, yTrain: tf\.Tensor\)/);
    assert.match(starter, /TODO 1/);
    assert.match(readFileSync(join(dir, 'README.md'), 'utf8'), /Reached 99% accuracy so cancelling training!/);
    assert.match(r.stdout, /normlab grade .*train-mnist\.ts/);
    writeFileSync(join(dir, 'train-mnist.ts'), '// my work\n');
    const again = runCli(['assignment', 'init', 'callbacks', dir]);
    assert.equal(again.status, 0);
    assert.match(again.stderr, /kept .*train-mnist\.ts/);
    assert.equal(readFileSync(join(dir, 'train-mnist.ts'), 'utf8'), '// my work\n');
  });

  it('an unknown assignment is a one-line error', () => {
    const r = runCli(['assignment', 'init', 'callback', tempDir()]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /expected one of: callbacks/);
    assert.match(r.stderr, /^normlab: error: [^\n]+\n {2}Try: [^\n]+\n$/, r.stderr);
  });
});

describe('normlab grade: input errors', () => {
  const cases: [string[], RegExp][] = [
    [['/nonexistent/train-mnist.ts'], /does not exist/],
    [[join(CORPUS, '..', 'helpers.ts').replace(/\.ts$/, '.py')], /does not exist/],
    [[REFERENCE, '--format', 'xml'], /--format.*one of: text, json, gradescope/],
    [[REFERENCE, '--split', 'validation'], /--split.*one of: train, test/],
    [[REFERENCE, '--timeout', '0'], /--timeout.*whole number/],
    [[REFERENCE, '--jobs', 'two'], /--jobs.*whole number/],
    [[REFERENCE, '--memory', '12'], /--memory.*whole number between 128/],
  ];
  for (const [args, pattern] of cases) {
    it(`rejects ${args.slice(1).join(' ') || args[0]} with a one-line reason`, () => {
      const r = runCli(['grade', ...args, ...DATA]);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, pattern);
      noStackTrace(r.stderr);
    });
  }

  it('exits non-zero when the grader cannot run (no training data), with a clear message', () => {
    const r = runCli(['grade', REFERENCE, '--data-dir', tempDir(), '--split', 'test']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /t10k-images-idx3-ubyte/);
    noStackTrace(r.stderr);
  });
});

describe('normlab grade: the reference solution', { skip: NO_MNIST }, () => {
  it('scores full marks with exit code 0 (the time is logged)', () => {
    const started = performance.now();
    const r = runCli(['grade', REFERENCE, ...DATA, '--format', 'json']);
    const seconds = (performance.now() - started) / 1000;
    assert.equal(r.status, 0, r.stderr);
    const result = JSON.parse(r.stdout);
    assert.equal(result.status, 'completed', result.statusMessage);
    assert.equal(result.score, 10, JSON.stringify(result.tests, null, 1));
    assert.equal(result.maxScore, 10);
    assert.equal(result.run.epochsAsked, '10');
    assert.ok(result.run.epochsTrained <= 8, `trained ${result.run.epochsTrained} epochs`);
    assert.ok(result.run.verifiedAccuracy > 0.99, `verified accuracy ${result.run.verifiedAccuracy}`);
    assert.equal(result.sandbox.leakedProcesses, 0);
    // The time is logged, not asserted (a wall-clock limit flakes on a busy CI machine; speed belongs to
    // `npm run bench`).
    console.log(`# reference solution: ${result.score}/${result.maxScore} in ${seconds.toFixed(1)} s (command), ${result.seconds} s (grading), ${result.run.backend} backend`);
  });
});

describe('normlab grade: formats', { skip: NO_MNIST }, () => {
  it('--format gradescope --out writes results.json with score and tests', () => {
    const dir = tempDir();
    runCli(['assignment', 'init', 'callbacks', dir]);
    const out = join(dir, 'results', 'results.json');
    const r = runCli(['grade', join(dir, 'train-mnist.ts'), ...DATA, '--format', 'gradescope', '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '');
    const gs = JSON.parse(readFileSync(out, 'utf8'));
    assert.equal(typeof gs.score, 'number');
    assert.equal(gs.tests.length, 7);
    for (const t of gs.tests) {
      assert.deepEqual(Object.keys(t).filter((k) => ['name', 'score', 'max_score', 'status', 'output'].includes(k)).sort(), ['max_score', 'name', 'output', 'score', 'status']);
      assert.ok(t.status === 'passed' || t.status === 'failed');
    }
    assert.equal(gs.score, gs.tests.reduce((s: number, t: { score: number }) => s + t.score, 0));
    // The starter has an empty callback: the stop test fails and says why.
    const stop = gs.tests.find((t: { name: string }) => /stopped by the callback/.test(t.name));
    assert.equal(stop.status, 'failed');
    assert.match(stop.output, /Expected: a maximum of 8 epochs, but got: 10/);
    assert.match(gs.output, /Your run/);
  });

  it('--format text shows the tests, the run epoch by epoch, and why it ended', () => {
    const { files } = corpusCopy(['threshold-low.ts']);
    const r = runCli(['grade', files[0].file, ...DATA]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /threshold-low\.ts: 8\/10/);
    assert.match(r.stdout, /✗ 0\/2 {2}training accuracy is above 0\.99 when training stops/);
    assert.match(r.stdout, /epoch {2}accuracy/);
    assert.match(r.stdout, /← stopTraining = true \(onEpochEnd\); printed the message/);
    assert.match(r.stdout, /Stopped by your onEpochEnd callback \(epoch 2\) after epoch 2 of 10\./);
  });
});

describe('normlab grade: a folder of submissions', { skip: NO_MNIST }, () => {
  it('grades ten submissions two at a time and writes grades.csv and one report each', () => {
    const names = ['never-fits.ts', 'throws.js', 'syntax-error.ts', 'threshold-low.ts', 'other-data.ts', 'missing-export.js', 'exits-early.js', 'fake-results.js', 'never-stops.js'];
    const { dir } = corpusCopy(names);
    // one learner with their own folder, as Gradescope-style exports have
    mkdirSync(join(dir, 'alice'));
    runCli(['assignment', 'init', 'callbacks', join(dir, 'alice')]);
    const out = join(tempDir(), 'grades');
    const r = runCli(['grade', dir, ...DATA, '--out', out, '--timeout', '60']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /grading 10 submissions on MNIST test \(10000 images\), 2 at a time/);
    assert.equal((r.stderr.match(/^\[\d+\/10\] /gm) ?? []).length, 10, r.stderr);
    const csv = readFileSync(join(out, 'grades.csv'), 'utf8').trim().split('\n');
    assert.equal(csv.length, 11);
    assert.equal(csv[0], 'submission,status,score,max_score,fit-epochs,stopped-by-callback,accuracy,message,history,stop-flag,given-data,epochs_asked,epochs_trained,first_epoch_above,final_accuracy,seconds,message');
    const row = (name: string) => csv.find((l) => l.startsWith(`${name},`))!.split(',');
    assert.deepEqual(row('syntax-error.ts').slice(1, 4), ['compile-error', '0', '10']);
    assert.deepEqual(row('threshold-low.ts').slice(1, 4), ['completed', '8', '10']);
    assert.deepEqual(row('alice/train-mnist.ts').slice(1, 2), ['completed']);
    for (const n of [...names, 'alice/train-mnist.ts']) assert.ok(existsSync(join(out, `${n.replace('/', '__')}.txt`)), `no report for ${n}`);
    assert.match(r.stdout, /threshold-low\.ts +8\/10 +completed/);
  });
});
