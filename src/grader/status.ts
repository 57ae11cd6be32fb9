/**
 * How a run ended, in one status and one or two plain sentences. Decided from what the parent saw (the
 * process's exit, signals, its own kills) and the authenticated events; never from the submission's
 * output, except to recognise V8's own out-of-memory report on stderr.
 */
import type { SourceFacts } from './analyze.js';
import type { RunFacts } from './facts.js';
import type { ErrorInfo, HookContext } from './protocol.js';
import type { Limits, SandboxRun } from './sandbox.js';
import type { RunStatus } from './types.js';

export interface StatusVerdict {
  status: RunStatus;
  message: string;
}

const HOOK_WORDS: Record<string, string> = {
  onTrainBegin: 'onTrainBegin',
  onTrainEnd: 'onTrainEnd',
  onEpochBegin: 'onEpochBegin',
  onEpochEnd: 'onEpochEnd',
  onBatchBegin: 'onBatchBegin',
  onBatchEnd: 'onBatchEnd',
};

/** "your onEpochEnd callback (epoch 3)" */
export function whereInHook(ctx: HookContext | null | undefined): string {
  if (!ctx) return '';
  const hook = HOOK_WORDS[ctx.hook] ?? ctx.hook;
  const batch = ctx.batch !== undefined ? `, batch ${ctx.batch + 1}` : '';
  const call = ctx.call > 1 ? ` of fit call ${ctx.call}` : '';
  return `your ${hook} callback (epoch ${ctx.epoch + 1}${batch}${call})`;
}

/** `at onEpochEnd (train-mnist.ts:14:11)` → `train-mnist.ts line 14 (in onEpochEnd)`. */
export function frameWords(frame: string): string {
  const m = /^at (?:async )?(?:(.+?) \()?(?:file:\/\/)?(.+?):(\d+):(\d+)\)?$/.exec(frame.trim());
  if (!m) return frame.trim();
  const file = m[2].split('/').pop();
  const name = m[1]?.replace(/^(Object|Module)\./, '');
  const fn = name && !/^(Object|Module|<anonymous>)$/.test(name) && !name.startsWith('file:') ? ` (in ${name})` : '';
  return `${file} line ${m[3]}${fn}`;
}

/** "TypeError: logs.acc.toFixed is not a function, at train-mnist.ts line 14 (in onEpochEnd)". */
export function describeThrown(e: ErrorInfo): string {
  const where = e.frames.length > 0 ? `, at ${frameWords(e.frames[0])}` : '';
  const hint = e.hint ? ` Try: ${e.hint.replace(/[.!?]$/, '')}.` : '';
  return `${e.name}: ${e.message.replace(/[.!?]$/, '')}${where}.${hint}`;
}

function isAccessDenied(e: ErrorInfo): boolean {
  return e.code === 'ERR_ACCESS_DENIED';
}

const DENIED_WORDS: Record<string, string> = {
  FileSystemRead: 'read a file outside what the sandbox shows it',
  FileSystemWrite: 'write a file outside its own working folder',
  ChildProcess: 'start another process',
  WorkerThreads: 'start a worker thread',
  Network: 'use the network',
  Inspector: 'open the inspector',
  AddonNative: 'load a native addon',
  CodeFromString: 'run code built from a string',
  InternalBinding: "use Node's internal bindings",
  Signal: 'send a signal to another process',
  ModuleLoad: 'load a module with require',
  ModuleLoader: 'install a module loader',
  WASI: 'start a WASI program',
  Harness: "change the grader's own code",
};

/** "read a file outside what the sandbox shows it (/etc/passwd)". */
export function deniedAction(permission: string | undefined, resource: string | undefined, message = ''): string {
  let p = permission;
  // Node's own refusal of process.binding carries no permission name
  if (!p && /process\.binding|internalBinding/.test(`${resource ?? ''} ${message}`)) p = 'InternalBinding';
  const did = (p && DENIED_WORDS[p]) ?? `do something the sandbox forbids (${(resource || message || 'unnamed').slice(0, 120)})`;
  return resource && !did.includes(resource) ? `${did} (${resource})` : did;
}

