/**
 * Runs inside the sandboxed child process (one per submission). In order:
 *  1. reads its configuration and the channel key from fd 3, then closes fd 3;
 *  2. captures every function it needs later (write, HMAC, JSON.stringify, exit), so nothing the
 *     submission replaces afterwards can change what the grader records;
 *  3. loads the training data the parent prepared and makes the engine's default backend ready;
 *  4. instruments the engine (./instrument.ts) and installs it as the `normlab` module;
 *  5. guards the process (network, process.exit/kill, output watching) and freezes the engine's classes
 *     and the JavaScript built-ins, so the submission cannot patch them;
 *  6. imports the submission, calls `trainMnist(xTrain, yTrain)`, reports what it returned, and exits.
 * Every fact goes to the parent as an authenticated event on fd 4 (see ./protocol.ts).
 */
import childProcess from 'node:child_process';
import * as crypto from 'node:crypto';
import * as dgram from 'node:dgram';
import dns from 'node:dns';
import * as fs from 'node:fs';
import fsDefault from 'node:fs';
import inspector from 'node:inspector';
import * as nodeModule from 'node:module';
import nodeModuleDefault from 'node:module';
import * as net from 'node:net';
import repl from 'node:repl';
import { isProxy } from 'node:util/types';
import vm from 'node:vm';
import wasi from 'node:wasi';
import workerThreads from 'node:worker_threads';
import * as normlab from '../api.js';
import { registerNodeModelFiles } from '../node-files.js';
import { Callback, CallbackList } from '../engine/model/callbacks.js';
import { History } from '../engine/model/history.js';
import { Sequential } from '../engine/model/sequential.js';
import { Tensor } from '../engine/tensor.js';
import { Layer } from '../engine/layers/layer.js';
import { closestName } from '../util/suggest.js';
import { checkImportSpecifier, installGuards, setImportCheck, type ViolationReport } from './guards.js';
import { captureStack, describeError, describeValue, installStackGuard, instrumentEngine, type Recorder } from './instrument.js';
import { CONFIG_FD, EVENTS_FD, KEY_BYTES, parseHarnessConfig, type HarnessConfig, type HarnessEvent, type HookContext } from './protocol.js';

// 2. Captured before any submission code exists.
const writeSync = fs.writeSync;
const stringify = JSON.stringify;
const createHmac = crypto.createHmac;
const createHash = crypto.createHash;
const bufferFrom = Buffer.from.bind(Buffer);
// Hmac's methods are looked up on its prototype at call time; keep our own references so a submission
// that patches crypto.Hmac.prototype cannot change what the harness signs.
const hmacProto = Object.getPrototypeOf(createHmac('sha256', 'probe')) as { update: (d: string) => unknown; digest: (e: 'hex') => string };
const hmacUpdate = hmacProto.update;
const hmacDigest = hmacProto.digest;
const perfNow = performance.now.bind(performance);
const reallyExit = (process as unknown as { reallyExit: (code: number) => never }).reallyExit.bind(process);
const originalExit = process.exit.bind(process);
const originalKill = process.kill.bind(process);
const toBase64 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

// Stack traces the grader reads are formatted by V8 and Node, never by the submission (./instrument.ts).
installStackGuard();

// 1. Key and configuration, then the descriptor is gone. The key arrives as raw bytes ahead of the JSON
// and goes straight into a KeyObject, whose material lives outside the JavaScript heap, so a submission
// that takes a heap snapshot finds no key in it; the buffer that carried it is zeroed.
const configBytes = fs.readFileSync(CONFIG_FD);
fs.closeSync(CONFIG_FD);
const key = crypto.createSecretKey(configBytes.subarray(0, KEY_BYTES));
function readConfig(): HarnessConfig {
  try {
    return parseHarnessConfig(configBytes.subarray(KEY_BYTES).toString('utf8'));
  } catch (error) {
    // Only the parent writes this; a malformed one is a grader bug, said in one line (exit 70: internal error).
    process.stderr.write(`normlab grader harness: ${(error as Error).message}\n`);
    return reallyExit(70);
  }
}
const config = readConfig();
configBytes.fill(0);

