/**
 * The harness's event stream, folded into the facts the tests are decided on: each fit call (what it
 * was asked, what it was given, every epoch's true logs), every write to the stop flag, what the
 * learner's hooks read, what was printed, what trainMnist returned, and how the process ended.
 * Pure data in, pure data out: no test here, no wording.
 */
import type { ErrorInfo, HarnessEvent, HookContext, KeyRead } from './protocol.js';

export interface EpochFact {
  call: number;
  /** 0-based within its call, as the engine counts. */
  epoch: number;
  logs: Record<string, number>;
  seconds: number;
}

/** What fit was asked and given (the fit-begin event), plus what happened in it. */
export interface FitFact extends Omit<Extract<HarnessEvent, { type: 'fit-begin' }>, 'type'> {
  epochLogs: EpochFact[];
  /** Set when fit returned or threw. */
  end?: Omit<Extract<HarnessEvent, { type: 'fit-end' }>, 'type' | 'call'>;
}

export interface HookRun {
  ctx: HookContext;
  reads: KeyRead[];
  ms: number;
  threw: boolean;
  /** Properties like `stopTraining` that the callback set on itself instead of on the model. */
  ownStop?: string[];
  /** Batch hooks are summarised per epoch: how many calls this row stands for. */
  calls: number;
}

export interface StopWrite {
  call: number | null;
  value: string;
  truthy: boolean;
  ctx: HookContext | null;
  /** Made inside the hook's own call (not by a timer that ran while the hook awaited). */
  onStack: boolean;
}

export interface RunFacts {
  hello?: { backend: string; node: string; isolation: string[] };
  loaded: boolean;
  exports: string[];
  callBegan: boolean;
  fits: FitFact[];
  hooks: HookRun[];
  /** The hook that was entered but never exited (where the run was when it died), if any. */
  openHook: HookContext | null;
  stopWrites: StopWrite[];
  unknownProperties: { name: string; suggestion?: string; ctx: HookContext | null }[];
  /** `ctx`: the hook running at the time; `onStack`: the print was made inside that hook's call. */
  prints: { stream: string; text: string; match: 'exact' | 'near'; ctx: HookContext | null; onStack: boolean }[];
  network: string[];
  /** Every refused attempt (read, write, process, network, native, code from a string…), caught or not. */
  violations: Omit<Extract<HarnessEvent, { type: 'violation' }>, 'type'>[];
  /** The harness stopped the run because the submission printed too much. */
  outputLimit?: { bytes: number; ctx: HookContext | null };
  exitCall?: { code: string; frames: string[] };
  exitEvent?: { code: number };
  error?: ErrorInfo;
  result?: { returned: string; historyOf: number | null; seconds: number; dataChanged: boolean };
}

