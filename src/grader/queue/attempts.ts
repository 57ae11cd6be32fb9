/**
 * When a queued submission has had enough tries. Decided by the worker that starts a job (worker.ts), from
 * counts BullMQ keeps exactly rather than from how often its stall check happened to run:
 *   attemptsStarted  incremented in the same Redis script that hands the job to a worker (this start too);
 *   attemptsMade     incremented when a start ends in a thrown error (a grader-error being retried);
 *   the job's log    one `handed back …` line per hand-back of a stopping worker (not a lost try).
 * Every other earlier start is a worker that died holding the job (killed, crashed, cut off from Redis).
 */
import type { Job } from 'bullmq';
/** How a hand-back is written in the job's log (BullMQ's per-job log, removed with the job). */
export const HANDED_BACK = 'handed back';

/** How every give-up reason ends (client.ts shows it as it is, without an attempt count). */
export const GIVE_UP_ENDING = ', so it was not tried again';

export interface StartCheck {
  /** Earlier starts that ended without a grade and without a hand-back. */
  lost: number;
  /** Tries left counting this one (at least 1 unless giving up). */
  triesLeft: number;
  /** Why the job ends now as grader-error, or undefined to grade it. */
  giveUp?: string;
}

/** The give-up rule for a job being started, with `attempts` lost tries allowed (the worker's --attempts). */
export function startCheck(job: Pick<Job, 'attemptsStarted' | 'attemptsMade'>, logs: readonly string[], attempts: number): StartCheck {
  const handBacks = logs.filter((l) => l.startsWith(HANDED_BACK)).length;
  const earlier = Math.max(0, job.attemptsStarted - 1);
  const lost = Math.max(0, earlier - handBacks);
  const graderFailures = Math.min(lost, job.attemptsMade);
  const deaths = lost - graderFailures;
  const triesLeft = attempts - lost;
  if (triesLeft > 0) return { lost, triesLeft };
  const parts: string[] = [];
  if (deaths > 0) parts.push(`the worker grading it died ${times(deaths)} (killed, crashed, or cut off from Redis)`);
  if (graderFailures > 0) parts.push(`the grader failed on it ${times(graderFailures)}`);
  return { lost, triesLeft, giveUp: `${parts.join(' and ')}${GIVE_UP_ENDING} (--attempts ${attempts})` };
}

function times(n: number): string {
  return n === 1 ? 'once' : `${n} times`;
}
