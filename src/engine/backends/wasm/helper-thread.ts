/**
 * Two threads for one training run, platform-neutral: build/normlab-mt.wasm instantiated on a shared
 * WebAssembly.Memory, and a helper thread on the same memory that waits in the module's `helperLoop`
 * (the design and its measurements: ./threads.ts). How a helper thread is started is the platform's
 * part: Node's worker_threads in ./threads.ts, a Web Worker in the browser lab (web/src/lab/threads.ts).
 * No Node imports here.
 */
import * as M from './layout.js';
import { kernelsFromInstance } from './index.js';
import type { Kernels, SplitTrainer } from './runner.js';

interface ThreadExports {
  heapBase(): number;
  train2x32(net: number, data: number, rows: number, count: number, ctl: number): number;
  train2x64(net: number, data: number, rows: number, count: number, ctl: number): number;
  helperLoop(ctl: number): void;
}

/**
 * Polls of the barrier word before a waiting thread sleeps (wasm i32 atomic loads: 0.55 ns each on the
 * 2-core EPYC this was tuned on, so about 55 µs). Longer than the fit loop's work between two batches,
 * the imbalance of a phase and a short preemption, so a busy pair rarely pays a futex wake-up (tens of
 * µs in a VM); measured on the lab model: 10,000 polls 0.69 s/epoch, 40,000 0.64, 200,000 0.60. When
 * the machine is oversubscribed, SplitPolicy notices and goes back to one thread.
 */
export const SPIN_POLLS = 100_000;

/**
 * A helper thread as the platform runs it: Node's worker_threads (./threads.ts) or a Web Worker
 * (web/src/lab/threads.ts). It must instantiate `module` on `memory` and call `helperLoop(ctl)`, and on
 * failure mark the control block HELPER_GONE (see HELPER_SOURCE in ./threads.ts) so thread 0 never waits.
 */
export interface HelperHandle {
  /** Called once if the helper fails (an error escapes it). */
  onError(callback: () => void): void;
  /** Called once when the helper has ended (stopped or failed). */
  onExit(callback: () => void): void;
}

export type SpawnHelper = (module: WebAssembly.Module, memory: WebAssembly.Memory, ctl: number) => HelperHandle;

/** The helper thread and the shared control block of one pair (platform-neutral: `spawn` starts it). */
export class HelperThread implements SplitTrainer {
  private worker: HelperHandle | undefined;
  private ctl = 0;
  private users = 0;
  /** Set when a helper could not start or failed: from then on every batch runs on one thread. */
  private failed = false;

  constructor(
    readonly policy: 'auto' | 'always',
    private readonly kernels: Kernels,
    private readonly exports: ThreadExports,
    private readonly module: WebAssembly.Module,
    private readonly spinPolls: number,
    private readonly spawn: SpawnHelper,
  ) {}

  attach(): void {
    this.users++;
  }

  detach(): void {
    this.users = Math.max(0, this.users - 1);
    if (this.users === 0) this.stop();
  }

