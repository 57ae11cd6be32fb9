/**
 * The private channel between the grader (parent) and the harness (child process).
 *
 * - fd 3, parent → child: a fresh random key (KEY_BYTES raw bytes), then one JSON HarnessConfig, then
 *   EOF. The harness reads it and closes the fd before the submission is imported, so the submission
 *   never sees the key.
 * - fd 4, child → parent: events, one per line: `<seq> <hmac> <json>`, where hmac = HMAC-SHA256(key,
 *   `<seq> <json>`). The submission can write to fd 4 too (it is an open descriptor), but without the key
 *   it cannot produce a valid line; any line that fails the check marks the run as tampered.
 *
 * stdout/stderr belong to the submission and are never parsed for verdicts.
 */
import { createHmac } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';

export const CONFIG_FD = 3;
export const EVENTS_FD = 4;
export const KEY_BYTES = 32;

/** What the parent tells the harness (via fd 3). Paths are absolute. */
export interface HarnessConfig {
  /** file URL of the compiled submission (.mjs). */
  submissionUrl: string;
  /** Name the learner knows the file by, for messages. */
  displayName: string;
  images: string;
  labels: string;
  count: number;
  height: number;
  width: number;
  /** Backend to make the default before the submission loads; undefined: the engine's default. */
  backend?: string;
  /** The exported function to call. */
  entry: string;
  /** The text the callback must print (for recording where it was printed). */
  message: string;
  /** Bytes the submission may print (stdout + stderr) before the run is stopped. */
  outputBytes: number;
  /** Global seed set before the submission loads (models it builds without a seed use it). */
  seed: number;
  /** file URL of the public `normlab` module (what a dynamic import of 'normlab' loads). */
  engineUrl: string;
}

/** An error as the harness saw it (plain data). */
export interface ErrorInfo {
  name: string;
  message: string;
  code?: string;
  /** A NormlabError's suggested fix. */
  hint?: string;
  /** ERR_ACCESS_DENIED details from Node's permission model. */
  permission?: string;
  resource?: string;
  /** Stack lines that point into the submission (source-mapped when possible). */
  frames: string[];
  /** Where the error was thrown: 'import' (loading the module), 'call' (trainMnist), 'callback', 'harness'. */
  phase: string;
  /** The callback hook that was running, if any. */
  hook?: HookContext;
}

export interface HookContext {
  call: number;
  hook: string;
  epoch: number;
  batch?: number;
  /** Index of the learner's callback in the callbacks list. */
  callback: number;
  /** The true `acc` in the logs this hook call was given (the batch's own accuracy in batch hooks). */
  acc?: number;
  /** Batch hooks: the epoch's accuracy over its batches so far. */
  runningAcc?: number;
  /** Set when the callback is one the engine provides (e.g. 'earlyStopping'), not the learner's own code. */
  builtin?: string;
}

export interface KeyRead {
  key: string;
  exists: boolean;
  value?: number | string | null;
}

export interface CallbackInfo {
  /** 'Callback subclass' | 'object' | 'function' | 'class' | other typeof. */
  kind: string;
  className?: string;
  hooks: string[];
  /** Methods that look like misspelled hooks, e.g. on_epoch_end → onEpochEnd. */
  misnamed: { name: string; suggestion: string }[];
  /** An engine-provided callback, as the learner made it, e.g. "tf.callbacks.earlyStopping({monitor: 'acc', patience: 0})". */
  builtin?: string;
}

export interface TensorInfo {
  /** 'same-tensor' | 'same-buffer' | 'equal-copy' | 'different' | 'not-a-tensor' */
  relation: string;
  shape?: number[];
  dtype?: string;
  transform?: { a: number; b: number };
  detail?: string;
}

export interface ModelInfo {
  id: number;
  backend: string;
  dtype: string;
  layers: string[];
  params: number;
  optimizer?: string;
  learningRate?: number;
  loss?: string;
  metrics: string[];
}

export interface WeightsDump {
  config: unknown;
  dtype: string;
  /** base64 of each weight tensor as little-endian float64. */
  weights: string[];
}

