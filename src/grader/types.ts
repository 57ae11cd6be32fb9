/** The grader's results as plain, serialisable data (what `--format json` prints). */

/** How the run ended, before any test is scored. */
export type RunStatus =
  /** trainMnist returned; every test was scored on what the run did. */
  | 'completed'
  /** The file does not parse (or failed to load with a SyntaxError). */
  | 'compile-error'
  /** The module has no `trainMnist` function. */
  | 'missing-export'
  /** The submission threw (TypeError, ReferenceError, its own Error, a callback that threw…). */
  | 'runtime-error'
  /** The submission tried something the sandbox forbids (files outside its folder, processes, network). */
  | 'sandbox-violation'
  | 'timeout'
  | 'cpu-limit'
  | 'memory-limit'
  | 'output-limit'
  | 'disk-limit'
  /** The process ended (process.exit, a signal) before trainMnist returned. */
  | 'exited-early'
  /** Something other than the grader wrote on the grader's private channel. */
  | 'tampered'
  /** The process died for another reason. */
  | 'crashed'
  /** The entry is not a regular file of the graded folder (a symbolic link, a special file): not run. */
  | 'invalid-file'
  /** The grader itself failed (not the submission's fault); the CLI exits non-zero. */
  | 'grader-error';

export interface TestResult {
  /** Stable id, e.g. 'fit-epochs'. */
  id: string;
  /** What is checked, in words. */
  name: string;
  score: number;
  maxScore: number;
  passed: boolean;
  /** First line: the verdict; further lines: what it means and what to do. */
  message: string;
}

export interface EpochRow {
  /** Which model.fit call (1-based); only interesting when fit was called more than once. */
  call: number;
  /** 1-based, counted within its fit call. */
  epoch: number;
  loss?: number;
  acc?: number;
  seconds: number;
  /** What happened in this epoch, in words (callback stopped training, message printed, …). */
  marks: string[];
}

export interface RunSummary {
  /** The model that was trained, e.g. 'Flatten → Dense(512, relu) → Dense(10, softmax)'. */
  model?: string;
  fitCalls: number;
  /** What the graded fit call was given for `epochs`, as written (e.g. '10', '"10"', 'undefined'). */
  epochsAsked?: string;
  epochsTrained?: number;
  /** Epoch (1-based, over all fit calls) at which training accuracy first exceeded the threshold. */
  firstAbove?: number;
  /** The training accuracy of the last epoch trained. */
  finalAccuracy?: number;
  /** The input transform fit was given (x' = a·pixel + b), e.g. 'x/255'. */
  inputTransform?: string;
  /** Epoch (1-based) in whose hooks the learner set stopTraining = true. */
  stoppedAt?: number;
  epochs: EpochRow[];
  /** Accuracy recomputed by the grader from the final weights. */
  verifiedAccuracy?: number;
  verifySkipped?: string;
  /** Why training ended, in words. */
  ending: string;
  backend?: string;
  trainSeconds?: number;
}

/** One refused attempt: what the submission tried, where, and whether the run went on afterwards. */
export interface Violation {
  /** Node's permission name or the grader's: FileSystemRead, FileSystemWrite, ChildProcess, Network, CodeFromString, … */
  permission: string;
  /** In words, e.g. 'read a file outside what the sandbox shows it (/etc/passwd)'. */
  what: string;
  /** 'caught-read.js line 4', when the stack shows it. */
  where?: string;
}

/** What the grader's violation policy made of the refused attempts (`--on-violation zero|flag`). */
export interface Integrity {
  policy: 'zero' | 'flag';
  /** Empty when the submission tried nothing forbidden. */
  violations: Violation[];
  /** One line for staff, e.g. 'FLAGGED: 2 refused attempts (…); scored 0 under --on-violation zero'. */
  summary: string;
}

/** Fields of a SubmissionResult that measure time and memory, so they differ between two gradings of one file. */
export const VARYING_FIELDS = ['seconds', 'sandbox.wallSeconds', 'sandbox.peakRssMB', 'run.trainSeconds', 'run.epochs[].seconds'] as const;

export interface SubmissionResult {
  /** As given on the command line (or relative to the graded directory). */
  submission: string;
  file: string;
  assignment: string;
  status: RunStatus;
  /** One or two sentences on how the run ended. */
  statusMessage: string;
  score: number;
  maxScore: number;
  tests: TestResult[];
  run: RunSummary;
  /** Things worth knowing that are not a test (imports mapped, network attempts, warnings). */
  notes: string[];
  /** Refused attempts and how they were scored. */
  integrity: Integrity;
  output: { stdout: string; stderr: string; bytes: number };
  sandbox: {
    wallSeconds: number;
    peakRssMB: number;
    exitCode: number | null;
    signal: string | null;
    killedFor?: string;
    isolation: string[];
    leakedProcesses: number;
  };
  seconds: number;
}
