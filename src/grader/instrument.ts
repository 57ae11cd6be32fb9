/**
 * The instrumented engine a submission gets when it imports `normlab` while being graded. It is the real
 * engine (same numbers, same errors), with recording around the seams the assignment is about:
 *
 * - every `model.fit` call: the epochs *asked for* (read once from the arguments, so a getter cannot
 *   answer differently twice), unknown option names (`callback` for `callbacks`), the callbacks passed
 *   (instances, plain objects, a class passed without `new`, hooks misspelled as `on_epoch_end`), and
 *   whether x/y are the tensors trainMnist was given (same tensor, same buffer, an equal copy, or not);
 * - per-epoch logs, recorded by a callback that runs before the learner's ones (so a callback that
 *   rewrites `logs.acc` changes nothing the grader sees);
 * - each learner hook call: which `logs` keys it read (through a Proxy, so `logs.accuracy` is seen even
 *   though it does not exist), how long it ran, whether it threw;
 * - every write to `model.stopTraining` (an accessor installed on the model), with the hook that was
 *   running; property names written on the model that the API does not have (`model.unknownProperties`);
 * - the final weights of each fit, so the parent can recompute the accuracy in its own process.
 *
 * Everything is sent as events through `Recorder.send`; nothing the submission can reach holds the
 * channel or its key.
 */
import { Callback, type CallbackHooks, type Logs } from '../engine/model/callbacks.js';
import { EarlyStopping } from '../engine/model/early-stopping.js';
import { History } from '../engine/model/history.js';
import { Sequential } from '../engine/model/sequential.js';
import { Tensor } from '../engine/tensor.js';
import { argmaxOf } from '../engine/math/argmax.js';
import { NormlabError } from '../errors.js';
import { closestName } from '../util/suggest.js';
import { isNativeError, isPromise, isProxy } from 'node:util/types';
import type { CallbackInfo, HarnessEvent, HookContext, KeyRead, ModelInfo, TensorInfo, WeightsDump } from './protocol.js';

export interface Recorder {
  send(event: HarnessEvent): void;
  now(): number;
  /** A digest of the given tensors' buffers (to notice a submission that overwrites its data). */
  dataDigest(): string;
  base64(bytes: Uint8Array): string;
  /** Substrings that identify the submission's stack frames. */
  markers: string[];
  /** The current call stack as V8 prints it, immune to the submission's Error.prepareStackTrace. */
  stack(): string;
}

export const HOOKS = ['onTrainBegin', 'onTrainEnd', 'onEpochBegin', 'onEpochEnd', 'onBatchBegin', 'onBatchEnd'] as const;
type HookName = (typeof HOOKS)[number];
const BATCH_HOOKS = new Set<string>(['onBatchBegin', 'onBatchEnd']);
const FIT_KEYS = [
  'epochs',
  'batchSize',
  'shuffle',
  'validationSplit',
  'validationData',
  'verbose',
  'callbacks',
  'initialEpoch',
  'onNonFinite',
  'yieldEvery',
  'classWeight',
  'sampleWeight',
  'stepsPerEpoch',
  'validationSteps',
  'validationBatchSize',
  'yieldEveryBatches',
];

export interface InstrumentState {
  /** The call index (1-based) of the fit that returned this History. */
  historyCall(value: unknown): number | null;
  /** True when `value` is the `.history` record of a History returned by fit. */
  isHistoryRecord(value: unknown): number | null;
  currentHook(): HookContext | null;
  /**
   * The learner hook whose call this code runs in, by call stack: synchronously inside the hook (or a
   * function it called), or in the hook's own async body after an await. A timer or a promise callback
   * that merely runs while a hook is awaiting is not inside it.
   */
  hookOnStack(): HookContext | null;
  /** A model the engine made (the engine's models are Proxies that only watch writes; safe to inspect). */
  isEngineModel(value: unknown): boolean;
  /** Check models for new unknown property writes (call after learner code ran). */
  scanModels(): void;
  fitCalls(): number;
}

let installed: Record<string, unknown> | undefined;

/** The API the `normlab` module exports while grading (set once by the harness). */
export function installedApi(): Record<string, unknown> {
  if (!installed) throw new Error('normlab (grader): the engine was imported before the grader set it up');
  return installed;
}

