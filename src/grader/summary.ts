/**
 * What the learner's run did, epoch by epoch: accuracy and loss as the engine measured them, and marks
 * where something happened (accuracy passed the threshold, the callback set the stop flag or a
 * misspelled one, the message was printed), plus one sentence on why training ended.
 */
import type { Assignment } from './assignment.js';
import { accuracyKey, affineWords, finalAccuracy, fitFinished } from './checks.js';
import { allEpochs, gradedFit, type RunFacts } from './facts.js';
import { describeThrown, whereInHook } from './status.js';
import type { EpochRow, RunStatus, RunSummary } from './types.js';
import type { Verification } from './verify.js';

export function summarizeRun(a: Assignment, facts: RunFacts, status: RunStatus, statusMessage: string, verification?: Verification): RunSummary {
  const fit = gradedFit(facts);
  const epochs = allEpochs(facts);
  const rows: EpochRow[] = epochs.map((e) => {
    const k = accuracyKey(e.logs);
    return { call: e.call, epoch: e.epoch + 1, loss: e.logs.loss, acc: k ? e.logs[k] : undefined, seconds: e.seconds, marks: [] };
  });
  const rowOf = (call: number | null, epoch: number) => rows.find((r) => r.call === call && r.epoch === epoch + 1);
  const firstAbove = rows.findIndex((r) => r.acc !== undefined && r.acc > a.threshold);
  if (firstAbove >= 0) rows[firstAbove].marks.push(`accuracy passed ${a.threshold}`);
  for (const w of facts.stopWrites) {
    if (!w.truthy || !w.ctx) continue;
    rowOf(w.call, w.ctx.epoch)?.marks.push(`stopTraining = ${w.value} (${w.ctx.hook})`);
  }
  for (const u of facts.unknownProperties) {
    if (u.ctx) rowOf(u.ctx.call, u.ctx.epoch)?.marks.push(`set model.${u.name}, which does nothing`);
  }
  for (const p of facts.prints) {
    if (p.match === 'exact' && p.ctx) rowOf(p.ctx.call, p.ctx.epoch)?.marks.push('printed the message');
  }
  for (const r of rows) r.marks = [...new Set(r.marks)];

  const summary: RunSummary = {
    fitCalls: facts.fits.length,
    epochs: rows,
    ending: endingWords(facts, status, statusMessage),
    backend: facts.hello?.backend,
    trainSeconds: facts.fits.reduce((s, f) => s + (f.end?.seconds ?? f.epochLogs.reduce((t, e) => t + e.seconds, 0)), 0),
  };
  if (fit) {
    summary.model =
      fit.model.layers.join(' → ') +
      (fit.model.optimizer ? `; ${fit.model.optimizer}${fit.model.learningRate !== undefined ? ` lr ${fit.model.learningRate}` : ''}` : '');
    summary.epochsAsked = fit.epochs;
    summary.epochsTrained = epochs.length;
    summary.finalAccuracy = finalAccuracy(fit);
    if (fit.x.transform) summary.inputTransform = affineWords(fit.x.transform);
  }
  if (firstAbove >= 0) summary.firstAbove = firstAbove + 1;
  const stop = facts.stopWrites.find((w) => w.truthy && w.ctx);
  if (stop?.ctx) summary.stoppedAt = epochs.findIndex((e) => e.call === stop.call && e.epoch === stop.ctx!.epoch) + 1 || undefined;
  if (verification) {
    summary.verifiedAccuracy = verification.accuracy;
    summary.verifySkipped = verification.skipped;
  }
  return summary;
}

function endingWords(facts: RunFacts, status: RunStatus, statusMessage: string): string {
  const fit = gradedFit(facts);
  if (!fit) return status === 'completed' ? 'model.fit was never called.' : statusMessage;
  const n = fit.epochLogs.length;
  const asked = fit.epochsValue ?? fit.epochs;
  if (!fitFinished(fit)) {
    if (fit.end?.error) return `model.fit stopped with an error after ${n} epoch${n === 1 ? '' : 's'}: ${describeThrown(fit.end.error)}`;
    const open = facts.openHook;
    if (open && open.call === fit.call) return `Training was cut off in ${whereInHook(open)}: ${statusMessage}`;
    return `Training was cut off during epoch ${n + 1} of ${asked}: ${statusMessage}`;
  }
  const stop = facts.stopWrites.find((w) => w.truthy && w.ctx && w.call === fit.call);
  if (fit.end?.stoppedEarly && stop) return `Stopped by ${whereInHook(stop.ctx)} after epoch ${n} of ${asked}.`;
  if (stop) return `${whereInHook(stop.ctx)} set model.stopTraining in the last epoch; all ${n} of ${asked} epochs ran.`;
  return `All ${n} epochs fit was asked for ran; nothing stopped training early.`;
}
