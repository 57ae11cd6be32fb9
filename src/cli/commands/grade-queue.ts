/**
 * Course-scale grading from the command line, on the BullMQ queue of grader/queue/:
 *
 *   normlab grade worker --redis URL [--concurrency N]   pull and grade jobs until SIGTERM / Ctrl-C
 *   normlab grade serve --redis URL [--port P] [--token-file F]   the HTTP API (server/grading/api.ts)
 *   normlab grade DIR --redis URL                         queue a folder, wait, return the grades
 *                                                         (the grade command writes the reports)
 *
 * The queue modules (BullMQ, ioredis, the HTTP API) are imported when one of these runs, not when the CLI
 * starts: `normlab train` should not pay for, or depend on, a Redis client.
 */
import { readFileSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { NormlabError } from '../../errors.js';
import { describeIssues } from '../../util/zod-issues.js';
import { ASSIGNMENTS } from '../../grader/assignment.js';
import type { SubmissionFile } from '../../grader/grade.js';
import type { SubmissionQueue } from '../../grader/queue/client.js';
import { DEFAULT_ATTEMPTS, GRADE_LIMITS, GradeSettingsSchema, SubmissionNameSchema, type GradeSettings } from '../../grader/queue/identity.js';
import { killOwnSandboxes } from '../../grader/queue/orphans.js';
import { parseRedisUrl, redactUrl } from '../../grader/queue/url.js';
import type { SubmissionState } from '../../grader/queue/result.js';
import type { SubmissionResult } from '../../grader/types.js';
import { gradeSettingFlags } from '../grade-flags.js';
import { integer, oneOf } from '../options.js';
import { note } from '../output.js';

/** Waits for SIGINT or SIGTERM (once), then runs `stop`. */
function untilSignal(stop: (signal: string) => Promise<void>): Promise<void> {
  return new Promise<void>((done, fail) => {
    const handler = (signal: string) => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
      // A second signal while stopping is ignored on purpose: stop() hands jobs back within its grace time.
      process.on('SIGINT', () => note('still stopping…'));
      process.on('SIGTERM', () => note('still stopping…'));
      stop(signal).then(done, fail);
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  });
}

interface WorkerFlags {
  redis: string;
  concurrency: number;
  dataDir?: string;
  attempts: number;
  stallInterval: number;
  grace: number;
}

/** The grading settings as flags (gradeSettingFlags, --backend, --seed, --on-violation): what settingsFrom reads. */
interface SettingFlags {
  split: 'train' | 'test';
  timeout: number;
  memory: number;
  backend?: string;
  seed: number;
  onViolation: 'zero' | 'flag';
}

interface ServeFlags extends SettingFlags {
  redis: string;
  port: number;
  host: string;
  tokenFile?: string;
  maxUpload: number;
  rateLimit: number;
  attempts: number;
}

export function registerGradeQueue(grade: Command, backends: readonly string[]): void {
  grade
    .command('worker')
    .description('grade queued submissions (from `grade serve` or `grade DIR --redis`) until stopped; run any number, on any machines')
    .requiredOption('--redis <url>', 'the Redis holding the queue, e.g. redis://127.0.0.1:6379', parseRedisUrl)
    .option('--concurrency <n>', 'submissions this worker grades at the same time (about one per core)', integer(1, 64), 1)
    .option('--data-dir <dir>', 'folder holding the MNIST files (also: NORMLAB_DATA_DIR)')
    .option(
      '--attempts <n>',
      'tries a submission may lose (its worker died, or the grader failed on it) before it ends as grader-error',
      integer(1, 20),
      DEFAULT_ATTEMPTS,
    )
    .option('--stall-interval <seconds>', 'a submission whose worker is silent this long is given to another worker', integer(2, 3600), 30)
    .option('--grace <seconds>', 'on SIGTERM, how long running submissions may finish before they are handed back to the queue', integer(0, 3600), 30)
    .action(async (flags: WorkerFlags) => {
      const { GradingWorker } = await import('../../grader/queue/worker.js');
      const worker = await GradingWorker.start({
        redisUrl: flags.redis,
        concurrency: flags.concurrency,
        dataDir: flags.dataDir,
        attempts: flags.attempts,
        stallS: flags.stallInterval,
        log: (line) => note(`${new Date().toISOString()} ${line}`),
      });
      await untilSignal(async (signal) => {
        note(`${signal}: stopping (no new submissions; ${worker.busy} running)`);
        // Closing talks to Redis; if Redis is gone for good, leave anyway (the stall check recovers the jobs).
        setTimeout(
          () => {
            note('Redis did not answer while stopping; leaving without it');
            killOwnSandboxes();
            process.exit(1);
          },
          (flags.grace + 20) * 1000,
        ).unref();
        await worker.stop(flags.grace);
      });
    });

  gradeSettingFlags(grade.command('serve'))
    .description('HTTP API for course-scale grading: POST submissions, GET their status and results, download grades.csv')
    .requiredOption('--redis <url>', 'the Redis holding the queue, e.g. redis://127.0.0.1:6379', parseRedisUrl)
    .option('--port <n>', 'TCP port (0 = any free port)', integer(0, 65535), 8090)
    .option('--host <address>', 'address to listen on (0.0.0.0: every interface)', '127.0.0.1')
    .option('--token-file <file>', 'require `Authorization: Bearer <token>` with the token in this file')
    .option('--max-upload <KiB>', 'largest submission file accepted', integer(1, 65536), 512)
    .option('--rate-limit <n>', 'requests per minute per client address (0 = no limit)', integer(0, 1_000_000), 600)
    .option('--attempts <n>', 'times the grader retries a submission it failed on', integer(1, 20), DEFAULT_ATTEMPTS)
    .option('--backend <name>', `backend the submissions train on: ${backends.join(' or ')}`, oneOf(backends))
    .option(
      '--seed <n>',
      'seed for models a submission builds without its own',
      integer(GRADE_LIMITS.seed.min, GRADE_LIMITS.seed.max),
      GRADE_LIMITS.seed.default,
    )
    .option(
      '--on-violation <policy>',
      'a refused attempt (read, write, process, network, …): zero = score 0, flag = score as usual',
      oneOf(['zero', 'flag'] as const),
      'zero',
    )
    .action(async (flags: ServeFlags) => {
      const token = flags.tokenFile ? readToken(flags.tokenFile) : undefined;
      const settings = settingsFrom(flags);
      const { SubmissionQueue } = await import('../../grader/queue/client.js');
      const { startGradingApi } = await import('../../server/grading/api.js');
      const queue = await SubmissionQueue.open(flags.redis, { watch: true });
      const api = await startGradingApi({
        queue,
        port: flags.port,
        host: flags.host,
        token,
        maxUploadBytes: flags.maxUpload * 1024,
        rateLimit: flags.rateLimit > 0 ? { perMinute: flags.rateLimit, burst: Math.max(10, Math.ceil(flags.rateLimit / 6)) } : undefined,
        settings,
        attempts: flags.attempts,
        log: (line) => note(`${new Date().toISOString()} ${line}`),
      }).catch(async (e: unknown) => {
        await queue.close();
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE') throw new NormlabError('flag', `port ${flags.port} is already in use`, 'pass another --port, or --port 0 for any free port');
        throw e;
      });
      if (!token) note('note: no --token-file: anyone who can reach this port can submit and read grades');
      process.stdout.write(
        `normlab grading API: ${api.url}api/ (queue on ${redactUrl(flags.redis)}, versions ${Object.values(ASSIGNMENTS)
          .map((a) => queue.versionOf(a.id))
          .join(', ')})\n`,
      );
      await untilSignal(async () => {
        await api.close();
        await queue.close();
      });
    });
}

function readToken(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
    if ((statSync(file).mode & 0o004) !== 0) note(`note: ${file} is readable by every user of this machine; chmod 600 it`);
  } catch (e) {
    throw new NormlabError('flag', `cannot read --token-file ${file}: ${(e as Error).message}`, 'write the token into a file readable by this user');
  }
  if (text.length < 16 || /\s/.test(text))
    throw new NormlabError(
      'flag',
      `--token-file ${file} must hold one token of at least 16 characters without spaces`,
      'e.g. `openssl rand -hex 32 > token.txt`',
    );
  return text;
}