let seq = 0;
let channelBroken = false;
let finished = false;

function send(event: HarnessEvent): void {
  if (channelBroken) return;
  const json = stringify(event);
  const h = createHmac('sha256', key);
  hmacUpdate.call(h, `${seq} ${json}`);
  const line = `${seq} ${hmacDigest.call(h, 'hex')} ${json}\n`;
  seq++;
  const bytes = bufferFrom(line, 'utf8');
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(EVENTS_FD, bytes, offset, bytes.length - offset);
    } catch (e) {
      if ((e as { code?: string }).code === 'EAGAIN') {
        Atomics.wait(sleepCell, 0, 0, 2);
        continue;
      }
      channelBroken = true;
      return;
    }
  }
}

function finish(code: number): never {
  finished = true;
  return reallyExit(code);
}

const basename = config.displayName.split(/[\\/]/).pop() ?? config.displayName;
const markers = [basename, 'submission.mjs'];

// 3. Data and backend.
function readBytes(path: string): Uint8Array {
  const b = fs.readFileSync(path);
  const out = new Uint8Array(b.length);
  out.set(b);
  return out;
}
const images = readBytes(config.images);
const labels = readBytes(config.labels);
const xTrain = new Tensor(images, [config.count, config.height, config.width], 'uint8');
const yTrain = new Tensor(labels, [config.count], 'uint8');

function digest(): string {
  return createHash('sha1').update(images).update(labels).digest('hex');
}

const notes: string[] = [];
// model.save('file://./my-model') into the working folder is part of the tfjs tutorials a correct
// submission follows; the runtime carries the engine's npm dependencies (zod) for it (./runtime.ts).
registerNodeModelFiles();
// One seed for every model the submission builds without its own: the same file grades the same way twice.
normlab.setSeed(config.seed);
if (config.backend) await normlab.setBackend(config.backend);
try {
  normlab.getBackend(); // instantiate now: a backend loaded later could read files the submission replaced
} catch (e) {
  notes.push(`the '${normlab.getBackendName()}' backend could not load (${(e as Error).message}); using 'reference'`);
  await normlab.setBackend('reference');
}
normlab.getBackend('reference');

// 4. The instrumented engine.
const recorder: Recorder = {
  send,
  now: perfNow,
  dataDigest: digest,
  base64: toBase64,
  markers,
  stack: captureStack,
};
const { state } = instrumentEngine(normlab as unknown as Record<string, unknown>, recorder, { x: xTrain, y: yTrain });
const current = (): HookContext | null => state.currentHook();

// 5. Guards.
function deny(what: string, permission: string): Error & { resource: string } {
  const e = new Error(`${what} is not allowed while grading`) as Error & { code: string; permission: string; resource: string };
  e.code = 'ERR_ACCESS_DENIED';
  e.permission = permission;
  e.resource = what;
  return e;
}
function lock(obj: object, name: string, value: unknown): void {
  Object.defineProperty(obj, name, { value, writable: false, configurable: false, enumerable: false });
}

// Every refused attempt is reported, caught by the submission or not (the parent applies its policy).
let violations = 0;
function violation(v: ViolationReport): void {
  if (++violations > 50) return;
  let frames: string[] = [];
  try {
    const stack = captureStack();
    frames = stack
      .split('\n')
      .slice(1)
      .map((l) => l.trim())
      .filter((l) => l.startsWith('at ') && markers.some((m) => l.includes(m)))
      .slice(0, 4);
  } catch {
    /* frames are a courtesy */
  }
  send({ type: 'violation', permission: v.permission, resource: v.resource.slice(0, 300), via: v.via, frames, ctx: current() });
}

