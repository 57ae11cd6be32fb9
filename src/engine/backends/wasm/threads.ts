/**
 * Two threads for one training run (Node only): build/normlab-mt.wasm instantiated on a shared
 * WebAssembly.Memory in this thread, and again, on the same memory, in one helper worker thread that
 * waits in the module's `helperLoop`. A training batch is then one call, `train2x32` / `train2x64`, in
 * which both threads take half of the first layer's units (see assembly/threads.ts for the phases);
 * they meet at barriers in shared memory, with no message passing and no copies.
 *
 * Why this shape: one batch of the lab model takes about half a millisecond, far too short for
 * postMessage round trips (tens of microseconds each), but long enough for four barriers that poll for
 * a few microseconds before sleeping. The worker pool (../../parallel) remains the way to use both cores
 * for *independent* runs; its workers train on one thread each.
 *
 * Life cycle: the helper starts when a network that can split first trains (batches before it is ready
 * run on one thread, with identical numbers), is unref'd so it never keeps the process alive, and is
 * stopped when the last such network is disposed. If it cannot start (the permission model forbids
 * workers) or fails, training goes on in one thread.
 */
import { Worker } from 'node:worker_threads';
import { createSharedKernels, SPIN_POLLS, type HelperHandle, type ThreadedKernels } from './helper-thread.js';
import * as M from './layout.js';

export { SPIN_POLLS, type ThreadedKernels } from './helper-thread.js';

export type ThreadsOption = 'auto' | 1 | 2;

/** The worker's code: instantiate the module on the shared memory and serve batches until stopped. */
const HELPER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, ctl } = workerData;
try {
  new WebAssembly.Instance(module, { env: { memory } }).exports.helperLoop(ctl);
} catch (error) {
  // never leave thread 0 waiting at a barrier for a thread that is gone
  const i32 = new Int32Array(memory.buffer);
  Atomics.store(i32, (ctl + ${M.C_HELPER}) >> 2, ${M.HELPER_GONE});
  Atomics.add(i32, (ctl + ${M.C_GEN}) >> 2, 1);
  Atomics.notify(i32, (ctl + ${M.C_GEN}) >> 2);
  throw error;
}
`;

/** Whether this process may start worker threads (Node's permission model can forbid them). */
export function workerThreadsAllowed(): boolean {
  if (typeof SharedArrayBuffer !== 'function' || typeof Atomics !== 'object') return false;
  const permission = (process as { permission?: { has(scope: string): boolean } }).permission;
  try {
    return !permission || permission.has('worker');
  } catch {
    return false;
  }
}

/** A helper as a Node worker thread (unref'd: it never keeps the process alive). */
function spawnNodeHelper(module: WebAssembly.Module, memory: WebAssembly.Memory, ctl: number): HelperHandle {
  const worker = new Worker(HELPER_SOURCE, { eval: true, workerData: { module, memory, ctl } });
  worker.unref();
  return {
    onError: (callback) => worker.on('error', callback),
    onExit: (callback) => worker.on('exit', callback),
  };
}

/**
 * Instantiate the two-thread module on a new shared memory, with a Node worker thread as helper. Throws
 * when shared memory is unavailable; the caller then stays on one thread. `spinPolls` (tests): polls
 * before a waiting thread sleeps; 0 makes every wait sleep.
 */
export function createThreadedKernels(module: WebAssembly.Module, policy: 'auto' | 'always', spinPolls = SPIN_POLLS): ThreadedKernels {
  return createSharedKernels(module, policy, spawnNodeHelper, spinPolls);
}
