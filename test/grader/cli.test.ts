/**
 * `normlab assignment init` and `normlab grade` from the command line: files written, flags validated
 * with one-line errors, the reference solution at full marks within the 30 s, Gradescope's
 * results.json, and a folder of ten submissions graded two at a time with its CSV summary.
 */
import assert from 'node:assert/strict';
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
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
    console.log(
      `# reference solution: ${result.score}/${result.maxScore} in ${seconds.toFixed(1)} s (command), ${result.seconds} s (grading), ${result.run.backend} backend`,
    );
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
      assert.deepEqual(
        Object.keys(t)
          .filter((k) => ['name', 'score', 'max_score', 'status', 'output'].includes(k))
          .sort(),
        ['max_score', 'name', 'output', 'score', 'status'],
      );
      assert.ok(t.status === 'passed' || t.status === 'failed');
    }
    assert.equal(
      gs.score,
      gs.tests.reduce((s: number, t: { score: number }) => s + t.score, 0),
    );
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
    assert.match(r.stdout, /threshold-low\.ts: 4\/10/);
    assert.match(r.stdout, /✗ 0\/2 {2}training accuracy is above 0\.99 when training stops/);
    assert.match(r.stdout, /epoch {2}accuracy/);
    assert.match(r.stdout, /← stopTraining = true \(onEpochEnd\)/);
    assert.match(r.stdout, /Stopped by your onEpochEnd callback \(epoch 2\) after epoch 2 of 10\./);
  });
});

describe('normlab grade: a folder of submissions', { skip: NO_MNIST }, () => {
  it('grades ten submissions two at a time and writes grades.csv and one report each', () => {
    const names = [
      'never-fits.ts',
      'throws.js',
      'syntax-error.ts',
      'threshold-low.ts',
      'other-data.ts',
      'missing-export.js',
      'exits-early.js',
      'fake-results.js',
      'never-stops.js',
    ];
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
    assert.equal(
      csv[0],
      'submission,status,score,max_score,fit-epochs,stopped-by-callback,accuracy,message,history,stop-flag,given-data,epochs_asked,epochs_trained,first_epoch_above,final_accuracy,seconds,message,integrity,report',
    );
    const row = (name: string) => csv.find((l) => l.startsWith(`${name},`))!.split(',');
    assert.deepEqual(row('syntax-error.ts').slice(1, 4), ['compile-error', '0', '10']);
    assert.deepEqual(row('threshold-low.ts').slice(1, 4), ['completed', '4', '10']);
    assert.deepEqual(row('alice/train-mnist.ts').slice(1, 2), ['completed']);
    assert.equal(row('alice/train-mnist.ts').at(-1), 'alice%2Ftrain-mnist.ts.txt');
    for (const n of [...names, 'alice/train-mnist.ts']) assert.ok(existsSync(join(out, `${n.replace('/', '%2F')}.txt`)), `no report for ${n}`);
    assert.match(r.stdout, /threshold-low\.ts +4\/10 +completed/);
  });
});

describe('normlab grade: --out is checked before any grading', () => {
  const cases: [string, (dir: string) => { path: string; out: string }, RegExp][] = [
    ['an existing folder for one submission', (d) => ({ path: REFERENCE, out: d }), /--out .*: is a folder, but one submission writes one report file/],
    [
      'a file for a folder of submissions',
      (d) => (writeFileSync(join(d, 'taken.txt'), 'x'), { path: CORPUS, out: join(d, 'taken.txt') }),
      /--out .*taken\.txt: is a file, but a folder of submissions/,
    ],
    [
      'a path below a file',
      (d) => (writeFileSync(join(d, 'plain'), 'x'), { path: REFERENCE, out: join(d, 'plain', 'report.txt') }),
      /--out .*: .*plain is a file, not a folder/,
    ],
    ['a folder that cannot be written', () => ({ path: CORPUS, out: '/proc/normlab-grades' }), /--out \/proc\/normlab-grades: cannot create the folder/],
  ];
  for (const [what, make, pattern] of cases) {
    it(`rejects ${what} at once, with a one-line reason and exit 2`, () => {
      const { path, out } = make(tempDir());
      const r = runCli(['grade', path, ...DATA, '--out', out]);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, pattern);
      // nothing was graded (grading would have said so first)
      assert.doesNotMatch(r.stderr, /grading \d+ submission/);
      noStackTrace(r.stderr);
    });
  }
});

