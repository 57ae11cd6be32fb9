/**
 * Parallel execution of independent jobs on worker threads (Node). `createWorkerPool` / `runInParallel`
 * run any exported task function (the lab's `trainInParallel`, src/lab/parallel.ts, runs
 * TrainingConfigs on it). Browser code must not import this module.
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
