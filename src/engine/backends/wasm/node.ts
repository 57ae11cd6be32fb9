/**
 * Node-only loading of the wasm backend: reads build/normlab.wasm (and build/normlab-mt.wasm, the
 * two-thread module) relative to the package root (the same relative path works from src/ under tsx
 * and from dist/ after tsc). Browser code must not import this file; it uses `loadWasmBackend` from
 * './index.js'.
 *
 * Threads (`threads` option, or the NORMLAB_WASM_THREADS environment variable: auto | 1 | 2):
 * - 'auto' (default): a training run in Node's main thread shares its larger batches between two
 *   threads when the machine has at least two cores. Not in worker threads (the worker pool already
 *   keeps every core busy with whole runs), not where the permission model forbids workers (the
 *   grader's sandbox), not without the two-thread module. Each of these falls back to one thread
 *   silently, and the numbers are the same either way.
 * - 2: every batch of a network that can split is shared (when workers are allowed at all).
 * - 1: one thread, build/normlab.wasm only.
 */
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import { NormlabError } from '../../../errors.js';
import type { Backend } from '../../backend.js';
import { kernelsFromInstance, wasmBackendFromKernels, WASM_FILE, WASM_MT_FILE } from './index.js';
import type { Kernels } from './runner.js';
import { createThreadedKernels, workerThreadsAllowed, type ThreadsOption } from './threads.js';

export type { ThreadsOption } from './threads.js';

export interface WasmBackendOptions {
  /** Threads for one training run: 'auto' (default), 1 or 2 — see the module comment. */
  threads?: ThreadsOption;
}

let cached: WebAssembly.Module | undefined;
let cachedMt: WebAssembly.Module | null | undefined;

/** Absolute path of build/normlab.wasm. */
export function wasmFilePath(): string {
  return fileURLToPath(new URL(`../../../../${WASM_FILE}`, import.meta.url));
}

/** Absolute path of build/normlab-mt.wasm. */
export function wasmMtFilePath(): string {
  return fileURLToPath(new URL(`../../../../${WASM_MT_FILE}`, import.meta.url));
}

/** The compiled module (read and compiled once per thread). */
export function loadWasmModuleSync(): WebAssembly.Module {
  if (cached) return cached;
  const path = wasmFilePath();
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch {
    throw new NormlabError(
      'setup',
      `the wasm backend's compiled kernels are missing (${path})`,
      'run `npm run build:wasm` (or `npm run build`) once, then try again',
    );
  }
  cached = new WebAssembly.Module(bytes);
  return cached;
}

/** The compiled two-thread module, or null when it is missing or this runtime cannot compile it. */
function loadWasmMtModuleSync(): WebAssembly.Module | null {
  if (cachedMt !== undefined) return cachedMt;
  try {
    const path = wasmMtFilePath();
    cachedMt = existsSync(path) ? new WebAssembly.Module(new Uint8Array(readFileSync(path))) : null;
  } catch {
    cachedMt = null;
  }
  return cachedMt;
}

function threadsSetting(option: ThreadsOption | undefined): ThreadsOption {
  if (option !== undefined) {
    if (option !== 'auto' && option !== 1 && option !== 2) {
      throw new NormlabError('config', `threads must be 'auto', 1 or 2, got ${JSON.stringify(option)}`);
    }
    return option;
  }
  const env = process.env.NORMLAB_WASM_THREADS?.trim();
  if (env === undefined || env === '' || env === 'auto') return 'auto';
  if (env === '1' || env === '2') return Number(env) as 1 | 2;
  throw new NormlabError('config', `NORMLAB_WASM_THREADS must be auto, 1 or 2, got '${env}'`, 'unset it, or set it to auto, 1 or 2');
}

/** Whether `threads` asks for (and this process can have) two-thread training. */
export function wantsTwoThreads(threads: ThreadsOption): boolean {
  if (threads === 1) return false;
  if (threads === 'auto' && (!isMainThread || availableParallelism() < 2)) return false;
  return workerThreadsAllowed();
}

/** A fresh wasm backend (its own WebAssembly instance and memory; with threads, a second shared one). */
export function loadWasmBackendSync(options: WasmBackendOptions = {}): Backend {
  const threads = threadsSetting(options.threads);
  const kernels = kernelsFromInstance(new WebAssembly.Instance(loadWasmModuleSync(), {}));
  if (!wantsTwoThreads(threads)) return wasmBackendFromKernels(kernels);
  let threaded: Kernels | null | undefined;
  return wasmBackendFromKernels(kernels, () => {
    if (threaded === undefined) {
      const module = loadWasmMtModuleSync();
      try {
        threaded = module ? createThreadedKernels(module, threads === 2 ? 'always' : 'auto') : null;
      } catch {
        threaded = null; // no shared memory here: one thread
      }
    }
    return threaded ?? undefined;
  });
}