function deniedWords(e: ErrorInfo): string {
  const did = deniedAction(e.permission, e.resource, e.message);
  const resource = '';
  const where = e.frames.length > 0 ? ` at ${frameWords(e.frames[0])}` : '';
  return `The submission tried to ${did}${resource}${where}; that is not allowed while grading, so the run was stopped. A submission only needs the xTrain and yTrain it is given.`;
}

/** Where the run was when it was cut off: ", while it was running your onEpochEnd callback (epoch 3)". */
export function whereRunWas(facts: RunFacts, openHook: HookContext | null): string {
  if (openHook) return `, while it was running ${whereInHook(openHook)}`;
  const open = facts.fits.find((f) => !f.end);
  if (open)
    return `, during model.fit (training epoch ${open.epochLogs.length + 1}${open.epochsValue ? ` of ${open.epochsValue}` : ''}${facts.fits.length > 1 ? `, fit call ${open.call}` : ''})`;
  if (facts.result) return ', after trainMnist had returned';
  if (facts.fits.length > 0) return ', in trainMnist after model.fit had returned';
  if (facts.callBegan) return ', in trainMnist before model.fit was called';
  if (facts.loaded || facts.hello) return facts.loaded ? '' : ', while the file was loading (its top-level code)';
  return '';
}

export function classifyRun(run: SandboxRun, facts: RunFacts, limits: Limits, source?: SourceFacts): StatusVerdict {
  const openHook = facts.outputLimit?.ctx ?? facts.openHook;
  const where = whereRunWas(facts, openHook);
  if (run.forged > 0) {
    return {
      status: 'tampered',
      message: "Something other than the grader wrote to the grader's private channel, so nothing this run reported can be trusted and it is not scored.",
    };
  }
  if (run.killedFor === 'timeout')
    return {
      status: 'timeout',
      message: `The run took longer than the ${limits.timeoutS} s time limit and was stopped${where}.${timeoutHint(facts, openHook)}`,
    };
  if (run.killedFor === 'output' || facts.outputLimit) {
    return {
      status: 'output-limit',
      message: `The submission printed more than ${Math.round(limits.outputBytes / 1024)} KiB and was stopped${where}. Print one line when training stops, not in a loop.`,
    };
  }
  if (run.killedFor === 'memory')
    return { status: 'memory-limit', message: `The run used more than the ${limits.memoryMB} MiB memory limit and was stopped${where}.` };
  if (run.signal === 'SIGXCPU') return { status: 'cpu-limit', message: `The run used more than ${limits.cpuS} s of CPU time and was stopped${where}.` };
  if (run.signal === 'SIGXFSZ')
    return { status: 'disk-limit', message: `The submission wrote a file larger than the ${limits.diskMB} MiB limit and was stopped.` };
  const oom = /heap out of memory|Reached heap limit|Allocation failed|out of memory/i;
  const e = facts.error;
  if ((run.signal === 'SIGABRT' || run.signal === 'SIGTRAP' || run.signal === 'SIGSEGV' || run.exitCode === 134) && oom.test(run.stderr)) {
    return { status: 'memory-limit', message: `The run ran out of memory (limit ${limits.memoryMB} MiB)${where}.` };
  }
  // (no time in the message: the same file graded twice must read the same)
  if (facts.result) {
    if (facts.result.returned === 'a Promise' && source?.unawaitedFits.length) {
      const f = source.unawaitedFits[0];
      return {
        status: 'completed',
        message: `trainMnist returned a Promise before training finished: line ${f.line} calls model.fit without await. fit is asynchronous; write const history = await model.fit(…).`,
      };
    }
    return { status: 'completed', message: 'trainMnist returned.' };
  }
  if (e) {
    if (e.phase === 'export') return { status: 'missing-export', message: `${e.message}. Export it: export async function trainMnist(xTrain, yTrain) { … }` };
    if (isAccessDenied(e)) return { status: 'sandbox-violation', message: deniedWords(e) };
    if (e.name === 'RangeError' && /allocation failed|Invalid (typed )?array length|out of memory/i.test(e.message)) {
      return { status: 'memory-limit', message: `The run could not get more memory (limit ${limits.memoryMB} MiB): ${e.message}${where}.` };
    }
    if (e.code === 'ENOSPC' || e.code === 'EFBIG') return { status: 'disk-limit', message: `The submission filled its ${limits.diskMB} MiB working folder.` };
    if (e.phase === 'import' && e.name === 'SyntaxError') return { status: 'compile-error', message: `The file does not load: ${describeThrown(e)}` };
    if (e.phase === 'import' && e.code === 'ERR_MODULE_NOT_FOUND') {
      return {
        status: 'runtime-error',
        message: `The file imports a module the sandbox does not have: ${e.message.split('\n')[0]}. Import the engine as 'normlab'; nothing else is needed.`,
      };
    }
    // `return new Proxy(…)` from an async trainMnist: resolving its promise looks up `then` on the value,
    // which runs the Proxy's get trap; V8 shows that frame as `[as get]` right above the return statement.
    // (source maps drop the `[as get]`, so: the file makes a Proxy and the frame below is a return line)
    const entryAt = /^at (?:async )?trainMnist \(.*:(\d+):\d+\)$/.exec(e.frames[1] ?? '');
    const fromReturn = entryAt && source?.returnLines.includes(Number(entryAt[1])) && source.makesProxy && !/^at (async )?trainMnist /.test(e.frames[0] ?? '');
    if (e.phase === 'call' && (fromReturn || (/\[as (get|then|getPrototypeOf|has)\]/.test(e.frames[0] ?? '') && entryAt))) {
      return {
        status: 'runtime-error',
        message: `The value trainMnist returned threw when it was read (${frameWords(e.frames[1])} returns an object whose property lookup runs code: a Proxy's get trap): ${describeThrown(e)} Return the History from model.fit instead.`,
      };
    }
    // An error thrown by a callback reaches trainMnist through fit; fit's own record knows the hook.
    const hook = e.hook ?? facts.fits.find((f) => f.end?.error?.phase === 'callback' && f.end.error.message === e.message)?.end?.error?.hook;
    const phase =
      e.phase === 'import'
        ? 'while the file was loading'
        : hook
          ? `in ${whereInHook(hook)}`
          : e.phase === 'async'
            ? 'in code that ran later (an unawaited promise or a timer)'
            : 'in trainMnist';
    return {
      status: 'runtime-error',
      message: `The submission threw an error ${phase}: ${describeThrown(e)}${missingKeys(facts, hook)}${sourceHints(e, hook, source)}`,
    };
  }
  if (!facts.exitCall && run.exitCode === 13 && facts.callBegan) {
    // Node's exit code for a top-level await that can never finish: nothing was left to run.
    return {
      status: 'exited-early',
      message: `trainMnist never finished: it waited for a promise that nothing resolves${where}, so the process had nothing left to do and ended. Make sure every promise you await is resolved (await model.fit(…) is all that is needed).`,
    };
  }
  if (facts.exitCall || facts.exitEvent || (run.exitCode !== null && facts.hello)) {
    const how = facts.exitCall
      ? `called process.exit(${facts.exitCall.code === 'undefined' ? '' : facts.exitCall.code})${facts.exitCall.frames.length ? ` at ${frameWords(facts.exitCall.frames[0])}` : ''}`
      : `ended the process (exit code ${run.exitCode})`;
    return {
      status: 'exited-early',
      message: `The submission ${how} before trainMnist returned${where}, so the run ended there. Let trainMnist return the History instead.`,
    };
  }
  if (!facts.hello) {
    return {
      status: 'grader-error',
      message: `The grader's sandbox did not start (exit code ${run.exitCode}, signal ${run.signal}): ${firstLine(run.stderr) || 'no output'}`,
    };
  }
  return { status: 'crashed', message: `The process died (${run.signal ? `signal ${run.signal}` : `exit code ${run.exitCode}`})${where}.` };
}

