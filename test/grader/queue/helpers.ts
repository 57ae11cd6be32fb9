/**
 * Shared by the queue tests: a real Redis (Debian's redis-server) on a free loopback port with its own
 * temp folder and AOF persistence (appendfsync always, as production should run it), which a test can
 * kill and start again on the same port and folder; and `normlab grade worker` processes.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Grader, type SubmissionFile } from '../../../src/grader/grade.js';
import type { Limits } from '../../../src/grader/sandbox.js';
import { VARYING_FIELDS, type SubmissionResult } from '../../../src/grader/types.js';
import { MNIST_DIR, REPO_ROOT } from '../helpers.js';

export const REDIS_SERVER = ['/usr/bin/redis-server', '/usr/sbin/redis-server', '/usr/local/bin/redis-server'].find(
  (p) => spawnSync(p, ['--version']).status === 0,
);
/** `false`, or why the queue tests are skipped (for node:test's `skip`). */
export const NO_REDIS: false | string = REDIS_SERVER ? false : 'redis-server is not installed (apt-get install redis-server; .ci/run does)';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export class TestRedis {
  private proc?: ChildProcess;
  private constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<TestRedis> {
    const r = new TestRedis(await freePort(), mkdtempSync(join(tmpdir(), 'normlab-redis-test-')));
    await r.launch();
    return r;
  }

  /** Starts redis-server on this instance's port and folder (again, after kill()) and waits until it answers. */
  async launch(): Promise<void> {
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--dir',
      this.dir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--save',
      '',
      '--daemonize',
      'no',
      '--logfile',
      join(this.dir, 'redis.log'),
    ];
    this.proc = spawn(REDIS_SERVER!, args, { stdio: 'ignore' });
    const deadline = Date.now() + 20_000;
    for (;;) {
      const c = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      c.on('error', () => undefined); // refused until it is up
      try {
        await c.connect();
        if ((await c.ping()) === 'PONG') return;
      } catch {
        /* not up yet (or still loading the AOF) */
      } finally {
        c.disconnect();
      }
      if (Date.now() > deadline) throw new Error(`redis-server did not start on port ${this.port}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** SIGKILL: a crash, not a clean shutdown; AOF with fsync on every write must lose nothing acknowledged. */
  async kill(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await gone;
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface WorkerProcess {
  proc: ChildProcess;
  pid: number;
  /** Everything it printed so far. */
  log(): string;
  exited: Promise<number | null>;
}

/** Starts `normlab grade worker` (from the sources, via tsx) and resolves once it is listening. */
export async function startWorker(redisUrl: string, flags: string[] = [], env: Record<string, string> = {}): Promise<WorkerProcess> {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src/cli/main.ts'), 'grade', 'worker', '--redis', redisUrl, ...flags], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const deadline = Date.now() + 60_000;
  while (!/normlab grade worker \d+:/.test(out)) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`the worker exited (${proc.exitCode ?? proc.signalCode}):\n${out}`);
    if (Date.now() > deadline) throw new Error(`the worker did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { proc, pid: proc.pid!, log: () => out, exited };
}

/** Whether it still runs (a process killed by a signal has exitCode null too, and signalCode set). */
export function isRunning(w: WorkerProcess): boolean {
  return w.proc.exitCode === null && w.proc.signalCode === null;
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 120_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Processes whose command line mentions this worker's scratch folder (its sandboxes). */
export { workerProcesses } from '../../../src/grader/queue/orphans.js';

/**
 * A grade as two gradings of one file must agree on it: without the fields that measure time and memory
 * (the grader's documented VARYING_FIELDS), without where the file lay (`file`) and how it was named, and
 * with durations in sentences ("after 0.8 s") blanked.
 */
export function comparable(r: SubmissionResult): unknown {
  const copy = JSON.parse(JSON.stringify(r)) as Record<string, unknown>;
  for (const path of VARYING_FIELDS) {
    const parts = path.split('.');
    let targets: Record<string, unknown>[] = [copy];
    for (const part of parts.slice(0, -1)) {
      targets = targets.flatMap((t) =>
        part.endsWith('[]') ? ((t[part.slice(0, -2)] as Record<string, unknown>[]) ?? []) : t[part] ? [t[part] as Record<string, unknown>] : [],
      );
    }
    for (const t of targets) delete t[parts[parts.length - 1]];
  }
  delete copy.file;
  delete copy.submission;
  return JSON.parse(JSON.stringify(copy, (_k, v: unknown) => (typeof v === 'string' ? v.replace(/\d+(\.\d+)? s\b/g, 'N s') : v)));
}

/** grades.csv as rows of cells (RFC 4180 quoting), without the `seconds` column, durations blanked. */
export function csvWithoutTimings(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  const drop = rows[0]?.indexOf('seconds') ?? -1;
  return rows.map((r) => r.filter((_, i) => i !== drop).map((v) => v.replace(/\d+(\.\d+)? s\b/g, 'N s')));
}

/** Each file graded in-process (two at a time) with these limits: the reference the queue's results must equal. */
export async function gradeLocally(files: SubmissionFile[], limits: Partial<Limits>): Promise<Map<string, SubmissionResult>> {
  const local = new Map<string, SubmissionResult>();
  const grader = await Grader.open({ dataDir: MNIST_DIR, split: 'test', limits });
  try {
    for (const r of await grader.gradeAll(files, 2)) local.set(r.submission, r);
  } finally {
    grader.close();
  }
  return local;
}
