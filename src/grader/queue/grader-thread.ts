/**
 * A Grader in a worker thread, for the queue worker. Opening a Grader loads TypeScript and the first type
 * check parses its libraries: synchronous work that blocked a worker's event loop for 6–10 s on a loaded
 * 2-core machine (measured 2026-12-02). BullMQ renews a job's lock from that event loop, so a block longer
 * than the lock made a live worker's job look abandoned and be started again elsewhere. Here the grading
 * runs in its own thread and the worker's main thread stays free to renew locks.
 *
 * This file is both sides: `ThreadedGrader` (main thread) and, when loaded as the thread, the loop that
 * serves it (threadMain, started only when `workerData` says so: no side effect on a plain import).
 */
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { GradeOptions } from '../grade.js';
import type { SubmissionResult } from '../types.js';

interface Request {
  seq: number;
  file: string;
  name: string;
}
type Reply = { seq: number; result: SubmissionResult } | { seq: number; error: string } | { ready: true } | { openError: string };

const THREAD_MARK = 'normlab-grader-thread';

export class ThreadedGrader {
  private seq = 0;
  private readonly pending = new Map<number, { resolve: (r: SubmissionResult) => void; reject: (e: Error) => void }>();
  private failure?: Error;
  private exited = false;

  private constructor(private readonly thread: Worker) {}

  /**
   * Starts the thread and opens the Grader in it; rejects with the Grader's own error if it cannot open.
   * `onGone` is called if the thread ends or crashes after that (the caller opens a new one next time).
   */
  static open(options: GradeOptions, onGone: () => void = () => undefined): Promise<ThreadedGrader> {
    const workerData = { [THREAD_MARK]: options };
    // The same file is the thread's entry: .js from dist/; from the sources (tests, `tsx`), threads do not
    // inherit tsx's loader, so the thread registers it before importing this .ts file.
    const thread = import.meta.url.endsWith('.ts')
      ? new Worker(
          `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(import.meta.url)}); })`,
          {
            eval: true,
            workerData,
          },
        )
      : new Worker(fileURLToPath(import.meta.url), { workerData });
    const g = new ThreadedGrader(thread);
    return new Promise((resolve, reject) => {
      thread.on('message', (m: Reply) => {
        if ('ready' in m) resolve(g);
        else if ('openError' in m) reject(new Error(m.openError));
        else g.settle(m);
      });
      thread.on('error', (e) => {
        g.fail(e);
        reject(e);
        onGone();
      });
      thread.on('exit', (code) => {
        g.exited = true;
        const e = new Error(`the grading thread exited (code ${code})`);
        g.fail(e);
        reject(e);
        onGone();
      });
    });
  }

  grade(file: string, name: string): Promise<SubmissionResult> {
    if (this.failure) return Promise.reject(this.failure);
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(seq, { resolve, reject });
      this.thread.postMessage({ seq, file, name } satisfies Request);
    });
  }

  /** Closes the Grader (its scratch folder) and ends the thread (terminated if it has not ended in 5 s). */
  async close(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise((r) => this.thread.once('exit', r));
    this.thread.postMessage('close');
    const timer = setTimeout(() => void this.thread.terminate(), 5000);
    await exited;
    clearTimeout(timer);
  }

  private settle(m: { seq: number; result: SubmissionResult } | { seq: number; error: string }): void {
    const p = this.pending.get(m.seq);
    this.pending.delete(m.seq);
    if ('result' in m) p?.resolve(m.result);
    else p?.reject(new Error(m.error));
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }
}

async function threadMain(options: GradeOptions): Promise<void> {
  const port = parentPort!;
  const { Grader } = await import('../grade.js');
  let grader;
  try {
    grader = await Grader.open(options);
  } catch (e) {
    port.postMessage({ openError: (e as Error).message } satisfies Reply);
    return;
  }
  port.on('message', (m: Request | 'close') => {
    if (m === 'close') {
      grader.close();
      port.close();
      return;
    }
    grader.grade(m.file, m.name).then(
      (result) => port.postMessage({ seq: m.seq, result } satisfies Reply),
      (e: Error) => port.postMessage({ seq: m.seq, error: e.message } satisfies Reply),
    );
  });
  port.postMessage({ ready: true } satisfies Reply);
}

if (!isMainThread && (workerData as Record<string, unknown> | null)?.[THREAD_MARK]) {
  void threadMain((workerData as Record<string, GradeOptions>)[THREAD_MARK]);
}
