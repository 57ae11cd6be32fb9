/**
 * Runs inside the sandboxed child: records every refused attempt (read, write, process, worker, native
 * code, internal bindings, code built from strings), also the ones the submission catches.
 *
 * Node's permission model refuses such calls from C++ with an ERR_ACCESS_DENIED error, but a submission
 * can wrap the call in try/catch and carry on, so the refusal alone is invisible to the grader. Here the
 * modules a submission reaches those calls through are wrapped before it loads: every function of `fs`,
 * `fs/promises`, `child_process`, `worker_threads`, `inspector` and friends reports an ERR_ACCESS_DENIED
 * (thrown, rejected, passed to a callback or emitted on a stream) as a `violation` event, then behaves
 * exactly as before. Things that have no legitimate use in a submission (`vm`, `process.binding`,
 * `process.dlopen`, `module.register`, a `require` made with `createRequire`) are refused outright.
 * The parent scores the run by its violation policy (`--on-violation zero|flag`).
 */
import { syncBuiltinESMExports } from 'node:module';
import { isPromise, isProxy } from 'node:util/types';

export interface ViolationReport {
  permission: string;
  resource: string;
  /** The call that was refused, e.g. 'fs.readFileSync'. */
  via: string;
  error?: unknown;
}

export type ViolationSink = (v: ViolationReport) => void;

const DENIED = 'ERR_ACCESS_DENIED';

/** Reads `code` without running a getter (a submission's object may have one that loops). */
function codeOf(e: unknown): unknown {
  if (e === null || typeof e !== 'object' || isProxy(e)) return undefined;
  const d = Object.getOwnPropertyDescriptor(e, 'code');
  return d && 'value' in d ? d.value : undefined;
}

function fieldOf(e: unknown, name: string): string {
  if (e === null || typeof e !== 'object' || isProxy(e)) return '';
  const d = Object.getOwnPropertyDescriptor(e, name);
  return d && 'value' in d && (typeof d.value === 'string' || typeof d.value === 'number') ? String(d.value) : '';
}

export function isDenied(e: unknown): boolean {
  return codeOf(e) === DENIED;
}

/** An error shaped like Node's own permission errors. */
export function denial(what: string, permission: string): Error {
  const e = new Error(`${what} is not allowed while grading`) as Error & { code: string; permission: string; resource: string };
  e.code = DENIED;
  e.permission = permission;
  e.resource = what;
  return e;
}

function report(sink: ViolationSink, via: string, e: unknown, firstArg: unknown): void {
  const permission = fieldOf(e, 'permission') || 'unknown';
  const resource = fieldOf(e, 'resource') || (typeof firstArg === 'string' ? firstArg : firstArg instanceof URL ? firstArg.href : '');
  sink({ permission, resource, via, error: e });
}

/** `fn` with every ERR_ACCESS_DENIED it produces reported; otherwise unchanged. */
function watched(sink: ViolationSink, via: string, fn: (...a: unknown[]) => unknown): (...a: unknown[]) => unknown {
  const wrapper = function (this: unknown, ...args: unknown[]): unknown {
    const last = args.length - 1;
    if (last >= 0 && typeof args[last] === 'function') {
      const cb = args[last] as (...a: unknown[]) => unknown;
      args[last] = function (this: unknown, err: unknown, ...rest: unknown[]) {
        if (isDenied(err)) report(sink, via, err, args[0]);
        return cb.call(this, err, ...rest);
      };
    }
    let out: unknown;
    try {
      out = new.target ? Reflect.construct(fn, args, new.target) : fn.apply(this, args);
    } catch (e) {
      if (isDenied(e)) report(sink, via, e, args[0]);
      throw e;
    }
    if (isPromise(out)) {
      // The caller gets the derived promise: same value, same rejection, and the refusal is seen.
      return (out as Promise<unknown>).then(undefined, (e: unknown) => {
        if (isDenied(e)) report(sink, via, e, args[0]);
        throw e;
      });
    }
    if (out && typeof out === 'object' && typeof (out as { emit?: unknown }).emit === 'function' && /Stream$/.test(via)) {
      // streams report a refused open as an 'error' event
      const emitter = out as { emit: (event: string, ...a: unknown[]) => boolean };
      const emit = emitter.emit;
      emitter.emit = function (event: string, ...a: unknown[]) {
        if (event === 'error' && isDenied(a[0])) report(sink, via, a[0], args[0]);
        return emit.call(this, event, ...a);
      };
    }
    return out;
  };
  Object.defineProperty(wrapper, 'name', { value: fn.name });
  if (fn.prototype) wrapper.prototype = fn.prototype;
  return wrapper;
}

/** Replaces every function property of `mod` (not classes' prototypes) with a watched one. */
function watchModule(sink: ViolationSink, name: string, mod: Record<string, unknown>): void {
  for (const key of Object.keys(mod)) {
    const d = Object.getOwnPropertyDescriptor(mod, key);
    if (!d || !('value' in d) || typeof d.value !== 'function' || !d.writable) continue;
    // Classes (fs.Dirent, fs.Stats, …) keep their identity: `instanceof` must still work.
    if (/^[A-Z]/.test(key) && key !== 'Worker') continue;
    try {
      mod[key] = watched(sink, `${name}.${key}`, d.value as (...a: unknown[]) => unknown);
    } catch {
      /* a frozen export stays as it is */
    }
  }
}