/**
 * Wraps the engine in place (prototypes are patched, then frozen by the harness) and returns the public
 * API object plus the state the harness reads at the end.
 */
export function instrumentEngine(
  engine: Record<string, unknown>,
  rec: Recorder,
  given: { x: Tensor; y: Tensor },
): { api: Record<string, unknown>; state: InstrumentState } {
  const originalFit = Sequential.prototype.fit;
  const originalCompile = Sequential.prototype.compile;
  const histories = new WeakMap<object, number>();
  const historyRecords = new WeakMap<object, number>();
  const modelIds = new WeakMap<object, number>();
  const models: Sequential[] = [];
  const unknownSeen = new WeakMap<object, number>();
  let nextModelId = 1;
  let fitCount = 0;
  let current: HookContext | null = null;
  /** The hook whose synchronous part is running right now (set only around the direct call). */
  let syncHook: HookContext | null = null;
  let currentFit: number | null = null;
  /** The last error a learner hook threw, with where (to attribute fit's rejection to the callback). */
  let hookError: { error: unknown; ctx: HookContext } | null = null;

  const modelId = (m: object): number => {
    let id = modelIds.get(m);
    if (id === undefined) {
      id = nextModelId++;
      modelIds.set(m, id);
    }
    return id;
  };

  const scanModels = () => {
    for (const m of models) {
      const list = m.unknownProperties;
      if (!Array.isArray(list)) continue;
      const seen = unknownSeen.get(m) ?? 0;
      for (let i = seen; i < list.length; i++) {
        const u = list[i];
        rec.send({ type: 'unknown-property', name: String(u?.name), suggestion: u?.suggestion, ctx: current, model: modelId(m) });
      }
      unknownSeen.set(m, list.length);
    }
  };

  /** Install a recording accessor for `stopTraining` on a model (once). */
  const watchModel = (model: Sequential) => {
    if (models.includes(model)) return;
    models.push(model);
    unknownSeen.set(model, 0);
    let value: unknown = model.stopTraining;
    Object.defineProperty(model, 'stopTraining', {
      get: () => value,
      set: (v: unknown) => {
        value = v;
        rec.send({ type: 'stop-write', call: currentFit, value: describeValue(v), ctx: current, truthy: Boolean(v), onStack: hookOnStack() !== null });
      },
      enumerable: true,
      configurable: false,
    });
  };

  const hookOnStack = (): HookContext | null => {
    if (syncHook) return syncHook;
    if (!current) return null;
    // After an await in the learner's async hook, V8's async stack trace still runs through our invoke.
    return /at async LearnerCallback\.invoke /.test(rec.stack()) ? current : null;
  };

  /** Runs before the learner's callbacks: records the true per-epoch logs and the running accuracy. */
  class EpochRecorder extends Callback {
    epoch = 0;
    started = 0;
    private correct = 0;
    private seen = 0;
    constructor(
      readonly call: number,
      private readonly verbose = false,
      private readonly epochs = 1,
    ) {
      super();
    }
    onEpochBegin(epoch: number) {
      this.epoch = epoch;
      this.started = rec.now();
      this.correct = 0;
      this.seen = 0;
    }
    onBatchEnd(_batch: number, logs?: Logs) {
      const size = typeof logs?.size === 'number' ? logs.size : 0;
      if (typeof logs?.acc === 'number') {
        this.correct += logs.acc * size;
        this.seen += size;
      }
    }
    /** The epoch's accuracy over the batches trained so far (what its logs.acc would be if it stopped now). */
    runningAcc(): number | undefined {
      return this.seen > 0 ? this.correct / this.seen : undefined;
    }
    onEpochEnd(epoch: number, logs?: Logs) {
      const copy: Record<string, number> = {};
      for (const [k, v] of Object.entries(logs ?? {})) if (typeof v === 'number') copy[k] = v;
      rec.send({ type: 'epoch-end', call: this.call, epoch, logs: copy, seconds: (rec.now() - this.started) / 1000 });
      if (this.verbose)
        console.error(
          `Epoch ${epoch + 1}/${this.epochs} - ${Object.entries(copy)
            .map(([k, v]) => `${k}: ${v.toFixed(4)}`)
            .join(' - ')}`,
        );
    }
  }

  /** Stands in for one learner callback: forwards every hook with a recording `logs` Proxy. */
  class LearnerCallback extends Callback {
    private readonly batchAgg = new Map<string, { calls: number; reads: Map<string, KeyRead>; ms: number }>();
    constructor(
      readonly inner: CallbackHooks & Record<string, unknown>,
      readonly index: number,
      readonly call: number,
      readonly recorder: EpochRecorder,
    ) {
      super();
    }
    override setModel(model: unknown): void {
      super.setModel(model);
      const cb = this.inner;
      if (cb instanceof Callback) cb.setModel(model);
      else if (cb && typeof cb === 'object' && !('model' in cb)) (cb as { model?: unknown }).model = model;
    }
    override setParams(params: Record<string, unknown>): void {
      super.setParams(params);
      if (this.inner instanceof Callback) this.inner.setParams(params);
    }
    flushBatches(epoch: number) {
      for (const [hook, agg] of this.batchAgg) {
        rec.send({ type: 'batch-summary', call: this.call, epoch, callback: this.index, hook, calls: agg.calls, reads: [...agg.reads.values()], ms: agg.ms });
      }
      this.batchAgg.clear();
    }
    private async invoke(hook: HookName, first: number | Logs | undefined, logs: Logs | undefined): Promise<unknown> {
      const fn = this.inner[hook];
      if (typeof fn !== 'function') return undefined;
      const isBatch = BATCH_HOOKS.has(hook);
      const epoch = this.recorder.epoch;
      const ctx: HookContext = { call: this.call, hook, epoch, callback: this.index };
      if (isBatch && typeof first === 'number') ctx.batch = first;
      // The true accuracy this hook call was given (read before the learner's code can touch the logs).
      const given = logs && typeof logs === 'object' ? (logs as Record<string, unknown>).acc : undefined;
      if (typeof given === 'number') ctx.acc = given;
      if (this.inner instanceof EarlyStopping) ctx.builtin = 'earlyStopping';
      if (isBatch) {
        const running = this.recorder.runningAcc();
        if (running !== undefined) ctx.runningAcc = running;
      }
      const reads = new Map<string, KeyRead>();
      const proxy = logs && typeof logs === 'object' ? recordingLogs(logs, reads) : logs;
      const args = hook === 'onTrainBegin' || hook === 'onTrainEnd' ? [proxy] : [first, proxy];
      const previous = current;
      current = ctx;
      rec.send({ type: 'hook-enter', ctx });
      const started = rec.now();
      let threw = false;
      try {
        const previousSync = syncHook;
        syncHook = ctx;
        let returned: unknown;
        try {
          returned = (fn as (...a: unknown[]) => unknown).apply(this.inner, args);
        } finally {
          syncHook = previousSync;
        }
        return await returned;
      } catch (e) {
        threw = true;
        hookError = { error: e, ctx };
        throw e;
      } finally {
        const ms = rec.now() - started;
        scanModels();
        current = previous;
        if (isBatch) {
          let agg = this.batchAgg.get(hook);
          if (!agg) this.batchAgg.set(hook, (agg = { calls: 0, reads: new Map(), ms: 0 }));
          agg.calls++;
          agg.ms += ms;
          for (const [k, r] of reads) if (!agg.reads.has(k)) agg.reads.set(k, r);
          if (threw) this.flushBatches(epoch);
        } else {
          rec.send({ type: 'hook-exit', ctx, reads: [...reads.values()], ms, threw, ownStop: stopLikeProps(this.inner) });
        }
      }
    }
    onTrainBegin(logs?: Logs) {
      return this.invoke('onTrainBegin', undefined, logs);
    }
    onTrainEnd(logs?: Logs) {
      return this.invoke('onTrainEnd', undefined, logs);
    }
    onEpochBegin(epoch: number, logs?: Logs) {
      return this.invoke('onEpochBegin', epoch, logs);
    }
    async onEpochEnd(epoch: number, logs?: Logs) {
      this.flushBatches(epoch);
      return this.invoke('onEpochEnd', epoch, logs);
    }
    onBatchBegin(batch: number, logs?: Logs) {
      return this.invoke('onBatchBegin', batch, logs);
    }
    onBatchEnd(batch: number, logs?: Logs) {
      return this.invoke('onBatchEnd', batch, logs);
    }
  }

  async function fit(this: Sequential, x: unknown, y: unknown, args?: unknown): Promise<History> {
    const call = ++fitCount;
    const model = this;
    if (!(model instanceof Sequential)) return originalFit.call(model, x as Tensor, y as Tensor, args as never);
    watchModel(model);
    scanModels();
    // Read the options exactly once into a plain object: what we record is what the engine gets.
    const options: Record<string, unknown> = {};
    const argKeys: string[] = [];
    if (args && typeof args === 'object') {
      for (const k of Object.keys(args)) {
        argKeys.push(k);
        options[k] = (args as Record<string, unknown>)[k];
      }
    }
    const unknownArgs = argKeys.filter((k) => !FIT_KEYS.includes(k)).map((name) => ({ name, suggestion: closestName(name, FIT_KEYS) }));
    const epochsRaw = options.epochs;
    const callbacksArg = options.callbacks === undefined ? 'none' : describeValue(options.callbacks);
    const list =
      options.callbacks === undefined || options.callbacks === null ? [] : Array.isArray(options.callbacks) ? [...options.callbacks] : [options.callbacks];
    // The engine's per-epoch line carries the epoch's time, which differs between two gradings of one file;
    // while grading the same line is printed without it (same place, same stream), so reports stay identical.
    const verbose = options.verbose ?? 1;
    options.verbose = 0;
    const recorder = new EpochRecorder(call, Boolean(verbose), typeof epochsRaw === 'number' ? epochsRaw : 1);
    const learner = list.map((cb, i) => (cb && typeof cb === 'object' ? new LearnerCallback(cb as never, i, call, recorder) : cb));
    options.callbacks = [recorder, ...learner];
    const digest = rec.dataDigest();
    rec.send({
      type: 'fit-begin',
      call,
      epochs: describeValue(epochsRaw),
      epochsValue: typeof epochsRaw === 'number' ? epochsRaw : null,
      argKeys,
      unknownArgs,
      batchSize: typeof options.batchSize === 'number' ? options.batchSize : null,
      callbacks: list.map(describeCallback),
      callbacksArg,
      x: relateX(x, given.x),
      y: relateY(y, given.y),
      model: describeModel(model, modelId(model)),
    });
    const previousFit = currentFit;
    currentFit = call;
    const started = rec.now();
    try {
      const history = await originalFit.call(model, x as Tensor, y as Tensor, options as never);
      for (const w of learner) if (w instanceof LearnerCallback) w.flushBatches(recorder.epoch);
      scanModels();
      if (history && typeof history === 'object') {
        histories.set(history, call);
        if (history.history && typeof history.history === 'object') historyRecords.set(history.history, call);
      }
      rec.send({
        type: 'fit-end',
        call,
        epochsTrained: history.epoch.length,
        stoppedEarly: history.stoppedEarly,
        seconds: (rec.now() - started) / 1000,
        weights: dumpWeights(model, rec),
        dataChanged: rec.dataDigest() !== digest,
      });
      return history;
    } catch (e) {
      scanModels();
      // hookError is set inside callbacks; TypeScript cannot see that, hence the cast.
      const caught = hookError as { error: unknown; ctx: HookContext } | null;
      const fromHook = caught?.error === e ? caught : null;
      rec.send({
        type: 'fit-end',
        call,
        epochsTrained: -1,
        stoppedEarly: false,
        seconds: (rec.now() - started) / 1000,
        error: describeError(e, fromHook ? 'callback' : 'fit', fromHook ? fromHook.ctx : current, rec.markers),
        dataChanged: rec.dataDigest() !== digest,
      });
      throw e;
    } finally {
      currentFit = previousFit;
    }
  }

  function compile(this: Sequential, args: unknown): void {
    originalCompile.call(this, args as never);
    try {
      rec.send({ type: 'compile', model: modelId(this), optimizer: this.optimizerSpec?.name, loss: this.lossSpec?.name, metrics: this.metricNames });
    } catch {
      /* description only */
    }
  }

  Object.defineProperty(Sequential.prototype, 'fit', { value: fit, writable: false, configurable: false });
  Object.defineProperty(Sequential.prototype, 'compile', { value: compile, writable: false, configurable: false });

  const api: Record<string, unknown> = Object.create(null);
  for (const [k, v] of Object.entries(engine)) api[k] = v;
  const sequential = engine.sequential as (...a: unknown[]) => Sequential;
  api.sequential = function sequentialModel(...args: unknown[]) {
    const model = sequential(...args);
    modelId(model);
    return model;
  };
  api.registerBackend = function registerBackend(name: unknown) {
    throw new NormlabError(
      'sandbox',
      `registerBackend('${String(name)}') is disabled while grading: the grader trains on its own backends (${String((engine.backendNames as () => string[])().join(', '))})`,
      'remove the registerBackend call; the default backend is already set up',
    );
  };
  Object.freeze(api);
  installed = api;

  const state: InstrumentState = {
    historyCall: (v) => (v && typeof v === 'object' ? (histories.get(v) ?? null) : null),
    isHistoryRecord: (v) => (v && typeof v === 'object' ? (historyRecords.get(v) ?? null) : null),
    currentHook: () => current,
    hookOnStack,
    isEngineModel: (v) => v !== null && typeof v === 'object' && modelIds.has(v),
    scanModels,
    fitCalls: () => fitCount,
  };
  return { api, state };
}

