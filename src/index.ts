/**
 * `import * as tf from 'normlab'` in Node: the tfjs-layers-compatible engine (./api.js) plus the dataset
 * loaders (verified Fashion-MNIST / MNIST, see src/data).
 */
export * from './api.js';
export { loadDataset, type Dataset, type LoadOptions } from './data/dataset.js';
