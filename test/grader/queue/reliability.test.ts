/**
 * The reliability run of issue 14: 200 submissions (a mix of the corpus: correct, wrong, broken, hostile,
 * crashing and hanging ones) POSTed to the API, graded by two `normlab grade worker` processes; one worker
 * is SIGKILLed mid-run and started again, and Redis is killed (SIGKILL, AOF with fsync always) and started
 * again. Every submission must end with exactly one result, equal in status, score and per-test scores to
 * grading the same file locally, and no sandbox process may be left behind.
 *
 * The 200 files are copies of corpus cases, each made unique by a trailing comment (otherwise the
 * content-hash ids would fold them into one job); local grading of each case is the reference. The cases
 * that train for long are left out to keep CI time down; hangs get a 10 s time limit.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { SubmissionQueue } from '../../../src/grader/queue/client.js';
import { GradeSettingsSchema } from '../../../src/grader/queue/identity.js';
import type { SubmissionResult } from '../../../src/grader/types.js';
import { startGradingApi, type RunningApi } from '../../../src/server/grading/api.js';
import { corpusCopy, MNIST_DIR, NO_MNIST } from '../helpers.js';
import { gradeLocally, isRunning, NO_REDIS, startWorker, TestRedis, waitFor, workerProcesses, type WorkerProcess } from './helpers.js';

const HANGS = ['infinite-loop.js', 'busy-callback.ts'];
const CASES = [
  ...HANGS,
  'callback-throws.ts',
  'exits-early.js',
  'fake-results.js',
  'floods-stdout.js',
  'forges-channel.js',
  'memory-bomb.js',
  'missing-export.js',
  'network.js',
  'never-fits.ts',
  'never-settles.js',
  'never-stops.js',
  'other-data.ts',
  'reads-grader.js',
  'spawns-process.js',
  'syntax-error.ts',
  'threshold-low.ts',
  'throws.js',
  'type-error.ts',
  'writes-outside.js',
];
const TOTAL = 200;
const settings = GradeSettingsSchema.parse({ split: 'test', timeoutS: 10, memoryMB: 512 });

/** Copy i of the mix: hangs are rarer (each costs a whole time limit of a worker). */
function caseFor(i: number): string {
  if (i % 50 === 7) return HANGS[((i / 50) % 2) | 0];
  const rest = CASES.slice(HANGS.length);
  return rest[i % rest.length];
}

describe('200 submissions through the API with two workers, a worker SIGKILLed and Redis restarted', { skip: NO_REDIS || NO_MNIST, timeout: 900_000 }, () => {
  let redis: TestRedis;
  let queue: SubmissionQueue;
  let api: RunningApi;
  const workers: WorkerProcess[] = [];
  const { files } = corpusCopy(CASES);
  let local = new Map<string, SubmissionResult>();
  const submissions: { id: string; name: string; base: string }[] = [];

  before(async () => {
    // The reference: each case graded locally, with the same settings.
    local = await gradeLocally(files, { timeoutS: settings.timeoutS, memoryMB: settings.memoryMB });
    redis = await TestRedis.start();
    queue = await SubmissionQueue.open(redis.url, { watch: true });
    api = await startGradingApi({ queue, port: 0, host: '127.0.0.1', maxUploadBytes: 256 * 1024, settings, attempts: 3 });
  });

  after(async () => {
    for (const w of workers) if (isRunning(w)) w.proc.kill('SIGKILL');
    await api?.close();
    await queue?.close();
    await redis?.stop();
  });

  it('grades every submission exactly once, as local grading does, through a worker crash and a Redis crash', async () => {
    const flags = ['--data-dir', MNIST_DIR, '--stall-interval', '10', '--attempts', '3', '--grace', '0'];
    workers.push(await startWorker(redis.url, flags), await startWorker(redis.url, flags));
    const url = `http://127.0.0.1:${api.port}`;
    const sources = new Map(files.map((f) => [f.name, readFileSync(f.file, 'utf8')]));

    // POST all 200, ten at a time, and every tenth one twice.
    let next = 0;
    const poster = async () => {
      while (next < TOTAL) {
        const i = next++;
        const base = caseFor(i);
        const name = `learner-${String(i).padStart(3, '0')}/${base}`;
        const body = `${sources.get(base)}\n// submission ${i}\n`;
        const send = async () => {
          const res = await fetch(`${url}/api/submissions?assignment=callbacks&name=${encodeURIComponent(name)}`, { method: 'POST', body });
          assert.equal(res.status, 202);
          return (await res.json()) as { id: string; existing: boolean };
        };
        const first = await send();
        assert.equal(first.existing, false);
        if (i % 10 === 0) assert.deepEqual(await send(), { ...first, existing: true });
        submissions[i] = { id: first.id, name, base };
      }
    };
    await Promise.all(Array.from({ length: 10 }, poster));
    assert.equal(new Set(submissions.map((s) => s.id)).size, TOTAL);

    const finishedCount = async () => (await queue.counts()).completed + (await queue.counts()).failed;
    // A worker dies while grading.
    await waitFor('40 results', async () => ((await finishedCount()) >= 40 ? true : undefined), 600_000, 500);
    const victim = await waitFor('a worker in the middle of a submission', () => workers.find((w) => workerProcesses(w.pid).length > 0), 120_000, 20);
    victim.proc.kill('SIGKILL');
    await victim.exited;
    workers.push(await startWorker(redis.url, flags));

    // Redis crashes and comes back.
    await waitFor('100 results', async () => ((await finishedCount()) >= 100 ? true : undefined), 600_000, 500);
    await redis.kill();
    await new Promise((r) => setTimeout(r, 1000));
    await redis.launch();

    await waitFor(
      'all 200 results',
      async () => {
        try {
          return (await finishedCount()) >= TOTAL ? true : undefined;
        } catch {
          return undefined; // still reconnecting
        }
      },
      800_000,
      1000,
    );

    // Exactly one result each, equal to local grading.
    const finished = await queue.finished();
    assert.equal(finished.length, TOTAL);
    assert.deepEqual(new Set(finished.map((s) => s.id)), new Set(submissions.map((s) => s.id)));
    const byId = new Map(finished.map((s) => [s.id, s]));
    for (const s of submissions) {
      const got = byId.get(s.id)!;
      const want = local.get(s.base)!;
      const context = `${s.name}: queued ${got.result?.status} ${got.result?.score}, local ${want.status} ${want.score}\n${got.result?.statusMessage}`;
      assert.equal(got.status, 'done', context);
      assert.equal(got.result!.submission, s.name);
      assert.equal(got.result!.status, want.status, context);
      assert.equal(got.result!.score, want.score, context);
      assert.deepEqual(
        got.result!.tests.map((t) => [t.id, t.score, t.passed]),
        want.tests.map((t) => [t.id, t.score, t.passed]),
        context,
      );
    }
    const csv = await (await fetch(`${url}/api/results.csv`)).text();
    assert.equal(csv.trim().split('\n').length, TOTAL + 1, 'grades.csv: a header and one row per submission');

    // No sandbox left behind: the killed worker's was reaped; the others stop cleanly.
    await waitFor('the killed worker to leave no sandbox', () => workerProcesses(victim.pid).length === 0 || undefined, 60_000);
    for (const w of workers) if (isRunning(w)) w.proc.kill('SIGTERM');
    for (const w of workers) {
      const code = await w.exited;
      if (w !== victim) assert.equal(code, 0, w.log());
      assert.deepEqual(workerProcesses(w.pid), []);
    }
  });
});