function recordingLogs(logs: Logs, reads: Map<string, KeyRead>): Logs {
  const note = (target: Logs, key: string) => {
    if (reads.has(key)) return;
    const exists = key in target;
    const v = exists ? (target as Record<string, unknown>)[key] : undefined;
    reads.set(key, { key, exists, value: typeof v === 'number' || typeof v === 'string' ? v : v === undefined ? undefined : null });
  };
  return new Proxy(logs, {
    get(target, prop, receiver) {
      if (typeof prop === 'string') note(target, prop);
      return Reflect.get(target, prop, receiver);
    },
    has(target, prop) {
      if (typeof prop === 'string') note(target, prop);
      return Reflect.has(target, prop);
    },
    ownKeys(target) {
      if (!reads.has('*')) reads.set('*', { key: '*', exists: true });
      return Reflect.ownKeys(target);
    },
  });
}

/** Own properties of a callback object that look like a stop flag set in the wrong place. */
function stopLikeProps(cb: object): string[] | undefined {
  const out: string[] = [];
  for (const k of Object.keys(cb)) {
    if (/stop/i.test(k) && (cb as Record<string, unknown>)[k] === true) out.push(k);
  }
  return out.length ? out : undefined;
}

/**
 * A learner's value in a few words. Never runs the learner's code: no getters, no Proxy traps, no
 * toString; only own data properties found by walking the prototype chain a bounded number of steps.
 */
