/**
 * How a run ended, in one status and one or two plain sentences. Decided from what the parent saw (the
 * process's exit, signals, its own kills) and the authenticated events; never from the submission's
 * output, except to recognise V8's own out-of-memory report on stderr.
 */
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

function deniedWords(e: ErrorInfo): string {
  const what: Record<string, string> = {
    FileSystemRead: 'read a file outside what the sandbox shows it',
    FileSystemWrite: 'write a file outside its own working folder',
    ChildProcess: 'start another process',
    WorkerThreads: 'start a worker thread',
    Network: 'use the network',
    Inspector: 'open the inspector',
    AddonNative: 'load a native addon',
  };
  const did = (e.permission && what[e.permission]) ?? `do something the sandbox forbids (${e.permission ?? e.message})`;
  const resource = e.resource ? ` (${e.resource})` : '';
  const where = e.frames.length > 0 ? ` at ${frameWords(e.frames[0])}` : '';
  return `The submission tried to ${did}${resource}${where}; that is not allowed while grading, so the run was stopped. A submission only needs the xTrain and yTrain it is given.`;
}

export function classifyRun(run: SandboxRun, facts: RunFacts, limits: Limits): StatusVerdict {
  const openHook = facts.outputLimit?.ctx ?? facts.openHook;
  const where = openHook ? `, while it was running ${whereInHook(openHook)}` : facts.fits.some((f) => !f.end) ? ', during model.fit' : '';
  if (run.forged > 0) {
    return {
      status: 'tampered',
      message: "Something other than the grader wrote to the grader's private channel, so nothing this run reported can be trusted and it is not scored.",
    };
  }
  if (run.killedFor === 'timeout') return { status: 'timeout', message: `The run took longer than the ${limits.timeoutS} s time limit and was stopped${where}.` };
  if (run.killedFor === 'output' || facts.outputLimit) {
    return { status: 'output-limit', message: `The submission printed more than ${Math.round(limits.outputBytes / 1024)} KiB and was stopped${where}. Print one line when training stops, not in a loop.` };
  }
  if (run.killedFor === 'memory') return { status: 'memory-limit', message: `The run used more than the ${limits.memoryMB} MiB memory limit and was stopped${where}.` };
  if (run.signal === 'SIGXCPU') return { status: 'cpu-limit', message: `The run used more than ${limits.cpuS} s of CPU time and was stopped${where}.` };
  if (run.signal === 'SIGXFSZ') return { status: 'disk-limit', message: `The submission wrote a file larger than the ${limits.diskMB} MiB limit and was stopped.` };
  const oom = /heap out of memory|Reached heap limit|Allocation failed|out of memory/i;
  const e = facts.error;
  if ((run.signal === 'SIGABRT' || run.signal === 'SIGTRAP' || run.signal === 'SIGSEGV' || run.exitCode === 134) && oom.test(run.stderr)) {
    return { status: 'memory-limit', message: `The run ran out of memory (limit ${limits.memoryMB} MiB)${where}.` };
  }
  if (facts.result) return { status: 'completed', message: `trainMnist returned after ${facts.result.seconds.toFixed(1)} s.` };
  if (e) {
    if (e.phase === 'export') return { status: 'missing-export', message: `${e.message}. Export it: export async function trainMnist(xTrain, yTrain) { … }` };
    if (isAccessDenied(e)) return { status: 'sandbox-violation', message: deniedWords(e) };
    if (e.name === 'RangeError' && /allocation failed|Invalid (typed )?array length|out of memory/i.test(e.message)) {
      return { status: 'memory-limit', message: `The run could not get more memory (limit ${limits.memoryMB} MiB): ${e.message}${where}.` };
    }
    if (e.code === 'ENOSPC' || e.code === 'EFBIG') return { status: 'disk-limit', message: `The submission filled its ${limits.diskMB} MiB working folder.` };
    if (e.phase === 'import' && e.name === 'SyntaxError') return { status: 'compile-error', message: `The file does not load: ${describeThrown(e)}` };
    if (e.phase === 'import' && e.code === 'ERR_MODULE_NOT_FOUND') {
      return { status: 'runtime-error', message: `The file imports a module the sandbox does not have: ${e.message.split('\n')[0]}. Import the engine as 'normlab'; nothing else is needed.` };
    }
    // An error thrown by a callback reaches trainMnist through fit; fit's own record knows the hook.
    const hook = e.hook ?? facts.fits.find((f) => f.end?.error?.phase === 'callback' && f.end.error.message === e.message)?.end?.error?.hook;
    const phase = e.phase === 'import' ? 'while the file was loading' : hook ? `in ${whereInHook(hook)}` : e.phase === 'async' ? 'in code that ran later (an unawaited promise or a timer)' : 'in trainMnist';
    return { status: 'runtime-error', message: `The submission threw an error ${phase}: ${describeThrown(e)}${missingKeys(facts, hook)}` };
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
    return { status: 'exited-early', message: `The submission ${how} before trainMnist returned${where}, so the run ended there. Let trainMnist return the History instead.` };
  }
  if (!facts.hello) {
    return { status: 'grader-error', message: `The grader's sandbox did not start (exit code ${run.exitCode}, signal ${run.signal}): ${firstLine(run.stderr) || 'no output'}` };
  }
  return { status: 'crashed', message: `The process died (${run.signal ? `signal ${run.signal}` : `exit code ${run.exitCode}`})${where}.` };
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

function firstLine(s: string): string {
  return s.trim().split('\n').slice(0, 3).join(' ').slice(0, 300);
}