// Network: the sandbox normally runs in an empty network namespace; this is the second layer.
lock(net.Socket.prototype, 'connect', function connect(...args: unknown[]) {
  const target = describeTarget(args);
  send({ type: 'network', target });
  const e = deny(`connect to ${target}`, 'Network');
  violation({ permission: 'Network', resource: e.resource, via: 'net.connect' });
  throw e;
});
for (const m of ['bind', 'send', 'connect'] as const) {
  lock(dgram.Socket.prototype, m, function denied() {
    send({ type: 'network', target: `udp ${m}` });
    violation({ permission: 'Network', resource: `udp ${m}`, via: `dgram.${m}` });
    throw deny(`udp ${m}`, 'Network');
  });
}
for (const name of ['lookup', 'resolve', 'resolve4', 'resolve6', 'resolveAny', 'reverse'] as const) {
  const fake = (host: unknown) => {
    const what = `DNS lookup of ${typeof host === 'string' ? host.slice(0, 100) : typeof host}`;
    send({ type: 'network', target: `dns ${typeof host === 'string' ? host.slice(0, 100) : typeof host}` });
    violation({ permission: 'Network', resource: what, via: `dns.${name}` });
    throw deny(what, 'Network');
  };
  lock(dns, name, fake);
  lock(dns.promises, name, fake);
}
nodeModule.syncBuiltinESMExports();
installGuards(violation, {
  fs: fsDefault as unknown as Record<string, unknown>,
  fsPromises: fsDefault.promises as unknown as Record<string, unknown>,
  childProcess: childProcess as unknown as Record<string, unknown>,
  workerThreads: workerThreads as unknown as Record<string, unknown>,
  inspector: inspector as unknown as Record<string, unknown>,
  vm: vm as unknown as Record<string, unknown>,
  repl: repl as unknown as Record<string, unknown>,
  module: nodeModuleDefault as unknown as Record<string, unknown>,
  wasi: wasi as unknown as Record<string, unknown>,
});
setImportCheck((spec) => checkImportSpecifier(spec, config.engineUrl, nodeModule.isBuiltin, violation));

function describeTarget(args: unknown[]): string {
  const a = args[0];
  if (Array.isArray(a)) return describeTarget(a);
  if (a && typeof a === 'object') {
    const o = a as { host?: unknown; port?: unknown; path?: unknown };
    return o.path ? String(o.path) : `${String(o.host ?? 'localhost')}:${String(o.port)}`;
  }
  return typeof args[1] === 'string' ? `${args[1]}:${String(a)}` : String(a);
}

lock(process, 'exit', function exit(code?: number | string | null) {
  const frames = (new Error().stack ?? '')
    .split('\n')
    .slice(2)
    .map((l) => l.trim())
    .filter((l) => markers.some((m) => l.includes(m)));
  send({ type: 'process-exit-call', code: describeValue(code ?? process.exitCode), frames });
  return originalExit(code as number);
});
lock(process, 'kill', function kill(pid: number, signal?: string | number) {
  if (pid !== process.pid && pid !== 0) {
    const e = deny(`process.kill(${typeof pid === 'number' ? pid : typeof pid})`, 'Signal');
    violation({ permission: 'Signal', resource: e.resource, via: 'process.kill' });
    throw e;
  }
  return originalKill(pid, signal);
});

