/**
 * A graded submission as text (what a learner reads in a terminal), as Gradescope's results.json, and
 * many of them as one CSV row each. The JSON format is the SubmissionResult itself (./types.ts).
 */
import type { SubmissionResult } from './types.js';

const OUTPUT_LINES = 15;

export function formatText(r: SubmissionResult): string {
  const out: string[] = [];
  out.push(`${r.submission}: ${fmtScore(r.score)}/${fmtScore(r.maxScore)} — ${r.statusMessage.split('\n')[0]}`);
  const rest = r.statusMessage.split('\n').slice(1);
  for (const l of rest) out.push(`  ${l}`);
  if (r.integrity?.summary) {
    out.push('');
    out.push(`  ${r.integrity.summary}`);
    for (const v of r.integrity.violations) out.push(`    - tried to ${v.what}${v.where ? ` at ${v.where}` : ''}`);
  }
  out.push('');
  for (const t of r.tests) {
    out.push(`  ${t.passed ? '✓' : '✗'} ${fmtScore(t.score)}/${fmtScore(t.maxScore)}  ${t.name}`);
    if (!t.passed) for (const line of t.message.split('\n')) out.push(`         ${line}`);
  }
  const run = r.run;
  if (run.epochs.length > 0) {
    out.push('');
    const about = [run.model, run.inputTransform ? `images ${run.inputTransform}` : undefined, run.backend ? `${run.backend} backend` : undefined]
      .filter(Boolean)
      .join('; ');
    out.push(`Your run${about ? ` (${about})` : ''}:`);
    const multi = run.fitCalls > 1;
    out.push(`  ${multi ? 'fit.epoch' : 'epoch'}  accuracy      loss`);
    for (const e of run.epochs) {
      const label = multi ? `${e.call}.${e.epoch}` : String(e.epoch);
      const marks = e.marks.length ? `   ← ${e.marks.join('; ')}` : '';
      out.push(`  ${label.padStart(multi ? 9 : 5)}  ${fmt(e.acc).padStart(8)}  ${fmt(e.loss).padStart(8)}${marks}`);
    }
  }
  out.push('');
  out.push(run.ending);
  if (r.notes.length > 0) {
    out.push('');
    out.push('Notes:');
    for (const n of r.notes) out.push(`  - ${n}`);
  }
  if (r.status !== 'completed' && r.status !== 'compile-error' && r.output.bytes > 0) {
    out.push('');
    out.push(`Your program's output (last ${OUTPUT_LINES} lines):`);
    const text = `${r.output.stdout}${r.output.stderr ? `\n${r.output.stderr}` : ''}`.trim().split('\n');
    for (const l of text.slice(-OUTPUT_LINES)) out.push(`  | ${l.slice(0, 200)}`);
  }
  // No times or memory figures here: the same file graded twice gives the same text (they are in the JSON).
  return `${out.join('\n')}\n`;
}

/** Gradescope's autograder results.json. */
export function toGradescope(r: SubmissionResult): Record<string, unknown> {
  const summary = formatText({ ...r, tests: [] }).trim();
  return {
    score: r.score,
    // Whole seconds, as in Gradescope's specification.
    execution_time: Math.round(r.seconds),
    output: summary,
    visibility: 'visible',
    stdout_visibility: 'visible',
    tests: [
      ...r.tests.map((t, i) => ({
        name: t.name,
        number: String(i + 1),
        score: t.score,
        max_score: t.maxScore,
        status: t.passed ? 'passed' : 'failed',
        output: t.message,
        visibility: 'visible',
      })),
      // A 0-point row, so the flag shows in Gradescope's test list and its exports, not only in the output.
      ...(r.integrity?.summary
        ? [
            {
              name: 'integrity: the submission tried nothing the sandbox forbids',
              number: String(r.tests.length + 1),
              score: 0,
              max_score: 0,
              status: 'failed',
              output: [r.integrity.summary, ...r.integrity.violations.map((v) => `tried to ${v.what}${v.where ? ` at ${v.where}` : ''}`)].join('\n'),
              visibility: 'visible',
            },
          ]
        : []),
    ],
  };
}

/**
 * One row per submission; the test columns are named by test id. `reports[i]`: the file name of the
 * i-th submission's report (the `report` column maps each learner's file to its report).
 */
export function toCsv(results: SubmissionResult[], reports?: string[]): string {
  const testIds = results.find((r) => r.tests.length > 0)?.tests.map((t) => t.id) ?? [];
  const header = [
    'submission',
    'status',
    'score',
    'max_score',
    ...testIds,
    'epochs_asked',
    'epochs_trained',
    'first_epoch_above',
    'final_accuracy',
    'seconds',
    'message',
    'integrity',
    'report',
  ];
  const rows = results.map((r, i) => [
    r.submission,
    r.status,
    fmtScore(r.score),
    fmtScore(r.maxScore),
    ...testIds.map((id) => fmtScore(r.tests.find((t) => t.id === id)?.score ?? 0)),
    r.run.epochsAsked ?? '',
    r.run.epochsTrained ?? '',
    r.run.firstAbove ?? '',
    r.run.finalAccuracy !== undefined ? r.run.finalAccuracy.toFixed(4) : '',
    r.seconds.toFixed(2),
    r.statusMessage.split('\n')[0],
    r.integrity?.summary ?? '',
    reports?.[i] ?? '',
  ]);
  return `${[header, ...rows].map((row) => row.map(csvCell).join(',')).join('\n')}\n`;
}

function csvCell(v: unknown): string {
  // A cell starting with = + - @ is a formula to a spreadsheet; file names come from learners.
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function fmt(x: number | undefined): string {
  return x === undefined ? '—' : x.toFixed(4);
}

function fmtScore(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(2);
}