describe('normlab grade: links in a submissions folder are never followed (symbolic or hard)', { skip: NO_MNIST }, () => {
  it('reports each link as invalid-file, leaks nothing it points at, and grades everyone else', () => {
    const { dir } = corpusCopy(['never-fits.ts']);
    const secretDir = tempDir();
    const secret = join(secretDir, 'root-only.txt');
    writeFileSync(secret, 'TOP-SECRET-LINE-7f3a (root only) {{{\n', { mode: 0o600 });
    symlinkSync(secret, join(dir, 'secret.js'));
    symlinkSync(REFERENCE, join(dir, 'copied-solution.ts'));
    symlinkSync('/nonexistent/file.ts', join(dir, 'dangling.ts'));
    symlinkSync(join(dir, 'loop.js'), join(dir, 'loop.js'));
    symlinkSync(secretDir, join(dir, 'bob'));
    linkSync(secret, join(dir, 'hard.js'));
    const out = join(tempDir(), 'grades');
    const r = runCli(['grade', dir, ...DATA, '--out', out, '--format', 'json']);
    assert.equal(r.status, 0, r.stderr);
    const results = JSON.parse(r.stdout) as { submission: string; status: string; score: number; statusMessage: string }[];
    const by = new Map(results.map((x) => [x.submission, x]));
    assert.deepEqual([...by.keys()].sort(), ['bob', 'copied-solution.ts', 'dangling.ts', 'hard.js', 'loop.js', 'never-fits.ts', 'secret.js']);
    for (const name of ['bob', 'copied-solution.ts', 'dangling.ts', 'loop.js', 'secret.js']) {
      assert.equal(by.get(name)!.status, 'invalid-file', name);
      assert.equal(by.get(name)!.score, 0, name);
      assert.match(by.get(name)!.statusMessage, /is a symbolic link; the grader never follows links/);
    }
    assert.equal(by.get('hard.js')!.status, 'invalid-file');
    assert.match(by.get('hard.js')!.statusMessage, /has 1 other hard link; submit a plain copy/);
    assert.equal(by.get('never-fits.ts')!.status, 'completed');
    const everything =
      r.stdout +
      r.stderr +
      readdirSync(out)
        .map((f) => readFileSync(join(out, f), 'utf8'))
        .join('\n');
    assert.doesNotMatch(everything, /TOP-SECRET-LINE|Reference solution/);
  });
});

describe('normlab grade: report names', { skip: NO_MNIST }, () => {
  it('are unique and reversible, with the mapping in grades.csv', () => {
    const dir = tempDir();
    const source = readFileSync(join(CORPUS, 'throws.js'), 'utf8');
    mkdirSync(join(dir, 'alice'));
    for (const n of ['alice/t.js', 'alice__t.js', 'bob x.js', 'bob_x.js', 'ünï.js']) writeFileSync(join(dir, n), source);
    const out = join(tempDir(), 'grades');
    const r = runCli(['grade', dir, ...DATA, '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    const reports = readdirSync(out)
      .filter((f) => f.endsWith('.txt'))
      .sort();
    assert.equal(reports.length, 5);
    assert.deepEqual(
      reports.map((f) => decodeURIComponent(f.replace(/\.txt$/, ''))).sort(),
      ['alice/t.js', 'alice__t.js', 'bob x.js', 'bob_x.js', 'ünï.js'].sort(),
    );
    const csv = readFileSync(join(out, 'grades.csv'), 'utf8').trim().split('\n').slice(1);
    for (const line of csv) {
      const cells = line.split(',');
      assert.equal(decodeURIComponent(cells.at(-1)!.replace(/\.txt$/, '')), cells[0]);
      assert.match(readFileSync(join(out, cells.at(-1)!), 'utf8'), new RegExp(`^${cells[0].replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: 0/10`));
    }
  });
});

describe('normlab grade: --on-violation flag', { skip: NO_MNIST }, () => {
  it('scores a caught violation as usual and flags it in text, json, gradescope and grades.csv', () => {
    const { dir, files } = corpusCopy(['caught-read.js']);
    const text = runCli(['grade', files[0].file, ...DATA, '--on-violation', 'flag']);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /caught-read\.js: 10\/10/);
    assert.match(
      text.stdout,
      /INTEGRITY FLAG: 1 refused attempt to read a file outside what the sandbox shows it \(\/etc\/passwd\).*scored as usual \(--on-violation flag\)/,
    );
    const json = JSON.parse(runCli(['grade', files[0].file, ...DATA, '--on-violation', 'flag', '--format', 'json']).stdout);
    assert.equal(json.status, 'completed');
    assert.equal(json.integrity.policy, 'flag');
    assert.equal(json.integrity.violations[0].permission, 'FileSystemRead');
    const gs = JSON.parse(runCli(['grade', files[0].file, ...DATA, '--on-violation', 'flag', '--format', 'gradescope']).stdout);
    assert.equal(gs.score, 10);
    assert.match(gs.tests.at(-1).output, /INTEGRITY FLAG/);
    const out = join(tempDir(), 'grades');
    assert.equal(runCli(['grade', dir, ...DATA, '--on-violation', 'flag', '--out', out]).status, 0);
    assert.match(readFileSync(join(out, 'grades.csv'), 'utf8'), /caught-read\.js,completed,10,10,.*INTEGRITY FLAG: 1 refused attempt/);
  });

  it('rejects an unknown policy', () => {
    const r = runCli(['grade', REFERENCE, ...DATA, '--on-violation', 'warn']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--on-violation.*one of: zero, flag/);
  });
});
