/**
 * Where the study's runs execute in Node: on the engine's worker pool (src/engine/parallel), one run per
 * job — each run is independent (a RunSpec in, a RunResult out, both plain JSON), so N cores give close to
 * N× the throughput. The dataset the study loaded is handed to the pool once, in shared memory, so the
 * workers neither reload nor copy it. Results come back in the order of the specs.
 *
 * This module is also the pool's task module: its workers import it and call `runStudyTask`.
 */
import { registerNodeBackends } from '../../node.js';
import { createWorkerPool, type WorkerPool } from '../../engine/parallel/index.js';
import { sharedTrainingContext } from '../parallel.js';
import { runStudyJob, sliceForSpec, type StudyData } from './job.js';
import { inProcessExecutor, type JobExecutor } from './study.js';
import type { RunResult, RunSpec } from './types.js';

export interface StudyExecutor {
  workers: number;
  execute: JobExecutor;
  close(): Promise<void>;
}

/** What every worker receives once: the study's full (unsliced) train and test splits, in shared memory. */
interface StudyContext {
  data?: StudyData;
}

/** The pool's task: one run, on the shared data when the study passed it (each spec slices its own view). */
export async function runStudyTask(spec: RunSpec, context: StudyContext): Promise<RunResult> {
  registerNodeBackends(); // in a pool worker, this task is the first normlab code the thread runs
  return runStudyJob(spec, context.data ? sliceForSpec(context.data, spec) : undefined);
}

/** A pool of `workers` threads (1: run in this thread), started when the first jobs arrive. */
export async function studyExecutor(workers: number): Promise<StudyExecutor> {
  registerNodeBackends();
  if (workers <= 1) return { workers: 1, execute: inProcessExecutor(), close: async () => {} };
  let pool: WorkerPool | undefined;
  let sharedFor: StudyData | undefined;
  const execute: JobExecutor = async (specs, onResult, data) => {
    // The context (the data) is fixed when a pool starts; a study passes the same data every time.
    if (pool && data !== sharedFor) {
      await pool.close();
      pool = undefined;
    }
    pool ??= createWorkerPool({ module: new URL(import.meta.url), name: 'runStudyTask' }, { workers, context: data ? sharedTrainingContext(data) : {} });
    sharedFor = data;
    return pool.run<RunSpec, RunResult>(specs, { onResult });
  };
  return {
    workers,
    execute,
    close: async () => {
      await pool?.close();
    },
  };
}
