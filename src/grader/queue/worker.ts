/**
 * A grading worker: pulls jobs from the BullMQ queues of the assignment versions this normlab has, grades
 * each with the same Grader as `normlab grade` (one per distinct set of settings, kept open in a thread), and
 * stores the full result as the job's return value.
 *
 * Failure handling. BullMQ's machinery finds abandoned jobs; normlab's own rule decides when to give up:
 *   - the job lock is renewed while grading; a worker that dies (SIGKILL, power loss, cut off from Redis)
 *     stops renewing it, and after the stall interval a live worker's stall check puts the job back in
 *     the queue. The stall check never fails a job (maxStalledCount is unbounded): how many times it ran,
 *     and in which worker, depends on timing;
 *   - the give-up rule counts starts instead: BullMQ increments a job's `attemptsStarted` in the same
 *     script that hands it to a worker, so the count is exact whoever took it and however it came back.
 *     A start that ended neither in a grade nor in a hand-back (logged on the job, below) was lost: its
 *     worker died, or the grader failed. The processor itself ends a job as grader-error, with that
 *     reason, when it is started after `attempts` lost tries (startCheck), so the verdict is taken once,
 *     by the one worker that holds the job;
 *   - a grade whose status is grader-error (the sandbox did not start) is retried while tries are left
 *     and kept as the result after the last one;
 *   - stop(): stop taking jobs, let running ones finish for up to `graceS`, then hand the rest back to the
 *     queue (logged on the job first, so it does not count as a lost try) and kill their sandboxes.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Queue, UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { ASSIGNMENTS } from '../assignment.js';
import type { SubmissionResult } from '../types.js';
import { HANDED_BACK, startCheck } from './attempts.js';
import { encodeResult } from './codec.js';
import { ThreadedGrader } from './grader-thread.js';
import { assignmentVersion, graderOptions, JobDataSchema, queueName, type GradeSettings, type JobData } from './identity.js';
import { killOwnSandboxes, reapOrphans, WORKER_DIR_PREFIX } from './orphans.js';
import { connectOrExplain, workerConnection } from './redis.js';
import { redactUrl } from './url.js';

export interface WorkerOptions {
  redisUrl: string;
  /** Jobs graded at the same time by this process. */
  concurrency: number;
  /** Where the MNIST files are (default: the data layer's usual search). */
  dataDir?: string;
  /** Tries a job may lose (its worker died, or the grader failed) before it ends as grader-error. */
  attempts: number;
  /** Seconds without a lock renewal after which a job counts as abandoned, and how often that is checked. */
  stallS: number;
  /** One line per event (job started, graded, failed, stopping). */
  log: (line: string) => void;
}

interface Running {
  job: Job;
  token: string;
  handBack: (e: Error) => void;
}

export class GradingWorker {
  private readonly graders = new Map<string, Promise<ThreadedGrader>>();
  private readonly running = new Map<string, Running>();
  private workers: Worker[] = [];
  /** The same queues, for reading a job's log (hand-backs). */
  private readonly queues = new Map<string, Queue>();
  private reaper?: NodeJS.Timeout;
  private stopping?: Promise<void>;
  readonly versions: string[] = [];

  private constructor(
    private readonly options: WorkerOptions,
    private readonly connection: Redis,
    /** This worker's scratch root, named after its pid so that orphans can be traced to it (orphans.ts). */
    readonly scratch: string,
  ) {}

  static async start(options: WorkerOptions): Promise<GradingWorker> {
    const reaped = reapOrphans();
    if (reaped > 0) options.log(`killed ${reaped} sandbox process(es) left by a worker that died`);
    const connection = workerConnection(options.redisUrl, `normlab-worker:${hostname()}:${process.pid}`);
    await connectOrExplain(connection, options.redisUrl);
    const scratch = mkdtempSync(join(tmpdir(), `${WORKER_DIR_PREFIX}${process.pid}-`));
    // The sandbox user must be able to walk through to the grader's session folder inside it.
    chmodSync(scratch, 0o755);
    const w = new GradingWorker(options, connection, scratch);
    for (const a of Object.values(ASSIGNMENTS)) {
      const version = assignmentVersion(a);
      w.versions.push(version);
      const queue = new Queue(queueName(version), { connection, skipWaitingForReady: true });
      w.queues.set(version, queue);
      const lockDuration = options.stallS * 1000;
      const worker = new Worker(queueName(version), (job, token) => w.process(job, token ?? '', queue, version), {
        connection,
        concurrency: options.concurrency,
        // The stall check only hands abandoned jobs back; giving up is startCheck's (see the top comment).
        maxStalledCount: UNBOUNDED_STALLS,
        // A lock lives stallS; checking twice per stallS finds an abandoned job within about 2 × stallS
        // (BullMQ moves a job on the second check that finds it without a lock).
        stalledInterval: Math.max(1000, lockDuration / 2),
        lockDuration,
        // Renewing four times per lock life (BullMQ: twice) leaves a busy machine three renewals of slack
        // before a live worker's job is taken for abandoned.
        lockRenewTime: lockDuration / 4,
        name: `${hostname()}:${process.pid}`,
      });
      worker.on('error', (e) => options.log(`queue error: ${e.message}`));
      worker.on('failed', (job, e) => {
        if (job && !(e instanceof WaitingError)) options.log(`failed ${job.data?.name ?? '?'} (${job.id?.slice(0, 12)}): ${e.message}`);
      });
      w.workers.push(worker);
    }
    // A worker that died on this machine left its sandbox running; any live worker cleans up after it.
    w.reaper = setInterval(() => {
      const n = reapOrphans();
      if (n > 0) options.log(`killed ${n} sandbox process(es) left by a worker that died`);
    }, options.stallS * 1000);
    w.reaper.unref();
    options.log(`normlab grade worker ${process.pid}: ${redactUrl(options.redisUrl)}, ${options.concurrency} at a time, versions ${w.versions.join(', ')}`);
    return w;
  }

