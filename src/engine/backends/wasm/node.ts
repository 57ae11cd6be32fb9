/**
 * Node-only loading of the wasm backend: reads build/normlab.wasm relative to the package root (the
 * same relative path works from src/ under tsx and from dist/ after tsc). Browser code must not import
 * this file; it uses `loadWasmBackend` from './index.js'.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { NormlabError } from '../../../errors.js';
import type { Backend } from '../../backend.js';
import { createWasmBackend, WASM_FILE } from './index.js';

let cached: WebAssembly.Module | undefined;

/** Absolute path of build/normlab.wasm. */
export function wasmFilePath(): string {
  return fileURLToPath(new URL(`../../../../${WASM_FILE}`, import.meta.url));
}

/** The compiled module (read and compiled once per thread). */
export function loadWasmModuleSync(): WebAssembly.Module {
  if (cached) return cached;
  const path = wasmFilePath();
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch {
    throw new NormlabError('setup', `the wasm backend's compiled kernels are missing (${path})`, 'run `npm run build:wasm` (or `npm run build`) once, then try again');
  }
  cached = new WebAssembly.Module(bytes);
  return cached;
}

/** A fresh wasm backend (its own WebAssembly instance and memory). */
export function loadWasmBackendSync(): Backend {
  return createWasmBackend(loadWasmModuleSync());
}
