/**
 * The assignment's tests. Each one is decided on facts the instrumented engine recorded (./facts.ts)
 * and says, in plain words, what was expected, what happened, and what to change. The first line of a
 * failing message keeps the wording learners already know from the course's grader ("model was not
 * originally set to train for 10 epochs. Expected: 10, but got: 8."); the lines after it explain it.
 */
import type { SourceFacts } from './analyze.js';
import type { Assignment } from './assignment.js';
import {
  allEpochs,
  analyzeStop,
  builtinStops,
  gradedFit,
  learnerStops,
  sameHookCall,
  strayStops,
  type EpochFact,
  type FitFact,
  type RunFacts,
  type StopAnalysis,
} from './facts.js';
import { whereInHook } from './status.js';
import type { RunStatus, TestResult } from './types.js';
import type { Verification } from './verify.js';

export interface CheckInput {
  assignment: Assignment;
  facts: RunFacts;
  source?: SourceFacts;
  status: RunStatus;
  statusMessage: string;
  verification?: Verification;
}

interface TestSpec {
  id: string;
  name: (a: Assignment) => string;
  maxScore: number;
  /** Decided only from what happened before fit finished, so it can be scored even if the run died later. */
  early?: boolean;
  check: (input: CheckInput) => { passed: boolean; message: string };
}

const acc = (x: number | undefined) => (x === undefined ? 'n/a' : x.toFixed(4));
const epochsWord = (n: number) => `${n} epoch${n === 1 ? '' : 's'}`;

/** Where fit stopped and the facts that explain it; shared by the stop and accuracy tests. */
export function diagnosis(input: CheckInput): string[] {
  const { assignment: a, facts, source } = input;
  const lines: string[] = [];
  const fit = gradedFit(facts);
  const epochs = allEpochs(facts);
  if (!fit) return ['model.fit was never called, so the model did not train at all.'];
  const accKey = epochs.length > 0 ? accuracyKey(epochs[0].logs) : undefined;
  const firstAbove = accKey ? epochs.findIndex((e) => (e.logs[accKey] ?? 0) > a.threshold) : -1;
  const stops = learnerStops(facts);
  if (!accKey && epochs.length > 0) {
    lines.push(
      `The logs had no accuracy (keys: ${Object.keys(epochs[0].logs).join(', ')}): compile the model with metrics: ['accuracy'] so that logs.acc exists.`,
    );
  } else if (firstAbove >= 0) {
    lines.push(
      `Training accuracy first passed ${a.threshold} at epoch ${firstAbove + 1} (acc ${acc(epochs[firstAbove].logs[accKey!])}): that is where your callback should have stopped training.`,
    );
  } else if (epochs.length > 0) {
    lines.push(...neverReached(input, fit, epochs, accKey!, stops.length > 0));
  }
  if (stops.length > 0) {
    const s = stops[0];
    lines.push(`model.stopTraining was set to ${s.value} in ${whereInHook(s.ctx)}.`);
  } else if (builtinStops(facts).length > 0) {
    lines.push(
      `Training was stopped by tf.callbacks.earlyStopping (in ${builtinStops(facts)[0].ctx?.hook ?? 'a hook'}, epoch ${(builtinStops(facts)[0].ctx?.epoch ?? 0) + 1}), not by a callback of yours.`,
    );
  } else if (strayStops(facts).length > 0) {
    const w = strayStops(facts)[0];
    lines.push(
      `model.stopTraining was set to ${w.value} while ${whereInHook(w.ctx)} was waiting, by code outside that call (a timer or a promise callback), so it does not count as your callback stopping training. Set it inside the hook itself.`,
    );
  } else if (firstAbove < 0 && conditionNeverTrue(source)) {
    const line = source!.stopAssignments.find((x) => x.name === 'stopTraining')!;
    lines.push(`model.stopTraining was never set: line ${line.line} (\`${line.text}\`) never ran, because its condition never became true.`);
  } else {
    lines.push('model.stopTraining was never set to true, so nothing asked fit to stop.');
  }
  lines.push(...callbackWords(fit, facts, source, a));
  return dedupe(lines);
}

/** The code has `stopTraining = true` and compares the accuracy with the right threshold: the condition is fine. */
function conditionNeverTrue(source: SourceFacts | undefined): boolean {
  return Boolean(source?.stopAssignments.some((x) => x.name === 'stopTraining') && source.comparisons.some((c) => c.value > 0 && c.value < 1));
}