  /** One Grader per distinct settings, each in its own thread (grader-thread.ts says why). */
  private graderFor(assignment: string, settings: GradeSettings): Promise<ThreadedGrader> {
    const key = graderKey(assignment, settings);
    let g = this.graders.get(key);
    if (!g) {
      // A Grader that failed to open, or whose thread died later, is opened anew for the next job.
      const forget = () => {
        if (this.graders.get(key) === opening) this.graders.delete(key);
      };
      const opening = ThreadedGrader.open(graderOptions(assignment, settings, this.options.dataDir, this.scratch), forget);
      opening.catch(forget);
      this.graders.set(key, opening);
      g = opening;
    }
    return g;
  }

  private async process(job: Job, token: string, queue: Queue, version: string): Promise<string> {
    const parsed = JobDataSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`the job's data is not a normlab submission: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    const data: JobData = parsed.data;
    if (data.assignmentVersion !== version) throw new UnrecoverableError(`the job is for ${data.assignmentVersion}, this worker grades ${version}`);
    const id = String(job.id).slice(0, 12);
    const { logs } = await queue.getJobLogs(String(job.id));
    const check = startCheck(job, logs, this.options.attempts);
    if (check.giveUp) {
      this.options.log(`giving up on ${data.name} (${id}), start ${job.attemptsStarted}: ${check.giveUp}`);
      throw new UnrecoverableError(check.giveUp);
    }
    this.options.log(`grading ${data.name} (${id}), attempt ${job.attemptsStarted}`);
    let handBack!: (e: Error) => void;
    const handedBack = new Promise<never>((_, reject) => (handBack = reject));
    handedBack.catch(() => undefined);
    this.running.set(String(job.id), { job, token, handBack });
    const dir = join(this.scratch, 'submissions', String(job.id));
    try {
      const grader = await Promise.race([this.graderFor(data.assignment, data.settings), handedBack]);
      mkdirSync(dir, { recursive: true, mode: 0o755 });
      // Only the base name reaches the grader's messages (as with a local file); the folder is ours.
      const file = join(dir, basename(data.name));
      writeFileSync(file, Buffer.from(data.source, 'base64'), { mode: 0o644 });
      const result: SubmissionResult = await Promise.race([grader.grade(file, data.name), handedBack]);
      result.file = data.name;
      // A grader failure is retried (BullMQ's retry, with its backoff) while both limits leave a try.
      if (result.status === 'grader-error' && check.triesLeft > 1 && job.attemptsMade + 1 < (job.opts.attempts ?? 1)) throw new Error(result.statusMessage);
      this.options.log(`graded ${data.name} (${id}): ${result.score}/${result.maxScore} ${result.status} in ${result.seconds.toFixed(1)} s`);
      return encodeResult(result);
    } finally {
      this.running.delete(String(job.id));
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** Jobs being graded now. */
  get busy(): number {
    return this.running.size;
  }

  /** Stops taking jobs; lets running ones finish for up to graceS seconds, then hands them back. */
  stop(graceS: number): Promise<void> {
    this.stopping ??= this.doStop(graceS);
    return this.stopping;
  }

  private async doStop(graceS: number): Promise<void> {
    clearInterval(this.reaper);
    const n = this.running.size;
    if (n > 0) this.options.log(`stopping: finishing ${n} job(s) for up to ${graceS} s, then handing them back to the queue`);
    const closed = Promise.all(this.workers.map((w) => w.close()));
    let timer: NodeJS.Timeout | undefined;
    const late = await Promise.race([closed.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), graceS * 1000)))]);
    clearTimeout(timer);
    if (late) {
      for (const [id, r] of this.running) {
        try {
          // Logged before the move: once the job is back in the queue another worker may start it at once.
          await r.job.log(`${HANDED_BACK} by ${hostname()}:${process.pid} (the worker was stopping)`);
          await r.job.moveToWait(r.token);
          this.options.log(`handed back ${r.job.data?.name ?? id} (${id.slice(0, 12)})`);
        } catch (e) {
          this.options.log(`could not hand back ${id.slice(0, 12)} (${(e as Error).message}); it returns to the queue after the stall interval`);
        }
        r.handBack(new WaitingError('handed back: the worker is stopping'));
      }
      killOwnSandboxes();
      await closed;
    }
    for (const g of this.graders.values()) {
      try {
        await (await g).close();
      } catch {
        /* a grader that failed to open has nothing to close */
      }
    }
    killOwnSandboxes();
    await Promise.all([...this.queues.values()].map((q) => q.close().catch(() => undefined)));
    rmSync(this.scratch, { recursive: true, force: true });
    // Not quit(): with Redis down it would wait for a reconnect that may never come.
    this.connection.disconnect();
    this.options.log('worker stopped');
  }
}

/** Far more stalls than any job meets: BullMQ's stall check must never be the one to fail a job. */
const UNBOUNDED_STALLS = 1_000_000;

function graderKey(assignment: string, settings: GradeSettings): string {
  return JSON.stringify([assignment, settings]);
}
