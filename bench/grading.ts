/**
 * `npm run bench -- grading`: course-scale grading on this machine, against a real Redis (a private
 * redis-server on a free port, as the tests start it) and real `normlab grade worker` / `grade serve`
 * processes:
 *
 *   throughput   submissions per minute through the queue with 1 and 2 workers (concurrency 1 each),
 *                next to local grading (`Grader.gradeAll` with 1 and 2 jobs) of the same files;
 *   API latency  POST and GET p50/p99 with 50 concurrent clients against `grade serve` (no workers
 *                running, so the numbers are the API's and Redis's, not the grader's);
 *   end to end   POST → result (via the SSE stream) for one submission on an empty queue with a warm
 *                idle worker, against grading the same file locally (warm Grader): the queue's overhead.
 *
 *   npm run bench -- grading [--submissions 16] [--api-requests 1000] [--data-dir DIR] [--split test] [--json] [--out f.json]
 *
 * The submissions are copies of learner-like attempts (the reference solution and the corpus's training
 * cases), each made unique by a comment so that the content-hash ids do not fold them together.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { Grader } from '../src/grader/grade.js';
import { SubmissionQueue } from '../src/grader/queue/client.js';
import { GradeSettingsSchema } from '../src/grader/queue/identity.js';
import { corpusCopy, MNIST_DIR, REFERENCE, tempDir } from '../test/grader/helpers.js';
import { freePort, startWorker, TestRedis, waitFor, type WorkerProcess } from '../test/grader/queue/helpers.js';
import { spawn } from 'node:child_process';
import { REPO_ROOT } from '../test/grader/helpers.js';

const MIX = ['threshold-low.ts', 'never-stops.js', 'threshold-99.ts', 'wrong-log-key.js', 'misspelled-flag.ts', 'returns-record.js'];

interface Flags {
  submissions: number;
  apiRequests: number;
  dataDir: string;
  split: 'train' | 'test';
  json: boolean;
  out?: string;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number ≥ 1');
  return n;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** The files to grade: the reference solution and learner-like attempts, round robin, each unique. */
function submissionFiles(n: number): { file: string; name: string }[] {
  const { files } = corpusCopy(MIX);
  const sources = [{ name: 'solution.ts', text: readFileSync(REFERENCE, 'utf8') }, ...files.map((f) => ({ name: f.name, text: readFileSync(f.file, 'utf8') }))];
  const dir = tempDir('normlab-bench-grading-');
  return Array.from({ length: n }, (_, i) => {
    const s = sources[i % sources.length];
    const file = join(dir, `${String(i).padStart(3, '0')}-${s.name}`);
    writeFileSync(file, `${s.text}\n// bench submission ${i} ${Date.now()}\n`);
    return { file, name: `${String(i).padStart(3, '0')}-${s.name}` };
  });
}

async function startServe(redisUrl: string, flags: Flags): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const proc = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(REPO_ROOT, 'src/cli/main.ts'),
      'grade',
      'serve',
      '--redis',
      redisUrl,
      '--port',
      String(port),
      '--rate-limit',
      '0',
      '--split',
      flags.split,
    ],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  await waitFor(
    'grade serve to listen',
    () => (/grading API: /.test(out) ? true : proc.exitCode !== null ? Promise.reject(new Error(out)) : undefined),
    60_000,
    100,
  );
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      const gone = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await gone;
    },
  };
}

async function stopWorkers(workers: WorkerProcess[]): Promise<void> {
  for (const w of workers) w.proc.kill('SIGTERM');
  await Promise.all(workers.map((w) => w.exited));
}

