/**
 * The wasm backend: SIMD kernels compiled from AssemblyScript (./assembly), one call into WASM per
 * training batch. This module is browser-safe (no node: imports): give it the compiled module, or its
 * bytes / URL / fetch Response. Node code can use `loadWasmBackendSync()` from './node.js', which reads
 * build/normlab.wasm (built by `npm run build:wasm`).
 *
 * All networks of one backend share one WebAssembly instance (one linear memory, managed by WasmHeap),
 * so `createNetwork` stays synchronous even in a browser, where instantiating on the main thread must
 * be asynchronous. In Node, a backend may also hold a second instance — build/normlab-mt.wasm on shared
 * memory, with a helper thread (./threads.ts) — for the networks whose training batches can be split
 * between two threads (`wasmBackendFromKernels`).
 */
import type { Backend } from '../../backend.js';
import { WasmHeap } from './heap.js';
import { splitOffset, WasmRunner, type Kernels } from './runner.js';

/** Path of the compiled module relative to the package root. */
export const WASM_FILE = 'build/normlab.wasm';
/** The two-thread module (Node only), relative to the package root. */
export const WASM_MT_FILE = 'build/normlab-mt.wasm';

interface Exports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  run32(net: number, data: number, rows: number, count: number, mode: number): number;
  run64(net: number, data: number, rows: number, count: number, mode: number): number;
  prepare32(net: number): void;
  prepare64(net: number): void;
}

/** The kernels of an instantiated module, whose memory `memory` is (its own, or the one it imported). */
export function kernelsFromInstance(instance: WebAssembly.Instance, memory?: WebAssembly.Memory, heapAlign?: number): Kernels {
  const e = instance.exports as unknown as Exports;
  for (const name of ['heapBase', 'run32', 'run64', 'prepare32', 'prepare64'] as const) {
    if (!(name in e)) throw new Error(`normlab.wasm does not export '${name}'; rebuild it with npm run build:wasm`);
  }
  const mem = memory ?? e.memory;
  if (!(mem instanceof WebAssembly.Memory)) throw new Error("normlab.wasm does not export 'memory'; rebuild it with npm run build:wasm");
  return {
    heap: new WasmHeap(mem, e.heapBase(), heapAlign),
    run32: e.run32,
    run64: e.run64,
    prepare32: e.prepare32,
    prepare64: e.prepare64,
  };
}

/**
 * A backend on `kernels`. `threaded`, when given, returns the two-thread kernels (created on first use;
 * undefined when they cannot be had): networks that can split their batches live there, all others on
 * `kernels`.
 */
export function wasmBackendFromKernels(kernels: Kernels, threaded?: () => Kernels | undefined): Backend {
  return {
    name: 'wasm',
    createNetwork: (spec, weights) => {
      const k = threaded && splitOffset(spec) > 0 ? (threaded() ?? kernels) : kernels;
      return new WasmRunner(k, spec, weights);
    },
  };
}

/** A backend around an already instantiated module. */
export function wasmBackendFromInstance(instance: WebAssembly.Instance): Backend {
  return wasmBackendFromKernels(kernelsFromInstance(instance));
}

/**
 * Synchronous: instantiate a compiled module (Node, workers). In a browser's main thread use
 * `loadWasmBackend`, because engines refuse synchronous instantiation of larger modules there.
 */
export function createWasmBackend(module: WebAssembly.Module): Backend {
  return wasmBackendFromInstance(new WebAssembly.Instance(module, {}));
}

export type WasmSource = WebAssembly.Module | ArrayBuffer | ArrayBufferView | Response | PromiseLike<Response> | URL | string;

/** Asynchronous: from a compiled module, its bytes, a fetch Response, or a URL to fetch. */
export async function loadWasmBackend(source: WasmSource): Promise<Backend> {
  if (source instanceof WebAssembly.Module) {
    return wasmBackendFromInstance(await WebAssembly.instantiate(source, {}));
  }
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    const { instance } = await WebAssembly.instantiate(source as BufferSource, {});
    return wasmBackendFromInstance(instance);
  }
  const response = typeof source === 'string' || source instanceof URL ? await fetch(source) : await source;
  if (!response.ok) throw new Error(`could not fetch normlab.wasm: HTTP ${response.status} ${response.statusText}`);
  if (typeof WebAssembly.instantiateStreaming === 'function' && response.headers.get('content-type')?.startsWith('application/wasm')) {
    const { instance } = await WebAssembly.instantiateStreaming(response, {});
    return wasmBackendFromInstance(instance);
  }
  const { instance } = await WebAssembly.instantiate(await response.arrayBuffer(), {});
  return wasmBackendFromInstance(instance);
}
