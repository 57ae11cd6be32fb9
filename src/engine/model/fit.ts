/**
 * The fit loop, once for every backend: epochs, seeded shuffling, batching (the last batch may be
 * partial), validation, callbacks, `stopTraining`, NaN/Inf detection and the History. Keras semantics:
 * - the reported training loss/accuracy of an epoch is the sample-weighted mean over its batches, each
 *   measured *before* that batch's update;
 * - `validationSplit` takes the *last* fraction of the samples, before shuffling;
 * - `stopTraining` is reset when fit starts and checked after every batch and every epoch.
 */
import { NormlabError } from '../../errors.js';
import type { Tensor } from '../tensor.js';
import { CallbackList, type CallbackHooks, type Logs } from './callbacks.js';
import { History, type NonFiniteEvent } from './history.js';
import { checkBatchSize } from './checks.js';
import { evaluateRange } from './batches.js';
import { yieldToEventLoop } from '../../util/yield.js';
import type { DataId, NetworkRunner } from '../backend.js';
import type { Random } from '../random.js';

/** What the fit loop needs of its model (a Sequential), so that this module needs nothing from sequential.ts. */
export interface FitModel {
  readonly metricNames: string[];
  stopTraining: boolean;
  /** Shuffling continues across fit() calls. */
  readonly shuffleRandom: Random;
}

/** Data uploaded to a model's runner: what the fit loop and evaluate/predict run batches on. */
export interface LoadedData {
  runner: NetworkRunner;
  id: DataId;
  samples: number;
  outputUnits: number;
}

export interface FitArgs {
  epochs?: number;
  batchSize?: number;
  shuffle?: boolean;
  validationSplit?: number;
  validationData?: [Tensor, Tensor];
  /** 0 silent, 1 or 2 one line per epoch on stderr (the CLI draws its own progress bars). */
  verbose?: 0 | 1 | 2;
  callbacks?: CallbackHooks | CallbackHooks[];
  initialEpoch?: number;
  /** What a NaN/±Infinity loss does: throw a NonFiniteLossError (default) or stop and mark the History. */
  onNonFinite?: 'throw' | 'stop';
  /** Milliseconds between yields to the event loop, so timers and UIs keep running. Default 100. */
  yieldEvery?: number;
}

/** Training produced a NaN or infinite loss. Carries the History up to that point: nothing is lost. */
export class NonFiniteLossError extends NormlabError {
  readonly history: History;
  readonly event: NonFiniteEvent;
  constructor(history: History, event: NonFiniteEvent) {
    super(
      'non-finite',
      `the training loss became ${event.value} at epoch ${event.epoch + 1}, batch ${event.batch + 1} (optimizer step ${event.step + 1}); training stopped there`,
      'lower the learning rate, normalize the inputs (divide pixels by 255), or try float64 to see whether float32 overflow is the cause',
    );
    this.history = history;
    this.event = event;
  }
}

function checkFitArgs(args: FitArgs, samples: number) {
  const epochs = args.epochs ?? 1;
  if (!Number.isInteger(epochs) || epochs < 0)
    throw new NormlabError('config', `epochs must be a whole number ≥ 0, got ${JSON.stringify(args.epochs)}`, 'e.g. epochs: 10');
  const batchSize = checkBatchSize(args.batchSize ?? 32);
  const split = args.validationSplit ?? 0;
  if (typeof split !== 'number' || !(split >= 0 && split < 1)) {
    throw new NormlabError('config', `validationSplit must be a fraction in [0, 1), got ${JSON.stringify(args.validationSplit)}`, 'e.g. validationSplit: 0.1');
  }
  if (args.validationData && args.validationSplit) {
    throw new NormlabError('config', 'pass either validationData or validationSplit, not both', 'remove one of them');
  }
  // tfjs (and Keras): the first floor(n·(1 − split)) rows train, the rest validate.
  if (samples === 0)
    throw new NormlabError(
      'input',
      'x holds no samples (its first axis is 0), so there is nothing to train on',
      'check the data loading or slicing that produced x',
    );
  const trainCount = Math.floor(samples * (1 - split));
  if (trainCount < 1) throw new NormlabError('input', `there are no training samples left after validationSplit ${split} of ${samples}`);
  return { epochs, batchSize, split, trainCount, initialEpoch: args.initialEpoch ?? 0 };
}