/** The likely cause of a runtime error, from the source: Python-style hooks, `this` in an arrow, a fit not awaited. */
function sourceHints(e: ErrorInfo, hook: HookContext | undefined, source: SourceFacts | undefined): string {
  if (!source) return '';
  const hints: string[] = [];
  const undef = /Cannot read properties of (undefined|null)|is not a function|undefined is not/.test(e.message);
  const py = source.pythonHooks.find((p) => !hook || p.hook === hook.hook);
  if (py && undef) {
    const proper = py.hook.startsWith('onTrain') ? 'logs' : py.hook.includes('Batch') ? 'batch, logs' : 'epoch, logs';
    hints.push(
      `Line ${py.line}: ${py.hook}(${py.params.join(', ')}) takes Python's \`self\`; fit calls ${py.hook}(${proper}), so the arguments are shifted and \`${py.params[py.params.length - 1]}\` is undefined. Write ${py.hook}(${proper}) and use \`this\`.`,
    );
  }
  const arrow = source.arrowThis.find((t) => !hook || t.hook === hook.hook);
  if (arrow && /reading 'model'|reading 'stopTraining'/.test(e.message)) {
    hints.push(
      `Line ${arrow.line}: ${arrow.hook} is an arrow function, and inside an arrow function \`this\` is not your callback object, so this.model is undefined. Write it as a method, ${arrow.hook}(epoch, logs) { … }, or use your model variable: model.stopTraining = true.`,
    );
  }
  const fit = source.unawaitedFits[0];
  if (fit && !hook && undef) {
    hints.push(
      `Line ${fit.line} calls model.fit without await: fit returns a Promise, so what you got is not a History yet. Write const history = await model.fit(…).`,
    );
  }
  return hints.length ? ` ${hints.join(' ')}` : '';
}

