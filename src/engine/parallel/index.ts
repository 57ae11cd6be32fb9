/**
 * Parallel execution of independent jobs on worker threads (Node). `createWorkerPool` / `runInParallel`
 * run any exported task function; `trainInParallel` runs TrainingConfigs through the lab's
 * `trainOnDataset`. Browser code must not import this module.
 */
export {
  createWorkerPool,
  runInParallel,
  defaultWorkerCount,
  shareBytes,
  type TaskRef,
  type TaskFunction,
  type PoolOptions,
  type RunOptions,
  type WorkerPool,
} from './pool.js';
export { trainInParallel, trainingPool, runTrainingJob, sharedTrainingContext, type TrainingJob, type TrainingContext, type TrainingPoolOptions } from './training.js';
