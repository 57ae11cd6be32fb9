/**
 * Callbacks as TensorFlow.js has them: either a plain object with any of the hook methods, or a
 * subclass of `Callback`, which reaches the model through `this.model`. Every hook may be async.
 * Log keys follow tfjs: `loss`, `acc` (for metrics: ['accuracy']), `val_loss`, `val_acc`.
 */
export type Logs = Record<string, number>;

export interface CallbackHooks {
  onTrainBegin?(logs?: Logs): unknown;
  onTrainEnd?(logs?: Logs): unknown;
  onEpochBegin?(epoch: number, logs?: Logs): unknown;
  onEpochEnd?(epoch: number, logs?: Logs): unknown;
  onBatchBegin?(batch: number, logs?: Logs): unknown;
  onBatchEnd?(batch: number, logs?: Logs): unknown;
}

/** The model as a callback sees it. */
export interface CallbackModel {
  stopTraining: boolean;
}

export class Callback {
  // `any` on purpose: tfjs types callback.model loosely too, and learner code reads any property of it.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  model: any = null;
  params: Record<string, unknown> = {};

  setModel(model: unknown): void {
    this.model = model;
  }

  setParams(params: Record<string, unknown>): void {
    this.params = params;
  }
}

// eslint-disable-next-line @typescript-eslint/no-unused-vars -- the list exists to derive HookName
const HOOKS = ['onTrainBegin', 'onTrainEnd', 'onEpochBegin', 'onEpochEnd', 'onBatchBegin', 'onBatchEnd'] as const;
type HookName = (typeof HOOKS)[number];

/** Runs a list of callbacks in order, awaiting each. */
export class CallbackList {
  readonly callbacks: CallbackHooks[];

  constructor(callbacks: CallbackHooks | CallbackHooks[] | undefined, model: unknown, params: Record<string, unknown>) {
    this.callbacks = callbacks === undefined || callbacks === null ? [] : Array.isArray(callbacks) ? callbacks : [callbacks];
    for (const cb of this.callbacks) {
      if (cb instanceof Callback) {
        cb.setModel(model);
        cb.setParams(params);
      } else if (cb && typeof cb === 'object' && !('model' in cb)) {
        // Plain objects get `model` too, so `this.model.stopTraining = true` works in either style.
        (cb as { model?: unknown }).model = model;
      }
    }
  }

  private async call(hook: HookName, ...args: unknown[]): Promise<void> {
    for (const cb of this.callbacks) {
      const fn = (cb as Record<string, unknown>)[hook];
      if (typeof fn === 'function') await fn.apply(cb, args);
    }
  }

  onTrainBegin(logs: Logs = {}) {
    return this.call('onTrainBegin', logs);
  }
  onTrainEnd(logs: Logs = {}) {
    return this.call('onTrainEnd', logs);
  }
  onEpochBegin(epoch: number, logs: Logs = {}) {
    return this.call('onEpochBegin', epoch, logs);
  }
  onEpochEnd(epoch: number, logs: Logs) {
    return this.call('onEpochEnd', epoch, logs);
  }
  onBatchBegin(batch: number, logs: Logs) {
    return this.call('onBatchBegin', batch, logs);
  }
  onBatchEnd(batch: number, logs: Logs) {
    return this.call('onBatchEnd', batch, logs);
  }
}
