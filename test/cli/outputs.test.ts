/**
 * Every output is written atomically and every bad output location is a one-line error (issue 10, bugs 1,
 * 6 and 8): why under a file size limit keeps the previous report; two `why` runs into one --out are kept
 * apart by a lock; --out or `assignment init` under /proc or onto a file are refused at once.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { NO_FASHION } from '../shared-data.js';
import { REPO_ROOT, runCli } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'normlab-outputs-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const noStackTrace = (text: string) => assert.doesNotMatch(text, /^\s+at .+:\d+:\d+\)?$/m, `stack trace printed:\n${text}`);
/** One `why` run on the quick slice: well under a second of training. */
const ONE_RUN = ['why', '--quick', '--runs', 'relu·scale·adam·f32', '--workers', '1', '--backend', 'reference', '--no-html'];

describe('normlab why: outputs', { timeout: 180_000, skip: NO_FASHION }, () => {
  test('a failed write (file size limit) keeps the previous why.json, prints the summary and one error', () => {
    const out = join(dir, 'limited');
    const previous = '{"previous":"report"}\n';
    spawnSync('mkdir', ['-p', out]);
    writeFileSync(join(out, 'why.json'), previous);
    const r = spawnSync('prlimit', ['--fsize=20000', process.execPath, '--import', 'tsx', join(REPO_ROOT, 'src/cli/main.ts'), ...ONE_RUN, '--out', out], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(r.status, 2, r.stderr);
    assert.equal(readFileSync(join(out, 'why.json'), 'utf8'), previous, 'the previous report is intact');
    assert.match(r.stdout, /In short:/, 'the summary still reaches the terminal');
    assert.match(r.stderr, /^normlab: error: could not write .*why\.json: .*; any previous why\.json is unchanged\n {2}Try: /m);
    noStackTrace(r.stderr);
  });

  test('a second run into an --out that another live run holds is refused; a stale lock is taken over', () => {
    const out = join(dir, 'locked');
    spawnSync('mkdir', ['-p', out]);
    // This test process is alive: its pid in the lock file means "another why is writing here".
    writeFileSync(join(out, '.normlab-why.lock'), JSON.stringify({ pid: process.pid }));
    const busy = runCli([...ONE_RUN, '--out', out]);
    assert.equal(busy.status, 2, busy.stderr);
    assert.match(busy.stderr, new RegExp(`normlab: error: another normlab why \\(pid ${process.pid}\\) is writing into .*locked`));
    // A finished process's pid: the lock is stale and the run goes ahead, removing the lock at the end.
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    writeFileSync(join(out, '.normlab-why.lock'), JSON.stringify({ pid: dead }));
    const ok = runCli([...ONE_RUN, '--out', out]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(JSON.parse(readFileSync(join(out, 'why.json'), 'utf8')).tool, 'normlab why');
    assert.throws(() => readFileSync(join(out, '.normlab-why.lock')), /ENOENT/);
  });

  test('--out under /proc is refused at once (it used to spin at 100% CPU forever)', () => {
    const r = runCli([...ONE_RUN, '--out', '/proc/normlab-test/out'], { timeoutMs: 60_000 });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /normlab: error: cannot create the folder \/proc\/normlab-test: /);
  });
});

describe('normlab assignment init: bad targets', () => {
  test('onto an existing file', () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'mine');
    const r = runCli(['assignment', 'init', 'callbacks', file]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /normlab: error: .*a-file is a file, not a folder\n {2}Try: /);
    assert.equal(readFileSync(file, 'utf8'), 'mine');
  });

  test('into a folder that cannot be created (/proc)', () => {
    const r = runCli(['assignment', 'init', 'callbacks', '/proc/normlab-test/work'], { timeoutMs: 60_000 });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /normlab: error: cannot create the folder \/proc\/normlab-test: /);
    noStackTrace(r.stderr);
  });
});
