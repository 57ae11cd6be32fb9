/**
 * Entry of build/normlab.wasm: the single-threaded kernels (./kernels.ts), for browsers, Node's main
 * thread and the worker pool's threads. Its own memory, no imports.
 */
export { heapBase, run32, run64, prepare32, prepare64 } from './kernels';
