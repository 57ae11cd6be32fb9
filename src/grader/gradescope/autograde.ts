/**
 * What run_autograder runs on Gradescope: find the learner's file in <root>/submission, grade it with the
 * same Grader as `normlab grade`, write <root>/results/results.json (Gradescope's format, report.ts).
 * A results.json is written whatever happens (no file, several files, the grader failing), because
 * without one Gradescope shows the learner only "The autograder failed to execute correctly".
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { writeFileAtomicSync } from '../../util/files.js';
import { getAssignment } from '../assignment.js';
import { Grader, type GradeOptions } from '../grade.js';
import { toGradescope } from '../report.js';

const CODE = /\.(ts|mts|js|mjs)$/;

/** The code files a learner uploaded (Gradescope keeps folders of an uploaded zip). */
function codeFiles(dir: string, depth = 0): string[] {
  const out: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return out;
  }
  for (const name of names) {
    if (name.startsWith('.') || name === 'node_modules' || name === '__MACOSX') continue;
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory() && depth < 3) out.push(...codeFiles(p, depth + 1));
    else if (st.isFile() && CODE.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** A results.json for a submission that could not be graded at all. */
function ungraded(message: string): Record<string, unknown> {
  return { score: 0, execution_time: 0, output: message, visibility: 'visible', stdout_visibility: 'visible', tests: [] };
}

/** Grades the submission under `root` and writes results.json; returns what was written. */
export async function autograde(assignmentId: string, root: string, options: GradeOptions): Promise<Record<string, unknown>> {
  const a = getAssignment(assignmentId);
  const submissionDir = join(root, 'submission');
  const resultsFile = join(root, 'results', 'results.json');
  const files = codeFiles(submissionDir);
  const starter = a.starterFiles.find((f) => CODE.test(f.to))?.to;
  const chosen = files.length === 1 ? files[0] : files.find((f) => starter && f.endsWith(`/${starter}`));
  let results: Record<string, unknown>;
  if (!chosen) {
    const found = files.map((f) => relative(submissionDir, f));
    results = ungraded(
      files.length === 0
        ? `No .ts or .js file was submitted. Upload your ${starter ?? 'solution'} (the file that exports ${a.entry}).`
        : `Several code files were submitted (${found.join(', ')}) and none is named ${starter}. Upload just the file that exports ${a.entry}.`,
    );
  } else {
    const grader = await Grader.open({ ...options, assignment: a.id });
    try {
      results = toGradescope(await grader.grade(chosen, relative(submissionDir, chosen)));
    } finally {
      grader.close();
    }
  }
  writeFileAtomicSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
  return results;
}
