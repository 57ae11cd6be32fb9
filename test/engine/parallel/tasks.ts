/** Task functions for the worker-pool tests (loaded by the workers by module URL and export name). */
import { threadId } from 'node:worker_threads';
import { NormlabError } from '../../../src/errors.js';

/** Squares `x` after `delayMs`, and says which thread did it. */
export async function square(job: { x: number; delayMs?: number }): Promise<{ y: number; threadId: number }> {
  if (job.delayMs) await new Promise((resolve) => setTimeout(resolve, job.delayMs));
  return { y: job.x * job.x, threadId };
}

export function failWhenNegative(job: { x: number }): number {
  if (job.x < 0) throw new NormlabError('config', `x must be ≥ 0, got ${job.x}`, 'pass a non-negative x');
  return job.x;
}

/** Sums the first four shared bytes of the context and writes a marker into them (visible to the main thread). */
export function sumShared(job: { mark: number }, context: { bytes: Uint8Array }): { sum: number; threadId: number } {
  let sum = 0;
  for (let i = 0; i < 4; i++) sum += context.bytes[i];
  context.bytes[job.mark] = 255;
  return { sum, threadId };
}
