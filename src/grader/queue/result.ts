/**
 * A queued submission as the API and the folder command see it: its status, how many times a worker
 * started it, and the grade (the same SubmissionResult local grading produces).
 */
import { getAssignment } from '../assignment.js';
import { runChecks } from '../checks.js';
import { collectFacts } from '../facts.js';
import type { SubmissionResult } from '../types.js';

export type QueueStatus = 'queued' | 'running' | 'done' | 'failed';

export interface SubmissionState {
  id: string;
  name: string;
  assignment: string;
  assignmentVersion: string;
  status: QueueStatus;
  /** How many times a worker started grading it (more than 1 after a worker died or handed it back). */
  attempts: number;
  submittedAt: string;
  /** Present once status is done or failed. */
  result?: SubmissionResult;
}

/**
 * The record of a submission the grader could not grade (the workers grading it died N times, or the
 * grader failed): shaped exactly like a grade, status 'grader-error', every test not run, with the reason.
 */
export function graderErrorResult(assignmentId: string, name: string, reason: string): SubmissionResult {
  const assignment = getAssignment(assignmentId);
  const statusMessage = `The grader failed on this submission (not your fault; course staff will look at it): ${reason}`;
  const tests = runChecks({ assignment, facts: collectFacts([]), status: 'grader-error', statusMessage });
  return {
    submission: name,
    file: name,
    assignment: assignment.id,
    status: 'grader-error',
    statusMessage,
    score: 0,
    maxScore: tests.reduce((s, t) => s + t.maxScore, 0),
    tests,
    run: { fitCalls: 0, epochs: [], ending: statusMessage },
    notes: [],
    integrity: { policy: 'zero', violations: [], summary: '' },
    output: { stdout: '', stderr: '', bytes: 0 },
    sandbox: { wallSeconds: 0, peakRssMB: 0, exitCode: null, signal: null, isolation: [], leakedProcesses: 0 },
    seconds: 0,
  };
}

/** BullMQ's job states folded into the four the API promises. */
export function queueStatus(state: string, result: SubmissionResult | undefined): QueueStatus {
  if (state === 'active') return 'running';
  if (state === 'completed') return result?.status === 'grader-error' ? 'failed' : 'done';
  if (state === 'failed') return 'failed';
  return 'queued';
}
