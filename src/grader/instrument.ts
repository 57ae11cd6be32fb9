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
import { History } from '../engine/model/history.js';
import { Sequential } from '../engine/model/sequential.js';
import { Tensor } from '../engine/tensor.js';
import { NormlabError } from '../errors.js';
import { closestName } from '../util/suggest.js';
import type { CallbackInfo, HarnessEvent, HookContext, KeyRead, ModelInfo, TensorInfo, WeightsDump } from './protocol.js';

export interface Recorder {
  send(event: HarnessEvent): void;
  now(): number;
  /** A digest of the given tensors' buffers (to notice a submission that overwrites its data). */
  dataDigest(): string;
  base64(bytes: Uint8Array): string;
  /** Substrings that identify the submission's stack frames. */
  markers: string[];
}

export const HOOKS = ['onTrainBegin', 'onTrainEnd', 'onEpochBegin', 'onEpochEnd', 'onBatchBegin', 'onBatchEnd'] as const;
type HookName = (typeof HOOKS)[number];
const BATCH_HOOKS = new Set<string>(['onBatchBegin', 'onBatchEnd']);
const FIT_KEYS = ['epochs', 'batchSize', 'shuffle', 'validationSplit', 'validationData', 'verbose', 'callbacks', 'initialEpoch', 'onNonFinite', 'yieldEvery', 'classWeight', 'sampleWeight', 'stepsPerEpoch', 'validationSteps', 'validationBatchSize', 'yieldEveryBatches'];