export function collectFacts(events: readonly HarnessEvent[]): RunFacts {
  const facts: RunFacts = {
    loaded: false,
    exports: [],
    callBegan: false,
    fits: [],
    hooks: [],
    openHook: null,
    stopWrites: [],
    unknownProperties: [],
    prints: [],
    network: [],
    violations: [],
  };
  const fitOf = (call: number | null) => facts.fits.find((f) => f.call === call);
  const open: HookContext[] = [];
  for (const e of events) {
    switch (e.type) {
      case 'hello':
        facts.hello = { backend: e.backend, node: e.node, isolation: e.isolation };
        break;
      case 'loaded':
        facts.loaded = true;
        facts.exports = e.exports;
        break;
      case 'call-begin':
        facts.callBegan = true;
        break;
      case 'fit-begin':
        facts.fits.push({
          call: e.call,
          epochs: e.epochs,
          epochsValue: e.epochsValue,
          argKeys: e.argKeys,
          unknownArgs: e.unknownArgs,
          batchSize: e.batchSize,
          callbacks: e.callbacks,
          callbacksArg: e.callbacksArg,
          x: e.x,
          y: e.y,
          model: e.model,
          epochLogs: [],
        });
        break;
      case 'epoch-end':
        fitOf(e.call)?.epochLogs.push({ call: e.call, epoch: e.epoch, logs: e.logs, seconds: e.seconds });
        break;
      case 'fit-end': {
        const f = fitOf(e.call);
        if (f)
          f.end = {
            epochsTrained: e.epochsTrained,
            stoppedEarly: e.stoppedEarly,
            error: e.error,
            seconds: e.seconds,
            weights: e.weights,
            dataChanged: e.dataChanged,
          };
        break;
      }
      case 'hook-enter':
        open.push(e.ctx);
        break;
      case 'hook-exit': {
        const i = open.findIndex((c) => sameHook(c, e.ctx));
        if (i >= 0) open.splice(i, 1);
        facts.hooks.push({ ctx: e.ctx, reads: e.reads, ms: e.ms, threw: Boolean(e.threw), ownStop: e.ownStop, calls: 1 });
        break;
      }
      case 'batch-summary': {
        // batch hooks enter one by one but are summarised once per epoch: drop their open entries
        for (let i = open.length - 1; i >= 0; i--) if (open[i].hook === e.hook && open[i].call === e.call && open[i].epoch === e.epoch) open.splice(i, 1);
        facts.hooks.push({ ctx: { call: e.call, hook: e.hook, epoch: e.epoch, callback: e.callback }, reads: e.reads, ms: e.ms, threw: false, calls: e.calls });
        break;
      }
      case 'stop-write':
        facts.stopWrites.push({ call: e.call, value: e.value, truthy: e.truthy, ctx: e.ctx, onStack: e.onStack === true });
        break;
      case 'unknown-property':
        facts.unknownProperties.push({ name: e.name, suggestion: e.suggestion, ctx: e.ctx });
        break;
      case 'print':
        facts.prints.push({ stream: e.stream, text: e.text, match: e.match, ctx: e.ctx, onStack: e.onStack === true });
        break;
      case 'network':
        facts.network.push(e.target);
        break;
      case 'violation':
        facts.violations.push({ permission: e.permission, resource: e.resource, via: e.via, frames: e.frames, ctx: e.ctx });
        break;
      case 'output-limit':
        facts.outputLimit = { bytes: e.bytes, ctx: e.ctx };
        break;
      case 'process-exit-call':
        facts.exitCall ??= { code: e.code, frames: e.frames };
        break;
      case 'exit':
        facts.exitEvent = { code: e.code };
        break;
      case 'error':
        facts.error ??= e.error;
        break;
      case 'result':
        facts.result = { returned: e.returned, historyOf: e.historyOf, seconds: e.seconds, dataChanged: e.dataChanged };
        break;
      case 'compile':
        break;
    }
  }
  // A batch hook still open is the one that was running; otherwise the innermost epoch-level hook.
  facts.openHook = open.length > 0 ? open[open.length - 1] : null;
  return facts;
}

function sameHook(a: HookContext, b: HookContext): boolean {
  return a.call === b.call && a.hook === b.hook && a.epoch === b.epoch && a.callback === b.callback && a.batch === b.batch;
}

/** The fit call the tests are about: the one whose History trainMnist returned, else the last one. */
export function gradedFit(facts: RunFacts): FitFact | undefined {
  if (facts.result?.historyOf) {
    const f = facts.fits.find((x) => x.call === facts.result!.historyOf);
    if (f) return f;
  }
  return facts.fits[facts.fits.length - 1];
}

/** Every epoch trained, in order, over all fit calls. */
export function allEpochs(facts: RunFacts): EpochFact[] {
  return facts.fits.flatMap((f) => f.epochLogs);
}

/** Writes of a truthy value to `model.stopTraining` made by the learner's code inside a hook's call. */
export function learnerStops(facts: RunFacts, call?: number): StopWrite[] {
  return facts.stopWrites.filter((w) => w.truthy && w.ctx !== null && w.onStack && !w.ctx.builtin && (call === undefined || w.call === call));
}