export function describeValue(v: unknown, brief = false): string {
  try {
    if (v === undefined) return 'undefined';
    if (v === null) return 'null';
    if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
    if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
    if (typeof v === 'symbol') return 'a symbol';
    if (isProxy(v)) return 'a Proxy';
    if (typeof v === 'function') {
      const name = dataProperty(v, 'name', false);
      return `a function${typeof name === 'string' && name ? ` (${name.slice(0, 40)})` : ''}`;
    }
    if (Array.isArray(v))
      return brief
        ? `an array of ${v.length}`
        : `[${Array.from({ length: Math.min(5, v.length) }, (_, i) => describeValue(dataProperty(v, String(i), false), true)).join(', ')}${v.length > 5 ? ', …' : ''}]`;
    if (isPromise(v)) return 'a Promise';
    const ctor = dataProperty(v, 'constructor', true);
    const name = typeof ctor === 'function' && !isProxy(ctor) ? dataProperty(ctor, 'name', false) : undefined;
    return typeof name === 'string' && name && name !== 'Object' ? `a ${name.slice(0, 40)}` : 'an object';
  } catch {
    return 'a value the grader could not inspect';
  }
}

/**
 * `obj[key]` if it is a data property (own, or inherited when `inherited`), else undefined. Stops at a
 * Proxy anywhere on the chain and after 32 prototypes.
 */
