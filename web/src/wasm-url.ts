/**
 * URL of the compiled wasm backend (build/normlab.wasm, made by `npm run build:wasm`) as a hashed asset
 * of this build. The build refuses to run without it (web/vite.config.ts); a browser that cannot run it
 * (no WebAssembly SIMD) still trains, on the reference backend (src/browser.ts).
 */
import wasmUrl from '../../build/normlab.wasm?url';

export { wasmUrl };