async function main(argv: string[]): Promise<void> {
  const flags = new Command('bench grading')
    .option('--submissions <n>', 'submissions per throughput run', positiveInt, 16)
    .option('--api-requests <n>', 'POSTs (and as many GETs) in the latency run', positiveInt, 1000)
    .option('--data-dir <dir>', 'folder with the MNIST files', MNIST_DIR)
    .option('--split <split>', 'MNIST split the submissions train on', 'test')
    .option('--json', 'print one JSON object', false)
    .option('--out <file>', 'also write the JSON result to this file')
    .parse(argv, { from: 'user' })
    .opts<Flags>();
  const log = (line: string) => console.error(`bench grading: ${line}`);
  const load = loadavg()[0];
  const settings = GradeSettingsSchema.parse({ split: flags.split, timeoutS: 120 });
  const workerFlags = ['--data-dir', flags.dataDir, '--grace', '0'];
  const redis = await TestRedis.start();
  const result: Record<string, unknown> = {
    schema: 'normlab-bench-grading/1',
    date: new Date().toISOString(),
    machine: { node: process.version, cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, loadAverageAtStart: load },
    split: flags.split,
  };
  try {
    // 1. Local grading, the baseline (one warm Grader; its opening is not timed).
    const files = submissionFiles(flags.submissions);
    const grader = await Grader.open({ dataDir: flags.dataDir, split: flags.split, limits: { timeoutS: 120 } });
    const local: Record<string, number> = {};
    try {
      await grader.grade(files[0].file, files[0].name); // warm-up
      for (const jobs of [1, 2]) {
        log(`local grading, ${jobs} at a time, ${files.length} submissions …`);
        const t0 = performance.now();
        await grader.gradeAll(files, jobs);
        local[`jobs${jobs}`] = (files.length / (performance.now() - t0)) * 60_000;
      }
    } catch (e) {
      grader.close();
      throw e;
    }

    // 2. Throughput through the queue.
    const queue = await SubmissionQueue.open(redis.url, { watch: true });
    const queued: Record<string, number> = {};
    try {
      for (const count of [1, 2]) {
        const workers: WorkerProcess[] = [];
        for (let i = 0; i < count; i++) workers.push(await startWorker(redis.url, workerFlags));
        // Warm-up: one submission per worker, so each has opened its Grader.
        const warm = submissionFiles(count);
        const warmIds = await Promise.all(warm.map(async (f) => (await queue.submit('callbacks', f.name, readFileSync(f.file), settings)).id));
        await waitFor(
          'warm-up',
          async () => ((await Promise.all(warmIds.map((id) => queue.state(id)))).every((s) => s?.result) ? true : undefined),
          300_000,
          200,
        );
        const batch = submissionFiles(flags.submissions);
        log(`queue, ${count} worker${count === 1 ? '' : 's'}, ${batch.length} submissions …`);
        const t0 = performance.now();
        const ids = await Promise.all(batch.map(async (f) => (await queue.submit('callbacks', f.name, readFileSync(f.file), settings)).id));
        await waitFor(
          'all graded',
          async () => ((await Promise.all(ids.map((id) => queue.state(id)))).every((s) => s?.result) ? true : undefined),
          1_800_000,
          200,
        );
        queued[`workers${count}`] = (batch.length / (performance.now() - t0)) * 60_000;
        if (count === 1) {
          // 3. End to end on an empty queue with a warm idle worker, via the API and its SSE stream,
          // interleaved with local grading of the same file so that both see the same machine load.
          const serve = await startServe(redis.url, flags);
          try {
            const times: number[] = [];
            const localTimes: number[] = [];
            const e2eDir = tempDir('normlab-bench-e2e-');
            for (let i = 0; i < 3; i++) {
              const body = `${readFileSync(REFERENCE, 'utf8')}\n// end to end ${i} ${Date.now()}\n`;
              const localFile = join(e2eDir, `solution-${i}.ts`);
              writeFileSync(localFile, body);
              const l0 = performance.now();
              await grader.grade(localFile, 'solution.ts');
              localTimes.push((performance.now() - l0) / 1000);
              const t0 = performance.now();
              const res = await fetch(`${serve.url}/api/submissions?assignment=callbacks&name=solution.ts`, { method: 'POST', body });
              const { id } = (await res.json()) as { id: string };
              const events = await fetch(`${serve.url}/api/submissions/${id}/events`);
              const text = await events.text(); // the stream ends after done/failed
              if (!/"status":"done"/.test(text)) throw new Error(`end-to-end run did not finish: ${text.slice(-300)}`);
              times.push((performance.now() - t0) / 1000);
            }
            const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[1];
            const overheads = times.map((t, i) => t - localTimes[i]);
            result.endToEnd = {
              queuedSeconds: median(times),
              localSeconds: median(localTimes),
              overheadSeconds: median(overheads),
              runs: times.map((t, i) => ({ queued: t, local: localTimes[i] })),
            };
          } finally {
            await serve.stop();
            grader.close();
          }
        }
        await stopWorkers(workers);
      }

      // 4. API latency, no workers: 50 clients, each its share of POSTs then GETs.
      const serve = await startServe(redis.url, flags);
      try {
        const clients = 50;
        const posts: number[] = [];
        const gets: number[] = [];
        const ids: string[] = [];
        const per = Math.ceil(flags.apiRequests / clients);
        const base = readFileSync(REFERENCE, 'utf8');
        log(`API latency: ${clients} clients × ${per} POSTs, then × ${per} GETs …`);
        await Promise.all(
          Array.from({ length: clients }, async (_, c) => {
            for (let i = 0; i < per; i++) {
              const t0 = performance.now();
              const res = await fetch(`${serve.url}/api/submissions?assignment=callbacks&name=c${c}-${i}.ts`, {
                method: 'POST',
                body: `${base}\n// ${c}-${i}\n`,
              });
              const { id } = (await res.json()) as { id: string };
              posts.push(performance.now() - t0);
              if (res.status !== 202) throw new Error(`POST answered ${res.status}`);
              ids.push(id);
            }
          }),
        );
        await Promise.all(
          Array.from({ length: clients }, async (_, c) => {
            for (let i = 0; i < per; i++) {
              const t0 = performance.now();
              const res = await fetch(`${serve.url}/api/submissions/${ids[(c * per + i) % ids.length]}`);
              await res.arrayBuffer();
              gets.push(performance.now() - t0);
              if (res.status !== 200) throw new Error(`GET answered ${res.status}`);
            }
          }),
        );
        posts.sort((a, b) => a - b);
        gets.sort((a, b) => a - b);
        result.api = {
          clients,
          requests: posts.length,
          postMs: { p50: percentile(posts, 50), p99: percentile(posts, 99) },
          getMs: { p50: percentile(gets, 50), p99: percentile(gets, 99) },
        };
      } finally {
        await serve.stop();
      }
    } finally {
      await queue.close();
    }
    result.throughput = { submissions: flags.submissions, localPerMinute: local, queuedPerMinute: queued };
  } finally {
    await redis.stop();
  }
  if (flags.out) writeFileSync(flags.out, `${JSON.stringify(result, null, 2)}\n`);
  if (flags.json) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  const t = result.throughput as { localPerMinute: Record<string, number>; queuedPerMinute: Record<string, number> };
  const api = result.api as { clients: number; requests: number; postMs: { p50: number; p99: number }; getMs: { p50: number; p99: number } };
  const e2e = result.endToEnd as { queuedSeconds: number; localSeconds: number; overheadSeconds: number };
  const f = (n: number, d = 1) => n.toFixed(d);
  console.log(
    `normlab bench grading — ${cpus().length} cores, load average ${f(load, 2)} at the start${load > 0.5 ? ' (other processes were using the CPU)' : ''}; MNIST ${flags.split}`,
  );
  console.log(
    `throughput (submissions/min, ${flags.submissions} each): queue 1 worker ${f(t.queuedPerMinute.workers1)}, 2 workers ${f(t.queuedPerMinute.workers2)}; local 1 job ${f(t.localPerMinute.jobs1)}, 2 jobs ${f(t.localPerMinute.jobs2)}`,
  );
  console.log(
    `API, ${api.clients} concurrent clients, ${api.requests} requests each kind: POST p50 ${f(api.postMs.p50)} ms, p99 ${f(api.postMs.p99)} ms; GET p50 ${f(api.getMs.p50)} ms, p99 ${f(api.getMs.p99)} ms`,
  );
  console.log(
    `POST → result on an empty queue: ${f(e2e.queuedSeconds, 2)} s; local grading of the same file ${f(e2e.localSeconds, 2)} s; overhead ${f(e2e.overheadSeconds, 2)} s (target ≤ 1 s: ${e2e.overheadSeconds <= 1 ? 'yes' : 'NO'})`,
  );
}

export function runGradingBench(argv: string[]): Promise<void> {
  return main(argv);
}
