/**
 * `import * as tf from 'normlab'` in Node: the tfjs-layers-compatible engine (./api.js) plus the dataset
 * loaders (verified Fashion-MNIST / MNIST, see src/data).
 */
import { registerNodeModelFiles } from './node-files.js';

export * from './api.js';
export { loadDataset, type Dataset, type LoadOptions } from './data/dataset.js';

// The package entry is the composition root: model.save() and loadLayersModel() read and write files.
registerNodeModelFiles();
