/**
 * Divergence that never reaches NaN: a loss that explodes (SGD at lr 10 on raw pixels reaches 6.9e14 and
 * stays finite) and a run that ends at chance accuracy. Both used to end with exit 0 and no word; this
 * watches every batch of a run and says what happened, when, and what to try, as for a NaN loss.
 */
import { Callback, type Logs } from '../engine/model/callbacks.js';

/**
 * A batch loss this many times the first batch's loss is an explosion. A softmax cross-entropy starts near
 * ln(classes) (2.3 for ten classes) and a healthy run only goes down; 100× the start is ~230, a loss no
 * run that is learning ever reports, while ordinary noisy batches stay well within 2–3× of the start.
 */
export const EXPLODING_LOSS_FACTOR = 100;

/**
 * A final training accuracy below this multiple of chance (1/classes) means the run learned nothing: 10
 * classes → under 15%. A working run of the lab model passes 60% within its first epoch.
 */
export const STUCK_AT_CHANCE_FACTOR = 1.5;

export interface Divergence {
  kind: 'exploding-loss' | 'stuck-at-chance';
  /** 0-based epoch (and batch, for an explosion) where it was first seen. */
  epoch: number;
  batch?: number;
  /** The exploded batch loss, or the final training accuracy. */
  value: number;
  /** The first batch's loss (explosion) or chance accuracy (stuck). */
  reference: number;
  message: string;
  hint: string;
}

const HINT = 'lower the learning rate (e.g. --lr 0.001), normalize the inputs (--normalize scale), or switch to --optimizer adam';

/** A fit callback that notices an exploding loss and, at the end, a run stuck at chance. */
export class DivergenceWatch extends Callback {
  private firstLoss: number | undefined;
  private epochNow = 0;
  private lastAcc: number | undefined;
  private lastEpoch = 0;
  readonly found: Divergence[] = [];

  constructor(private readonly classes: number) {
    super();
  }

  onEpochBegin(epoch: number): void {
    this.epochNow = epoch;
  }

  onBatchEnd(batch: number, logs: Logs): void {
    const loss = logs.loss;
    if (!Number.isFinite(loss)) return; // NaN/∞ has its own report
    if (this.firstLoss === undefined) {
      this.firstLoss = loss;
      return;
    }
    if (this.found.some((d) => d.kind === 'exploding-loss')) return;
    if (loss > EXPLODING_LOSS_FACTOR * Math.max(this.firstLoss, 1e-3)) {
      this.found.push({
        kind: 'exploding-loss',
        epoch: this.epochNow,
        batch,
        value: loss,
        reference: this.firstLoss,
        message: `the training loss exploded to ${loss.toPrecision(3)} at epoch ${this.epochNow + 1}, batch ${batch + 1} (${Math.round(loss / this.firstLoss)}× its first value ${this.firstLoss.toPrecision(3)}); the run diverged without reaching NaN`,
        hint: HINT,
      });
    }
  }

  onEpochEnd(epoch: number, logs: Logs): void {
    this.lastEpoch = epoch;
    if (logs.acc !== undefined) this.lastAcc = logs.acc;
  }

  /** Everything found, including a final accuracy stuck at chance; call once training has ended. */
  result(): Divergence[] {
    const chance = 1 / this.classes;
    if (this.lastAcc !== undefined && this.classes > 1 && this.lastAcc < STUCK_AT_CHANCE_FACTOR * chance) {
      this.found.push({
        kind: 'stuck-at-chance',
        epoch: this.lastEpoch,
        value: this.lastAcc,
        reference: chance,
        message: `training accuracy is ${(this.lastAcc * 100).toFixed(1)}% after epoch ${this.lastEpoch + 1}, no better than chance (${(chance * 100).toFixed(0)}% for ${this.classes} classes): the model learned nothing`,
        hint: HINT,
      });
    }
    return this.found;
  }
}
