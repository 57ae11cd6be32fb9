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
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
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
import { classifyRun } from './status.js';
import { summarizeRun } from './summary.js';
import { TypeChecker, type TypeError_ } from './typecheck.js';
import type { RunStatus, SubmissionResult } from './types.js';
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
}

export interface SubmissionFile {
  file: string;
  /** How reports name it (relative to the graded folder, or as given). */
  name: string;
}

const SUBMISSION_EXT = /\.(ts|mts|js|mjs)$/;

/** The submissions in a folder: code files in it, and one level down (one folder per learner). */
export function findSubmissions(dir: string): SubmissionFile[] {
  const root = resolve(dir);
  const out: SubmissionFile[] = [];
  const visit = (d: string, depth: number) => {
    for (const name of readdirSync(d).sort()) {
      if (name.startsWith('.') || name === 'node_modules') continue;
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory() && depth === 0) visit(p, 1);
      else if (st.isFile() && SUBMISSION_EXT.test(name) && !name.endsWith('.d.ts')) out.push({ file: p, name: relative(root, p) });
    }
  };
  visit(root, 0);
  return out;
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
        results[i] = await this.grade(files[i].file, files[i].name);
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
      return this.finish(base, 'grader-error', `The grader failed on this submission (a bug in normlab, please report it): ${(e as Error)?.stack ?? String(e)}`, started);
    }
  }

  private async gradeInSandbox(file: string, base: SubmissionResult, started: number): Promise<SubmissionResult> {
    const a = this.assignment;
    const id = ++this.counter;
    let source: string;
    try {
      source = readFileSync(file, 'utf8');
    } catch (e) {
      return this.finish(base, 'compile-error', `The file could not be read: ${(e as Error).message}.`, started);
    }
    const compiled = await compileSubmission(source, basename(file), this.runtime.publicUrl);
    if (!compiled.ok) {
      const d = compiled.diagnostics[0];
      const more = compiled.diagnostics.length > 1 ? ` (and ${compiled.diagnostics.length - 1} more)` : '';
      const what = d.message.replace(/\.$/, '');
      return this.finish(base, 'compile-error', `The file does not compile: line ${d.line}, column ${d.column}: ${what}${more}.\n  ${d.line} | ${d.text}`, started);
    }
    base.notes.push(...compiled.notes);
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
    mkdirSync(workDir, { recursive: true, mode: 0o700 });
    if (this.isolation.dropUser && !this.isolation.namespaces) chownSync(workDir, SANDBOX_UID, SANDBOX_UID);
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
    let { status, message } = classifyRun(run, runFacts, this.limits);
    if (typeErrors.length > 0 && status !== 'completed') {
      message += ` (TypeScript had flagged line ${typeErrors[0].line}: ${typeErrors[0].message.replace(/\.$/, '')}.)`;
    }
    const verification = status === 'completed' || status === 'exited-early' ? this.verify(runFacts) : undefined;
    base.notes.push(...this.runNotes(runFacts, run));
    base.tests = runChecks({ assignment: a, facts: runFacts, source: facts, status, statusMessage: message, verification });
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
    if (/^\s*\{[\s\S]*"(score|tests)"\s*:/m.test(run.stdout)) notes.push("printed something that looks like a grader's results JSON; the grader never reads the submission's output, so it was ignored");
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
    if (files.length === 0) throw new NormlabError('grade-input', `${path} holds no .ts, .mts, .js or .mjs files`, 'put one submission file per learner in the folder (or one folder per learner)');
    return { kind: 'dir', files };
  }
  if (!SUBMISSION_EXT.test(path)) throw new NormlabError('grade-input', `${path} is not a .ts, .mts, .js or .mjs file`, 'a submission is a TypeScript or JavaScript module that exports trainMnist');
  return { kind: 'file', files: [{ file: path, name: path }] };
}