export function dataProperty(obj: unknown, key: string, inherited: boolean): unknown {
  let o: unknown = obj;
  for (let i = 0; i < 32 && o !== null && (typeof o === 'object' || typeof o === 'function'); i++) {
    if (isProxy(o)) return undefined;
    const d = Object.getOwnPropertyDescriptor(o, key);
    if (d) return 'value' in d ? d.value : undefined;
    if (!inherited) return undefined;
    o = Object.getPrototypeOf(o);
  }
  return undefined;
}

function methodNames(obj: object): string[] {
  const names = new Set<string>();
  let p: object | null = obj;
  while (p && p !== Object.prototype && p !== Callback.prototype && p !== Function.prototype) {
    for (const k of Object.getOwnPropertyNames(p)) {
      if (k === 'constructor') continue;
      const d = Object.getOwnPropertyDescriptor(p, k);
      if (d && typeof d.value === 'function') names.add(k);
    }
    p = Object.getPrototypeOf(p);
  }
  return [...names];
}

function describeCallback(cb: unknown): CallbackInfo {
  if (cb === null || cb === undefined) return { kind: String(cb), hooks: [], misnamed: [] };
  if (typeof cb === 'function') {
    let source = '';
    try {
      source = Function.prototype.toString.call(cb);
    } catch {
      /* ignore */
    }
    const protoMethods = cb.prototype ? methodNames(cb.prototype as object) : [];
    return {
      kind: source.startsWith('class') ? 'class' : 'function',
      className: cb.name || undefined,
      hooks: protoMethods.filter((m) => (HOOKS as readonly string[]).includes(m)),
      misnamed: [],
    };
  }
  if (typeof cb !== 'object') return { kind: typeof cb, hooks: [], misnamed: [] };
  const methods = methodNames(cb);
  const hooks = methods.filter((m) => (HOOKS as readonly string[]).includes(m));
  const misnamed: { name: string; suggestion: string }[] = [];
  for (const m of methods) {
    if ((HOOKS as readonly string[]).includes(m) || m === 'setModel' || m === 'setParams') continue;
    const suggestion = closestName(m, HOOKS);
    if (suggestion && !hooks.includes(suggestion)) misnamed.push({ name: m, suggestion });
  }
  if (cb instanceof EarlyStopping) {
    const settings = `monitor: '${cb.monitor}', patience: ${cb.patience}${cb.minDelta ? `, minDelta: ${cb.minDelta}` : ''}${cb.baseline !== undefined ? `, baseline: ${cb.baseline}` : ''}${cb.mode !== 'auto' ? `, mode: '${cb.mode}'` : ''}`;
    return { kind: 'Callback subclass', className: 'EarlyStopping', hooks, misnamed: [], builtin: `tf.callbacks.earlyStopping({${settings}})` };
  }
  const ctor = describeValue(cb).replace(/^an? /, '');
  return {
    kind: cb instanceof Callback ? 'Callback subclass' : 'object',
    className: ctor && ctor !== 'object' && ctor !== 'Object' && ctor !== 'Proxy' ? ctor : undefined,
    hooks,
    misnamed,
  };
}

