/**
 * Where graded reports go: the `--out` target checked before any grading starts (an hour of grading must
 * never end in "cannot write"), one report file name per submission that is unique and reversible, and
 * every file written atomically (a temp file in the same folder, then rename: a reader, or a crash, sees
 * the whole old file or the whole new one, never half).
 */
import { accessSync, constants, existsSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { NormlabError } from '../errors.js';
import { makeDirsSync, writeFileAtomicSync } from '../util/files.js';

/** Every report and grades.csv goes through the project's one atomic-write helper (temp file + rename). */
export const writeReport = (path: string, data: string): void => writeFileAtomicSync(path, data, { makeParents: false });

/**
 * A report file name for a submission's name (its path relative to the graded folder), unique among all
 * names and reversible: letters, digits, `.`, `_` and `-` stay; every other byte of its UTF-8 (including
 * `/` and `%`) becomes `%XX`, so `alice/t.js` → `alice%2Ft.js` never meets `alice__t.js`, and
 * `decodeURIComponent` gives the name back.
 */
export function reportName(submission: string): string {
  let out = '';
  for (const byte of Buffer.from(submission, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9._-]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  // '.' and '..' are folder names, not files; a leading dot would hide the report
  return out.replace(/^\./, '%2E');
}

/** The inverse of reportName (without the format's extension). */
export function submissionOfReport(name: string): string {
  return decodeURIComponent(name);
}

export type OutKind = 'file' | 'dir';

/**
 * Checks `--out` before grading: for one submission a file path (not a folder) in a folder that exists
 * or can be made and is writable; for a folder of submissions a folder (not a file) that is writable.
 * Creates the folder if needed. Throws a NormlabError with the fix otherwise.
 */
export function prepareOut(out: string, kind: OutKind): string {
  const path = resolve(out);
  const fail = (what: string, hint: string): never => {
    throw new NormlabError('grade-output', `--out ${out}: ${what}`, hint);
  };
  const writable = (dir: string) => {
    try {
      accessSync(dir, constants.W_OK | constants.X_OK);
    } catch {
      fail(`the folder ${dir} is not writable`, 'choose a folder you can write to');
    }
    // access() says yes to root on a read-only mount: really try.
    const probe = join(dir, `.normlab-write-probe-${process.pid}`);
    try {
      writeFileSync(probe, '');
      rmSync(probe, { force: true });
    } catch (e) {
      fail(`cannot write in ${dir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, 'choose a folder you can write to');
    }
  };
  const makeDir = (dir: string) => {
    // one level at a time (src/util/files.ts): Node 20's recursive mkdir spins forever under /proc
    try {
      makeDirsSync(dir);
    } catch (e) {
      fail(
        `cannot create the folder ${dir} (${(e as Error).message.replace(/^cannot create the folder \S+: /, '')})`,
        'choose a path whose parent folders exist or can be created',
      );
    }
  };
  if (kind === 'file') {
    if (existsSync(path) && statSync(path).isDirectory())
      fail('is a folder, but one submission writes one report file', `give a file name, e.g. --out ${join(out, 'report.txt')}`);
    const parent = dirname(path);
    if (existsSync(parent) && !statSync(parent).isDirectory()) fail(`${parent} is a file, not a folder`, 'choose another path for the report');
    makeDir(parent);
    writable(parent);
    return path;
  }
  if (existsSync(path) && !statSync(path).isDirectory())
    fail('is a file, but a folder of submissions writes one report per submission and grades.csv into a folder', 'give a folder, e.g. --out grades/');
  makeDir(path);
  writable(path);
  return path;
}
