/**
 * The sweep: 8 configurations of the lab model (normalize none|scale × adam|sgd × relu|sigmoid, float32,
 * wasm) × 3 epochs, run in parallel on a worker pool that shares the loaded dataset. Reports the total
 * wall time, each run's own time, and how much the threads saved over running them one after another.
 */
import { trainInParallel, type TrainingJob } from '../src/lab/parallel.js';
import type { BenchData } from './data.js';
import { measure, peakRssMB } from './timing.js';

export interface SweepResult {
  configurations: number;
  epochs: number;
  workers: number;
  /** Rows per epoch (60,000 unless --quick). */
  trainRows: number;
  wallSeconds: number;
  /** Sum of the runs' own wall times: about what one thread would need. */
  runSecondsSum: number;
  /** runSecondsSum / wallSeconds. */
  speedup: number;
  runs: { normalize: string; optimizer: string; activation: string; seconds: number; secondsPerEpoch: number; finalLoss: number; testAcc: number }[];
  peakRssMB: number;
}

export function sweepJobs(epochs: number, trainRows: number): TrainingJob[] {
  const jobs: TrainingJob[] = [];
  for (const normalize of ['none', 'scale'] as const) {
    for (const optimizer of ['adam', 'sgd'] as const) {
      for (const activation of ['relu', 'sigmoid'] as const) {
        jobs.push({ config: { epochs, normalize, optimizer, activation, dtype: 'float32', backend: 'wasm', seed: 1 }, trainLimit: trainRows });
      }
    }
  }
  return jobs;
}

export async function runSweep(
  data: BenchData,
  options: { workers: number; epochs: number; trainRows: number; onProgress?: (done: number, total: number) => void },
): Promise<SweepResult> {
  const jobs = sweepJobs(options.epochs, options.trainRows);
  let done = 0;
  const { value: results, seconds } = await measure(() =>
    trainInParallel(jobs, { workers: options.workers, data, onResult: () => options.onProgress?.(++done, jobs.length) }),
  );
  const runs = results.map((r) => ({
    normalize: r.config.normalize,
    optimizer: r.config.optimizer,
    activation: r.config.activation,
    // a run's own time: its training epochs, as measured inside the worker
    seconds: r.epochSeconds.reduce((a, b) => a + b, 0),
    secondsPerEpoch: r.secondsPerEpoch,
    finalLoss: r.history.loss?.[r.history.loss.length - 1] ?? NaN,
    testAcc: r.test.acc,
  }));
  const runSecondsSum = runs.reduce((a, r) => a + r.seconds, 0);
  return {
    configurations: jobs.length,
    epochs: options.epochs,
    workers: options.workers,
    trainRows: Math.min(options.trainRows, data.train.count),
    wallSeconds: seconds,
    runSecondsSum,
    speedup: runSecondsSum / seconds,
    runs,
    peakRssMB: peakRssMB(),
  };
}
