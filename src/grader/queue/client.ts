/**
 * The producer side of the grading queue, shared by `normlab grade serve` (the HTTP API) and
 * `normlab grade DIR --redis`: submit a file, look up a submission, list the finished ones, and be told
 * when a submission's status changes.
 *
 * Submitting is one BullMQ `add` with the submission id as job id: a single Lua script in Redis, so a
 * submission is either fully queued or not at all, and a second add of the same id returns the existing job.
 */
import { EventEmitter } from 'node:events';
import { Job, Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { ASSIGNMENTS, getAssignment } from '../assignment.js';
import { GIVE_UP_ENDING } from './attempts.js';
import { decodeResult } from './codec.js';
import { assignmentVersion, DEFAULT_ATTEMPTS, JobDataSchema, makeJobData, queueName, type GradeSettings } from './identity.js';
import { connectOrExplain, requestConnection, requireReady, workerConnection } from './redis.js';
import { graderErrorResult, queueStatus, type SubmissionState } from './result.js';

export interface SubmitOptions {
  /** BullMQ's limit on retries of a grader failure (the workers' --attempts also limits them, and alone decides for deaths). */
  attempts?: number;
}

export interface Submitted {
  id: string;
  /** True when these bytes were already submitted (for this assignment version and settings). */
  existing: boolean;
}

export class SubmissionQueue {
  /** Status changes, as `change` events with the submission id (from BullMQ's event stream). */
  readonly changes = new EventEmitter();
  private constructor(
    private readonly connection: Redis,
    private readonly queues: Map<string, Queue>,
    private readonly events: QueueEvents[],
    private readonly eventConnection: Redis | undefined,
  ) {
    this.changes.setMaxListeners(0);
  }

  /** Opens the queues of every assignment this normlab has; `watch` also subscribes to status changes. */
  static async open(redisUrl: string, options: { watch?: boolean } = {}): Promise<SubmissionQueue> {
    const connection = requestConnection(redisUrl, 'normlab-submit');
    await connectOrExplain(connection, redisUrl);
    const queues = new Map<string, Queue>();
    for (const a of Object.values(ASSIGNMENTS)) {
      queues.set(a.id, new Queue(queueName(assignmentVersion(a)), { connection, skipWaitingForReady: true }));
    }
    let eventConnection: Redis | undefined;
    const events: QueueEvents[] = [];
    if (options.watch) {
      eventConnection = workerConnection(redisUrl, 'normlab-submit-events');
      await connectOrExplain(eventConnection, redisUrl);
    }
    const q = new SubmissionQueue(connection, queues, events, eventConnection);
    if (eventConnection) {
      for (const queue of queues.values()) {
        const ev = new QueueEvents(queue.name, { connection: eventConnection });
        ev.on('error', () => undefined); // reconnects by itself; the API reports outages through requests
        for (const name of ['waiting', 'active', 'completed', 'failed', 'stalled'] as const) {
          ev.on(name, (e: { jobId: string }) => q.changes.emit('change', e.jobId));
        }
        events.push(ev);
      }
    }
    return q;
  }

  /** Whether requests can reach Redis right now. */
  get ready(): boolean {
    return this.connection.status === 'ready';
  }

  versionOf(assignmentId: string): string {
    return assignmentVersion(getAssignment(assignmentId));
  }

  private queue(assignmentId: string): Queue {
    const q = this.queues.get(getAssignment(assignmentId).id);
    if (!q) throw new Error(`no queue for ${assignmentId}`);
    return q;
  }

  async submit(assignmentId: string, name: string, bytes: Uint8Array, settings: GradeSettings, options: SubmitOptions = {}): Promise<Submitted> {
    const { id, data } = makeJobData(assignmentId, name, bytes, settings);
    requireReady(this.connection);
    const queue = this.queue(assignmentId);
    const before = await queue.getJobState(id);
    if (before !== 'unknown') return { id, existing: true };
    await queue.add('grade', data, {
      jobId: id,
      attempts: options.attempts ?? DEFAULT_ATTEMPTS,
      backoff: { type: 'fixed', delay: 1000 },
      removeOnComplete: false,
      removeOnFail: false,
    });
    return { id, existing: false };
  }

  /** The submission with this id, or undefined when no queue has it. */
  async state(id: string): Promise<SubmissionState | undefined> {
    requireReady(this.connection);
    for (const queue of this.queues.values()) {
      const job = await Job.fromId(queue, id);
      if (!job) continue;
      return stateOf(job, await job.getState());
    }
    return undefined;
  }

  /** Forgets a submission that is not being graded (so that the same bytes can be queued and graded anew). */
  async remove(id: string): Promise<boolean> {
    requireReady(this.connection);
    for (const queue of this.queues.values()) {
      const job = await Job.fromId(queue, id);
      if (!job) continue;
      await job.remove();
      return true;
    }
    return false;
  }

  /** Every submission that has a result (done or failed), in submission-name order. */
  async finished(): Promise<SubmissionState[]> {
    requireReady(this.connection);
    const out: SubmissionState[] = [];
    for (const queue of this.queues.values()) {
      for (const state of ['completed', 'failed'] as const) {
        const jobs = (await queue.getJobs([state], 0, -1, true)) as Job[];
        for (const job of jobs) if (job) out.push(stateOf(job, state));
      }
    }
    return out.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  }

  async counts(): Promise<Record<string, number>> {
    requireReady(this.connection);
    const total: Record<string, number> = {};
    for (const queue of this.queues.values()) {
      const c = await queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed');
      for (const [k, v] of Object.entries(c)) total[k] = (total[k] ?? 0) + v;
    }
    return total;
  }

  async close(): Promise<void> {
    this.changes.removeAllListeners();
    await Promise.all(this.events.map((e) => e.close().catch(() => undefined)));
    await Promise.all([...this.queues.values()].map((q) => q.close().catch(() => undefined)));
    for (const c of [this.connection, this.eventConnection]) {
      if (c) await c.quit().catch(() => c.disconnect());
    }
  }
}

/** A job as the API shows it; a failed job (its workers kept dying, or the grader failed) becomes a grader-error result. */
export function stateOf(job: Job, bullState: string): SubmissionState {
  const parsed = JobDataSchema.safeParse(job.data);
  const name = parsed.success ? parsed.data.name : String((job.data as { name?: unknown })?.name ?? job.id);
  const assignment = parsed.success ? parsed.data.assignment : 'callbacks';
  let result = undefined;
  if (bullState === 'completed' && typeof job.returnvalue === 'string') {
    try {
      result = decodeResult(job.returnvalue);
    } catch (error) {
      result = graderErrorResult(assignment, name, (error as Error).message);
    }
  } else if (bullState === 'failed') result = graderErrorResult(assignment, name, failureReason(job));
  return {
    id: String(job.id),
    name,
    assignment,
    assignmentVersion: parsed.success ? parsed.data.assignmentVersion : '',
    status: queueStatus(bullState, result),
    attempts: job.attemptsStarted ?? 0,
    submittedAt: parsed.success ? parsed.data.submittedAt : new Date(job.timestamp).toISOString(),
    result,
  };
}

function failureReason(job: Job): string {
  const reason = job.failedReason ?? 'unknown';
  // A worker's give-up (attempts.ts) already says how the tries were lost.
  if (reason.includes(GIVE_UP_ENDING)) return reason;
  return `${reason} (after ${job.attemptsStarted} attempt${job.attemptsStarted === 1 ? '' : 's'})`;
}
