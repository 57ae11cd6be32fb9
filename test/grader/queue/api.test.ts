/**
 * The grading API (`normlab grade serve`) against a real Redis, with a grading worker in this process:
 * a submission is graded once and its result equals local grading of the same file; duplicates get the
 * same id; SSE reports the changes; guards (token, size, rate limit, bad input) answer JSON errors; and
 * while Redis is down a POST gets a 503 with Retry-After and leaves nothing behind.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { SubmissionQueue } from '../../../src/grader/queue/client.js';
import { GradeSettingsSchema } from '../../../src/grader/queue/identity.js';
import { GradingWorker } from '../../../src/grader/queue/worker.js';
import { toCsv, toGradescope } from '../../../src/grader/report.js';
import type { SubmissionResult } from '../../../src/grader/types.js';
import { startGradingApi, type RunningApi } from '../../../src/server/grading/api.js';
import { GradescopeResultsSchema } from '../gradescope-spec.js';
import { corpusCopy, MNIST_DIR, NO_MNIST } from '../helpers.js';
import { comparable, gradeLocally, NO_REDIS, TestRedis, waitFor } from './helpers.js';

const settings = GradeSettingsSchema.parse({ split: 'test', timeoutS: 30 });
const TOKEN = 'test-token-0123456789abcdef';

describe('grading API on a real Redis', { skip: NO_REDIS || NO_MNIST, timeout: 300_000 }, () => {
  let redis: TestRedis;
  let queue: SubmissionQueue;
  let api: RunningApi;
  let worker: GradingWorker;
  const { files } = corpusCopy(['threshold-low.ts', 'throws.js', 'missing-export.js']);
  let local = new Map<string, SubmissionResult>();
  const auth = { Authorization: `Bearer ${TOKEN}` };
  const base = () => `http://127.0.0.1:${api.port}`;
  const post = (name: string, body: string, headers: Record<string, string> = auth) =>
    fetch(`${base()}/api/submissions?assignment=callbacks&name=${encodeURIComponent(name)}`, { method: 'POST', body, headers });
  const get = (path: string, headers: Record<string, string> = auth) => fetch(`${base()}${path}`, { headers });

  before(async () => {
    local = await gradeLocally(files, { timeoutS: 30 });
    redis = await TestRedis.start();
    queue = await SubmissionQueue.open(redis.url, { watch: true });
    api = await startGradingApi({
      queue,
      port: 0,
      host: '127.0.0.1',
      token: TOKEN,
      maxUploadBytes: 64 * 1024,
      rateLimit: { perMinute: 6000, burst: 1000 },
      settings,
      attempts: 3,
    });
  });

  after(async () => {
    await worker?.stop(0);
    await api?.close();
    await queue?.close();
    await redis?.stop();
  });

  it('grades a POSTed file once, with the result local grading gives; a duplicate POST gets the same id', async () => {
    const ids = new Map<string, string>();
    for (const f of files) {
      const res = await post(f.name, readFileSync(f.file, 'utf8'));
      assert.equal(res.status, 202);
      const body = (await res.json()) as { id: string; existing: boolean };
      assert.match(body.id, /^[0-9a-f]{64}$/);
      assert.equal(body.existing, false);
      ids.set(f.name, body.id);
      const again = await post(`renamed-${f.name}`, readFileSync(f.file, 'utf8'));
      assert.equal(again.status, 202);
      assert.deepEqual(await again.json(), { id: body.id, existing: true, url: `/api/submissions/${body.id}` });
    }
    const queued = (await (await get(`/api/submissions/${ids.get('throws.js')}`)).json()) as { status: string; result: unknown };
    assert.equal(queued.status, 'queued');
    assert.equal(queued.result, null);

    // SSE: subscribe before any worker runs, so every change is seen.
    const stream = await get(`/api/submissions/${ids.get('threshold-low.ts')}/events`);
    assert.equal(stream.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    const streamText = stream.text();

    // A lock that lives 60 s: on a busy machine grading (and type-checking) in this process can hold the
    // event loop long enough that a 10 s lock lapses and the job is graded twice; stalls are the
    // reliability test's subject, not this one's.
    worker = await GradingWorker.start({ redisUrl: redis.url, concurrency: 2, dataDir: MNIST_DIR, attempts: 3, stallS: 60, log: () => undefined });
    for (const f of files) {
      const id = ids.get(f.name)!;
      const state = await waitFor(`${f.name} graded`, async () => {
        const s = (await (await get(`/api/submissions/${id}`)).json()) as { status: string; attempts: number; result: Record<string, unknown> };
        return s.status === 'done' || s.status === 'failed' ? s : undefined;
      });
      const want = local.get(f.name)!;
      assert.equal(state.status, 'done');
      assert.equal(state.attempts, 1, 'graded once');
      const got = state.result;
      const expected = toGradescope(want) as Record<string, unknown>;
      assert.equal(got.score, expected.score);
      assert.deepEqual(got.tests, expected.tests, `${f.name}: same tests, scores and messages as local grading`);
      for (const key of ['score', 'execution_time', 'output', 'visibility', 'stdout_visibility', 'tests']) assert.ok(key in got, `results.json has ${key}`);
      const spec = GradescopeResultsSchema.safeParse(got);
      assert.ok(spec.success, `results.json by Gradescope's specification: ${spec.error?.message}`);
    }

    const events = (await streamText)
      .split('\n\n')
      .filter((b) => b.startsWith('event: status'))
      .map((b) => JSON.parse(b.split('\ndata: ')[1]) as { status: string });
    assert.deepEqual(
      events.map((e) => e.status),
      ['queued', 'running', 'done'],
    );

    // The stored grades equal local grading's, record for record (timings aside), and results.csv is
    // grades.csv of exactly those.
    const finished = await queue.finished();
    assert.equal(finished.length, files.length);
    for (const s of finished) assert.deepEqual(comparable(s.result!), comparable(local.get(s.name)!), s.name);
    const csv = await (await get('/api/results.csv')).text();
    assert.equal(csv, toCsv(finished.map((s) => s.result!)));
  });

  it('answers bad requests with JSON errors and the right status', async () => {
    const cases: [Promise<Response>, number, RegExp][] = [
      [post('x.ts', 'x', {}), 401, /bearer token/],
      [post('x.ts', 'x', { Authorization: 'Bearer wrong-token-0123456789ab' }), 401, /bearer token/],
      [post('x.ts', 'a'.repeat(64 * 1024 + 1)), 413, /limit is 65536 bytes/],
      [post('x.ts', ''), 400, /body is empty/],
      [post('../x.ts', 'x'), 400, /name: must be a relative path/],
      [post('x.py', 'x'), 400, /name: must end in \.ts/],
      [fetch(`${base()}/api/submissions?assignment=nope&name=x.ts`, { method: 'POST', body: 'x', headers: auth }), 400, /assignment must be one of: callbacks/],
      [get('/api/submissions/123'), 400, /64 lowercase hex/],
      [get(`/api/submissions/${'0'.repeat(64)}`), 404, /no submission/],
      [get('/api/submissions'), 405, /accepts POST only/],
      [get('/api/nothing'), 404, /no such endpoint/],
    ];
    for (const [response, status, message] of cases) {
      const res = await response;
      assert.equal(res.status, status);
      assert.match(res.headers.get('content-type') ?? '', /application\/json/);
      const body = (await res.json()) as { error: { code: string; message: string } };
      assert.match(body.error.message, message);
    }
  });

  it('limits the request rate per client (429 with Retry-After)', async () => {
    const limited = await startGradingApi({
      queue,
      port: 0,
      host: '127.0.0.1',
      maxUploadBytes: 1024,
      rateLimit: { perMinute: 60, burst: 3 },
      settings,
      attempts: 3,
    });
    try {
      const codes: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 5; i++) {
        const res = await fetch(`http://127.0.0.1:${limited.port}/api/health`);
        codes.push(res.status);
        if (res.status === 429) retryAfter = res.headers.get('retry-after');
        await res.body?.cancel();
      }
      assert.deepEqual(codes.slice(0, 3), [200, 200, 200]);
      assert.equal(codes[3], 429);
      assert.ok(Number(retryAfter) >= 1, `Retry-After: ${retryAfter}`);
    } finally {
      await limited.close();
    }
  });

  it('answers 503 with Retry-After while Redis is down, stores nothing, and works again when it is back', async () => {
    await redis.kill();
    await waitFor('the API to notice', () => !queue.ready || undefined, 10_000, 50);
    const body = 'export function trainMnist() { return 1; } // during the outage\n';
    const res = await post('outage.js', body);
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('retry-after'), '5');
    assert.match(((await res.json()) as { error: { message: string } }).error.message, /Redis\) is unavailable right now; nothing was stored/);
    // answered during the outage, not after a reconnect (Redis is only started again below): no stopwatch
    assert.equal(queue.ready, false, 'the queue was still disconnected when the answer came');
    const read = await get(`/api/submissions/${'0'.repeat(64)}`);
    assert.equal(read.status, 503);
    await read.body?.cancel();

    await redis.launch();
    await waitFor('the API to reconnect', () => queue.ready || undefined, 30_000, 100);
    // What was graded before the crash is still there (AOF), and the failed POST left no trace.
    const finished = await queue.finished();
    assert.equal(finished.length, files.length);
    const again = await post('outage.js', body);
    assert.equal(again.status, 202);
    const { id, existing } = (await again.json()) as { id: string; existing: boolean };
    assert.equal(existing, false, 'the POST during the outage stored nothing');
    const done = await waitFor('graded after the outage', async () => {
      const s = (await (await get(`/api/submissions/${id}`)).json()) as { status: string; result: { tests: unknown[] } };
      return s.status === 'done' ? s : undefined;
    });
    assert.equal(done.result.tests.length, 7);
  });
});