function describeModel(model: Sequential, id: number): ModelInfo {
  const info: ModelInfo = { id, backend: '?', dtype: '?', layers: [], params: 0, metrics: [] };
  try {
    info.backend = model.backendName;
    info.dtype = model.dtype;
    info.layers = model.layers.map((l) => {
      const c = l.getConfig() as unknown as Record<string, unknown>;
      return c.className === 'Dense' ? `Dense(${String(c.units)}, ${String(c.activation)})` : String(c.className);
    });
    info.params = model.countParams();
    const opt = model.optimizerSpec;
    info.optimizer = opt?.name;
    info.learningRate = opt?.learningRate;
    info.loss = model.lossSpec?.name;
    info.metrics = model.metricNames;
  } catch {
    /* a half-built model: describe what we could */
  }
  return info;
}

/** How x relates to the tensor trainMnist was given; `transform` is the effective a·raw + b. */
function relateX(t: unknown, given: Tensor): TensorInfo {
  if (!(t instanceof Tensor)) return { relation: 'not-a-tensor', detail: describeValue(t) };
  const info: TensorInfo = { relation: 'different', shape: [...t.shape], dtype: t.dtype };
  if (t === given) return { ...info, relation: 'same-tensor', transform: { ...t.transform } };
  if (t.values === given.values) return { ...info, relation: 'same-buffer', transform: { ...t.transform } };
  if (t.size !== given.size) {
    info.detail = `${t.shape[0]} samples of shape [${t.shape.slice(1).join(',')}], but trainMnist was given ${given.shape[0]} of shape [${given.shape.slice(1).join(',')}]`;
    return info;
  }
  const fit = affineMatch(given.values, (i) => t.transform.a * t.values[i] + t.transform.b);
  if (fit) return { ...info, relation: 'equal-copy', transform: fit };
  info.detail = 'the same number of values, but not the same images';
  return info;
}

