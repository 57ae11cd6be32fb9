/**
 * Grading, end to end, in the parent process:
 *
 *   Grader.open   loads the training data once (the project's data layer, verified), writes it as raw
 *                 bytes for the children, builds the sandbox runtime, and finds out which isolation
 *                 layers this machine allows;
 *   grade(file)   compiles the submission here (syntax errors never reach a child), runs it in its own
 *                 sandboxed process, folds the authenticated events into facts, re-measures the trained
 *                 model's accuracy itself, and scores the tests;
 *   gradeAll      does that for many files, `jobs` at a time.
 *
 * Nothing the submission prints is parsed: verdicts come only from the event channel (./protocol.ts).
 */
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  closeSync,
  constants as fsConstants,
  existsSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
  type Stats,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadDataset, type Dataset } from '../data/dataset.js';
import type { Split } from '../data/registry.js';
import { getBackend } from '../engine/backends/registry.js';
import { NormlabError } from '../errors.js';
import { analyzeSource, type SourceFacts } from './analyze.js';
import { getAssignment, type Assignment } from './assignment.js';
import { runChecks } from './checks.js';
import { collectFacts, gradedFit, type RunFacts } from './facts.js';
import { KEY_BYTES, type HarnessConfig } from './protocol.js';
import { buildRuntime, compileSubmission, packageRoot, type Runtime } from './runtime.js';
import { DEFAULT_LIMITS, probeIsolation, runSandbox, SANDBOX_UID, setupWorks, type Isolation, type Limits, type SandboxRun } from './sandbox.js';
import { classifyRun, deniedAction, frameWords } from './status.js';
import { summarizeRun } from './summary.js';
import { TypeChecker, type TypeError_ } from './typecheck.js';
import type { Integrity, RunStatus, SubmissionResult, Violation } from './types.js';
import { verifyAccuracy, type Verification } from './verify.js';

export interface GradeOptions {
  assignment?: string;
  /** Folder with the MNIST files (--data-dir); default: the data layer's usual search. */
  dataDir?: string;
  /** Which MNIST split the submissions train on (default 'train'). */
  split?: Split;
  limits?: Partial<Limits>;
  /** Backend the children train on (default: the engine's default, wasm when built). */
  backend?: string;
  /** Seed for models the submission builds without one (default 1). */
  seed?: number;
  /** Report TypeScript type errors of .ts submissions (default true). */
  typeCheck?: boolean;
  /** Where the session's scratch folder goes (default: the OS temp folder). */
  tmpRoot?: string;
  /**
   * What a refused attempt (read, write, process, network, native code, code from a string) costs, even
   * one the submission caught: 'zero' (default) scores the run 0 with status sandbox-violation; 'flag'
   * scores it as usual. Both report every attempt in `integrity`, in every format.
   */
  onViolation?: ViolationPolicy;
}

export type ViolationPolicy = 'zero' | 'flag';
export const VIOLATION_POLICIES: readonly ViolationPolicy[] = ['zero', 'flag'];

export interface SubmissionFile {
  file: string;
  /** How reports name it (relative to the graded folder, or as given). */
  name: string;
  /** Why this entry cannot be graded (found while listing the folder). */
  problem?: string;
}

const SUBMISSION_EXT = /\.(ts|mts|js|mjs)$/;

/**
 * The submissions in a folder: code files in it, and one level down (one folder per learner).
 * Nothing is followed: a symbolic link (to a file, a folder, nowhere, or itself) is listed as an entry of
 * its own, which grading reports as an `invalid-file`, so one bad entry never stops the others.
 */
