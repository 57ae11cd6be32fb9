/**
 * The assignment's tests. Each one is decided on facts the instrumented engine recorded (./facts.ts)
 * and says, in plain words, what was expected, what happened, and what to change. The first line of a
 * failing message keeps the wording learners already know from the course's grader ("model was not
 * originally set to train for 10 epochs. Expected: 10, but got: 8."); the lines after it explain it.
 */
import type { SourceFacts } from './analyze.js';
import type { Assignment } from './assignment.js';
import { allEpochs, gradedFit, learnerStops, type FitFact, type RunFacts } from './facts.js';
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
  if (!accKey && epochs.length > 0) {
    lines.push(`The logs had no accuracy (keys: ${Object.keys(epochs[0].logs).join(', ')}): compile the model with metrics: ['accuracy'] so that logs.acc exists.`);
  } else if (firstAbove >= 0) {
    lines.push(`Training accuracy first passed ${a.threshold} at epoch ${firstAbove + 1} (acc ${acc(epochs[firstAbove].logs[accKey!])}): that is where your callback should have stopped training.`);
  } else if (epochs.length > 0) {
    let best = 0;
    epochs.forEach((e, i) => {
      if ((e.logs[accKey!] ?? 0) > (epochs[best].logs[accKey!] ?? 0)) best = i;
    });
    lines.push(`Training accuracy never passed ${a.threshold} in the ${epochsWord(epochs.length)} trained (best: ${acc(epochs[best].logs[accKey!])} at epoch ${best + 1}).`);
    const t = fit.x.transform;
    if (t && t.a === 1 && t.b === 0) lines.push('The images went into fit as raw 0–255 pixel values: divide them by 255 first (xTrain.div(255)), which lets the model learn much faster.');
  }
  const stops = learnerStops(facts);
  if (stops.length > 0) {
    const s = stops[0];
    lines.push(`model.stopTraining was set to ${s.value} in ${whereInHook(s.ctx)}.`);
  } else {
    lines.push('model.stopTraining was never set to true, so nothing asked fit to stop.');
  }
  lines.push(...callbackWords(fit, facts, source, a));
  return lines;
}