/** Accuracy never passed the threshold: the best reached, when, and the likely cause. */
function neverReached(input: CheckInput, fit: FitFact, epochs: EpochFact[], accKey: string, stopped: boolean): string[] {
  const { assignment: a } = input;
  let best = 0;
  epochs.forEach((e, i) => {
    if ((e.logs[accKey] ?? 0) > (epochs[best].logs[accKey] ?? 0)) best = i;
  });
  const lines = [
    `Training accuracy never passed ${a.threshold} in the ${epochsWord(epochs.length)} trained (best: ${acc(epochs[best].logs[accKey])} at epoch ${best + 1})${stopped ? '' : ', so a correct callback had nothing to react to'}.`,
  ];
  lines.push(...likelyCauses(fit));
  return lines;
}

/** Why a model may not reach 99% in 10 epochs: unscaled pixels, too few units, a slow optimizer. */
function likelyCauses(fit: FitFact): string[] {
  const out: string[] = [];
  const t = fit.x.transform;
  if (t && t.a === 1 && t.b === 0)
    out.push(
      'Likely cause: the images went into fit as raw 0–255 pixel values. Divide them by 255 first (xTrain.div(255)): the model then learns much faster.',
    );
  const hidden = fit.model.layers
    .slice(0, -1)
    .map((l) => /^Dense\((\d+)/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]));
  const widest = hidden.length ? Math.max(...hidden) : 0;
  if (fit.model.layers.length > 0 && widest < 64) {
    out.push(
      `Likely cause: the model is too small (${fit.model.layers.join(' → ')}; ${widest ? `${widest} hidden units` : 'no hidden layer'}). It cannot reach 99% training accuracy on MNIST in 10 epochs: use a hidden Dense layer with more units, e.g. 128 or 512.`,
    );
  }
  if (fit.model.optimizer === 'sgd' && (fit.model.learningRate ?? 0.01) <= 0.01)
    out.push(`Likely cause: plain sgd (learning rate ${fit.model.learningRate ?? 0.01}) learns slowly here; 'adam' gets there in a few epochs.`);
  return out;
}

/** The stop test's first line when the learner's callback stopped, but not for the right reason. */
function wrongStopWords(st: StopAnalysis, a: Assignment): string {
  return `Your callback stopped training in ${whereInHook(st.stop!.ctx)}, but ${stopProblemWords(st, a)}.`;
}

function stopProblemWords(st: StopAnalysis, a: Assignment): string {
  const ctx = st.stop!.ctx!;
  const crossing = st.firstAbove >= 0 ? st.epochs[st.firstAbove] : undefined;
  switch (st.problem) {
    case 'early':
      return crossing
        ? `training accuracy first passed ${a.threshold} only at epoch ${crossing.epoch + 1}: it stopped before the accuracy got there`
        : `training accuracy had not passed ${a.threshold} (it was ${acc(ctx.acc)} in that epoch): it stopped before the accuracy got there`;
    case 'late':
      return `training accuracy had already passed ${a.threshold} at epoch ${crossing!.epoch + 1}: stop in the epoch where it first passes, not later`;
    case 'batch-below':
      return `the accuracy there was ${acc(ctx.acc)} for that one batch and ${acc(ctx.runningAcc)} for the epoch so far, not above ${a.threshold}`;
    case 'hook':
      return `${ctx.hook} is not where the accuracy of an epoch is known: check logs.acc in onEpochEnd(epoch, logs) and stop there`;
    default:
      return 'not after the accuracy passed the threshold';
  }
}