export function findSubmissions(dir: string): SubmissionFile[] {
  const root = realpathSync(dir);
  const out: SubmissionFile[] = [];
  const visit = (d: string, depth: number) => {
    let names: string[];
    try {
      names = readdirSync(d).sort();
    } catch (e) {
      out.push({
        file: d,
        name: relative(root, d) || '.',
        problem: `the folder could not be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      });
      return;
    }
    for (const name of names) {
      if (name.startsWith('.') || name === 'node_modules') continue;
      const p = join(d, name);
      let st: Stats;
      try {
        st = lstatSync(p);
      } catch {
        continue; // gone since readdir
      }
      if (st.isSymbolicLink()) {
        if (depth === 0 || SUBMISSION_EXT.test(name)) out.push({ file: p, name: relative(root, p) });
      } else if (st.isDirectory() && depth === 0) visit(p, 1);
      else if (SUBMISSION_EXT.test(name) && !name.endsWith('.d.ts')) out.push({ file: p, name: relative(root, p) });
    }
  };
  visit(root, 0);
  return out;
}

const MAX_SOURCE_BYTES = 1024 * 1024;

/**
 * A submission's source, read without following a symbolic link at its last component (O_NOFOLLOW) and
 * only if it is a regular file; the descriptor's identity is checked against the lstat, so a file swapped
 * for a link in between is refused too. Grading runs as root in CI: following a learner's link would
 * read whatever it points at.
 */
export function readSubmission(file: string): { ok: true; source: string } | { ok: false; problem: string } {
  let st: Stats;
  try {
    st = lstatSync(file);
  } catch (e) {
    return { ok: false, problem: `it could not be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` };
  }
  if (st.isSymbolicLink())
    return { ok: false, problem: 'it is a symbolic link; the grader never follows links in a submissions folder (submit the file itself)' };
  if (!st.isFile()) return { ok: false, problem: `it is not a regular file (${st.isDirectory() ? 'a folder' : 'a special file'})` };
  // A hard link is the same file under a second name: one to a file the learner could not read (made
  // inside an unpacked archive, say) would otherwise be read here with the grader's rights.
  if (st.nlink > 1) return { ok: false, problem: `it has ${st.nlink - 1} other hard link${st.nlink > 2 ? 's' : ''}; submit a plain copy of the file` };
  if (st.size > MAX_SOURCE_BYTES) return { ok: false, problem: `it is ${st.size} bytes; a submission may have at most ${MAX_SOURCE_BYTES}` };
  let fd: number | undefined;
  try {
    fd = openSync(file, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
    const now = fstatSync(fd);
    if (!now.isFile() || now.ino !== st.ino || now.dev !== st.dev) return { ok: false, problem: 'it changed while the grader opened it' };
    const buffer = Buffer.alloc(Math.min(now.size, MAX_SOURCE_BYTES));
    let read = 0;
    while (read < buffer.length) {
      const n = readSync(fd, buffer, read, buffer.length - read, read);
      if (n === 0) break;
      read += n;
    }
    return { ok: true, source: buffer.subarray(0, read).toString('utf8') };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return {
      ok: false,
      problem:
        code === 'ELOOP'
          ? 'it is a symbolic link; the grader never follows links in a submissions folder'
          : `it could not be read (${code ?? (e as Error).message})`,
    };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export class Grader {
  private counter = 0;
  private constructor(
    readonly assignment: Assignment,
    readonly limits: Limits,
    readonly dataset: Dataset,
    readonly scratch: string,
    private readonly runtime: Runtime,
    readonly isolation: Isolation,
    private readonly files: { images: string; labels: string },
    private readonly hidden: string[],
    private readonly typeChecker: TypeChecker | undefined,
    private readonly options: GradeOptions,
  ) {}

  static async open(options: GradeOptions = {}): Promise<Grader> {
    const assignment = getAssignment(options.assignment ?? 'callbacks');
    const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits };
    if (options.limits?.timeoutS !== undefined && options.limits.cpuS === undefined) limits.cpuS = limits.timeoutS + 5;
    const split = options.split ?? 'train';
    // The public API the child's `normlab` module re-exports; importing it also registers Node's backends.
    const index = (await import('../api.js')) as Record<string, unknown>;
    // A backend that cannot load here cannot load in the child either: say so now, in one line.
    if (options.backend) getBackend(options.backend);
    const dataset = await loadDataset('mnist', split, { dataDir: options.dataDir, download: options.dataDir === undefined });
    const scratch = mkdtempSync(join(options.tmpRoot ?? tmpdir(), 'normlab-grade-'));
    try {
      // The sandbox user must be able to walk into the session folder; nothing in it is secret.
      chmodSync(scratch, 0o755);
      const dataDir = join(scratch, 'data');
      mkdirSync(dataDir, { mode: 0o755 });
      const files = { images: join(dataDir, 'images.bin'), labels: join(dataDir, 'labels.bin') };
      writeFileSync(files.images, dataset.images, { mode: 0o444 });
      writeFileSync(files.labels, dataset.labels, { mode: 0o444 });
      const runtime = await buildRuntime(join(scratch, 'runtime'), Object.keys(index));
      const isolation = probeIsolation(scratch);
      const keep = [scratch, process.execPath];
      const hidden = outermost([packageRoot, dataset.directory, homedir()].filter((p) => hideable(p, keep)));
      const usable = isolation.namespaces ? setupWorks(isolation, scratch, hidden) : hidden;
      const typeChecker = options.typeCheck === false ? undefined : await TypeChecker.create();
      return new Grader(assignment, limits, dataset, scratch, runtime, isolation, files, usable, typeChecker, options);
    } catch (e) {
      rmSync(scratch, { recursive: true, force: true });
      throw e;
    }
  }

  /** Removes the session's scratch folder. */
  close(): void {
    rmSync(this.scratch, { recursive: true, force: true });
  }

  async gradeAll(
    files: SubmissionFile[],
    jobs: number,
    onResult?: (r: SubmissionResult, index: number) => void,
    onStart?: (index: number) => void,
  ): Promise<SubmissionResult[]> {
    const results: SubmissionResult[] = new Array(files.length);
    let next = 0;
    const worker = async () => {
      while (next < files.length) {
        const i = next++;
        onStart?.(i);
        results[i] = files[i].problem
          ? this.invalid(files[i].file, files[i].name, files[i].problem!, performance.now())
          : await this.grade(files[i].file, files[i].name);
        onResult?.(results[i], i);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, files.length)) }, worker));
    return results;
  }

  /** Grades one file. Never throws: a failure of the grader itself is a 'grader-error' result. */
  async grade(file: string, name = file): Promise<SubmissionResult> {
    const started = performance.now();
    const base = this.emptyResult(file, name);
    try {
      return await this.gradeInSandbox(file, base, started);
    } catch (e) {
      base.tests = [];
      return this.finish(
        base,
        'grader-error',
        `The grader failed on this submission (a bug in normlab, please report it): ${(e as Error)?.stack ?? String(e)}`,
        started,
      );
    }
  }

  private async gradeInSandbox(file: string, base: SubmissionResult, started: number): Promise<SubmissionResult> {
    const a = this.assignment;
    const id = ++this.counter;
    const read = readSubmission(file);
    if (!read.ok) return this.invalid(file, base.submission, read.problem, started);
    const source = read.source;
    const compiled = await compileSubmission(source, basename(file), this.runtime.publicUrl, this.runtime.guardUrl);
    if (!compiled.ok) {
      const d = compiled.diagnostics[0];
      const more = compiled.diagnostics.length > 1 ? ` (and ${compiled.diagnostics.length - 1} more)` : '';
      const what = d.message.replace(/\.$/, '');
      return this.finish(
        base,
        'compile-error',
        `The file does not compile: line ${d.line}, column ${d.column}: ${what}${more}.\n  ${d.line} | ${d.text}`,
        started,
      );
    }
    base.notes.push(...compiled.notes);
    if (compiled.refused.length > 0) {
      // Not run at all: a module whose code is a string in its URL (or on the network) is code from a string.
      const r = compiled.refused[0];
      base.integrity = this.integrity(
        compiled.refused.map((x) => ({
          permission: 'CodeFromString',
          what: `import code built from a string or fetched (${x.specifier}…)`,
          where: `${basename(file)} line ${x.line}`,
        })),
      );
      return this.finish(
        base,
        'sandbox-violation',
        `The submission imports code from a URL (line ${r.line}: '${r.specifier}…'); only 'normlab' and Node's built-in modules may be imported, and code built from strings is not allowed while grading, so it was not run.`,
        started,
      );
    }
    let typeErrors: TypeError_[] = [];
    if (this.typeChecker && /\.m?ts$/.test(file)) {
      try {
        typeErrors = this.typeChecker.check(source, basename(file));
      } catch {
        /* type errors are advice; a checker failure must not stop grading */
      }
    }
    for (const t of typeErrors) base.notes.push(`TypeScript type error at line ${t.line}, column ${t.column}: ${t.message} (the grader ran the code anyway)`);
    const facts: SourceFacts = await analyzeSource(compiled.sourceFile);

    const subDir = join(this.scratch, 'subs', String(id));
    const workDir = join(this.scratch, 'work', String(id));
    mkdirSync(subDir, { recursive: true, mode: 0o755 });
    // work/ itself must be searchable by the sandbox user: Node's permission model stats the granted
    // folder at start-up, and a folder it cannot stat is granted as a single file (files inside denied).
    mkdirSync(dirname(workDir), { recursive: true, mode: 0o755 });
    chmodSync(dirname(workDir), 0o755);
    mkdirSync(workDir, { mode: 0o700 });
    if (this.isolation.dropUser) chownSync(workDir, SANDBOX_UID, SANDBOX_UID);
    const compiledFile = join(subDir, 'submission.mjs');
    writeFileSync(compiledFile, compiled.js, { mode: 0o444 });
    const key = randomBytes(KEY_BYTES);
    const config: HarnessConfig = {
      submissionUrl: pathToFileURL(compiledFile).href,
      displayName: basename(file),
      images: this.files.images,
      labels: this.files.labels,
      count: this.dataset.count,
      height: this.dataset.height,
      width: this.dataset.width,
      backend: this.options.backend,
      entry: a.entry,
      message: a.message,
      seed: this.options.seed ?? 1,
      outputBytes: this.limits.outputBytes,
      engineUrl: this.runtime.publicUrl,
    };
    const sourceDir = dirname(resolve(file));
    const hide = [...this.hidden];
    // (a folder inside one already hidden is covered, and no longer exists as a mount point)
    const covered = hide.some((h) => sourceDir === h || sourceDir.startsWith(h + sep));
    if (this.isolation.namespaces && !covered && hideable(sourceDir, [this.scratch, process.execPath])) hide.push(sourceDir);
    let run: SandboxRun;
    try {
      run = await runSandbox({
        node: process.execPath,
        harness: this.runtime.harness,
        readPaths: [this.runtime.dir, this.files.images, this.files.labels, subDir],
        workDir,
        hidePaths: hide,
        limits: this.limits,
        isolation: this.isolation,
        configJson: JSON.stringify(config),
        key,
      });
    } finally {
      rmSync(workDir, { recursive: true, force: true });
      rmSync(subDir, { recursive: true, force: true });
    }

    const runFacts = collectFacts(run.events);
    let { status, message } = classifyRun(run, runFacts, this.limits, facts);
    base.integrity = this.integrity(
      runFacts.violations.map((v) => ({
        permission: v.permission,
        what: deniedAction(v.permission, v.resource),
        where: v.frames[0] ? frameWords(v.frames[0]) : undefined,
      })),
    );
    if (typeErrors.length > 0 && status !== 'completed') {
      message += ` (TypeScript had flagged line ${typeErrors[0].line}: ${typeErrors[0].message.replace(/\.$/, '')}.)`;
    }
    const verification = status === 'completed' || status === 'exited-early' ? this.verify(runFacts) : undefined;
    base.notes.push(...this.runNotes(runFacts, run));
    if (status === 'completed' && facts.unawaitedFits.length > 0 && runFacts.result?.returned === 'history') {
      const f = facts.unawaitedFits[0];
      base.notes.push(
        `line ${f.line} calls model.fit without await: it worked only because trainMnist returned that promise (an async function's return waits for it); anything that reads the History before that gets a Promise. Write const history = await model.fit(…).`,
      );
    }
    base.tests = runChecks({ assignment: a, facts: runFacts, source: facts, status, statusMessage: message, verification });
    const caughtViolation = base.integrity.violations.length > 0 && status !== 'sandbox-violation';
    if (caughtViolation && base.integrity.policy === 'zero') {
      // The attempt was refused and caught, and the run went on: under 'zero' it still scores nothing.
      const first = base.integrity.violations[0];
      const before = `${status}, ${base.tests.reduce((t, x) => t + x.score, 0)}/${base.tests.reduce((t, x) => t + x.maxScore, 0)}`;
      message = `The submission tried to ${first.what}${first.where ? ` at ${first.where}` : ''} and caught the refusal${base.integrity.violations.length > 1 ? ` (${base.integrity.violations.length} refused attempts in all)` : ''}; that is not allowed while grading, so the run scores 0 (violation policy: zero; without it: ${before}). A submission only needs the xTrain and yTrain it is given.`;
      status = 'sandbox-violation';
      base.tests = base.tests.map((t) => ({
        ...t,
        score: 0,
        passed: false,
        message: `Scored 0: the run tried something forbidden (see the integrity flag). Had it not, this test would have ${t.passed ? 'passed' : 'failed'}: ${t.message}`,
      }));
    }
    base.run = summarizeRun(a, runFacts, status, message, verification);
    base.output = { stdout: run.stdout, stderr: run.stderr, bytes: run.outputBytes };
    base.sandbox = {
      wallSeconds: round(run.wallS, 2),
      peakRssMB: Math.round(run.peakRssMB),
      exitCode: run.exitCode,
      signal: run.signal,
      killedFor: run.killedFor,
      isolation: this.isolation.notes,
      leakedProcesses: run.leaked,
    };
    return this.finish(base, status, message, started);
  }

  private integrity(violations: Violation[]): Integrity {
    const policy = this.options.onViolation ?? 'zero';
    if (violations.length === 0) return { policy, violations, summary: '' };
    const unique = [...new Map(violations.map((v) => [`${v.permission} ${v.what}`, v])).values()];
    const list = unique
      .slice(0, 3)
      .map((v) => `${v.what}${v.where ? ` at ${v.where}` : ''}`)
      .join('; ');
    const scoring = policy === 'zero' ? 'scored 0 (--on-violation zero)' : 'scored as usual (--on-violation flag); review it';
    return {
      policy,
      violations: unique.slice(0, 20),
      summary: `INTEGRITY FLAG: ${violations.length} refused attempt${violations.length === 1 ? '' : 's'} to ${list}${unique.length > 3 ? '; …' : ''}; ${scoring}.`,
    };
  }

  /** A result for an entry that is not run: a link, a special file, an unreadable one. */
  private invalid(file: string, name: string, problem: string, started: number): SubmissionResult {
    return this.finish(this.emptyResult(file, name), 'invalid-file', `${name} was not graded: ${problem}.`, started);
  }

  /** The parent's own accuracy measurement of the graded fit's final weights. */
  private verify(facts: RunFacts): Verification | undefined {
    const fit = gradedFit(facts);
    if (!fit?.end || fit.end.error) return undefined;
    return verifyAccuracy(fit.end.weights, this.dataset, fit.x.transform);
  }

  private runNotes(facts: RunFacts, run: SandboxRun): string[] {
    const notes: string[] = [];
    if (facts.hello?.isolation.length) notes.push(...facts.hello.isolation);
    for (const t of [...new Set(facts.network)]) notes.push(`tried to reach the network (${t}); blocked`);
    if (run.leaked > 0) notes.push(`${run.leaked} process(es) of the run were still alive after it ended and were killed`);
    if (/^\s*\{[\s\S]*"(score|tests)"\s*:/m.test(run.stdout))
      notes.push("printed something that looks like a grader's results JSON; the grader never reads the submission's output, so it was ignored");
    return notes;
  }

  private emptyResult(file: string, name: string): SubmissionResult {
    const a = this.assignment;
    return {
      submission: name,
      file: resolve(file),
      assignment: a.id,
      status: 'completed',
      statusMessage: '',
      score: 0,
      maxScore: 0,
      tests: [],
      run: { fitCalls: 0, epochs: [], ending: '' },
      notes: [],
      integrity: { policy: this.options.onViolation ?? 'zero', violations: [], summary: '' },
      output: { stdout: '', stderr: '', bytes: 0 },
      sandbox: { wallSeconds: 0, peakRssMB: 0, exitCode: null, signal: null, isolation: this.isolation.notes, leakedProcesses: 0 },
      seconds: 0,
    };
  }

  private finish(r: SubmissionResult, status: RunStatus, message: string, started: number): SubmissionResult {
    r.status = status;
    r.statusMessage = message;
    if (r.tests.length === 0) {
      r.tests = runChecks({ assignment: this.assignment, facts: collectFacts([]), status, statusMessage: message });
      r.run.ending = message;
    }
    r.score = r.tests.reduce((s, t) => s + t.score, 0);
    r.maxScore = r.tests.reduce((s, t) => s + t.maxScore, 0);
    r.seconds = round((performance.now() - started) / 1000, 2);
    return r;
  }
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Drops duplicates and folders inside another one of the list. */
function outermost(paths: string[]): string[] {
  const dirs = [...new Set(paths.map((p) => resolve(p)))];
  return dirs.filter((d) => !dirs.some((o) => o !== d && d.startsWith(o + sep)));
}

/** A folder can be covered by an empty tmpfs unless something the child needs lies inside it. */
function hideable(p: string, keep: string[]): boolean {
  try {
    if (!statSync(p).isDirectory()) return false;
  } catch {
    return false;
  }
  const dir = resolve(p);
  if (dir === sep) return false;
  return !keep.some((k) => resolve(k) === dir || resolve(k).startsWith(dir + sep));
}

/** Throws a NormlabError unless `path` is a submission file or a folder with some. */
export function submissionsAt(path: string): { kind: 'file' | 'dir'; files: SubmissionFile[] } {
  if (!existsSync(path)) throw new NormlabError('grade-input', `${path} does not exist`, 'give a .ts/.js submission file or a folder of them');
  if (statSync(path).isDirectory()) {
    const files = findSubmissions(path);
    if (files.length === 0)
      throw new NormlabError(
        'grade-input',
        `${path} holds no .ts, .mts, .js or .mjs files`,
        'put one submission file per learner in the folder (or one folder per learner)',
      );
    return { kind: 'dir', files };
  }
  if (!SUBMISSION_EXT.test(path))
    throw new NormlabError(
      'grade-input',
      `${path} is not a .ts, .mts, .js or .mjs file`,
      'a submission is a TypeScript or JavaScript module that exports trainMnist',
    );
  // A single file named on the command line is the caller's choice: a link there is resolved here, once.
  return { kind: 'file', files: [{ file: realpathSync(path), name: path }] };
}