/** Replaces `obj[key]` with a function that refuses and reports. */
function refuse(sink: ViolationSink, obj: object, key: string, what: (args: unknown[]) => string, permission: string): void {
  const d = Object.getOwnPropertyDescriptor(obj, key);
  if (!d || !d.configurable) {
    if (!d || !d.writable) return;
  }
  const refused = function refusedCall(...args: unknown[]): never {
    const resource = what(args);
    const e = denial(resource, permission);
    sink({ permission, resource, via: key, error: e });
    throw e;
  };
  Object.defineProperty(obj, key, { value: refused, writable: false, configurable: false, enumerable: d?.enumerable ?? false });
}

const str = (v: unknown) => (typeof v === 'string' ? v : typeof v === 'symbol' ? v.toString() : typeof v);

export interface GuardModules {
  fs: Record<string, unknown>;
  fsPromises: Record<string, unknown>;
  childProcess: Record<string, unknown>;
  workerThreads: Record<string, unknown>;
  inspector: Record<string, unknown>;
  vm: Record<string, unknown>;
  repl: Record<string, unknown>;
  module: Record<string, unknown>;
  wasi?: Record<string, unknown>;
}

/** Installs the guards; call once, before the submission is imported. */
export function installGuards(sink: ViolationSink, m: GuardModules): void {
  watchModule(sink, 'fs', m.fs);
  watchModule(sink, 'fs.promises', m.fsPromises);
  watchModule(sink, 'child_process', m.childProcess);
  watchModule(sink, 'worker_threads', m.workerThreads);
  watchModule(sink, 'inspector', m.inspector);
  // Code built from strings: eval and new Function are off (--disallow-code-generation-from-strings), but
  // `vm` compiles strings regardless, and the REPL evaluates through it.
  for (const key of ['runInThisContext', 'runInNewContext', 'runInContext', 'compileFunction', 'createScript', 'Script', 'SourceTextModule', 'measureMemory']) {
    if (key in m.vm) refuse(sink, m.vm, key, () => `vm.${key}`, 'CodeFromString');
  }
  // The inspector would let a submission drive the debugger protocol; no grading use for it at all.
  for (const key of ['Session', 'open', 'url', 'waitForDebugger']) {
    if (key in m.inspector) refuse(sink, m.inspector, key, () => `inspector.${key}`, 'Inspector');
  }
  if ('start' in m.repl) refuse(sink, m.repl, 'start', () => 'repl.start', 'CodeFromString');
  if (m.wasi && 'WASI' in m.wasi) refuse(sink, m.wasi, 'WASI', () => 'WASI', 'WASI');
  for (const key of ['register', 'createRequire']) {
    if (key in m.module) refuse(sink, m.module, key, () => `module.${key}()`, key === 'register' ? 'ModuleLoader' : 'ModuleLoad');
  }
  const proc = process as unknown as Record<string, unknown>;
  refuse(sink, proc, 'binding', (a) => `process.binding('${str(a[0]).slice(0, 40)}')`, 'InternalBinding');
  refuse(sink, proc, '_linkedBinding', (a) => `process._linkedBinding('${str(a[0]).slice(0, 40)}')`, 'InternalBinding');
  refuse(sink, proc, 'dlopen', (a) => `process.dlopen(${str((a[1] as unknown) ?? '').slice(0, 120)})`, 'AddonNative');
  syncBuiltinESMExports();
}

/**
 * What a dynamic `import(x)` in a submission may load; the compiler routes every dynamic import whose
 * specifier is not a literal through this. Node's built-ins and the engine load; a `data:`/`blob:`/
 * network URL is code from a string and a violation; an absolute path or file URL is a read outside the
 * submission; a relative path simply does not exist in the sandbox.
 */
export function checkImportSpecifier(spec: unknown, engineUrl: string, isBuiltin: (s: string) => boolean, sink: ViolationSink): string {
  const s = typeof spec === 'string' ? spec : spec instanceof URL ? spec.href : undefined;
  if (s === undefined) throw new TypeError(`import() needs a module name, got ${typeof spec}`);
  if (s === 'normlab' || s === '@tensorflow/tfjs' || s === '@tensorflow/tfjs-node' || s === '@tensorflow/tfjs-layers') return engineUrl;
  if (isBuiltin(s)) return s;
  const lower = s.trim().toLowerCase();
  let permission = '';
  let what = '';
  if (/^(data|blob|javascript):/.test(lower)) {
    permission = 'CodeFromString';
    what = `import() of a ${lower.split(':')[0]}: URL`;
  } else if (/^(https?|ftp|wss?):/.test(lower)) {
    permission = 'Network';
    what = `import() of ${s.slice(0, 80)}`;
  } else if (lower.startsWith('/') || lower.startsWith('file:')) {
    permission = 'FileSystemRead';
    what = `import() of ${s.slice(0, 120)}`;
  }
  if (permission) {
    const e = denial(what, permission);
    sink({ permission, resource: what, via: 'import()', error: e });
    throw e;
  }
  const e = new Error(`cannot import '${s.slice(0, 120)}': only 'normlab' and Node's built-in modules exist in the sandbox`) as Error & { code: string };
  e.code = 'ERR_MODULE_NOT_FOUND';
  throw e;
}

let importCheck: ((spec: unknown) => string) | undefined;

/** Set once by the harness (a second call, e.g. from a submission, is refused). */
export function setImportCheck(check: (spec: unknown) => string): void {
  if (importCheck) throw denial("replacing the grader's import check", 'Harness');
  importCheck = check;
}

/** What the compiled submission calls for each dynamic import: `import(guardedSpecifier(x))`. */
export function guardedSpecifier(spec: unknown): string {
  if (!importCheck) throw new Error('normlab (grader): the import check is not installed');
  return importCheck(spec);
}