  /**
   * Start the helper if needed and wait until it serves batches (tests and benchmarks that want every
   * batch on two threads from the first). False when it cannot run here, or took longer than timeoutMs.
   */
  async whenReady(timeoutMs = 10_000): Promise<boolean> {
    if (!this.worker && !this.failed) this.start();
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (this.failed || !this.worker) return false;
      if (Atomics.load(this.kernels.heap.i32, (this.ctl + M.C_HELPER) >> 2) === M.HELPER_READY) return true;
      if (performance.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  /** Diagnostics for tests: whether a helper is running, and how many batches it has shared. */
  status(): { running: boolean; ready: boolean; rounds: number; failed: boolean } {
    if (!this.worker) return { running: false, ready: false, rounds: 0, failed: this.failed };
    const i32 = this.kernels.heap.i32;
    const at = (offset: number) => Atomics.load(i32, (this.ctl + offset) >> 2);
    return { running: true, ready: at(M.C_HELPER) === M.HELPER_READY, rounds: at(M.C_ROUNDS), failed: this.failed };
  }

  train(net: number, data: number, rows: number, count: number, size: 4 | 8): number | undefined {
    if (this.failed) return undefined;
    if (!this.worker) {
      this.start();
      return undefined;
    }
    const state = Atomics.load(this.kernels.heap.i32, (this.ctl + M.C_HELPER) >> 2);
    if (state === M.HELPER_STARTING) return undefined;
    if (state === M.HELPER_GONE) {
      this.failed = true;
      return undefined;
    }
    const lossSum = size === 4 ? this.exports.train2x32(net, data, rows, count, this.ctl) : this.exports.train2x64(net, data, rows, count, this.ctl);
    if (Number.isNaN(lossSum) && Atomics.load(this.kernels.heap.i32, (this.ctl + M.C_HELPER) >> 2) === M.HELPER_GONE) {
      // the helper died inside the batch: its half of the first layer may be half-updated
      this.failed = true;
      throw new Error('the wasm helper thread failed during a training batch; the network state is undefined (train again with threads: 1)');
    }
    return lossSum;
  }

  private start(): void {
    const heap = this.kernels.heap;
    // a fresh control block per helper, so a stopped helper still on its way out cannot disturb the next
    const ctl = heap.alloc(M.CONTROL_BYTES);
    heap.i32[(ctl + M.C_SPIN) >> 2] = this.spinPolls;
    let worker: HelperHandle;
    try {
      worker = this.spawn(this.module, heap.memory, ctl);
    } catch {
      heap.release(ctl);
      this.failed = true;
      return;
    }
    worker.onError(() => {
      if (this.worker === worker) this.failed = true;
    });
    worker.onExit(() => {
      if (this.worker === worker) this.worker = undefined;
      heap.release(ctl);
    });
    this.worker = worker;
    this.ctl = ctl;
  }

  /** Ask the helper to leave its loop; it exits by itself (no terminate: it may be mid-wait). */
  private stop(): void {
    if (!this.worker) return;
    const i32 = this.kernels.heap.i32;
    const at = (offset: number) => (this.ctl + offset) >> 2;
    Atomics.store(i32, at(M.C_STOP), 1);
    // arrive at the start barrier without waiting: if the helper is there, this opens it; if it is not
    // there yet, it will be second to arrive, pass, and see C_STOP
    const gen = Atomics.load(i32, at(M.C_GEN));
    if (Atomics.add(i32, at(M.C_ARRIVED), 1) === 1) {
      Atomics.store(i32, at(M.C_ARRIVED), 0);
      Atomics.store(i32, at(M.C_GEN), gen + 1);
      Atomics.notify(i32, at(M.C_GEN));
    }
    this.worker = undefined;
  }
}

/** What createThreadedKernels returns: kernels whose `split` is a HelperThread (status() for tests). */
export type ThreadedKernels = Kernels & { split: SplitTrainer & Pick<HelperThread, 'status' | 'whenReady'> };

/**
 * Instantiate the two-thread module on a new shared memory, with helper threads started by `spawn`. Throws when shared memory is unavailable;
 * the caller then stays on one thread. `spinPolls` (tests): polls before a waiting thread sleeps; 0
 * makes every wait sleep.
 */
export function createSharedKernels(module: WebAssembly.Module, policy: 'auto' | 'always', spawn: SpawnHelper, spinPolls = SPIN_POLLS): ThreadedKernels {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const exports = instance.exports as unknown as ThreadExports;
  for (const name of ['train2x32', 'train2x64', 'helperLoop'] as const) {
    if (typeof exports[name] !== 'function') throw new Error(`normlab-mt.wasm does not export '${name}'; rebuild it with npm run build:wasm`);
  }
  const kernels = kernelsFromInstance(instance, memory, 64);
  const split = new HelperThread(policy, kernels, exports, module, spinPolls, spawn);
  return Object.assign(kernels, { split });
}
