/**
 * The engine's public API, shaped like TensorFlow.js layers so that lab code written for one runs on the
 * other by changing the import: `import * as tf from 'normlab'`.
 */
export { sequential, Sequential, setSeed, modelWarnings, type SequentialArgs, type CompileArgs, type ModelConfig } from './model/sequential.js';
export { loadLayersModel, loadModel } from './model/load.js';
export { layers, Dense, Flatten, Layer, Rescaling, Normalization, BatchNormalization, Dropout } from './layers/index.js';
export { Callback, CallbackList, type CallbackHooks, type Logs } from './model/callbacks.js';
export { callbacks, EarlyStopping, type EarlyStoppingArgs } from './model/early-stopping.js';
export { History, type NonFiniteEvent } from './model/history.js';
export { NonFiniteLossError, type FitArgs } from './model/fit.js';
export { Tensor, tensor, tensor1d, tensor2d, tensor3d, scalar, oneHot, type TensorDType } from './tensor.js';
export { train, withParamScales, withClipping, resolveOptimizer, DEFAULT_LEARNING_RATE, OPTIMIZER_NAMES, type OptimizerName } from './optimizers.js';
export { losses, resolveLoss, LOSS_NAMES } from './losses.js';
export { getBackend, setBackend, getBackendName, registerBackend, backendNames } from './backends/registry.js';
export { referenceBackend } from './backends/reference/index.js';
export type * from './backend.js';
export { CLIP_EPSILON, weightLayout } from './backend.js';