export function settingsFrom(flags: SettingFlags): GradeSettings {
  const values = {
    split: flags.split,
    timeoutS: flags.timeout,
    memoryMB: flags.memory,
    backend: flags.backend,
    seed: flags.seed,
    typeCheck: true,
    onViolation: flags.onViolation,
  };
  const parsed = GradeSettingsSchema.safeParse(values);
  if (parsed.success) return parsed.data;
  const flag: Record<string, string> = { timeoutS: '--timeout', memoryMB: '--memory', onViolation: '--on-violation' };
  const lines = describeIssues(parsed.error, values, (path) => flag[String(path[0])] ?? `--${String(path[0])}`);
  throw new NormlabError('flag', lines.join('; '), "see normlab grade --help for each flag's range");
}

/** How a file is named in the queue: its report name when that is a plain relative path, else its base name. */
function queueNameFor(f: SubmissionFile): string {
  return SubmissionNameSchema.safeParse(f.name).success ? f.name : basename(f.file);
}

/**
 * `normlab grade DIR --redis URL`: queues every file and waits for all of them, with a progress bar. Returns
 * the results in the order of `files`, named as local grading names them, so the same reports follow.
 * Interrupted, it can simply be run again: the submissions already queued or graded are found by id.
 */
export async function gradeThroughQueue(
  files: SubmissionFile[],
  options: { redisUrl: string; assignment: string; settings: GradeSettings; onResult?: (r: SubmissionResult, index: number) => void },
): Promise<SubmissionResult[]> {
  const { SubmissionQueue } = await import('../../grader/queue/client.js');
  const queue = await SubmissionQueue.open(options.redisUrl, { watch: true });
  try {
    const ids: string[] = [];
    let fresh = 0;
    for (const f of files) {
      const s = await queue.submit(options.assignment, queueNameFor(f), readFileSync(f.file), options.settings);
      ids.push(s.id);
      if (!s.existing) fresh++;
    }
    note(
      `queued ${fresh} submission${fresh === 1 ? '' : 's'} on ${redactUrl(options.redisUrl)}${files.length > fresh ? ` (${files.length - fresh} were already queued or graded)` : ''}; waiting for workers (normlab grade worker --redis …)`,
    );
    return await waitForAll(queue, files, ids, options.onResult);
  } finally {
    await queue.close();
  }
}

