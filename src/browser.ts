/**
 * `normlab` in the browser: the same tfjs-layers-compatible engine as in Node, minus the Node-only parts
 * (file loading, model.save), plus the backends a browser can load. The web app (web/) and its training
 * Workers import this instead of src/index.ts, whose ./node.js set-up registers backends from disk.
 *
 *   import { registerBrowserBackends, sequential, layers } from '.../src/browser.js';
 *   const { backends } = await registerBrowserBackends({ wasm: wasmUrl });   // ['reference', 'wasm']
 */
import { backendNames, registerBackend } from './engine/backends/registry.js';
import { loadWasmBackend } from './engine/backends/wasm/index.js';

export * from './engine/index.js';
export { NormlabError, isNormlabError } from './errors.js';
export { datasetTensors } from './engine/dataset-tensors.js';
export { inputTransform, TRANSFORM_NAMES, type TransformName } from './data/transforms.js';

export interface BrowserBackendOptions {
  /** The compiled wasm backend (build/normlab.wasm): a URL to fetch, or its bytes. */
  wasm?: string | URL | ArrayBuffer | Uint8Array;
  /** Make wasm the default backend when it loads (default true). */
  makeDefault?: boolean;
}

export interface BrowserBackends {
  /** Every backend now registered, e.g. ['reference', 'wasm']. */
  backends: string[];
  /** Why the wasm backend is not among them, when it is not. */
  wasmError?: string;
}

/**
 * Register the backends this browser can run. `reference` is always there; `wasm` needs the compiled
 * module (fetched and instantiated asynchronously, so this is async like tfjs' `setBackend('wasm')`).
 */
export async function registerBrowserBackends(options: BrowserBackendOptions = {}): Promise<BrowserBackends> {
  if (options.wasm === undefined) return { backends: backendNames(), wasmError: 'no wasm module was given' };
  if (typeof WebAssembly !== 'object') return { backends: backendNames(), wasmError: 'this browser has no WebAssembly' };
  try {
    const backend = await loadWasmBackend(options.wasm);
    registerBackend('wasm', () => backend, { makeDefault: options.makeDefault ?? true });
    return { backends: backendNames() };
  } catch (error) {
    // Typically a browser without WebAssembly SIMD: the reference backend still trains, only slower.
    return { backends: backendNames(), wasmError: (error as Error).message };
  }
}
