/**
 * `loadLayersModel('file://dir/model.json')`, tfjs' name, in the public API. The files are read by the
 * implementation Node's entry points register (./file-io.ts → ./io.ts), so the engine needs no node:fs.
 */
import { modelFiles } from './file-io.js';
import type { Sequential } from './sequential.js';

/** Loads a model written by model.save(): a folder, its model.json, or either as a file:// URL. */
export async function loadLayersModel(path: string): Promise<Sequential> {
  return modelFiles<Sequential>().load(path);
}

/** The same as loadLayersModel. */
export const loadModel = loadLayersModel;
