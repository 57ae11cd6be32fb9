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
  prints: { stream: string; text: string; match: 'exact' | 'near'; ctx: HookContext | null }[];
  network: string[];
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
        if (f) f.end = { epochsTrained: e.epochsTrained, stoppedEarly: e.stoppedEarly, error: e.error, seconds: e.seconds, weights: e.weights, dataChanged: e.dataChanged };
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
        facts.stopWrites.push({ call: e.call, value: e.value, truthy: e.truthy, ctx: e.ctx });
        break;
      case 'unknown-property':
        facts.unknownProperties.push({ name: e.name, suggestion: e.suggestion, ctx: e.ctx });
        break;
      case 'print':
        facts.prints.push({ stream: e.stream, text: e.text, match: e.match, ctx: e.ctx });
        break;
      case 'network':
        facts.network.push(e.target);
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

/** Writes of a truthy value to `model.stopTraining` made by the learner's code (inside a hook). */
export function learnerStops(facts: RunFacts, call?: number): StopWrite[] {
  return facts.stopWrites.filter((w) => w.truthy && w.ctx !== null && (call === undefined || w.call === call));
}
