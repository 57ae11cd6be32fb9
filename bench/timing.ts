/** What the benchmark measures for one engine, and the helpers every engine's measurement shares. */

export interface EngineTiming {
  /** e.g. 'normlab wasm float32', 'tfjs wasm'. */
  name: string;
  /** The warm-up fit (not timed for the result): rows trained, seconds. */
  warmup: { rows: number; seconds: number };
  /** The timed fit: rows per epoch, each epoch's seconds (the fit loop's own measure), process CPU seconds. */
  timed: { rows: number; epochs: number; epochSeconds: number[]; cpuSeconds: number };
  /** Mean seconds of one epoch of the full training set (scaled from `timed.rows` when that is smaller). */
  secondsPerEpoch: number;
  /** The same, in CPU seconds of this process (less sensitive to other processes on the machine). */
  cpuSecondsPerEpoch: number;
  /** True when `secondsPerEpoch` was scaled up from a slice (--quick). */
  extrapolated: boolean;
  /** Training loss and accuracy of each timed epoch. */
  loss: number[];
  acc: number[];
  /** Accuracy on the 10,000 test images after the timed epochs. */
  testAcc: number;
  /** Samples per second of predict() over the 10,000 test images (batch size 256). */
  predictSamplesPerSecond: number;
  /** Peak resident set size of the whole process so far, in MB. */
  peakRssMB: number;
}

export const BATCH_SIZE = 32;
export const PREDICT_BATCH = 256;

/** Peak RSS of this process so far (all threads), in MB. */
export function peakRssMB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

export function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** Wall and CPU seconds of `fn` (CPU: user + system of the whole process). */
export async function measure<T>(fn: () => Promise<T> | T): Promise<{ value: T; seconds: number; cpuSeconds: number }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const value = await fn();
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { value, seconds, cpuSeconds: (used.user + used.system) / 1e6 };
}