/** Stops made by an engine-provided callback (tf.callbacks.earlyStopping), not by the learner's code. */
export function builtinStops(facts: RunFacts, call?: number): StopWrite[] {
  return facts.stopWrites.filter((w) => w.truthy && w.ctx !== null && w.ctx.builtin && (call === undefined || w.call === call));
}

/** Stops made while a learner hook was awaiting, by code outside its call (a timer, a promise callback). */
export function strayStops(facts: RunFacts, call?: number): StopWrite[] {
  return facts.stopWrites.filter((w) => w.truthy && w.ctx !== null && !w.onStack && (call === undefined || w.call === call));
}

export type StopProblem =
  /** no learner stop in the graded fit */
  | 'none'
  /** before the epoch where accuracy first passed the threshold (or it never did) */
  | 'early'
  /** in a later epoch than the first one above the threshold */
  | 'late'
  /** in a batch hook while the batch's or the epoch's accuracy so far was not above the threshold */
  | 'batch-below'
  /** in a hook where no accuracy had been measured yet (onTrainBegin, onEpochBegin) or that ends nothing */
  | 'hook';

export interface StopAnalysis {
  fit: FitFact;
  /** The graded fit's epochs. */
  epochs: EpochFact[];
  /** Index into `epochs` of the first epoch whose acc passed the threshold; -1 if none. */
  firstAbove: number;
  /** The learner's first stop in the graded fit. */
  stop?: StopWrite;
  /** True when the stop followed the accuracy crossing (the rule the stop and message tests apply). */
  valid: boolean;
  problem?: StopProblem;
}

/**
 * Whether training was stopped for the right reason. The rule: the learner's first write of a truthy
 * `model.stopTraining` in the graded fit must be made inside a hook's own call, and
 * - in onEpochEnd: in the epoch whose logs first had acc > threshold;
 * - in onBatchEnd/onBatchBegin: when the batch's own acc and the epoch's accuracy so far were both above
 *   the threshold, and no earlier epoch had ended above it (stopping there makes that partial epoch's
 *   logged accuracy exactly the accuracy so far, above the threshold).
 * Any other stop (earlier, later, in onTrainBegin/onEpochBegin, without looking at the accuracy) is not.
 */
export function analyzeStop(facts: RunFacts, threshold: number): StopAnalysis | undefined {
  const fit = gradedFit(facts);
  if (!fit) return undefined;
  const epochs = fit.epochLogs;
  const accOf = (l: Record<string, number>) => l.acc ?? l.accuracy;
  const firstAbove = epochs.findIndex((e) => (accOf(e.logs) ?? 0) > threshold);
  const stop = learnerStops(facts, fit.call)[0];
  const out: StopAnalysis = { fit, epochs, firstAbove, stop, valid: false };
  if (!stop?.ctx) return { ...out, problem: 'none' };
  const ctx = stop.ctx;
  const crossingEpoch = firstAbove >= 0 ? epochs[firstAbove].epoch : undefined;
  if (ctx.hook === 'onEpochEnd') {
    if (crossingEpoch === undefined || ctx.epoch < crossingEpoch) return { ...out, problem: 'early' };
    if (ctx.epoch > crossingEpoch) return { ...out, problem: 'late' };
    return { ...out, valid: true };
  }
  if (ctx.hook === 'onBatchEnd' || ctx.hook === 'onBatchBegin') {
    if (crossingEpoch !== undefined && crossingEpoch < ctx.epoch) return { ...out, problem: 'late' };
    const above = (ctx.acc ?? 0) > threshold && (ctx.runningAcc ?? 0) > threshold;
    return above ? { ...out, valid: true } : { ...out, problem: 'batch-below' };
  }
  return { ...out, problem: 'hook' };
}

/** Same hook call: same fit, hook, epoch, batch and callback. */
export function sameHookCall(a: HookContext | null | undefined, b: HookContext | null | undefined): boolean {
  return !!a && !!b && a.call === b.call && a.hook === b.hook && a.epoch === b.epoch && a.batch === b.batch && a.callback === b.callback;
}