async function waitForAll(
  queue: SubmissionQueue,
  files: SubmissionFile[],
  ids: string[],
  onResult?: (r: SubmissionResult, index: number) => void,
): Promise<SubmissionResult[]> {
  const results: (SubmissionResult | undefined)[] = new Array(files.length);
  const index = new Map<string, number[]>();
  ids.forEach((id, i) => index.set(id, [...(index.get(id) ?? []), i]));
  const tty = Boolean(process.stderr.isTTY);
  const bar = tty
    ? new cliProgress.SingleBar(
        { stream: process.stderr, format: 'grading [{bar}] {value}/{total} | {running} running | ETA {eta_formatted}', hideCursor: true },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  bar?.start(files.length, 0, { running: 0 });
  let done = 0;
  let outage = false;
  const startedAt = Date.now();
  let hinted = false;
  const accept = (s: SubmissionState) => {
    if (!s.result) return;
    for (const i of index.get(s.id) ?? []) {
      if (results[i]) continue;
      // Named and located as local grading names them, so reports and grades.csv are the same.
      results[i] = { ...s.result, submission: files[i].name, file: resolve(files[i].file) };
      done++;
      if (bar) bar.update(done);
      onResult?.(results[i]!, i);
    }
  };
  await new Promise<void>((finish, reject) => {
    let stopped = false;
    const stop = (e?: unknown) => {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      queue.changes.off('change', onChange);
      bar?.stop();
      if (e) reject(e);
      else finish();
    };
    /** Looks up `which` (default: every unfinished submission) and records the finished ones. */
    const check = async (which?: string[]) => {
      try {
        let running = 0;
        for (const id of which ?? [...index.keys()]) {
          if (stopped || results[index.get(id)![0]]) continue;
          const s = await queue.state(id);
          if (!s)
            throw new NormlabError(
              'queue',
              `submission ${id.slice(0, 12)} disappeared from the queue (was Redis flushed?)`,
              'run the command again to queue it anew',
            );
          if (s.status === 'running') running++;
          accept(s);
        }
        if (outage) note('Redis is reachable again');
        outage = false;
        if (!which) bar?.update(done, { running });
        if (!which && !hinted && done === 0 && running === 0 && Date.now() - startedAt > 30_000) {
          hinted = true;
          note('no worker has started a submission yet: start one with `normlab grade worker --redis URL`');
        }
      } catch (e) {
        if (e instanceof NormlabError) return stop(e);
        if (!outage) note(`Redis is unreachable (${(e as Error).message}); waiting for it…`);
        outage = true;
      }
      if (done === files.length) stop();
    };
    let sweeping = false;
    const sweep = () => {
      if (sweeping) return;
      sweeping = true;
      void check().finally(() => (sweeping = false));
    };
    const onChange = (id: string) => {
      if (index.has(id)) void check([id]);
    };
    const timer = setInterval(sweep, 2000);
    queue.changes.on('change', onChange);
    sweep();
  });
  return results as SubmissionResult[];
}
