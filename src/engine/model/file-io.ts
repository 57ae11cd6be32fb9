/**
 * Where model.save() and loadLayersModel() find the file system. The engine itself stays free of Node
 * APIs and npm packages (the browser build and the grader's sandbox load it as is); the Node entry points
 * (src/index.ts, the CLI) register the implementation in ./io.ts through src/node-files.ts.
 */
import { NormlabError } from '../../errors.js';

/** Saving and loading models of type `Model` (a Sequential; generic so that this module imports nothing of the model's). */
export interface ModelFiles<Model> {
  save(model: Model, path: string): Promise<{ modelJson: string; weightsBin: string }>;
  load(path: string): Promise<Model>;
}

let registered: ModelFiles<unknown> | undefined;

export function registerModelFiles<Model>(files: ModelFiles<Model>): void {
  registered = files as ModelFiles<unknown>;
}

export function modelFiles<Model>(): ModelFiles<Model> {
  if (!registered) {
    throw new NormlabError(
      'setup',
      'saving and loading models needs a file system, and none is registered here',
      "in Node, import from 'normlab' (or call registerNodeModelFiles() from src/node-files.ts); a browser or the grader's sandbox cannot save models to files",
    );
  }
  return registered as ModelFiles<Model>;
}