// What the submission prints: recorded only to see where the required message was printed, and counted:
// a pipe that is full makes Node queue writes in memory until the event loop runs, which a loop that
// prints forever never lets happen, so the parent would see little output while memory grows. The cap
// is therefore enforced here too, at the moment of writing.
let printEvents = 0;
let printedBytes = 0;
const near = /reached|cancell?ing|99\s*%/i;
for (const stream of [process.stdout, process.stderr]) {
  const original = stream.write;
  const name = stream === process.stdout ? 'stdout' : 'stderr';
  lock(stream, 'write', function write(this: unknown, chunk: unknown, ...rest: unknown[]) {
    printedBytes += typeof chunk === 'string' ? chunk.length : chunk instanceof Uint8Array ? chunk.byteLength : 0;
    if (printedBytes > config.outputBytes) {
      send({ type: 'output-limit', bytes: printedBytes, ctx: current() });
      finish(1);
    }
    try {
      if (printEvents < 200 && (typeof chunk === 'string' || chunk instanceof Uint8Array)) {
        const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
        if (text.includes(config.message) || near.test(text)) {
          printEvents++;
          send({
            type: 'print',
            stream: name,
            text: text.trim().slice(0, 300),
            match: text.includes(config.message) ? 'exact' : 'near',
            ctx: current(),
            onStack: state.hookOnStack() !== null,
          });
        }
      }
    } catch {
      /* never let recording break printing */
    }
    return (original as (...a: unknown[]) => boolean).apply(stream, [chunk, ...rest]);
  });
}

process.on('exit', (code) => {
  if (!finished) send({ type: 'exit', code });
});
process.on('uncaughtException', (e) => {
  state.scanModels();
  send({ type: 'error', error: describeError(e, 'async', current(), markers) });
  finish(1);
});
process.on('unhandledRejection', (e) => {
  state.scanModels();
  send({ type: 'error', error: describeError(e, 'async', current(), markers) });
  finish(1);
});

// Freeze the engine's classes and objects, and the built-ins the engine computes with.
// Not with Object.freeze: on Object.prototype and the typed-array prototypes it switches V8 off its fast
// paths for typed-array element access (the reference backend trains ~15× slower). Making every own
// property non-writable and non-configurable, then the object non-extensible, gives the same guarantee
// (Object.isFrozen is true afterwards) without that cost.
function harden(o: object): void {
  for (const k of Reflect.ownKeys(o)) {
    const d = Object.getOwnPropertyDescriptor(o, k);
    if (!d || !d.configurable) continue;
    if ('value' in d) Object.defineProperty(o, k, { value: d.value, writable: false, configurable: false, enumerable: d.enumerable });
    else Object.defineProperty(o, k, { get: d.get, set: d.set, configurable: false, enumerable: d.enumerable });
  }
  Object.preventExtensions(o);
}
function freezeDeep(v: unknown): void {
  if ((typeof v === 'object' && v !== null) || typeof v === 'function') {
    if (Object.isFrozen(v)) return;
    harden(v);
    if (typeof v === 'function' && v.prototype) harden(v.prototype as object);
    if (typeof v === 'object')
      for (const inner of Object.values(v as object)) if (inner && typeof inner === 'object' && !ArrayBuffer.isView(inner)) freezeDeep(inner);
  }
}
for (const cls of [Sequential, Callback, CallbackList, History, Tensor, Layer]) freezeDeep(cls);
for (const value of Object.values(normlab)) freezeDeep(value);

const TypedArray = Object.getPrototypeOf(Uint8Array) as object;
const intrinsics: object[] = [
  Object,
  Object.prototype,
  Array,
  Array.prototype,
  Function.prototype,
  JSON,
  Math,
  Reflect,
  Promise,
  Promise.prototype,
  Number,
  Number.prototype,
  String,
  String.prototype,
  Boolean.prototype,
  Symbol,
  Symbol.prototype,
  Map,
  Map.prototype,
  Set,
  Set.prototype,
  WeakMap.prototype,
  WeakSet.prototype,
  Date,
  Date.prototype,
  ArrayBuffer,
  ArrayBuffer.prototype,
  DataView.prototype,
  TypedArray,
  (TypedArray as { prototype: object }).prototype,
  Atomics,
  WebAssembly,
  WebAssembly.Module,
  WebAssembly.Instance,
  WebAssembly.Memory,
  WebAssembly.Memory.prototype,
  WebAssembly.Instance.prototype,
  Object.getPrototypeOf([][Symbol.iterator]()),
  Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())),
];
for (const T of [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array])
  intrinsics.push(T, T.prototype);
