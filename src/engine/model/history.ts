/** What fit() returns: tfjs' History (`history.history.loss`, `.acc`, `.epoch`) plus timing. */
export interface NonFiniteEvent {
  epoch: number;
  batch: number;
  /** Optimizer steps completed before the non-finite loss appeared (0-based index of the bad step). */
  step: number;
  value: number;
}

export class History {
  /** One array per logged quantity, one entry per completed epoch. */
  readonly history: Record<string, number[]> = {};
  /** Indices of the completed epochs. */
  readonly epoch: number[] = [];
  readonly params: Record<string, unknown>;
  /** Wall-clock seconds of each completed epoch (training only, validation included). */
  readonly epochSeconds: number[] = [];
  /** Set when training stopped because the loss became NaN or ±Infinity. */
  nonFinite?: NonFiniteEvent;
  /** True when training ended early because `model.stopTraining` was set. */
  stoppedEarly = false;

  constructor(params: Record<string, unknown>) {
    this.params = params;
  }

  record(epoch: number, logs: Record<string, number>, seconds: number): void {
    this.epoch.push(epoch);
    this.epochSeconds.push(seconds);
    for (const [key, value] of Object.entries(logs)) (this.history[key] ??= []).push(value);
  }
}