function relateY(t: unknown, given: Tensor): TensorInfo {
  if (!(t instanceof Tensor)) return { relation: 'not-a-tensor', detail: describeValue(t) };
  const info: TensorInfo = { relation: 'different', shape: [...t.shape], dtype: t.dtype };
  if (t === given) return { ...info, relation: 'same-tensor' };
  if (t.values === given.values) return { ...info, relation: 'same-buffer' };
  const n = given.size;
  const read = (i: number) => t.transform.a * t.values[i] + t.transform.b;
  if (t.size === n) {
    for (let i = 0; i < n; i++)
      if (read(i) !== given.values[i]) return { ...info, detail: `label ${i} is ${read(i)}, but the given label is ${given.values[i]}` };
    return { ...info, relation: 'equal-copy' };
  }
  if (t.rank === 2 && t.shape[0] === n) {
    // one-hot: the argmax of each row must be the given label
    const k = t.shape[1];
    for (let r = 0; r < n; r++) {
      const best = argmaxOf(k, (j) => read(r * k + j));
      if (best !== given.values[r]) return { ...info, detail: `row ${r} encodes class ${best}, but the given label is ${given.values[r]}` };
    }
    return { ...info, relation: 'equal-copy', detail: 'one-hot encoded' };
  }
  info.detail = `${t.shape[0]} labels, but trainMnist was given ${n}`;
  return info;
}

/** If value(i) = a·raw[i] + b for all i (checked on a sample), return {a, b}. */
function affineMatch(raw: ArrayLike<number>, value: (i: number) => number): { a: number; b: number } | undefined {
  const n = raw.length;
  let lo = -1;
  let hi = -1;
  for (let i = 0; i < n && (lo < 0 || hi < 0); i++) {
    if (lo < 0 && raw[i] === 0) lo = i;
    if (hi < 0 && raw[i] >= 200) hi = i;
  }
  if (lo < 0 || hi < 0) return undefined;
  const a = (value(hi) - value(lo)) / (raw[hi] - raw[lo]);
  const b = value(lo) - a * raw[lo];
  const step = Math.max(1, Math.floor(n / 50000));
  for (let i = 0; i < n; i += step) {
    const expect = a * raw[i] + b;
    if (Math.abs(value(i) - expect) > 1e-4 * Math.max(1, Math.abs(expect))) return undefined;
  }
  return { a, b };
}

function dumpWeights(model: Sequential, rec: Recorder): WeightsDump | undefined {
  try {
    const weights = model.getWeights().map((w) => {
      const f = Float64Array.from(w.dataSync() as ArrayLike<number>);
      return rec.base64(new Uint8Array(f.buffer));
    });
    return { config: model.getConfig(), dtype: model.dtype, weights };
  } catch {
    return undefined;
  }
}

let submissionPrepare: unknown;
let capturing = 0;
const HarnessError = Error;

/**
 * Makes Error.prepareStackTrace an accessor that hides the submission's formatter while the grader reads
 * a stack (a formatter that loops or lies must not decide what the grader sees), and keeps
 * Error.stackTraceLimit a plain number. Called once by the harness before the submission loads.
 */
export function installStackGuard(): void {
  submissionPrepare = Error.prepareStackTrace;
  Object.defineProperty(Error, 'prepareStackTrace', {
    get: () => (capturing > 0 ? undefined : submissionPrepare),
    set: (v: unknown) => {
      submissionPrepare = v;
    },
    configurable: false,
    enumerable: false,
  });
  Object.defineProperty(Error, 'stackTraceLimit', { value: Error.stackTraceLimit, writable: true, configurable: false, enumerable: true });
}

/** Runs `f` with V8's own stack formatting. */
export function withGraderStacks<T>(f: () => T): T {
  capturing++;
  try {
    return f();
  } finally {
    capturing--;
  }
}

/** The current call stack, formatted by V8/Node whatever the submission did to Error. */
export function captureStack(): string {
  return withGraderStacks(() => {
    const limit = HarnessError.stackTraceLimit;
    try {
      HarnessError.stackTraceLimit = 40;
      const stack = new HarnessError().stack;
      return typeof stack === 'string' ? stack : '';
    } catch {
      return '';
    } finally {
      HarnessError.stackTraceLimit = limit;
    }
  });
}