/** The fit loop of `model.fit()`; `load` uploads checked data to the model's runner (see loadModelData). */
export async function runFit(model: FitModel, x: Tensor, y: Tensor, args: FitArgs, load: (x: Tensor, y: Tensor) => LoadedData): Promise<History> {
  const samples = x.shape[0];
  const { epochs, batchSize, trainCount, initialEpoch } = checkFitArgs(args, samples);
  const { runner, id } = load(x, y);
  let validation: LoadedData | undefined;
  const released: number[] = [id];
  try {
    if (args.validationData) {
      validation = load(args.validationData[0], args.validationData[1]);
      released.push(validation.id);
    }
    const withAcc = model.metricNames.includes('acc');
    const hasValidation = validation !== undefined || trainCount < samples;
    const params = {
      epochs,
      initialEpoch,
      samples: trainCount,
      steps: Math.ceil(trainCount / batchSize),
      batchSize,
      verbose: args.verbose ?? 1,
      doValidation: hasValidation,
      metrics: withAcc ? ['loss', 'acc'] : ['loss'],
    };
    const history = new History(params);
    const callbacks = new CallbackList(args.callbacks, model, params);
    const yieldEvery = args.yieldEvery ?? 100;
    let lastYield = Date.now();
    const order = Int32Array.from({ length: trainCount }, (_, i) => i);
    const rows = new Int32Array(batchSize);
    let step = 0;

    model.stopTraining = false;
    await callbacks.onTrainBegin();
    for (let epoch = initialEpoch; epoch < epochs; epoch++) {
      const started = performance.now();
      await callbacks.onEpochBegin(epoch);
      if (args.shuffle ?? true) model.shuffleRandom.shuffle(order);
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      for (let batch = 0, start = 0; start < trainCount; batch++, start += batchSize) {
        const count = Math.min(batchSize, trainCount - start);
        for (let i = 0; i < count; i++) rows[i] = order[start + i];
        await callbacks.onBatchBegin(batch, { batch, size: count });
        const result = runner.trainBatch(id, rows, count);
        if (!Number.isFinite(result.lossSum)) {
          const event: NonFiniteEvent = { epoch, batch, step, value: result.lossSum };
          history.nonFinite = event;
          if (args.onNonFinite === 'stop') {
            model.stopTraining = true;
            break;
          }
          throw new NonFiniteLossError(history, event);
        }
        step++;
        lossSum += result.lossSum;
        correct += result.correct;
        seen += count;
        const batchLogs: Logs = { batch, size: count, loss: result.lossSum / count };
        if (withAcc) batchLogs.acc = result.correct / count;
        await callbacks.onBatchEnd(batch, batchLogs);
        if (Date.now() - lastYield > yieldEvery) {
          await yieldToEventLoop(); // not setTimeout(0): browsers clamp it to 4 ms (src/util/yield.ts)
          lastYield = Date.now();
        }
        if (model.stopTraining) break;
      }
      if (seen === 0) break; // a NaN on the first batch of an epoch: nothing to report for it
      const logs: Logs = { loss: lossSum / seen };
      if (withAcc) logs.acc = correct / seen;
      if (hasValidation) Object.assign(logs, evaluateRows(validation ?? { runner, id, samples }, validation ? 0 : trainCount, withAcc, batchSize));
      const seconds = (performance.now() - started) / 1000;
      history.record(epoch, logs, seconds);
      if (params.verbose) console.error(formatEpochLine(epoch, epochs, seconds, logs));
      await callbacks.onEpochEnd(epoch, logs);
      if (model.stopTraining || history.nonFinite) {
        history.stoppedEarly = epoch + 1 < epochs;
        break;
      }
    }
    await callbacks.onTrainEnd(history.epoch.length ? lastLogs(history) : {});
    return history;
  } finally {
    for (const r of released) runner.releaseData(r);
  }
}

function evaluateRows(data: Omit<LoadedData, 'outputUnits'>, from: number, withAcc: boolean, batchSize: number): Logs {
  const { lossSum, correct } = evaluateRange(data.runner, data.id, from, data.samples, batchSize);
  const n = data.samples - from;
  const logs: Logs = { val_loss: lossSum / n };
  if (withAcc) logs.val_acc = correct / n;
  return logs;
}

function lastLogs(history: History): Logs {
  const logs: Logs = {};
  for (const [k, v] of Object.entries(history.history)) logs[k] = v[v.length - 1];
  return logs;
}

export function formatEpochLine(epoch: number, epochs: number, seconds: number, logs: Logs): string {
  const parts = Object.entries(logs).map(([k, v]) => `${k}: ${v.toFixed(4)}`);
  return `Epoch ${epoch + 1}/${epochs} - ${seconds.toFixed(2)}s - ${parts.join(' - ')}`;
}
