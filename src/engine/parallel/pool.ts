/**
 * A pool of worker threads for independent jobs: the study's runs, the benchmark's sweep, a learner's
 * grid of settings. Each job is plain data in, plain data out; a *task* — one exported function of a
 * module, `(job, context) => result` — runs it in whichever worker is free. Results come back in the
 * order of the jobs, whatever order they finish in.
 *
 * Why jobs and not a split batch: one batch of the lab model takes about half a millisecond in WASM, less
 * than two threads need to agree on a shared step; whole runs are independent, so two cores give close
 * to twice the throughput with no coordination at all.
 *
 * `context` is sent once to every worker (not with every job). Typed arrays whose buffer is a
 * SharedArrayBuffer are shared by the threads, not copied — that is how a 47 MB training set is loaded
 * once for the whole pool (see `shareBytes`).
 *
 * With `workers: 1` jobs run one after another in this thread, through the same task function: the
 * in-process and the threaded results of a deterministic task are identical.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { NormlabError } from '../../errors.js';

/** Where a task lives: a module (file URL or path) and the name of the function it exports. */
export interface TaskRef {
  module: string | URL;
  name: string;
}

export type TaskFunction<J, R, C = unknown> = (job: J, context: C) => R | Promise<R>;

export interface PoolOptions {
  /** Threads to use; default: the number of CPU cores. 1 runs the jobs in this thread. */
  workers?: number;
  /** Sent once to every worker and passed to every call of the task. */
  context?: unknown;
}

export interface RunOptions<R> {
  /** Called as each job finishes (in finishing order), e.g. for a progress bar. */
  onResult?: (result: R, index: number) => void;
}

export interface WorkerPool {
  /** Threads this pool runs on (1: in this thread). */
  readonly size: number;
  run<J, R>(jobs: readonly J[], options?: RunOptions<R>): Promise<R[]>;
  /** Stop the threads. Pending runs are rejected. Idle threads never keep the process alive. */
  close(): Promise<void>;
}

/** The default number of workers: every core the process may use. */
export function defaultWorkerCount(): number {
  return Math.max(1, availableParallelism());
}

/** A copy of `bytes` in shared memory: posting it to workers then shares it instead of copying it. */
export function shareBytes(bytes: Uint8Array): Uint8Array {
  if (bytes.buffer instanceof SharedArrayBuffer) return bytes;
  const shared = new Uint8Array(new SharedArrayBuffer(bytes.byteLength));
  shared.set(bytes);
  return shared;
}

/** A job that failed, as it crosses the thread boundary. */
export interface SerializedError {
  message: string;
  stack?: string;
  code?: string;
  hint?: string;
}

export function serializeError(error: unknown): SerializedError {
  const e = error as Partial<NormlabError> | undefined;
  return {
    message: e?.message ?? String(error),
    stack: e?.stack,
    code: error instanceof NormlabError ? error.code : undefined,
    hint: error instanceof NormlabError ? error.hint : undefined,
  };
}

/** NormlabErrors come back as NormlabErrors (same code and hint); anything else as an Error with its stack. */
export function deserializeError(e: SerializedError): Error {
  if (e.code) return new NormlabError(e.code, e.message, e.hint);
  return Object.assign(new Error(e.message), { stack: e.stack });
}

/**
 * The task module as a URL. A `.js` file URL that does not exist but has a `.ts` twin is the source
 * tree running under tsx (`new URL('./job.js', import.meta.url)` written in job.ts's neighbour), so the
 * `.ts` file is used.
 */
function moduleHref(module: string | URL): string {
  const url = module instanceof URL ? module : /^[a-z][a-z0-9+.-]*:/i.test(module) ? new URL(module) : pathToFileURL(resolve(module));
  if (url.protocol === 'file:' && url.pathname.endsWith('.js') && !existsSync(url)) {
    const ts = new URL(url.href.replace(/\.js$/, '.ts'));
    if (existsSync(ts)) return ts.href;
  }
  return url.href;
}

/** Resolve a task's function in this thread (also used by the worker entry). */
export async function loadTask<J, R, C>(task: { module: string; name: string }): Promise<TaskFunction<J, R, C>> {
  const mod = (await import(task.module)) as Record<string, unknown>;
  const fn = mod[task.name];
  if (typeof fn !== 'function') throw new Error(`worker task: ${task.module} does not export a function named '${task.name}'`);
  return fn as TaskFunction<J, R, C>;
}

/**
 * The worker's entry. From the build it is the sibling worker.js; from source (tests, tsx) it is
 * worker.ts, and Node 20 does not carry tsx's loader into worker threads, so a small bootstrap
 * registers tsx in the worker first.
 */
function startWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./worker.js', import.meta.url));
  const entry = new URL('./worker.ts', import.meta.url).href;
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { eval: true });
}

/** Messages between the pool and a worker. */
export type ToWorker = { type: 'init'; task: { module: string; name: string }; context: unknown } | { type: 'job'; id: number; job: unknown };
export type FromWorker =
  { type: 'done'; id: number; result: unknown } | { type: 'failed'; id: number; error: SerializedError } | { type: 'init-failed'; error: SerializedError };

interface PendingJob {
  run: RunState;
  index: number;
}

interface RunState {
  jobs: readonly unknown[];
  results: unknown[];
  remaining: number;
  failed: boolean;
  onResult?: (result: unknown, index: number) => void;
  resolve(results: unknown[]): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker;
  /** The job it is running, by message id. */
  busy?: { id: number; job: PendingJob };
}

