/**
 * Independent training runs in parallel, on the engine's worker pool (src/engine/parallel): each job is a TrainingConfig (the same plain object
 * `normlab train` and the lab's `trainOnDataset` take), each result the same TrainingResult that an
 * in-process `trainOnDataset` returns — identical numbers for the same seed, because every worker runs
 * the same deterministic kernels on the same rows in the same order.
 *
 * Data: pass already loaded datasets (`data`) and they are copied once into shared memory and read by
 * every worker in place; otherwise each worker loads (and caches) the dataset its configs name through
 * the data layer. Slices (`trainLimit`, `testLimit`) are views, never copies.
 */
import { registerNodeBackends } from '../node.js';
import { loadDataset, type Dataset } from '../data/dataset.js';
import { sliceDataset } from '../data/slice.js';
import { trainOnDataset, type TrainingConfig, type TrainingResult } from './training.js';
import { createWorkerPool, runInParallel, shareBytes, type PoolOptions, type RunOptions, type TaskRef, type WorkerPool } from '../engine/parallel/index.js';

export interface TrainingJob {
  config: Partial<TrainingConfig>;
  /** Train on the first `trainLimit` training images only (default: all). */
  trainLimit?: number;
  /** Evaluate on the first `testLimit` test images only (default: all). */
  testLimit?: number;
  /** Folder with the dataset files (as the CLI's --data-dir); default: the data layer's lookup. */
  dataDir?: string;
}

/** What every worker receives once: datasets already loaded by the caller, in shared memory. */
export interface TrainingContext {
  data?: { train: Dataset; test: Dataset };
}

/** The task the pool's workers run (exported for the pool; call `trainInParallel` instead). */
export const TRAINING_TASK: TaskRef = { module: new URL(import.meta.url), name: 'runTrainingJob' };

const loaded = new Map<string, Promise<{ train: Dataset; test: Dataset }>>();

async function dataFor(job: TrainingJob, context?: TrainingContext): Promise<{ train: Dataset; test: Dataset }> {
  const name = job.config.dataset ?? 'fashion-mnist';
  let data = context?.data;
  if (!data || data.train.name !== name) {
    const key = JSON.stringify([name, job.dataDir ?? null]);
    let pending = loaded.get(key);
    if (!pending) {
      const options = { dataDir: job.dataDir, download: false };
      pending = Promise.all([loadDataset(name, 'train', options), loadDataset(name, 'test', options)]).then(([train, test]) => ({ train, test }));
      loaded.set(key, pending);
      pending.catch(() => loaded.delete(key));
    }
    data = await pending;
  }
  return { train: sliceDataset(data.train, job.trainLimit), test: sliceDataset(data.test, job.testLimit) };
}

/** One job, in whichever thread calls it. */
export async function runTrainingJob(job: TrainingJob, context?: TrainingContext): Promise<TrainingResult> {
  registerNodeBackends(); // in a pool worker, this task is the first normlab code the thread runs
  return trainOnDataset(job.config, await dataFor(job, context));
}

/** Datasets as a context whose pixel and label arrays live in shared memory. */
export function sharedTrainingContext(data: { train: Dataset; test: Dataset }): TrainingContext {
  const share = (ds: Dataset): Dataset => ({ ...ds, images: shareBytes(ds.images), labels: shareBytes(ds.labels) });
  return { data: { train: share(data.train), test: share(data.test) } };
}

export interface TrainingPoolOptions extends Omit<PoolOptions, 'context'> {
  /** Datasets to share with every worker (else each worker loads what its jobs name). */
  data?: { train: Dataset; test: Dataset };
}

/** A reusable pool for training jobs (close it when done). */
export function trainingPool(options: TrainingPoolOptions = {}): WorkerPool {
  return createWorkerPool(TRAINING_TASK, { workers: options.workers, context: options.data ? sharedTrainingContext(options.data) : {} });
}

/** Run the jobs on `workers` threads (default: every core); results in job order. */
export function trainInParallel(jobs: readonly TrainingJob[], options: TrainingPoolOptions & RunOptions<TrainingResult> = {}): Promise<TrainingResult[]> {
  return runInParallel<TrainingJob, TrainingResult>(TRAINING_TASK, jobs, {
    workers: options.workers,
    onResult: options.onResult,
    context: options.data ? sharedTrainingContext(options.data) : {},
  });
}