/** V8's own `stack` getter, where this V8 makes `stack` an accessor (captured before any submission). */
const NATIVE_STACK_GETTER = (() => {
  const probe = new Error('probe');
  return Object.getOwnPropertyDescriptor(probe, 'stack')?.get ?? Object.getOwnPropertyDescriptor(Error.prototype, 'stack')?.get;
})();

function nativeStack(e: object): string | undefined {
  if (!NATIVE_STACK_GETTER || !isNativeError(e)) return undefined;
  let o: object | null = e;
  for (let i = 0; i < 8 && o && !isProxy(o); i++) {
    const d = Object.getOwnPropertyDescriptor(o, 'stack');
    if (d) {
      if (d.get !== NATIVE_STACK_GETTER) return undefined;
      const v: unknown = NATIVE_STACK_GETTER.call(e);
      return typeof v === 'string' ? v.slice(0, 20_000) : undefined;
    }
    o = Object.getPrototypeOf(o) as object | null;
  }
  return undefined;
}

/**
 * An error as plain data. `markers`: substrings that identify the submission's stack frames.
 * Bounded and safe for anything a learner can throw: only data properties are read (a getter that throws
 * or loops is never called, a Proxy is never touched), strings are cut, and a native error's stack (a
 * data property V8 fills in) is read as such.
 */
export function describeError(e: unknown, phase: string, hook: HookContext | null, markers: string[] = []): import('./protocol.js').ErrorInfo {
  try {
    return withGraderStacks(() => describeErrorInner(e, phase, hook, markers));
  } catch {
    return { name: 'Error', message: 'an error the grader could not inspect', frames: [], phase, hook: hook ?? undefined };
  }
}

function describeErrorInner(e: unknown, phase: string, hook: HookContext | null, markers: string[]): import('./protocol.js').ErrorInfo {
  const text = (v: unknown, max = 500) => (typeof v === 'string' ? v.slice(0, max) : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined);
  const isObj = e !== null && (typeof e === 'object' || typeof e === 'function');
  if (!isObj) {
    const shown = typeof e === 'string' ? JSON.stringify(e.slice(0, 200)) : typeof e === 'symbol' ? 'a symbol' : String(e).slice(0, 200);
    return { name: typeof e, message: `a ${typeof e} was thrown: ${shown}`, frames: [], phase, hook: hook ?? undefined };
  }
  if (isProxy(e))
    return { name: 'Proxy', message: 'a Proxy object was thrown (the grader does not look inside it)', frames: [], phase, hook: hook ?? undefined };
  const field = (o: unknown, k: string) => dataProperty(o, k, true);
  let root: unknown = e;
  // fetch() wraps the real reason in `cause`
  for (let i = 0; i < 3; i++) {
    const cause = field(root, 'cause');
    if (field(root, 'code') !== undefined || cause === null || typeof cause !== 'object' || isProxy(cause)) break;
    root = cause;
  }
  const stack = text(field(e, 'stack'), 20_000) ?? nativeStack(e) ?? '';
  const frames = stack
    .split('\n')
    .slice(1)
    .map((l) => l.trim())
    .filter((l) => l.startsWith('at ') && (markers.length === 0 || markers.some((m) => l.includes(m))))
    .slice(0, 6)
    .map((l) => l.slice(0, 300));
  const name = text(field(e, 'name'), 80);
  const ctorName = describeValue(e).replace(/^an? /, '');
  const message = text(field(e, 'message')) ?? (name === undefined ? `${describeValue(e)} was thrown (not an Error)` : '');
  const rootMessage = root !== e ? text(field(root, 'message')) : undefined;
  const code = text(field(root, 'code'), 80);
  const permission = text(field(root, 'permission'), 80);
  const resource = text(field(root, 'resource'), 300);
  const hint = text(field(e, 'hint'));
  return {
    name: name ?? (ctorName === 'object' ? 'Error' : ctorName),
    message: message + (rootMessage ? ` (cause: ${rootMessage})` : ''),
    code,
    hint,
    permission,
    resource,
    frames,
    phase,
    hook: hook ?? undefined,
  };
}