/** A pool that runs `task` on up to `workers` threads, started on first use. */
export function createWorkerPool(task: TaskRef, options: PoolOptions = {}): WorkerPool {
  const size = Math.max(1, Math.floor(options.workers ?? defaultWorkerCount()));
  const taskRef = { module: moduleHref(task.module), name: task.name };
  if (size === 1) return inThreadPool(taskRef, options.context);

  const slots: Slot[] = [];
  const queue: PendingJob[] = [];
  let nextId = 1;
  let closed = false;

  const fail = (run: RunState, error: Error) => {
    if (run.failed) return;
    run.failed = true;
    // drop the run's jobs that have not started; the ones in flight finish and are ignored
    for (let i = queue.length - 1; i >= 0; i--) if (queue[i].run === run) queue.splice(i, 1);
    run.reject(error);
  };

  const spawn = (): Slot => {
    const slot: Slot = { worker: startWorker() };
    slot.worker.on('message', (message: FromWorker) => {
      if (message.type === 'init-failed') {
        const error = deserializeError(message.error);
        if (slot.busy) fail(slot.busy.job.run, error);
        retire(slot);
        return;
      }
      const current = slot.busy;
      if (!current || current.id !== message.id) return;
      slot.busy = undefined;
      const { run, index } = current.job;
      if (message.type === 'failed') fail(run, deserializeError(message.error));
      else if (!run.failed) {
        run.results[index] = message.result;
        run.onResult?.(message.result, index);
        if (--run.remaining === 0) run.resolve(run.results);
      }
      dispatch();
    });
    // a crash (out of memory, a throw outside any job): fail the job it held, replace the thread later
    slot.worker.on('error', (error) => {
      if (slot.busy) fail(slot.busy.job.run, error);
      slot.busy = undefined;
      retire(slot);
      dispatch();
    });
    slot.worker.on('exit', () => {
      if (slot.busy) fail(slot.busy.job.run, new Error('a worker thread exited while running a job'));
      slot.busy = undefined;
      retire(slot);
      if (!closed) dispatch();
    });
    slot.worker.postMessage({ type: 'init', task: taskRef, context: options.context } satisfies ToWorker);
    slots.push(slot);
    return slot;
  };

  const retire = (slot: Slot) => {
    const i = slots.indexOf(slot);
    if (i >= 0) slots.splice(i, 1);
    void slot.worker.terminate();
  };

  const dispatch = () => {
    if (closed) return;
    while (queue.length > 0) {
      let slot = slots.find((s) => !s.busy);
      if (!slot && slots.length < size) slot = spawn();
      if (!slot) break;
      const job = queue.shift()!;
      const id = nextId++;
      slot.busy = { id, job };
      slot.worker.ref();
      slot.worker.postMessage({ type: 'job', id, job: job.run.jobs[job.index] } satisfies ToWorker);
    }
    // idle threads must not keep the process alive if the caller forgets close()
    for (const s of slots) if (!s.busy) s.worker.unref();
  };

  return {
    size,
    run<J, R>(jobs: readonly J[], runOptions: RunOptions<R> = {}): Promise<R[]> {
      if (closed) return Promise.reject(new Error('this worker pool was closed'));
      if (jobs.length === 0) return Promise.resolve([]);
      return new Promise<R[]>((resolve, reject) => {
        const run: RunState = {
          jobs,
          results: new Array(jobs.length),
          remaining: jobs.length,
          failed: false,
          onResult: runOptions.onResult as RunState['onResult'],
          resolve: resolve as RunState['resolve'],
          reject,
        };
        for (let index = 0; index < jobs.length; index++) queue.push({ run, index });
        dispatch();
      });
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      const error = new Error('the worker pool was closed before the job ran');
      for (const job of queue.splice(0)) fail(job.run, error);
      for (const s of slots) if (s.busy) fail(s.busy.job.run, error);
      await Promise.all(slots.splice(0).map((s) => s.worker.terminate()));
    },
  };
}

/** workers: 1 — the same task, one job after another in this thread. */
function inThreadPool(task: { module: string; name: string }, context: unknown): WorkerPool {
  let fn: Promise<TaskFunction<unknown, unknown, unknown>> | undefined;
  let closed = false;
  return {
    size: 1,
    async run<J, R>(jobs: readonly J[], runOptions: RunOptions<R> = {}): Promise<R[]> {
      if (closed) throw new Error('this worker pool was closed');
      fn ??= loadTask(task);
      const run = await fn;
      const results: R[] = [];
      for (let i = 0; i < jobs.length; i++) {
        const result = (await run(jobs[i], context)) as R;
        results.push(result);
        runOptions.onResult?.(result, i);
      }
      return results;
    },
    async close() {
      closed = true;
    },
  };
}

/** One-shot: a pool for these jobs, closed when they are done. */
export async function runInParallel<J, R>(task: TaskRef, jobs: readonly J[], options: PoolOptions & RunOptions<R> = {}): Promise<R[]> {
  const pool = createWorkerPool(task, { ...options, workers: Math.min(options.workers ?? defaultWorkerCount(), Math.max(jobs.length, 1)) });
  try {
    return await pool.run<J, R>(jobs, options);
  } finally {
    await pool.close();
  }
}