export interface InstrumentState {
  /** The call index (1-based) of the fit that returned this History. */
  historyCall(value: unknown): number | null;
  /** True when `value` is the `.history` record of a History returned by fit. */
  isHistoryRecord(value: unknown): number | null;
  currentHook(): HookContext | null;
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
        rec.send({ type: 'stop-write', call: currentFit, value: describeValue(v), ctx: current, truthy: Boolean(v) });
      },
      enumerable: true,
      configurable: false,
    });
  };

  /** Runs before the learner's callbacks: records the true per-epoch logs. */
  class EpochRecorder extends Callback {
    epoch = 0;
    started = 0;
    constructor(readonly call: number) {
      super();
    }
    onEpochBegin(epoch: number) {
      this.epoch = epoch;
      this.started = rec.now();
    }
    onEpochEnd(epoch: number, logs?: Logs) {
      const copy: Record<string, number> = {};
      for (const [k, v] of Object.entries(logs ?? {})) if (typeof v === 'number') copy[k] = v;
      rec.send({ type: 'epoch-end', call: this.call, epoch, logs: copy, seconds: (rec.now() - this.started) / 1000 });
    }
  }

  /** Stands in for one learner callback: forwards every hook with a recording `logs` Proxy. */
  class LearnerCallback extends Callback {
    private readonly batchAgg = new Map<string, { calls: number; reads: Map<string, KeyRead>; ms: number }>();
    constructor(
      readonly inner: CallbackHooks & Record<string, unknown>,
      readonly index: number,
      readonly call: number,
      readonly epochOf: () => number,
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
      const epoch = this.epochOf();
      const ctx: HookContext = { call: this.call, hook, epoch, callback: this.index };
      if (isBatch && typeof first === 'number') ctx.batch = first;
      const reads = new Map<string, KeyRead>();
      const proxy = logs && typeof logs === 'object' ? recordingLogs(logs, reads) : logs;
      const args = hook === 'onTrainBegin' || hook === 'onTrainEnd' ? [proxy] : [first, proxy];
      const previous = current;
      current = ctx;
      rec.send({ type: 'hook-enter', ctx });
      const started = rec.now();
      let threw = false;
      try {
        return await (fn as (...a: unknown[]) => unknown).apply(this.inner, args);
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
    const list = options.callbacks === undefined || options.callbacks === null ? [] : Array.isArray(options.callbacks) ? [...options.callbacks] : [options.callbacks];
    const recorder = new EpochRecorder(call);
    const learner = list.map((cb, i) => (cb && typeof cb === 'object' ? new LearnerCallback(cb as never, i, call, () => recorder.epoch) : cb));
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
      rec.send({ type: 'fit-end', call, epochsTrained: -1, stoppedEarly: false, seconds: (rec.now() - started) / 1000, error: describeError(e, fromHook ? 'callback' : 'fit', fromHook ? fromHook.ctx : current, rec.markers), dataChanged: rec.dataDigest() !== digest });
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
    historyCall: (v) => (v && typeof v === 'object' ? histories.get(v) ?? null : null),
    isHistoryRecord: (v) => (v && typeof v === 'object' ? historyRecords.get(v) ?? null : null),
    currentHook: () => current,
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

export function describeValue(v: unknown, brief = false): string {
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'function') return `a function${v.name ? ` (${v.name})` : ''}`;
  if (Array.isArray(v)) return brief ? `an array of ${v.length}` : `[${v.slice(0, 5).map((e) => describeValue(e, true)).join(', ')}${v.length > 5 ? ', …' : ''}]`;
  const name = (v as { constructor?: { name?: string } }).constructor?.name;
  return name && name !== 'Object' ? `a ${name}` : 'an object';
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
  const ctor = (cb as { constructor?: { name?: string } }).constructor?.name;
  return { kind: cb instanceof Callback ? 'Callback subclass' : 'object', className: ctor && ctor !== 'Object' ? ctor : undefined, hooks, misnamed };
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
    for (let i = 0; i < n; i++) if (read(i) !== given.values[i]) return { ...info, detail: `label ${i} is ${read(i)}, but the given label is ${given.values[i]}` };
    return { ...info, relation: 'equal-copy' };
  }
  if (t.rank === 2 && t.shape[0] === n) {
    // one-hot: the argmax of each row must be the given label
    const k = t.shape[1];
    for (let r = 0; r < n; r++) {
      let best = 0;
      for (let j = 1; j < k; j++) if (read(r * k + j) > read(r * k + best)) best = j;
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

/** An error as plain data. `markers`: substrings that identify the submission's stack frames. */
export function describeError(e: unknown, phase: string, hook: HookContext | null, markers: string[] = []): import('./protocol.js').ErrorInfo {
  const err = e as { name?: unknown; message?: unknown; hint?: unknown; code?: unknown; permission?: unknown; resource?: unknown; stack?: unknown; cause?: unknown };
  let root = err;
  // fetch() wraps the real reason in `cause`
  for (let i = 0; i < 3 && root && typeof root === 'object' && root.cause && typeof root.cause === 'object'; i++) {
    if ((root as { code?: unknown }).code) break;
    root = root.cause as typeof err;
  }
  const isObj = e !== null && typeof e === 'object';
  const stack = isObj && typeof err.stack === 'string' ? err.stack : '';
  const frames = stack
    .split('\n')
    .slice(1)
    .map((l) => l.trim())
    .filter((l) => l.startsWith('at ') && (markers.length === 0 || markers.some((m) => l.includes(m))))
    .slice(0, 6);
  return {
    name: isObj ? String(err.name ?? 'Error') : typeof e,
    message: isObj ? String(err.message ?? '') + (root !== err && root && typeof root === 'object' && root.message ? ` (cause: ${String(root.message)})` : '') : `a ${typeof e} was thrown: ${String(e).slice(0, 200)}`,
    code: root && typeof root === 'object' && root.code !== undefined ? String(root.code) : undefined,
    hint: isObj && typeof err.hint === 'string' ? err.hint : undefined,
    permission: root && typeof root === 'object' && root.permission !== undefined ? String(root.permission) : undefined,
    resource: root && typeof root === 'object' && root.resource !== undefined ? String(root.resource) : undefined,
    frames,
    phase,
    hook: hook ?? undefined,
  };
}
