/**
 * `normlab grade <file|dir>`: grade submissions to an assignment (the callbacks assignment by default),
 * each in its own sandboxed process. Exit code 0 whenever grading ran, whatever the scores; 1 when the
 * grader itself failed on some submission (its sandbox did not start), 2 for bad input.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { ASSIGNMENTS } from '../../grader/assignment.js';
import { Grader, submissionsAt, VIOLATION_POLICIES, type ViolationPolicy } from '../../grader/grade.js';
import { prepareOut, reportName, writeReport } from '../../grader/output.js';
import { formatText, toCsv, toGradescope } from '../../grader/report.js';
import type { SubmissionResult } from '../../grader/types.js';
import { parseRedisUrl } from '../../grader/queue/url.js';
import { GRADE_LIMITS, graderOptions } from '../../grader/queue/identity.js';
import { gradeSettingFlags } from '../grade-flags.js';
import { integer, oneOf } from '../options.js';
import { note } from '../output.js';
import { gradeThroughQueue, registerGradeQueue, settingsFrom } from './grade-queue.js';

const FORMATS = ['text', 'json', 'gradescope'] as const;
type Format = (typeof FORMATS)[number];

interface GradeFlags {
  assignment: string;
  format: Format;
  out?: string;
  dataDir?: string;
  split: 'train' | 'test';
  timeout: number;
  memory: number;
  jobs: number;
  backend?: string;
  seed: number;
  onViolation: ViolationPolicy;
  redis?: string;
}

export function registerGrade(program: Command, backends: readonly string[]): void {
  const grade = gradeSettingFlags(program.command('grade'))
    // `grade --redis` and `grade worker --redis`: options belong to the command they follow.
    .enablePositionalOptions()
    .description('grade an assignment submission (a .ts/.js file) or a folder of them, each run in a sandbox')
    .argument('<path>', 'a submission file, or a folder of submission files (one per learner, or one folder per learner)')
    .option('--assignment <id>', Object.keys(ASSIGNMENTS).join(', '), oneOf(Object.keys(ASSIGNMENTS)), 'callbacks')
    .option('--format <format>', 'text, json (the full record) or gradescope (results.json)', oneOf(FORMATS), 'text')
    .option('--out <path>', 'write the report to this file (one submission) or into this folder with grades.csv (a folder; default ./normlab-grades)')
    .option('--data-dir <dir>', 'folder holding the MNIST files (also: NORMLAB_DATA_DIR)')
    .option('--jobs <n>', 'submissions graded at the same time (folders)', integer(1, 64), 2)
    .option('--backend <name>', `backend the submissions train on: ${backends.join(' or ')} (default: the engine's default)`, oneOf(backends))
    .option(
      '--seed <n>',
      'seed for models a submission builds without its own',
      integer(GRADE_LIMITS.seed.min, GRADE_LIMITS.seed.max),
      GRADE_LIMITS.seed.default,
    )
    .option('--redis <url>', 'queue the submissions on this Redis for `normlab grade worker`s instead of grading here (same reports)', parseRedisUrl)
    .option(
      '--on-violation <policy>',
      'a refused attempt (read, write, process, network, code from a string), even one the submission caught: zero = score 0, flag = score as usual; both report it',
      oneOf(VIOLATION_POLICIES),
      'zero',
    )
    .action(async (path: string, flags: GradeFlags) => {
      const target = submissionsAt(path);
      // Before any grading: a bad --out must not cost the whole run's results.
      const out = target.kind === 'file' ? (flags.out ? prepareOut(flags.out, 'file') : undefined) : prepareOut(flags.out ?? 'normlab-grades', 'dir');
      if (flags.redis) {
        // Queued for `normlab grade worker`s; the same reports follow. With a progress bar on the
        // terminal, one line per result would tear it apart.
        const onResult = (r: SubmissionResult, i: number) => {
          if (target.kind === 'dir' && !process.stderr.isTTY)
            note(`[${i + 1}/${target.files.length}] ${r.submission}: ${r.score}/${r.maxScore} (${r.status}, ${r.seconds.toFixed(1)} s)`);
        };
        const results = await gradeThroughQueue(target.files, { redisUrl: flags.redis, assignment: flags.assignment, settings: settingsFrom(flags), onResult });
        return finishGrading(target.kind, results, flags, out);
      }
      // The same settings schema as a queued job: a grade here equals a queued grade with the same flags.
      const grader = await Grader.open(graderOptions(flags.assignment, settingsFrom(flags), flags.dataDir));
      let results: SubmissionResult[];
      try {
        note(
          `grading ${target.files.length} submission${target.files.length === 1 ? '' : 's'} on MNIST ${grader.dataset.split} (${grader.dataset.count} images)${target.kind === 'dir' ? `, ${Math.min(flags.jobs, target.files.length)} at a time` : ''}`,
        );
        results = await grader.gradeAll(target.files, flags.jobs, (r, i) => {
          if (target.kind === 'dir')
            note(`[${i + 1}/${target.files.length}] ${r.submission}: ${r.score}/${r.maxScore} (${r.status}, ${r.seconds.toFixed(1)} s)`);
        });
      } finally {
        grader.close();
      }
      finishGrading(target.kind, results, flags, out);
    });
  registerGradeQueue(grade, backends);
}

/** Writes the report(s), the same for local and queued grading. */
function finishGrading(kind: 'file' | 'dir', results: SubmissionResult[], flags: GradeFlags, out: string | undefined): void {
  if (kind === 'file') writeSingle(results[0], flags, out);
  else writeFolder(results, flags, out!);
  if (results.some((r) => r.status === 'grader-error')) {
    note('normlab: the grader could not run some submissions (status grader-error); see their messages');
    process.exitCode = 1;
  }
}

function render(r: SubmissionResult, format: Format): string {
  if (format === 'text') return formatText(r);
  return `${JSON.stringify(format === 'json' ? r : toGradescope(r), null, 2)}\n`;
}

function writeSingle(r: SubmissionResult, flags: GradeFlags, out: string | undefined): void {
  const text = render(r, flags.format);
  if (out) {
    writeReport(out, text);
    note(`${r.submission}: ${r.score}/${r.maxScore} (${r.status}); report written to ${out}`);
  } else {
    process.stdout.write(text);
  }
}

const EXT: Record<Format, string> = { text: '.txt', json: '.json', gradescope: '.results.json' };

function writeFolder(results: SubmissionResult[], flags: GradeFlags, outDir: string): void {
  // Unique and reversible (percent-encoding), and listed in grades.csv's `report` column.
  const names = results.map((r) => `${reportName(r.submission)}${EXT[flags.format]}`);
  results.forEach((r, i) => writeReport(join(outDir, names[i]), render(r, flags.format)));
  writeReport(join(outDir, 'grades.csv'), toCsv(results, names));
  if (flags.format === 'text') {
    const width = Math.max(10, ...results.map((r) => r.submission.length));
    process.stdout.write(`${'submission'.padEnd(width)}  score  status\n`);
    for (const r of results) process.stdout.write(`${r.submission.padEnd(width)}  ${`${r.score}/${r.maxScore}`.padStart(5)}  ${r.status}\n`);
  } else {
    process.stdout.write(`${JSON.stringify(results.map((r) => (flags.format === 'json' ? r : toGradescope(r))))}\n`);
  }
  note(`reports and grades.csv written to ${outDir}`);
}