/** For the accuracy test: what was actually wrong with a stop that came below the threshold. */
function stopCauseWords(st: StopAnalysis, input: CheckInput): string {
  const { assignment: a, facts, source } = input;
  const ctx = st.stop!.ctx!;
  if (ctx.hook === 'onBatchEnd' || ctx.hook === 'onBatchBegin') {
    return `Your callback stopped training in ${ctx.hook} (${whereInHook(ctx)}), where logs.acc is the accuracy of that one batch (${acc(ctx.acc)}), not of the epoch (${acc(ctx.runningAcc)} so far). Check the accuracy in onEpochEnd(epoch, logs) instead.`;
  }
  if (ctx.hook !== 'onEpochEnd')
    return `Your callback stopped training in ${ctx.hook}, before any epoch's accuracy was known there. Check logs.acc in onEpochEnd(epoch, logs) and stop there.`;
  const run = facts.hooks.find((h) => sameHookCall(h.ctx, ctx));
  const readAcc = run?.reads.some((r) => /acc/i.test(r.key) || r.key === '*') ?? false;
  const compares = (source?.comparisons ?? []).some((c) => /acc|logs|\[/.test(c.other));
  if (!readAcc || !compares) {
    return `Your callback set model.stopTraining without checking the accuracy (${readAcc ? 'no comparison with it was found' : 'it never read logs.acc'}), so it stopped at epoch ${ctx.epoch + 1} regardless. Stop only when logs.acc > ${a.threshold}: if (logs.acc > ${a.threshold}) { … }.`;
  }
  const low = (source?.comparisons ?? []).find((c) => /acc|logs|\[/.test(c.other) && c.value > 0 && c.value < a.threshold);
  if (low)
    return `Your callback stopped training at accuracy ${acc(ctx.acc)}: line ${low.line} compares with ${low.constant ? `${low.constant.name} = ${low.value}` : low.value}, not ${a.threshold}.`;
  return `Your callback stopped training at epoch ${ctx.epoch + 1}, where accuracy was ${acc(ctx.acc)}, below ${a.threshold}: check the condition around model.stopTraining = true.`;
}

/** What the learner's callbacks were and did: missing, misnamed, never called, keys read, thresholds. */
function callbackWords(fit: FitFact, facts: RunFacts, source: SourceFacts | undefined, a: Assignment): string[] {
  const lines: string[] = [];
  for (const u of fit.unknownArgs) {
    lines.push(`fit was given an option named '${u.name}', which fit does not have${u.suggestion ? `: did you mean '${u.suggestion}'?` : '.'} It was ignored.`);
  }
  if (fit.callbacks.length === 0) {
    if (fit.argKeys.includes('callbacks'))
      lines.push(`fit's callbacks list was empty (callbacks: ${fit.callbacksArg}). Put your callback in it: {epochs: ${a.epochs}, callbacks: [myCallback]}.`);
    else if (!fit.unknownArgs.some((u) => u.suggestion === 'callbacks'))
      lines.push(
        `fit was given no callbacks (its options were: ${fit.argKeys.join(', ') || 'none'}). Pass yours with {epochs: ${a.epochs}, callbacks: [myCallback]}.`,
      );
    return lines;
  }
  fit.callbacks.forEach((cb, i) => {
    const label = fit.callbacks.length > 1 ? `callback ${i + 1}` : 'your callback';
    if (cb.builtin) {
      lines.push(
        `${label} is ${cb.builtin}. It stops training when '${cb.builtin.match(/monitor: '([^']*)'/)?.[1] ?? 'val_loss'}' has stopped improving for \`patience\` epochs (and never when there is no such log); it does not stop because accuracy passed ${a.threshold}, and it prints nothing. The assignment asks for your own callback: onEpochEnd(epoch, logs) { if (logs.acc > ${a.threshold}) { console.log('${a.message}'); this.model.stopTraining = true; } }.`,
      );
      return;
    }
    if (cb.kind === 'class')
      lines.push(`${label} is the class ${cb.className ?? ''} itself, not an object made from it: pass new ${cb.className ?? 'MyCallback'}() to fit.`);
    else if (cb.kind === 'function')
      lines.push(`${label} is a function; fit needs an object with an onEpochEnd method, e.g. {onEpochEnd: (epoch, logs) => {…}}.`);
    else if (cb.kind !== 'object' && cb.kind !== 'Callback subclass') lines.push(`${label} is ${cb.kind}, not a callback object.`);
    for (const m of cb.misnamed) lines.push(`${label} has a method named ${m.name}, which fit never calls: did you mean ${m.suggestion}?`);
    if ((cb.kind === 'object' || cb.kind === 'Callback subclass') && cb.hooks.length === 0 && cb.misnamed.length === 0) {
      lines.push(`${label} has none of the methods fit calls (onEpochEnd, onBatchEnd, …), so it never ran.`);
    }
  });
  const runs = facts.hooks.filter((h) => h.ctx.call === fit.call);
  const available = new Set(Object.keys(fit.epochLogs[0]?.logs ?? {}));
  const read = new Map<string, { exists: boolean; hooks: Set<string>; value?: number | string | null }>();
  for (const h of runs) {
    for (const r of h.reads) {
      if (r.key === '*') continue;
      const entry = read.get(r.key) ?? { exists: r.exists, hooks: new Set<string>(), value: r.value };
      entry.hooks.add(h.ctx.hook);
      read.set(r.key, entry);
    }
  }
  const python = source?.pythonHooks ?? [];
  for (const p of python) {
    const given = p.hook.startsWith('onTrain') ? ['the logs'] : ['the epoch number', 'the logs'];
    const shifted = p.params.map((name, i) => `\`${name}\` receives ${given[i] ?? 'undefined'}`).join(', ');
    const proper = p.hook.startsWith('onTrain') ? 'logs' : p.hook.includes('Batch') ? 'batch, logs' : 'epoch, logs';
    lines.push(
      `Line ${p.line}: ${p.hook}(${p.params.join(', ')}) is written with Python's habits, so the arguments are shifted: fit calls ${p.hook}(${proper}), and ${shifted}. JavaScript has no \`self\` parameter: write ${p.hook}(${proper}) { … } and use \`this\` for the callback.`,
    );
  }
  const hasAcc = [...available].some((x) => /acc/i.test(x) && !x.startsWith('val_'));
  if (runs.length > 0) {
    const keys = [...read.keys()];
    if (keys.length > 0)
      lines.push(
        `Your callback read ${keys.map((k) => `logs.${k}`).join(', ')}${runs.some((r) => r.reads.some((x) => x.key === '*')) ? ' (and listed all the keys)' : ''}.`,
      );
    else if (python.length === 0) lines.push('Your callback ran but never read anything from logs.');
    for (const [k, r] of read) {
      if (r.exists) continue;
      if (!hasAcc && /acc/i.test(k)) {
        lines.push(
          `logs.${k} does not exist: the logs have only ${[...available].join(', ')}, because the model was compiled without metrics. Compile it with metrics: ['accuracy'] and logs.acc will be there.`,
        );
        continue;
      }
      const real = [...available].find((x) => /acc/i.test(x) && /acc/i.test(k) && !x.startsWith('val_'));
      lines.push(
        `logs.${k} does not exist: the keys fit passes are ${[...available].join(', ')}. Reading logs.${k} gives undefined, and undefined > ${a.threshold} is always false${real ? `; read logs.${real} instead` : ''}.`,
      );
    }
  } else if (fit.callbacks.some((c) => c.hooks.length > 0)) {
    lines.push('Your callback was never called during training.');
  }
  for (const c of source?.comparisons ?? []) {
    if (!/acc|logs|\[/.test(c.other)) continue;
    const what = c.constant ? `${c.constant.name}, which is ${c.value} (line ${c.constant.line})` : String(c.value);
    if (c.value >= 1 && c.value <= 100) {
      lines.push(
        `Line ${c.line} compares with ${what} (\`${c.text}\`): accuracy is a fraction between 0 and 1, so ${a.threshold * 100}% is ${a.threshold}; no accuracy is ever above ${c.value}.`,
      );
    } else if (c.value < a.threshold && c.value > 0 && (c.op === '>' || c.op === '>=')) {
      lines.push(
        `Line ${c.line} compares with ${what} (\`${c.text}\`): that stops training at ${Math.round(c.value * 1000) / 10}% accuracy, not ${a.threshold * 100}%.`,
      );
    } else if ((c.op === '<' || c.op === '<=') && Math.abs(c.value - a.threshold) < 1e-9 && /^logs|acc/.test(c.other)) {
      lines.push(`Line ${c.line} (\`${c.text}\`) is true while accuracy is *below* ${a.threshold}: the comparison points the wrong way.`);
    }
  }
  for (const u of facts.unknownProperties) {
    lines.push(
      `You set model.${u.name}${sourceLine(source, u.name)}, which the model never reads, so it does nothing${u.suggestion ? `; did you mean model.${u.suggestion}?` : '.'}`,
    );
  }
  for (const c of source?.comparedNotAssigned ?? []) {
    if (!/stop/i.test(c.name)) continue;
    lines.push(
      `Line ${c.line} (\`${c.text}\`) compares instead of assigning: \`==\` asks whether ${c.name} is true and throws the answer away, so nothing changes. Use one \`=\`: this.model.stopTraining = true.`,
    );
  }
  for (const t of source?.arrowThis ?? []) {
    lines.push(
      `Line ${t.line}: ${t.hook} is an arrow function that uses \`this\`; inside an arrow function \`this\` is not your callback object (it has no model). Write it as a method, ${t.hook}(epoch, logs) { … }, or use your model variable: model.stopTraining = true.`,
    );
  }
  for (const h of runs) {
    if (h.ownStop?.length) {
      lines.push(`Your callback set this.${h.ownStop[0]} on itself; the flag fit checks is on the model: this.model.stopTraining = true.`);
      break;
    }
  }
  return dedupe(lines);
}

function sourceLine(source: SourceFacts | undefined, name: string): string {
  const s = source?.stopAssignments.find((x) => x.name === name);
  return s ? ` (line ${s.line})` : '';
}

function dedupe(lines: string[]): string[] {
  return [...new Set(lines)];
}

function accuracyKey(logs: Record<string, number>): string | undefined {
  return 'acc' in logs ? 'acc' : 'accuracy' in logs ? 'accuracy' : undefined;
}

function finalAccuracy(fit: FitFact): number | undefined {
  const last = fit.epochLogs[fit.epochLogs.length - 1];
  if (!last) return undefined;
  const k = accuracyKey(last.logs);
  return k ? last.logs[k] : undefined;
}

function fitFinished(fit: FitFact | undefined): boolean {
  return Boolean(fit?.end && !fit.end.error);
}

const GIVEN = new Set(['same-tensor', 'same-buffer', 'equal-copy']);

export const TESTS: TestSpec[] = [
  {
    id: 'fit-epochs',
    name: (a) => `model.fit is set to train for ${a.epochs} epochs`,
    maxScore: 1,
    early: true,
    check: ({ assignment: a, facts }) => {
      const fit = gradedFit(facts);
      if (!fit) return { passed: false, message: `model.fit was never called. Expected: fit(xTrain, yTrain, {epochs: ${a.epochs}, callbacks: [...]}).` };
      const asked = facts.fits.map((f) => f.epochs);
      if (facts.fits.length > 1) {
        return {
          passed: false,
          message:
            `model.fit was called ${facts.fits.length} times (epochs: ${asked.join(', then ')}). Call it once, with epochs: ${a.epochs} and your callback.\n` +
            'Every call trains the same model further, so the epochs add up and the callback sees a model that has already trained.',
        };
      }
      if (fit.epochsValue === a.epochs) return { passed: true, message: `fit was asked for ${a.epochs} epochs.` };
      const got = fit.epochs === 'undefined' ? 'nothing (so fit trains for 1 epoch, its default)' : fit.epochs;
      return {
        passed: false,
        message:
          `model was not originally set to train for ${a.epochs} epochs. Expected: ${a.epochs}, but got: ${got}.\n` +
          `This is the number you asked for in model.fit(…, {epochs: …}), not the number of epochs that ran: ask for ${a.epochs} and let your callback stop training early.` +
          (typeof fit.epochsValue !== 'number' && fit.epochs.startsWith('"') ? ` It must be a number (${a.epochs}), not a string.` : ''),
      };
    },
  },
  {
    id: 'stopped-by-callback',
    name: (a) => `training is stopped by the callback within ${a.stopBy} epochs, after accuracy passed ${a.threshold}`,
    maxScore: 3,
    check: (input) => {
      const { assignment: a, facts } = input;
      const st = analyzeStop(facts, a.threshold);
      if (!st) return { passed: false, message: 'model.fit was never called, so nothing trained and nothing could stop.' };
      const trained = allEpochs(facts).length;
      const why = diagnosis(input);
      if (st.valid && trained <= a.stopBy && st.stop) {
        return {
          passed: true,
          message: `Your callback stopped training after epoch ${trained}, in the ${st.stop.ctx?.batch !== undefined ? 'batch' : 'epoch'} where accuracy passed ${a.threshold} (set in ${whereInHook(st.stop.ctx)}).`,
        };
      }
      if (trained > a.stopBy) {
        // "The callback should have fired by now" only when it had a reason to: accuracy passed the threshold.
        const fired = st.firstAbove >= 0 || st.epochs.length === 0 ? ' The callback should have fired by now.' : '';
        return {
          passed: false,
          message: [`model trained for more than ${a.stopBy} epochs.${fired} Expected: a maximum of ${a.stopBy} epochs, but got: ${trained}.`, ...why].join(
            '\n',
          ),
        };
      }
      if (st.stop) return { passed: false, message: [wrongStopWords(st, a), ...why.filter((l) => !l.startsWith('model.stopTraining was set to'))].join('\n') };
      const ranOut = st.fit.epochsValue !== null && trained >= st.fit.epochsValue;
      return {
        passed: false,
        message: [
          ranOut
            ? `Training ended because the ${epochsWord(trained)} fit was asked for ran out, not because your callback stopped it.`
            : `Training ended after ${epochsWord(trained)}, but not because your callback set model.stopTraining.`,
          ...why,
        ].join('\n'),
      };
    },
  },
  {
    id: 'accuracy',
    name: (a) => `training accuracy is above ${a.threshold} when training stops`,
    maxScore: 2,
    check: (input) => {
      const { assignment: a, facts, verification } = input;
      const fit = gradedFit(facts);
      if (!fit) return { passed: false, message: 'model.fit was never called, so there is no accuracy to check.' };
      const final = finalAccuracy(fit);
      const n = fit.epochLogs.length;
      if (final === undefined) {
        return {
          passed: false,
          message:
            n === 0 ? 'No epoch finished, so there is no training accuracy.' : "The logs have no accuracy: compile the model with metrics: ['accuracy'].",
        };
      }
      if (!GIVEN.has(fit.x.relation))
        return {
          passed: false,
          message: `Training accuracy was ${acc(final)}, but on other data than the xTrain given to trainMnist, so it does not count (see the data test).`,
        };
      const v = verification?.accuracy;
      if (final > a.threshold) {
        if (v !== undefined && v < a.threshold - 0.01) {
          return {
            passed: false,
            message: `The logs said ${acc(final)}, but the grader measured the trained model itself at ${acc(v)} on the same images. The recorded accuracy could not be reproduced, so it does not count.`,
          };
        }
        return {
          passed: true,
          message: `Training stopped at epoch ${n} with accuracy ${acc(final)}${v !== undefined ? ` (the grader measured ${acc(v)} from the final weights)` : ''}.`,
        };
      }
      const lines = [`Training ended after epoch ${n} with accuracy ${acc(final)}. Expected: above ${a.threshold}, but got: ${acc(final)}.`];
      const st = analyzeStop(facts, a.threshold);
      if (st?.stop) lines.push(stopCauseWords(st, input));
      lines.push(
        ...diagnosis(input).filter((l) => /^Line \d+ compares|^Line \d+: |never passed|^Likely cause|earlyStopping|compares instead of assigning/.test(l)),
      );
      return { passed: false, message: dedupe(lines).join('\n') };
    },
  },
  {
    id: 'message',
    name: (a) => `the callback prints "${a.message}" where it stops training`,
    maxScore: 1,
    check: ({ assignment: a, facts }) => {
      // Credit only a print made inside the learner's own hook call (by call stack, not by timing) that
      // is the call which stopped training after accuracy passed the threshold.
      const st = analyzeStop(facts, a.threshold);
      const exact = facts.prints.filter((p) => p.match === 'exact');
      const inHook = exact.filter((p) => p.onStack && p.ctx);
      if (st?.valid && st.stop) {
        const right = inHook.find((p) => sameHookCall(p.ctx, st.stop!.ctx));
        if (right) return { passed: true, message: `Printed "${a.message}" in ${whereInHook(right.ctx)}, where it stopped training.` };
        if (inHook.length > 0) {
          return {
            passed: false,
            message: `"${a.message}" was printed in ${whereInHook(inHook[0].ctx)}, but training was stopped in ${whereInHook(st.stop.ctx)}: print it in that same call, right where you set model.stopTraining = true.`,
          };
        }
      } else if (inHook.length > 0) {
        const p = inHook[0];
        return {
          passed: false,
          message: `"${a.message}" was printed in ${whereInHook(p.ctx)}, but not in a call that stopped training after accuracy passed ${a.threshold}${st?.stop ? ` (see the stop test: ${stopProblemWords(st, a)})` : ' (training was never stopped there)'}. Print it only when you stop training because logs.acc > ${a.threshold}.`,
        };
      }
      if (exact.length > 0) {
        const p = exact[0];
        return {
          passed: false,
          message: p.ctx
            ? `"${a.message}" was printed while ${whereInHook(p.ctx)} was waiting, but by code outside that call (a timer or a promise callback), not by the callback itself: print it in the callback, where you stop training.`
            : `"${a.message}" was printed, but not by your callback during training: print it in the callback, where you stop training.`,
        };
      }
      const near = facts.prints.find((p) => p.match === 'near');
      if (near) {
        return {
          passed: false,
          message: `Printed "${near.text.slice(0, 120)}", which is not exactly the required text. Expected: "${a.message}" (same words, capitals and punctuation).`,
        };
      }
      const stopped = learnerStops(facts).length > 0;
      return {
        passed: false,
        message: `"${a.message}" was never printed. ${stopped ? 'Print it with console.log(...) in your callback, right where you set model.stopTraining = true.' : 'Your callback should print it when it stops training.'}`,
      };
    },
  },
  {
    id: 'history',
    name: () => 'trainMnist returns the History from model.fit',
    maxScore: 1,
    check: ({ facts, assignment: a }) => {
      const r = facts.result;
      // (a value is never looked into: 'a Proxy' is all the harness says of one)
      if (!r) return { passed: false, message: `${a.entry} did not return (the run ended first).` };
      switch (r.returned) {
        case 'history':
          return { passed: true, message: `${a.entry} returned the History of fit call ${r.historyOf}.` };
        case 'history-record':
          return {
            passed: false,
            message: `${a.entry} returned history.history (the table of numbers). Return the History object itself: const history = await model.fit(…); return history;`,
          };
        case 'history-other':
          return { passed: false, message: `${a.entry} returned a History that model.fit did not produce. Return what model.fit returned.` };
        case 'model':
          return { passed: false, message: `${a.entry} returned the model. Return the History instead: const history = await model.fit(…); return history;` };
        case 'undefined':
          return { passed: false, message: `${a.entry} returned nothing. End it with: return history; where history = await model.fit(…).` };
        case 'a Promise':
          return {
            passed: false,
            message: `${a.entry} returned a Promise, not the History: model.fit is asynchronous. Write const history = await model.fit(…); return history;`,
          };
        case 'a Proxy':
          return {
            passed: false,
            message: `${a.entry} returned a Proxy object, not the History from model.fit (the grader does not run a returned object's traps). Return what await model.fit(…) gives you.`,
          };
        default:
          return { passed: false, message: `${a.entry} returned ${r.returned}, not the History from model.fit. Return what await model.fit(…) gives you.` };
      }
    },
  },
  {
    id: 'stop-flag',
    name: () => 'the callback stops training through model.stopTraining',
    maxScore: 1,
    check: ({ facts, source }) => {
      const stops = learnerStops(facts);
      const wrong = facts.unknownProperties.filter((u) => /stop|train/i.test(u.name) || u.suggestion === 'stopTraining');
      if (stops.length > 0) {
        const extra = wrong.length ? ` (You also set model.${wrong[0].name}, which does nothing.)` : '';
        return { passed: true, message: `model.stopTraining was set to ${stops[0].value} in ${whereInHook(stops[0].ctx)}.${extra}` };
      }
      if (wrong.length > 0) {
        const u = wrong[0];
        return {
          passed: false,
          message: `you set \`${u.name}\`${sourceLine(source, u.name)}; did you mean \`${u.suggestion ?? 'stopTraining'}\`? The model has no property ${u.name}, so setting it silently does nothing and training goes on.`,
        };
      }
      const own = facts.hooks.find((h) => h.ownStop?.length);
      if (own)
        return {
          passed: false,
          message: `Your callback set this.${own.ownStop![0]} on itself. The flag fit reads is on the model: this.model.stopTraining = true.`,
        };
      const compared = source?.comparedNotAssigned.find((c) => /stop/i.test(c.name));
      if (compared)
        return {
          passed: false,
          message: `Line ${compared.line} (\`${compared.text}\`) compares instead of assigning, so model.stopTraining never changed. Use one \`=\`: this.model.stopTraining = true.`,
        };
      const stray = strayStops(facts)[0];
      if (stray)
        return {
          passed: false,
          message: `model.stopTraining was set by code that ran outside your callback's call (a timer or a promise callback) while ${whereInHook(stray.ctx)} waited. Set it inside the hook.`,
        };
      if (builtinStops(facts).length > 0) {
        return {
          passed: false,
          message:
            'Only tf.callbacks.earlyStopping set model.stopTraining; the assignment asks your own callback to set it when accuracy passes the threshold.',
        };
      }
      const set = source?.stopAssignments.find((x) => x.name === 'stopTraining');
      if (set && learnerStops(facts).length === 0) {
        return {
          passed: false,
          message: `Line ${set.line} (\`${set.text}\`) sets the flag, but it never ran: the condition around it was never true (see the stop test).`,
        };
      }
      const odd = source?.stopAssignments.find((s) => s.name !== 'stopTraining');
      if (odd)
        return {
          passed: false,
          message: `Line ${odd.line} sets ${odd.name} (\`${odd.text}\`), but model.stopTraining was never set to true. Set this.model.stopTraining = true.`,
        };
      return {
        passed: false,
        message:
          'model.stopTraining was never set to true. In your callback: this.model.stopTraining = true (or model.stopTraining = true, using the model you built).',
      };
    },
  },
  {
    id: 'given-data',
    name: () => 'the model trains on the xTrain and yTrain it is given',
    maxScore: 1,
    early: true,
    check: ({ facts }) => {
      const fit = gradedFit(facts);
      if (!fit) return { passed: false, message: 'model.fit was never called.' };
      const problems: string[] = [];
      if (!GIVEN.has(fit.x.relation)) problems.push(`x: ${tensorWords(fit.x.relation, fit.x.detail)}`);
      if (!GIVEN.has(fit.y.relation)) problems.push(`y: ${tensorWords(fit.y.relation, fit.y.detail)}`);
      if (fit.end?.dataChanged || facts.result?.dataChanged) problems.push('the images or labels given to trainMnist were overwritten during the run');
      if (problems.length > 0) {
        return {
          passed: false,
          message: `fit did not train on the data trainMnist was given. ${problems.join('; ')}. Train on xTrain (divided by 255) and yTrain exactly as given.`,
        };
      }
      const t = fit.x.transform;
      const how = t && !(t.a === 1 && t.b === 0) ? ` (images as ${affineWords(t)})` : '';
      return { passed: true, message: `fit trained on the given xTrain${how} and yTrain.` };
    },
  },
];

function tensorWords(relation: string, detail?: string): string {
  if (relation === 'not-a-tensor') return `not a tensor (${detail ?? 'something else'})`;
  return detail ? `different data: ${detail}` : 'different data';
}

/** {a: 1/255, b: 0} → 'x/255'. */
export function affineWords(t: { a: number; b: number }): string {
  if (t.a === 1 && t.b === 0) return 'x (raw 0–255, not scaled)';
  const inv = 1 / t.a;
  const scale = Math.abs(inv - Math.round(inv)) < 1e-6 && Math.round(inv) !== 1 ? `x/${Math.round(inv)}` : t.a === 1 ? 'x' : `${Number(t.a.toPrecision(4))}·x`;
  return t.b === 0 ? scale : `${scale} ${t.b > 0 ? '+' : '−'} ${Number(Math.abs(t.b).toPrecision(4))}`;
}

/** Runs every test; tests that need a finished run say why they could not be checked. */
export function runChecks(input: CheckInput): TestResult[] {
  const { status, facts } = input;
  const fit = gradedFit(facts);
  return TESTS.map((t) => {
    const base = { id: t.id, name: t.name(input.assignment), maxScore: t.maxScore };
    if (status === 'tampered' || status === 'compile-error' || status === 'missing-export' || status === 'grader-error' || status === 'invalid-file') {
      return { ...base, score: 0, passed: false, message: `Not run (${status}; see why above).` };
    }
    const needsFit = !t.early && t.id !== 'history' && t.id !== 'message';
    const unfinished =
      status !== 'completed' && (!fit || (needsFit && !fitFinished(fit)) || (t.id === 'history' && !facts.result) || (t.id === 'message' && !fitFinished(fit)));
    const r = t.check(input);
    if (unfinished && !r.passed) {
      return { ...base, score: 0, passed: false, message: `Not checked: the run ended before this could be checked (${status}; see why above).` };
    }
    return { ...base, score: r.passed ? t.maxScore : 0, passed: r.passed, message: r.message };
  });
}

export { fitFinished, finalAccuracy, accuracyKey };
