/**
 * `normlab grade worker` processes on a real Redis: a worker of another normlab version leaves the queue
 * alone; a SIGKILLed worker's submission is retried by another after the stall interval (and its orphaned
 * sandbox is killed); a submission whose workers keep dying ends as grader-error after --attempts; SIGTERM
 * hands a running submission back, which does not count as a lost try; `normlab grade DIR --redis` writes
 * the same reports as local grading. The tests wait for events (log lines, processes, job states), and
 * the time limits of their waits are only there to end a stuck run.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SubmissionQueue } from '../../../src/grader/queue/client.js';
import { assignmentVersion, GradeSettingsSchema, normlabVersion } from '../../../src/grader/queue/identity.js';
import { CALLBACKS } from '../../../src/grader/assignment.js';
import { corpusCopy, MNIST_DIR, NO_MNIST, REPO_ROOT, tempDir } from '../helpers.js';
import { csvWithoutTimings, isRunning, NO_REDIS, startWorker, TestRedis, waitFor, workerProcesses, type WorkerProcess } from './helpers.js';

const STALL = ['--stall-interval', '10', '--attempts', '2', '--data-dir', MNIST_DIR];

describe('grade workers on a real Redis', { skip: NO_REDIS || NO_MNIST, timeout: 900_000 }, () => {
  let redis: TestRedis;
  let queue: SubmissionQueue;
  const workers: WorkerProcess[] = [];
  const { files } = corpusCopy(['throws.js', 'infinite-loop.js', 'missing-export.js', 'threshold-low.ts', 'syntax-error.ts']);
  const file = (name: string) => readFileSync(files.find((f) => f.name === name)!.file);
  const state = async (id: string) => (await queue.state(id))!;
  const spawnWorker = async (flags: string[] = [], env: Record<string, string> = {}) => {
    const w = await startWorker(redis.url, [...STALL, ...flags], env);
    workers.push(w);
    return w;
  };

  before(async () => {
    redis = await TestRedis.start();
    queue = await SubmissionQueue.open(redis.url, { watch: true });
  });

  after(async () => {
    for (const w of workers) if (isRunning(w)) w.proc.kill('SIGKILL');
    await queue?.close();
    await redis?.stop();
  });

  it('a worker of another normlab version does not take the job; one of this version grades it', async () => {
    const other = await spawnWorker([], { NORMLAB_GRADER_VERSION: '0.0.1-other' });
    assert.match(other.log(), new RegExp(`versions ${assignmentVersion(CALLBACKS, '0.0.1-other').replace(/[.+]/g, '\\$&')}`));
    assert.notEqual(assignmentVersion(CALLBACKS, '0.0.1-other'), assignmentVersion(CALLBACKS, normlabVersion()));
    const { id } = await queue.submit('callbacks', 'throws.js', file('throws.js'), GradeSettingsSchema.parse({ split: 'test' }));
    // Long enough for the other worker to have taken it, had it been able to.
    await new Promise((r) => setTimeout(r, 6000));
    const waiting = await state(id);
    assert.equal(waiting.status, 'queued');
    assert.equal(waiting.attempts, 0);
    assert.doesNotMatch(other.log(), /grading throws\.js/);

    await spawnWorker();
    const done = await waitFor('graded by a worker of this version', async () => ((await state(id)).status === 'done' ? state(id) : undefined));
    assert.equal(done.result?.status, 'runtime-error');
    assert.equal(done.attempts, 1);
    other.proc.kill('SIGTERM');
    assert.equal(await other.exited, 0);
  });

  it('retries the job of a SIGKILLed worker on another, kills the orphaned sandbox, and gives up after --attempts as grader-error', async () => {
    // (the settings of the first test, so the worker that graded it has its Grader open already)
    const { id } = await queue.submit('callbacks', 'infinite-loop.js', file('infinite-loop.js'), GradeSettingsSchema.parse({ split: 'test' }));
    const started = (attempt: number) => new RegExp(`grading infinite-loop\\.js \\(${id.slice(0, 12)}\\), attempt ${attempt}\\n`);
    const killed: WorkerProcess[] = [];
    // Each try is killed in the middle: once its sandbox runs, a replacement worker is started and the
    // worker grading it is SIGKILLed. Every step waits for an event (a log line, a process), never a time.
    for (const attempt of [1, 2]) {
      const grading = await waitFor(
        `attempt ${attempt} to run in a sandbox`,
        () => workers.find((w) => isRunning(w) && started(attempt).test(w.log()) && workerProcesses(w.pid).length > 0),
        240_000,
      );
      const running = await state(id);
      assert.equal(running.status, 'running');
      assert.equal(running.attempts, attempt);
      await spawnWorker();
      grading.proc.kill('SIGKILL');
      await grading.exited;
      killed.push(grading);
    }

    // The third start finds two lost tries: with --attempts 2 it is not graded again.
    const failed = await waitFor('the job to fail', async () => ((await state(id)).status === 'failed' ? state(id) : undefined), 240_000);
    assert.equal(failed.result?.status, 'grader-error');
    assert.equal(failed.result?.score, 0);
    assert.equal(failed.result?.maxScore, 10);
    assert.match(
      failed.result!.statusMessage,
      /the worker grading it died 2 times \(killed, crashed, or cut off from Redis\), so it was not tried again \(--attempts 2\)/,
    );
    assert.equal(failed.attempts, 3);
    const logs = workers.map((w) => w.log()).join('');
    assert.equal(logs.match(new RegExp(`grading infinite-loop\\.js \\(${id.slice(0, 12)}\\)`, 'g'))?.length, 2, logs);
    assert.match(logs, new RegExp(`giving up on infinite-loop\\.js \\(${id.slice(0, 12)}\\), start 3`));
    // Both killed workers' sandboxes, left spinning, are killed by a live worker's reaper.
    for (const k of killed) await waitFor(`the orphaned sandbox of ${k.pid} to be killed`, () => workerProcesses(k.pid).length === 0 || undefined, 60_000);
    assert.equal(workers.filter(isRunning).length, 1, 'the worker that gave up is still running');
  });

  it('SIGTERM hands a running job back to the queue after the grace time, leaves no sandbox behind, and the hand-back costs no try', async () => {
    const w = await spawnWorker(['--grace', '1']);
    // The others stop first (all the way: an idle worker still running could take the job meanwhile).
    for (const other of workers) {
      if (other === w || !isRunning(other)) continue;
      other.proc.kill('SIGTERM');
      assert.equal(await other.exited, 0, other.log());
    }
    // A 10 s limit: long enough to outlast the grace time, short enough to be graded in full afterwards.
    const { id } = await queue.submit('callbacks', 'infinite-loop.js', file('infinite-loop.js'), GradeSettingsSchema.parse({ split: 'test', timeoutS: 10 }));
    await waitFor('it to run', async () => ((await state(id)).status === 'running' ? true : undefined), 240_000);
    await waitFor('its sandbox to start', () => workerProcesses(w.pid).length > 0 || undefined, 120_000);
    w.proc.kill('SIGTERM');
    assert.equal(await w.exited, 0, w.log());
    assert.match(w.log(), /handed back infinite-loop\.js/);
    const s = await state(id);
    assert.equal(s.status, 'queued');
    assert.equal(s.result, undefined);
    assert.equal(s.attempts, 1);
    assert.deepEqual(workerProcesses(w.pid), []);

    // A worker allowed a single lost try still grades it: the hand-back was not one.
    const strict = await spawnWorker(['--attempts', '1']);
    const done = await waitFor('it to be graded', async () => ((await state(id)).status === 'done' ? state(id) : undefined), 240_000);
    assert.equal(done.result?.status, 'timeout', strict.log());
    assert.equal(done.attempts, 2);
    assert.doesNotMatch(strict.log(), /giving up/);
    strict.proc.kill('SIGTERM');
    assert.equal(await strict.exited, 0);
  });

  it('`normlab grade DIR --redis` writes the same reports and grades.csv as local grading', async () => {
    const w = await spawnWorker(['--concurrency', '2', '--grace', '0']);
    const dir = tempDir('normlab-queue-dir-');
    const { dir: src } = corpusCopy(['throws.js', 'missing-export.js', 'threshold-low.ts', 'syntax-error.ts']);
    const run = (out: string, extra: string[]) =>
      spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          join(REPO_ROOT, 'src/cli/main.ts'),
          'grade',
          src,
          '--split',
          'test',
          '--data-dir',
          MNIST_DIR,
          '--timeout',
          '30',
          '--out',
          out,
          ...extra,
        ],
        {
          cwd: REPO_ROOT,
          encoding: 'utf8',
          timeout: 240_000,
        },
      );
    const queued = run(join(dir, 'queued'), ['--redis', redis.url]);
    assert.equal(queued.status, 0, queued.stderr);
    assert.match(queued.stderr, /queued 4 submissions on redis:\/\/127\.0\.0\.1:\d+/);
    const local = run(join(dir, 'local'), []);
    assert.equal(local.status, 0, local.stderr);
    assert.equal(queued.stdout, local.stdout, 'the same summary table');
    // Timings differ between any two runs; everything else must not.
    const untimed = (text: string) => text.replace(/\d+(\.\d+)? s\b/g, 'N s').replace(/peak memory \d+ MB/g, 'peak memory N MB');
    const names = readdirSync(join(dir, 'local')).sort();
    assert.deepEqual(readdirSync(join(dir, 'queued')).sort(), names);
    for (const n of names) {
      const [q, l] = [readFileSync(join(dir, 'queued', n), 'utf8'), readFileSync(join(dir, 'local', n), 'utf8')];
      if (n === 'grades.csv') assert.deepEqual(csvWithoutTimings(q), csvWithoutTimings(l));
      else assert.equal(untimed(q), untimed(l), n);
    }

    const again = run(join(dir, 'again'), ['--redis', redis.url]);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stderr, /queued 0 submissions .*\(4 were already queued or graded\)/);
    assert.equal(readFileSync(join(dir, 'again', 'grades.csv'), 'utf8'), readFileSync(join(dir, 'queued', 'grades.csv'), 'utf8'));
    w.proc.kill('SIGTERM');
    assert.equal(await w.exited, 0);
  });
});
