/**
 * Whether a training batch runs on two threads or one, decided by measuring both as training goes.
 *
 * Why measure instead of assume: two threads halve the first layer's work but meet four times per
 * batch, so they only win while both really get a core. On a machine shared with other processes (a
 * test suite, a study running beside it, other users) the second thread is often descheduled, and then
 * every barrier waits a whole time slice: measured here, a batch became 3× slower than on one thread.
 * Because a batch gives bit-identical numbers either way, the choice can change at any batch for free.
 *
 * The cycle: WINDOW batches on two threads, WINDOW on one (back to back, so under the same conditions),
 * compare their median time per row, then run `period` batches with the faster. Two threads must win by
 * MARGIN, since they use twice the CPU. The same winner twice doubles the period (up to MAX_PERIOD, so
 * the loser's windows cost little); a change of winner resets it.
 */

/** Batches timed per thread count in one comparison. */
export const WINDOW = 16;
/** Batches between comparisons, at first and after the winner changed. */
export const BASE_PERIOD = 256;
export const MAX_PERIOD = 4096;
/** Two threads must be at least this much faster per row to be chosen. */
export const MARGIN = 0.05;

type State = 'timeTwo' | 'timeOne' | 'run';

export class SplitPolicy {
  private state: State = 'timeTwo';
  private left = WINDOW;
  private twoWins = true;
  private period = BASE_PERIOD;
  private readonly two: number[] = [];
  private readonly one: number[] = [];
  /** Comparisons made and how often two threads won (diagnostics, tests). */
  comparisons = 0;
  twoThreadWins = 0;

  /** 'always': two threads for every batch (no timing); 'auto': measure and choose. */
  constructor(readonly mode: 'auto' | 'always') {}

  /** Whether the next batch should run on two threads. */
  wantsTwo(): boolean {
    if (this.mode === 'always') return true;
    return this.state === 'timeTwo' || (this.state === 'run' && this.twoWins);
  }

  /** After a batch: whether it did run on two threads, its rows, and its time (any unit). */
  record(ranOnTwo: boolean, rows: number, time: number): void {
    if (this.mode === 'always' || rows <= 0) return;
    const perRow = time / rows;
    switch (this.state) {
      case 'timeTwo':
        // batches that asked for two threads but ran on one (the helper still starting) do not count
        if (!ranOnTwo) return;
        this.two.push(perRow);
        if (--this.left === 0) this.enter('timeOne', WINDOW);
        return;
      case 'timeOne':
        this.one.push(perRow);
        if (--this.left === 0) this.decide();
        return;
      case 'run':
        if (--this.left === 0) this.enter('timeTwo', WINDOW);
        return;
    }
  }

  private decide(): void {
    const twoWins = median(this.two) < median(this.one) * (1 - MARGIN);
    this.comparisons++;
    if (twoWins) this.twoThreadWins++;
    this.period = twoWins === this.twoWins ? Math.min(this.period * 2, MAX_PERIOD) : BASE_PERIOD;
    this.twoWins = twoWins;
    this.two.length = 0;
    this.one.length = 0;
    this.enter('run', this.period);
  }

  private enter(state: State, batches: number): void {
    this.state = state;
    this.left = batches;
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