/** What the learner's callbacks were and did: missing, misnamed, never called, keys read, thresholds. */
function callbackWords(fit: FitFact, facts: RunFacts, source: SourceFacts | undefined, a: Assignment): string[] {
  const lines: string[] = [];
  for (const u of fit.unknownArgs) {
    lines.push(`fit was given an option named '${u.name}', which fit does not have${u.suggestion ? `: did you mean '${u.suggestion}'?` : '.'} It was ignored.`);
  }
  if (fit.callbacks.length === 0) {
    if (fit.argKeys.includes('callbacks')) lines.push(`fit's callbacks list was empty (callbacks: ${fit.callbacksArg}). Put your callback in it: {epochs: ${a.epochs}, callbacks: [myCallback]}.`);
    else if (!fit.unknownArgs.some((u) => u.suggestion === 'callbacks')) lines.push(`fit was given no callbacks (its options were: ${fit.argKeys.join(', ') || 'none'}). Pass yours with {epochs: ${a.epochs}, callbacks: [myCallback]}.`);
    return lines;
  }
  fit.callbacks.forEach((cb, i) => {
    const label = fit.callbacks.length > 1 ? `callback ${i + 1}` : 'your callback';
    if (cb.kind === 'class') lines.push(`${label} is the class ${cb.className ?? ''} itself, not an object made from it: pass new ${cb.className ?? 'MyCallback'}() to fit.`);
    else if (cb.kind === 'function') lines.push(`${label} is a function; fit needs an object with an onEpochEnd method, e.g. {onEpochEnd: (epoch, logs) => {…}}.`);
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
  if (runs.length > 0) {
    const keys = [...read.keys()];
    lines.push(keys.length > 0 ? `Your callback read ${keys.map((k) => `logs.${k}`).join(', ')}${runs.some((r) => r.reads.some((x) => x.key === '*')) ? ' (and listed all the keys)' : ''}.` : 'Your callback ran but never read anything from logs.');
    for (const [k, r] of read) {
      if (r.exists) continue;
      const real = [...available].find((x) => /acc/i.test(x) && /acc/i.test(k) && !x.startsWith('val_')) ?? [...available][0];
      lines.push(`logs.${k} does not exist: the keys fit passes are ${[...available].join(', ')}. Reading logs.${k} gives undefined, and undefined > ${a.threshold} is always false${real ? `; read logs.${real} instead` : ''}.`);
    }
  } else if (fit.callbacks.some((c) => c.hooks.length > 0)) {
    lines.push('Your callback was never called during training.');
  }
  for (const c of source?.comparisons ?? []) {
    if (!/acc|logs|\[/.test(c.other)) continue;
    if (c.value >= 1 && c.value <= 100) {
      lines.push(`Line ${c.line} compares with ${c.value} (\`${c.text}\`): accuracy is a fraction between 0 and 1, so ${a.threshold * 100}% is ${a.threshold}; no accuracy is ever above ${c.value}.`);
    } else if (c.value < a.threshold && c.value > 0 && (c.op === '>' || c.op === '>=')) {
      lines.push(`Line ${c.line} compares with ${c.value} (\`${c.text}\`): that stops training at ${Math.round(c.value * 1000) / 10}% accuracy, not ${a.threshold * 100}%.`);
    } else if ((c.op === '<' || c.op === '<=') && Math.abs(c.value - a.threshold) < 1e-9 && /^logs|acc/.test(c.other)) {
      lines.push(`Line ${c.line} (\`${c.text}\`) is true while accuracy is *below* ${a.threshold}: the comparison points the wrong way.`);
    }
  }
  for (const u of facts.unknownProperties) {
    lines.push(`You set model.${u.name}${sourceLine(source, u.name)}, which the model never reads, so it does nothing${u.suggestion ? `; did you mean model.${u.suggestion}?` : '.'}`);
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
    name: (a) => `training is stopped by the callback within ${a.stopBy} epochs`,
    maxScore: 3,
    check: (input) => {
      const { assignment: a, facts } = input;
      const fit = gradedFit(facts);
      if (!fit) return { passed: false, message: 'model.fit was never called, so nothing trained and nothing could stop.' };
      const trained = allEpochs(facts).length;
      const stopped = fit.end?.stoppedEarly === true && learnerStops(facts, fit.call).length > 0;
      if (stopped && trained <= a.stopBy) {
        const at = learnerStops(facts, fit.call)[0];
        return { passed: true, message: `Your callback stopped training after epoch ${trained} (set in ${whereInHook(at.ctx)}).` };
      }
      const why = diagnosis(input);
      if (trained > a.stopBy) {
        return {
          passed: false,
          message: [`model trained for more than ${a.stopBy} epochs. The callback should have fired by now. Expected: a maximum of ${a.stopBy} epochs, but got: ${trained}.`, ...why].join('\n'),
        };
      }
      const ranOut = fit.epochsValue !== null && trained >= fit.epochsValue;
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
        return { passed: false, message: n === 0 ? 'No epoch finished, so there is no training accuracy.' : "The logs have no accuracy: compile the model with metrics: ['accuracy']." };
      }
      if (!GIVEN.has(fit.x.relation)) return { passed: false, message: `Training accuracy was ${acc(final)}, but on other data than the xTrain given to trainMnist, so it does not count (see the data test).` };
      const v = verification?.accuracy;
      if (final > a.threshold) {
        if (v !== undefined && v < a.threshold - 0.01) {
          return {
            passed: false,
            message: `The logs said ${acc(final)}, but the grader measured the trained model itself at ${acc(v)} on the same images. The recorded accuracy could not be reproduced, so it does not count.`,
          };
        }
        return { passed: true, message: `Training stopped at epoch ${n} with accuracy ${acc(final)}${v !== undefined ? ` (the grader measured ${acc(v)} from the final weights)` : ''}.` };
      }
      const lines = [`Training ended after epoch ${n} with accuracy ${acc(final)}. Expected: above ${a.threshold}, but got: ${acc(final)}.`];
      const stops = learnerStops(facts, fit.call);
      if (stops.length > 0) lines.push(`Your callback stopped training before the accuracy reached ${a.threshold}: check the number you compare logs.acc with.`);
      lines.push(...diagnosis(input).filter((l) => /^Line \d+ compares|never passed|raw 0–255/.test(l)));
      return { passed: false, message: dedupe(lines).join('\n') };
    },
  },
  {
    id: 'message',
    name: (a) => `the callback prints "${a.message}"`,
    maxScore: 1,
    check: ({ assignment: a, facts }) => {
      const exact = facts.prints.find((p) => p.match === 'exact' && p.ctx);
      if (exact) return { passed: true, message: `Printed "${a.message}" in ${whereInHook(exact.ctx)}.` };
      if (facts.prints.some((p) => p.match === 'exact')) {
        return { passed: false, message: `"${a.message}" was printed, but not by your callback during training: print it in the callback, where you stop training.` };
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
      if (!r) return { passed: false, message: `${a.entry} did not return (the run ended first).` };
      switch (r.returned) {
        case 'history':
          return { passed: true, message: `${a.entry} returned the History of fit call ${r.historyOf}.` };
        case 'history-record':
          return { passed: false, message: `${a.entry} returned history.history (the table of numbers). Return the History object itself: const history = await model.fit(…); return history;` };
        case 'history-other':
          return { passed: false, message: `${a.entry} returned a History that model.fit did not produce. Return what model.fit returned.` };
        case 'model':
          return { passed: false, message: `${a.entry} returned the model. Return the History instead: const history = await model.fit(…); return history;` };
        case 'undefined':
          return { passed: false, message: `${a.entry} returned nothing. End it with: return history; where history = await model.fit(…).` };
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
      if (own) return { passed: false, message: `Your callback set this.${own.ownStop![0]} on itself. The flag fit reads is on the model: this.model.stopTraining = true.` };
      const odd = source?.stopAssignments.find((s) => s.name !== 'stopTraining');
      if (odd) return { passed: false, message: `Line ${odd.line} sets ${odd.name} (\`${odd.text}\`), but model.stopTraining was never set to true. Set this.model.stopTraining = true.` };
      return { passed: false, message: 'model.stopTraining was never set to true. In your callback: this.model.stopTraining = true (or model.stopTraining = true, using the model you built).' };
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
        return { passed: false, message: `fit did not train on the data trainMnist was given. ${problems.join('; ')}. Train on xTrain (divided by 255) and yTrain exactly as given.` };
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
    if (status === 'tampered' || status === 'compile-error' || status === 'missing-export' || status === 'grader-error') {
      return { ...base, score: 0, passed: false, message: `Not run (${status}; see why above).` };
    }
    const needsFit = !t.early && t.id !== 'history' && t.id !== 'message';
    const unfinished =
      status !== 'completed' &&
      (!fit || (needsFit && !fitFinished(fit)) || (t.id === 'history' && !facts.result) || (t.id === 'message' && !fitFinished(fit)));
    const r = t.check(input);
    if (unfinished && !r.passed) {
      return { ...base, score: 0, passed: false, message: `Not checked: the run ended before this could be checked (${status}; see why above).` };
    }
    return { ...base, score: r.passed ? t.maxScore : 0, passed: r.passed, message: r.message };
  });
}

export { fitFinished, finalAccuracy, accuracyKey };
