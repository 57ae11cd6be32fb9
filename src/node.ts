/**
 * Node-side set-up: registers the backends Node can load, when called (importing this file does nothing).
 * The package entry (src/api.ts), the CLI's main(), and the lab's worker-pool tasks call it; the browser
 * build registers its own (src/browser.ts). Calling it again does nothing.
 *
 * The wasm backend becomes the default when its compiled kernels (build/normlab.wasm, written by
 * `npm run build`) are present; the factory is lazy, so a missing file only matters when wasm is used,
 * and then it is a NormlabError that says how to build it. `--backend reference` always works.
 */
import { existsSync } from 'node:fs';
import { registerBackend } from './engine/backends/registry.js';
import { loadWasmBackendSync, wasmFilePath } from './engine/backends/wasm/node.js';

let registered = false;

/** Registers the wasm backend (made the default when build/normlab.wasm exists), once per thread. */
export function registerNodeBackends(): void {
  if (registered) return;
  registered = true;
  registerBackend('wasm', loadWasmBackendSync, { makeDefault: existsSync(wasmFilePath()) });
}
