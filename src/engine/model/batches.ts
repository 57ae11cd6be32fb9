/**
 * Rows in order, batch by batch: the one loop behind evaluate(), predict() and fit's validation. (The
 * training loop itself batches a shuffled order, with callbacks between batches, and stays in fit.ts.)
 */
import type { DataId, NetworkRunner } from '../backend.js';

/**
 * Calls `each(rows, count, start)` for the rows [from, to) in consecutive batches of `batchSize` (the
 * last one may be shorter). `rows` is one buffer reused for every batch: only its first `count` entries
 * are the batch.
 */
export function forEachBatch(from: number, to: number, batchSize: number, each: (rows: Int32Array, count: number, start: number) => void): void {
  const rows = new Int32Array(batchSize);
  for (let start = from; start < to; start += batchSize) {
    const count = Math.min(batchSize, to - start);
    for (let i = 0; i < count; i++) rows[i] = start + i;
    each(rows, count, start);
  }
}

/** Summed loss and correct predictions over the rows [from, to) of loaded data `id`, batch by batch. */
export function evaluateRange(runner: NetworkRunner, id: DataId, from: number, to: number, batchSize: number): { lossSum: number; correct: number } {
  let lossSum = 0;
  let correct = 0;
  forEachBatch(from, to, batchSize, (rows, count) => {
    const r = runner.evaluate(id, rows, count);
    lossSum += r.lossSum;
    correct += r.correct;
  });
  return { lossSum, correct };
}
