/**
 * Node-side set-up: registers the backends Node can load. Importing `normlab` (src/index.ts) or running
 * the CLI does this once; the browser build registers its own (src/browser.ts).
 *
 * The wasm backend becomes the default when its compiled kernels (build/normlab.wasm, written by
 * `npm run build`) are present; the factory is lazy, so a missing file only matters when wasm is used,
 * and then it is a NormlabError that says how to build it. `--backend reference` always works.
 */
import { existsSync } from 'node:fs';
import { registerBackend } from './engine/backends/registry.js';
import { loadWasmBackendSync, wasmFilePath } from './engine/backends/wasm/node.js';

registerBackend('wasm', loadWasmBackendSync, { makeDefault: existsSync(wasmFilePath()) });
