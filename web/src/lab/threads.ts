/**
 * The two-thread wasm split in the browser: the engine's platform-neutral pair (build/normlab-mt.wasm on
 * a shared WebAssembly.Memory, src/engine/backends/wasm/helper-thread.ts) with a Web Worker as the helper
 * thread. Browsers hand out shared memory only to cross-origin isolated pages (COOP same-origin + COEP
 * require-corp: `normlab serve` sends them, a static site gets them from its `_headers` file), so
 * elsewhere this registers the one-thread backend and says why.
 *
 * Runs inside a training Worker (thread 0 waits at the barriers with Atomics.wait, which the page's main
 * thread may not do). Policy 'auto': the engine's SplitPolicy times one and two threads and keeps two
 * only while they win — with two runs side by side on a two-core machine they usually do not.
 */
import {
  backendNames,
  registerBackend,
  createSharedKernels,
  type HelperHandle,
  type ThreadedKernels,
  kernelsFromInstance,
  wasmBackendFromKernels,
  wasmLayout as M,
} from '../../../src/browser.js';

/** The helper's code (a classic worker from a Blob: no bundling needed, and same-origin under COEP). */
const HELPER_SOURCE = `
onmessage = (event) => {
  const { module, memory, ctl } = event.data;
  try {
    new WebAssembly.Instance(module, { env: { memory } }).exports.helperLoop(ctl);
    postMessage('exit');
  } catch (error) {
    // never leave thread 0 waiting at a barrier for a thread that is gone
    const i32 = new Int32Array(memory.buffer);
    Atomics.store(i32, (ctl + ${M.C_HELPER}) >> 2, ${M.HELPER_GONE});
    Atomics.add(i32, (ctl + ${M.C_GEN}) >> 2, 1);
    Atomics.notify(i32, (ctl + ${M.C_GEN}) >> 2);
    postMessage('error');
  }
  close();
};
`;

let helperUrl: string | undefined;

function spawnWebHelper(module: WebAssembly.Module, memory: WebAssembly.Memory, ctl: number): HelperHandle {
  helperUrl ??= URL.createObjectURL(new Blob([HELPER_SOURCE], { type: 'text/javascript' }));
  const worker = new Worker(helperUrl, { name: 'normlab wasm helper thread' });
  const onError: (() => void)[] = [];
  const onExit: (() => void)[] = [];
  const end = (failed: boolean) => {
    if (failed) onError.splice(0).forEach((f) => f());
    onExit.splice(0).forEach((f) => f());
  };
  worker.onmessage = (e: MessageEvent<string>) => end(e.data === 'error');
  worker.onerror = (e) => {
    e.preventDefault();
    end(true);
  };
  worker.postMessage({ module, memory, ctl });
  return { onError: (f) => onError.push(f), onExit: (f) => onExit.push(f) };
}

export interface WasmRegistration {
  backends: string[];
  /** 2 when training batches may be split over two threads, else 1. */
  threads: 1 | 2;
  /** Why only one thread (or why no wasm at all). */
  note?: string;
  /** The pair, for diagnostics (batches the helper has run). */
  threaded?: ThreadedKernels;
}

async function compile(url: string): Promise<WebAssembly.Module> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`could not fetch ${url}: HTTP ${response.status}`);
  return response.headers.get('content-type')?.startsWith('application/wasm')
    ? WebAssembly.compileStreaming(response)
    : WebAssembly.compile(await response.arrayBuffer());
}

/**
 * Register 'wasm' (and make it the default): one thread from `wasmUrl`, plus the two-thread pair from
 * `mtUrl` when this page is cross-origin isolated and `threads` allows it.
 */
export async function registerWasm(wasmUrl: string, mtUrl: string | undefined, threads: 1 | 'auto'): Promise<WasmRegistration> {
  let single: WebAssembly.Module;
  try {
    single = await compile(wasmUrl);
  } catch (error) {
    return { backends: backendNames(), threads: 1, note: `wasm backend unavailable: ${(error as Error).message}` };
  }
  const kernels = kernelsFromInstance(await WebAssembly.instantiate(single, {}));
  let threaded: ThreadedKernels | undefined;
  let note: string | undefined;
  if (threads === 1) note = 'one thread per run (runs share the cores)';
  else if (!mtUrl) note = 'one thread: no two-thread module in this build';
  else if (!globalThis.crossOriginIsolated || typeof SharedArrayBuffer !== 'function')
    note = 'one thread: this site is not cross-origin isolated (no COOP/COEP headers), so the browser gives it no shared memory';
  else {
    try {
      threaded = createSharedKernels(await compile(mtUrl), 'auto', spawnWebHelper);
      // Start the helper now and wait for it (tens of ms), so the run's first batches can already be
      // shared and the split policy measures two threads against one from the start.
      if (!(await threaded.split.whenReady(10_000))) {
        threaded = undefined;
        note = 'one thread: the helper thread did not start within 10 s';
      }
    } catch (error) {
      note = `one thread: ${(error as Error).message}`;
    }
  }
  registerBackend('wasm', () => wasmBackendFromKernels(kernels, threaded && (() => threaded)), { makeDefault: true });
  return { backends: backendNames(), threads: threaded ? 2 : 1, note, threaded };
}