/** " It read logs.accuracy, which does not exist (the logs have: loss, acc)." for the hook that threw. */
function missingKeys(facts: RunFacts, hook: HookContext | undefined): string {
  if (!hook) return '';
  const run = facts.hooks.find((h) => h.threw && h.ctx.hook === hook.hook && h.ctx.epoch === hook.epoch && h.ctx.call === hook.call);
  const missing = run?.reads.filter((r) => !r.exists && r.key !== '*').map((r) => `logs.${r.key}`) ?? [];
  if (missing.length === 0) return '';
  const fit = facts.fits.find((f) => f.call === hook.call);
  const have = Object.keys(fit?.epochLogs[0]?.logs ?? {});
  return ` It read ${missing.join(', ')}, which ${missing.length === 1 ? 'does' : 'do'} not exist${have.length ? ` (the logs have: ${have.join(', ')})` : ''}, so it got undefined.`;
}

function timeoutHint(facts: RunFacts, openHook: HookContext | null): string {
  if (openHook)
    return ` That hook ran for the rest of the time: a loop in it that never ends, or work far too slow to run ${openHook.batch !== undefined ? 'after every batch' : 'once per epoch'}.`;
  if (facts.result) return ' trainMnist had returned, but something it left running (a timer, a loop in a promise) kept the process busy.';
  if (facts.callBegan && facts.fits.length === 0) return ' model.fit was never reached: look for a loop before it.';
  if (!facts.loaded) return " The module's own top-level code never finished.";
  return '';
}

function firstLine(s: string): string {
  return s.trim().split('\n').slice(0, 3).join(' ').slice(0, 300);
}
