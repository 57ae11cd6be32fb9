/**
 * URL of the compiled wasm backend (build/normlab.wasm, made by `npm run build:wasm`) as a hashed asset
 * of this build. The build refuses to run without it (web/vite.config.ts); a browser that cannot run it
 * (no WebAssembly SIMD) still trains, on the reference backend (src/browser.ts).
 */
import wasmUrl from '../../build/normlab.wasm?url';
/** The two-thread module (shared memory; used when the page is cross-origin isolated, lab/threads.ts). */
import wasmMtUrl from '../../build/normlab-mt.wasm?url';

export { wasmMtUrl, wasmUrl };
