/**
 * `import * as tf from 'normlab'` in Node: the tfjs-layers-compatible engine, the dataset loaders, and
 * the backends Node can load (registered by ./node.js).
 */
import './node.js';
export * from './engine/index.js';
export { NormlabError } from './errors.js';
export { datasetTensors } from './data/tensors.js';
export { loadDataset, type Dataset, type LoadOptions } from './data/dataset.js';
export { inputTransform, TRANSFORM_NAMES, type TransformName } from './data/transforms.js';