export type HarnessEvent =
  | { type: 'hello'; node: string; backend: string; backends: string[]; isolation: string[] }
  | { type: 'loaded'; exports: string[]; ms: number }
  | { type: 'call-begin' }
  | { type: 'compile'; model: number; optimizer?: string; loss?: string; metrics: string[] }
  | {
      type: 'fit-begin';
      call: number;
      epochs: string;
      epochsValue: number | null;
      argKeys: string[];
      unknownArgs: { name: string; suggestion?: string }[];
      batchSize: number | null;
      callbacks: CallbackInfo[];
      callbacksArg: string;
      x: TensorInfo;
      y: TensorInfo;
      model: ModelInfo;
    }
  | { type: 'hook-enter'; ctx: HookContext }
  | { type: 'hook-exit'; ctx: HookContext; reads: KeyRead[]; ms: number; threw?: boolean; ownStop?: string[] }
  | { type: 'batch-summary'; call: number; epoch: number; callback: number; hook: string; calls: number; reads: KeyRead[]; ms: number }
  | { type: 'epoch-end'; call: number; epoch: number; logs: Record<string, number>; seconds: number }
  | { type: 'stop-write'; call: number | null; value: string; ctx: HookContext | null; truthy: boolean; onStack?: boolean }
  | { type: 'unknown-property'; name: string; suggestion?: string; ctx: HookContext | null; model: number }
  | { type: 'print'; stream: string; text: string; match: 'exact' | 'near'; ctx: HookContext | null; onStack?: boolean }
  | { type: 'violation'; permission: string; resource: string; via: string; frames: string[]; ctx: HookContext | null }
  | {
      type: 'fit-end';
      call: number;
      epochsTrained: number;
      stoppedEarly: boolean;
      error?: ErrorInfo;
      seconds: number;
      weights?: WeightsDump;
      dataChanged: boolean;
    }
  | { type: 'network'; target: string }
  | { type: 'output-limit'; bytes: number; ctx: HookContext | null }
  | { type: 'process-exit-call'; code: string; frames: string[] }
  | { type: 'error'; error: ErrorInfo }
  | { type: 'result'; returned: string; historyOf: number | null; seconds: number; dataChanged: boolean }
  | { type: 'exit'; code: number };

export function macOf(key: Buffer | string, seq: number, json: string): string {
  return createHmac('sha256', key).update(`${seq} ${json}`).digest('hex');
}

/** One authenticated line (without the newline). */
export function signLine(key: Buffer | string, seq: number, json: string): string {
  return `${seq} ${macOf(key, seq, json)} ${json}`;
}

/**
 * Reads the event stream: feed it chunks; it checks each line's sequence number and MAC. Anything that
 * does not verify is counted as forged (the submission wrote to the channel).
 */
export class EventReader {
  readonly events: HarnessEvent[] = [];
  forged = 0;
  forgedSample = '';
  private buffer = '';
  // One decoder for the whole stream: a pipe chunk can end inside a multi-byte character (≥, —), and
  // decoding each chunk on its own would turn it into U+FFFD and break that line's MAC.
  private readonly decoder = new StringDecoder('utf8');
  private seq = 0;
  private bytes = 0;

  constructor(
    private readonly key: Buffer,
    private readonly onEvent: (e: HarnessEvent) => void = () => {},
    private readonly maxBytes = 256 * 1024 * 1024,
  ) {}

  push(chunk: Buffer | string): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      this.forged++;
      return;
    }
    this.buffer += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      this.line(line);
    }
  }

  end(): void {
    this.buffer += this.decoder.end();
    if (this.buffer.length > 0) this.line(this.buffer);
    this.buffer = '';
  }

  private line(line: string): void {
    if (line === '') return;
    const a = line.indexOf(' ');
    const b = line.indexOf(' ', a + 1);
    const seq = Number(line.slice(0, a));
    const mac = line.slice(a + 1, b);
    const json = line.slice(b + 1);
    // A valid MAC with a sequence number below the expected one is a replayed line; above it, lines were
    // lost (e.g. garbage written into the middle of one): accept and count what was lost as forged.
    if (a < 0 || b < 0 || !Number.isInteger(seq) || seq < this.seq || mac !== macOf(this.key, seq, json)) {
      this.forged++;
      if (!this.forgedSample) this.forgedSample = line.slice(0, 200);
      return;
    }
    if (seq > this.seq) this.forged++;
    this.seq = seq + 1;
    let event: HarnessEvent;
    try {
      event = JSON.parse(json) as HarnessEvent;
    } catch {
      this.forged++;
      return;
    }
    this.events.push(event);
    this.onEvent(event);
  }
}