for (const o of intrinsics) harden(o);
for (const name of [
  'Object',
  'Array',
  'Error',
  'Function',
  'JSON',
  'Math',
  'Reflect',
  'Proxy',
  'Promise',
  'Number',
  'String',
  'Boolean',
  'Symbol',
  'Map',
  'Set',
  'WeakMap',
  'WeakSet',
  'Date',
  'ArrayBuffer',
  'DataView',
  'Atomics',
  'WebAssembly',
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
]) {
  const d = Object.getOwnPropertyDescriptor(globalThis, name);
  if (d && d.configurable) Object.defineProperty(globalThis, name, { value: d.value, writable: false, configurable: false, enumerable: false });
}

// 6. The submission.
send({ type: 'hello', node: process.version, backend: normlab.getBackendName(), backends: normlab.backendNames(), isolation: notes });
const loadStarted = perfNow();
let mod: Record<string, unknown>;
try {
  mod = (await import(config.submissionUrl)) as Record<string, unknown>;
} catch (e) {
  send({ type: 'error', error: describeError(e, 'import', null, markers) });
  finish(1);
}
const exportNames = Object.keys(mod);
send({ type: 'loaded', exports: exportNames, ms: perfNow() - loadStarted });

let entry = mod[config.entry];
if (typeof entry !== 'function' && mod.default && typeof mod.default === 'object') entry = (mod.default as Record<string, unknown>)[config.entry];
if (typeof entry !== 'function') {
  const suggestion = closestName(config.entry, exportNames);
  send({
    type: 'error',
    error: {
      name: 'MissingExport',
      message:
        entry === undefined
          ? `the module does not export a function named ${config.entry}${suggestion ? ` (it exports ${suggestion}: did you mean ${config.entry}?)` : exportNames.length ? ` (its exports: ${exportNames.join(', ')})` : ' (it exports nothing)'}`
          : `${config.entry} is ${describeValue(entry)}, not a function`,
      frames: [],
      phase: 'export',
    },
  });
  finish(1);
}

send({ type: 'call-begin' });
const callStarted = perfNow();
const dataBefore = digest();
let returned: unknown;
try {
  const value = (entry as (x: Tensor, y: Tensor) => unknown)(xTrain, yTrain);
  // A Proxy is never awaited (await would run its traps: `then` is looked up); a promise is.
  returned = isProxy(value) && !state.isEngineModel(value) ? value : await value;
} catch (e) {
  state.scanModels();
  send({ type: 'error', error: describeError(e, 'call', current(), markers) });
  finish(1);
}
state.scanModels();
const seconds = (perfNow() - callStarted) / 1000;
let kind: string;
let historyOf: number | null = null;
// Classifying the value must never run the submission's code (a Proxy's traps, a getter): WeakMap
// lookups and prototype checks on non-proxies only.
try {
  if (state.isEngineModel(returned)) kind = 'model';
  else if (isProxy(returned)) kind = 'a Proxy';
  else if ((historyOf = state.historyCall(returned)) !== null) kind = 'history';
  else if ((historyOf = state.isHistoryRecord(returned)) !== null) kind = 'history-record';
  else if (returned !== null && typeof returned === 'object' && protoChainHas(returned, History.prototype)) kind = 'history-other';
  else if (returned !== null && typeof returned === 'object' && protoChainHas(returned, Sequential.prototype)) kind = 'model';
  else kind = describeValue(returned);
} catch {
  kind = 'a value the grader could not inspect';
}
send({ type: 'result', returned: kind, historyOf, seconds, dataChanged: digest() !== dataBefore });
finish(0);

function protoChainHas(v: object, proto: object): boolean {
  let p: object | null = v;
  for (let i = 0; i < 100 && p; i++) {
    if (isProxy(p)) return false;
    p = Object.getPrototypeOf(p) as object | null;
    if (p === proto) return true;
  }
  return false;
}
