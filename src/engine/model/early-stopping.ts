/**
 * `tf.callbacks.earlyStopping(args)`: stop training when a monitored quantity has stopped improving.
 *
 * Semantics of TensorFlow.js (tfjs-layers `EarlyStopping`), which follow Keras:
 * - `monitor` (default 'val_loss') is read from the epoch's logs; when it is missing, a warning lists the
 *   logs' keys and the epoch is skipped.
 * - `mode` 'min' | 'max' | 'auto' (default): 'auto' means 'max' when the name contains 'acc', else 'min'.
 * - An epoch improves when `current - minDelta > best` ('max') or `current + minDelta < best` ('min');
 *   `minDelta` is taken as its absolute value.
 * - `best` starts at `baseline` when given (so training stops unless the model beats the baseline), else
 *   at ∓Infinity; each improvement resets the wait, each other epoch adds one, and when the wait reaches
 *   `patience` (default 0) training stops.
 * - `restoreBestWeights` (which tfjs 4.x rejects as not implemented) works as in Keras: the weights of the
 *   best epoch so far are kept (or the first epoch's, if none improved on the baseline) and put back into
 *   the model when this callback stops training.
 * - `verbose` > 0 prints "Epoch N: early stopping" at the end of training.
 */
import { NormlabError } from '../../errors.js';
import { Callback, type Logs } from './callbacks.js';

export interface EarlyStoppingArgs {
  monitor?: string;
  minDelta?: number;
  patience?: number;
  verbose?: number;
  mode?: 'auto' | 'min' | 'max';
  baseline?: number;
  restoreBestWeights?: boolean;
}

/** The model as EarlyStopping uses it. */
interface StoppableModel {
  stopTraining: boolean;
  getWeights(): { dataSync(): ArrayLike<number> }[];
  setWeights(weights: Float64Array[]): void;
}

export class EarlyStopping extends Callback {
  readonly monitor: string;
  readonly minDelta: number;
  readonly patience: number;
  readonly verbose: number;
  readonly mode: 'auto' | 'min' | 'max';
  readonly baseline?: number;
  readonly restoreBestWeights: boolean;
  /** true: larger is better. */
  private readonly maximize: boolean;
  private wait = 0;
  private best = Infinity;
  /** 0-based epoch at which training was stopped (0 when it was not: as tfjs). */
  stoppedEpoch = 0;
  /** 0-based epoch of the best value (−1 before the first). */
  bestEpoch = -1;
  private bestWeights?: Float64Array[];

  constructor(args: EarlyStoppingArgs = {}) {
    super();
    if (args === null || typeof args !== 'object')
      throw new NormlabError(
        'config',
        `earlyStopping expects an options object, got ${typeof args}`,
        "e.g. tf.callbacks.earlyStopping({monitor: 'val_loss', patience: 2})",
      );
    const number = (name: keyof EarlyStoppingArgs, v: unknown) => {
      if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v)))
        throw new NormlabError('config', `earlyStopping's ${name} must be a finite number, got ${JSON.stringify(v)}`);
    };
    number('minDelta', args.minDelta);
    number('patience', args.patience);
    number('baseline', args.baseline);
    if (args.monitor !== undefined && typeof args.monitor !== 'string')
      throw new NormlabError('config', `earlyStopping's monitor must be the name of a log, e.g. 'val_loss' or 'acc'`);
    this.monitor = args.monitor || 'val_loss';
    this.minDelta = Math.abs(args.minDelta || 0);
    this.patience = args.patience || 0;
    this.verbose = args.verbose || 0;
    this.baseline = args.baseline;
    this.restoreBestWeights = Boolean(args.restoreBestWeights);
    let mode = args.mode || 'auto';
    if (!['auto', 'min', 'max'].includes(mode)) {
      console.warn(`EarlyStopping mode '${String(mode)}' is invalid. Falling back to mode 'auto'.`);
      mode = 'auto';
    }
    this.mode = mode;
    this.maximize = mode === 'max' || (mode === 'auto' && this.monitor.includes('acc'));
  }

  private improves(current: number, reference: number): boolean {
    return this.maximize ? current - this.minDelta > reference : current + this.minDelta < reference;
  }

  onTrainBegin(): void {
    this.wait = 0;
    this.stoppedEpoch = 0;
    this.bestEpoch = -1;
    this.bestWeights = undefined;
    this.best = this.baseline ?? (this.maximize ? -Infinity : Infinity);
  }

  onEpochEnd(epoch: number, logs?: Logs): void {
    const current = logs?.[this.monitor];
    if (current === undefined || current === null) {
      console.warn(`Metric for EarlyStopping ${this.monitor} is not available. Available metrics are: ${Object.keys(logs ?? {}).join(',')}`);
      return;
    }
    const model = this.model as StoppableModel | null;
    if (this.restoreBestWeights && model && this.bestWeights === undefined) this.bestWeights = snapshot(model);
    if (this.improves(current, this.best)) {
      this.best = current;
      this.bestEpoch = epoch;
      this.wait = 0;
      if (this.restoreBestWeights && model) this.bestWeights = snapshot(model);
      return;
    }
    this.wait++;
    if (this.wait >= this.patience && model) {
      this.stoppedEpoch = epoch;
      model.stopTraining = true;
      if (this.restoreBestWeights && this.bestWeights) {
        if (this.verbose > 0) console.log(`Restoring model weights from the end of the best epoch: ${this.bestEpoch + 1}.`);
        model.setWeights(this.bestWeights);
      }
    }
  }

  onTrainEnd(): void {
    if (this.stoppedEpoch > 0 && this.verbose) console.log(`Epoch ${this.stoppedEpoch}: early stopping.`);
  }
}

function snapshot(model: StoppableModel): Float64Array[] {
  return model.getWeights().map((w) => Float64Array.from(w.dataSync()));
}

/** `tf.callbacks.earlyStopping(…)`, as in TensorFlow.js. */
export function earlyStopping(args?: EarlyStoppingArgs): EarlyStopping {
  return new EarlyStopping(args);
}

/** The `tf.callbacks` namespace. */
export const callbacks = { earlyStopping };
