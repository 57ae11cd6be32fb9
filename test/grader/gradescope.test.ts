/**
 * The Gradescope package: `normlab assignment package callbacks --gradescope OUT.zip` writes a zip with
 * executable setup.sh and run_autograder at its root and this normlab inside; run_autograder, run in a
 * temp folder through AUTOGRADER_ROOT (after a stand-in for setup.sh: our node_modules, the MNIST files),
 * writes a results.json in Gradescope's format equal to what local grading gives for the same file.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DATASETS } from '../../src/data/registry.js';
import { Grader } from '../../src/grader/grade.js';
import { toGradescope } from '../../src/grader/report.js';
import { GradescopeResultsSchema } from './gradescope-spec.js';
import { corpusCopy, MNIST_DIR, NO_MNIST, REPO_ROOT, tempDir } from './helpers.js';

const cli = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src/cli/main.ts'), ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 120_000,
  });

/** Valid by Gradescope's specification, and with every field issue 14 lists, per submission and per test. */
function assertGradescopeResults(results: Record<string, any>): void {
  const parsed = GradescopeResultsSchema.safeParse(results);
  assert.ok(parsed.success, parsed.error?.message);
  for (const key of ['score', 'execution_time', 'output', 'visibility', 'stdout_visibility', 'tests']) assert.ok(key in results, key);
  assert.ok(results.tests.length > 0);
  for (const t of results.tests)
    for (const key of ['name', 'score', 'max_score', 'status', 'output', 'visibility']) assert.ok(key in t, `test ${t.name}: ${key}`);
  // The total is the sum of the tests' scores (Gradescope shows both).
  assert.equal(
    results.score,
    results.tests.reduce((s: number, t: { score: number }) => s + t.score, 0),
  );
}

describe('Gradescope autograder package', { skip: NO_MNIST, timeout: 300_000 }, () => {
  const dir = tempDir('normlab-gradescope-');
  const zip = join(dir, 'autograder.zip');
  const root = join(dir, 'autograder');
  const source = join(root, 'source');

  it('writes a zip with executable setup.sh and run_autograder at its root', () => {
    const r = cli(['assignment', 'package', 'callbacks', '--gradescope', zip, '--split', 'test', '--timeout', '60']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /wrote .*autograder\.zip \(\d+ files\)/);
    mkdirSync(source, { recursive: true });
    const unzip = spawnSync('unzip', ['-q', zip, '-d', source], { encoding: 'utf8' });
    assert.equal(unzip.status, 0, unzip.stderr);
    for (const f of ['setup.sh', 'run_autograder']) {
      assert.ok((statSync(join(source, f)).mode & 0o111) !== 0, `${f} is executable`);
      const syntax = spawnSync('bash', ['-n', join(source, f)], { encoding: 'utf8' });
      assert.equal(syntax.status, 0, syntax.stderr);
    }
    for (const f of ['normlab/bin/normlab.js', 'normlab/dist/cli/main.js', 'normlab/package-lock.json', 'normlab/assignments/callbacks/starter.ts'])
      statSync(join(source, f));
    const setup = readFileSync(join(source, 'setup.sh'), 'utf8');
    assert.match(setup, /setup_20\.x/);
    assert.match(setup, /npm ci --omit=dev/);
    // The MNIST files are checked against the registry's hashes.
    for (const k of ['images', 'labels'] as const) assert.ok(setup.includes(`${DATASETS.mnist.splits.test[k].file} ${DATASETS.mnist.splits.test[k].sha256}`));
    assert.match(readFileSync(join(source, 'run_autograder'), 'utf8'), /AUTOGRADER_ROOT:-\/autograder/);
  });

  it('run_autograder grades the submission into results.json, as local grading does', async () => {
    // What setup.sh would do on Gradescope: dependencies and the MNIST files.
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(source, 'normlab', 'node_modules'));
    mkdirSync(join(source, 'data'));
    for (const k of ['images', 'labels'] as const) {
      const f = DATASETS.mnist.splits.test[k].file;
      symlinkSync(join(MNIST_DIR, f), join(source, 'data', f));
    }
    const { files } = corpusCopy(['threshold-low.ts']);
    mkdirSync(join(root, 'submission'), { recursive: true });
    copyFileSync(files[0].file, join(root, 'submission', 'train-mnist.ts'));

    const run = spawnSync(join(source, 'run_autograder'), [], { encoding: 'utf8', env: { ...process.env, AUTOGRADER_ROOT: root }, timeout: 180_000 });
    assert.equal(run.status, 0, run.stderr);
    const results = JSON.parse(readFileSync(join(root, 'results', 'results.json'), 'utf8')) as Record<string, any>;
    assertGradescopeResults(results);

    const grader = await Grader.open({ dataDir: MNIST_DIR, split: 'test', limits: { timeoutS: 60 } });
    try {
      const local = toGradescope(await grader.grade(join(root, 'submission', 'train-mnist.ts'), 'train-mnist.ts')) as Record<string, any>;
      assert.equal(results.score, local.score);
      assert.deepEqual(results.tests, local.tests);
    } finally {
      grader.close();
    }
  });

  it('writes a results.json that says what is wrong when no code file was submitted', () => {
    rmSync(join(root, 'submission', 'train-mnist.ts'));
    writeFileSync(join(root, 'submission', 'notes.txt'), 'not code');
    const run = spawnSync(join(source, 'run_autograder'), [], { encoding: 'utf8', env: { ...process.env, AUTOGRADER_ROOT: root }, timeout: 60_000 });
    assert.equal(run.status, 0, run.stderr);
    const results = JSON.parse(readFileSync(join(root, 'results', 'results.json'), 'utf8')) as Record<string, any>;
    assert.equal(results.score, 0);
    assert.match(results.output, /No \.ts or \.js file was submitted\. Upload your train-mnist\.ts/);
    assert.ok(GradescopeResultsSchema.safeParse(results).success, JSON.stringify(results));
  });
});
