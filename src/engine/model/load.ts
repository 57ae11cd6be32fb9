/**
 * `loadLayersModel('file://dir/model.json')`, tfjs' name, in the public API. The file reading lives in
 * ./io.ts, imported only when called: it needs node:fs, which the browser build must never pull in.
 */
import type { Sequential } from './sequential.js';

/** Loads a model written by model.save(): a folder, its model.json, or either as a file:// URL. */
export async function loadLayersModel(path: string): Promise<Sequential> {
  const { loadModel } = await import('./io.js');
  return loadModel(path);
}

/** The same as loadLayersModel. */
export const loadModel = loadLayersModel;
