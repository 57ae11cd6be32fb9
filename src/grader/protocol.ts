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
import { z } from 'zod';
import { describeIssues } from '../util/zod-issues.js';

export const CONFIG_FD = 3;
export const EVENTS_FD = 4;
export const KEY_BYTES = 32;

/**
 * A measured number. JSON writes NaN and ±Infinity as null, so null reads back as NaN (the value was not
 * finite); a string, object or anything else is a malformed event.
 */
const measured = z.union([z.number(), z.null()], { message: 'expected a number (null for NaN)' }).transform((v) => v ?? NaN);
/**
 * The events' numbers are checked for being numbers, not for their range: the parent must not crash on a
 * malformed event, and a counter the harness reports as -1 (fit-end's epochsTrained when fit threw before
 * its first epoch) is a fact to report, not a forgery.
 */
const int = measured;

/** What the parent tells the harness (via fd 3). Paths are absolute. */
export const HarnessConfig = z.object({
  /** file URL of the compiled submission (.mjs). */
  submissionUrl: z.string().min(1),
  /** Name the learner knows the file by, for messages. */
  displayName: z.string(),
  images: z.string().min(1),
  labels: z.string().min(1),
  count: z.number().int().nonnegative(),
  height: z.number().int().positive(),
  width: z.number().int().positive(),
  /** Backend to make the default before the submission loads; undefined: the engine's default. */
  backend: z.string().optional(),
  /** The exported function to call. */
  entry: z.string().min(1),
  /** The text the callback must print (for recording where it was printed). */
  message: z.string(),
  /** Bytes the submission may print (stdout + stderr) before the run is stopped. */
  outputBytes: z.number().int().nonnegative(),
  /** Global seed set before the submission loads (models it builds without a seed use it). */
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 32 - 1),
  /** file URL of the public `normlab` module (what a dynamic import of 'normlab' loads). */
  engineUrl: z.string().min(1),
});
export type HarnessConfig = z.infer<typeof HarnessConfig>;

export const HookContext = z.object({
  call: int,
  hook: z.string(),
  epoch: int,
  batch: int.optional(),
  /** Index of the learner's callback in the callbacks list. */
  callback: int,
  /** The true `acc` in the logs this hook call was given (the batch's own accuracy in batch hooks). */
  acc: measured.optional(),
  /** Batch hooks: the epoch's accuracy over its batches so far. */
  runningAcc: measured.optional(),
  /** Set when the callback is one the engine provides (e.g. 'earlyStopping'), not the learner's own code. */
  builtin: z.string().optional(),
});
export type HookContext = z.infer<typeof HookContext>;

/** An error as the harness saw it (plain data). */
export const ErrorInfo = z.object({
  name: z.string(),
  message: z.string(),
  code: z.string().optional(),
  /** A NormlabError's suggested fix. */
  hint: z.string().optional(),
  /** ERR_ACCESS_DENIED details from Node's permission model. */
  permission: z.string().optional(),
  resource: z.string().optional(),
  /** Stack lines that point into the submission (source-mapped when possible). */
  frames: z.array(z.string()),
  /** Where the error was thrown: 'import' (loading the module), 'call' (trainMnist), 'callback', 'harness'. */
  phase: z.string(),
  /** The callback hook that was running, if any. */
  hook: HookContext.optional(),
});
export type ErrorInfo = z.infer<typeof ErrorInfo>;

export const KeyRead = z.object({
  key: z.string(),
  exists: z.boolean(),
  value: z.union([z.number(), z.string(), z.null()]).optional(),
});
export type KeyRead = z.infer<typeof KeyRead>;

export const CallbackInfo = z.object({
  /** 'Callback subclass' | 'object' | 'function' | 'class' | other typeof. */
  kind: z.string(),
  className: z.string().optional(),
  hooks: z.array(z.string()),
  /** Methods that look like misspelled hooks, e.g. on_epoch_end → onEpochEnd. */
  misnamed: z.array(z.object({ name: z.string(), suggestion: z.string() })),
  /** An engine-provided callback, as the learner made it, e.g. "tf.callbacks.earlyStopping({monitor: 'acc', patience: 0})". */
  builtin: z.string().optional(),
});
export type CallbackInfo = z.infer<typeof CallbackInfo>;

export const TensorInfo = z.object({
  /** 'same-tensor' | 'same-buffer' | 'equal-copy' | 'different' | 'not-a-tensor' */
  relation: z.string(),
  shape: z.array(int).optional(),
  dtype: z.string().optional(),
  transform: z.object({ a: measured, b: measured }).optional(),
  detail: z.string().optional(),
});
export type TensorInfo = z.infer<typeof TensorInfo>;

export const ModelInfo = z.object({
  id: int,
  backend: z.string(),
  dtype: z.string(),
  layers: z.array(z.string()),
  params: int,
  optimizer: z.string().optional(),
  learningRate: measured.optional(),
  loss: z.string().optional(),
  metrics: z.array(z.string()),
});
export type ModelInfo = z.infer<typeof ModelInfo>;

export const WeightsDump = z.object({
  config: z.unknown(),
  dtype: z.string(),
  /** base64 of each weight tensor as little-endian float64. */
  weights: z.array(z.string()),
});
export type WeightsDump = z.infer<typeof WeightsDump>;

const seconds = measured;
const ctxOrNull = HookContext.nullable();

/**
 * Every event the harness sends. The parent checks each authenticated line against this schema too: the
 * harness shares its process with the submission, so a line with a valid signature may still have been
 * shaped by hostile code, and a malformed one must not reach (and crash) the code that reads the facts.
 */
export const HarnessEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('hello'), node: z.string(), backend: z.string(), backends: z.array(z.string()), isolation: z.array(z.string()) }),
  z.object({ type: z.literal('loaded'), exports: z.array(z.string()), ms: seconds }),
  z.object({ type: z.literal('call-begin') }),
  z.object({ type: z.literal('compile'), model: int, optimizer: z.string().optional(), loss: z.string().optional(), metrics: z.array(z.string()) }),
  z.object({
    type: z.literal('fit-begin'),
    call: int,
    epochs: z.string(),
    epochsValue: z.number().nullable(),
    argKeys: z.array(z.string()),
    unknownArgs: z.array(z.object({ name: z.string(), suggestion: z.string().optional() })),
    batchSize: z.number().nullable(),
    callbacks: z.array(CallbackInfo),
    callbacksArg: z.string(),
    x: TensorInfo,
    y: TensorInfo,
    model: ModelInfo,
  }),
  z.object({ type: z.literal('hook-enter'), ctx: HookContext }),
  z.object({
    type: z.literal('hook-exit'),
    ctx: HookContext,
    reads: z.array(KeyRead),
    ms: seconds,
    threw: z.boolean().optional(),
    ownStop: z.array(z.string()).optional(),
  }),
  z.object({
    type: z.literal('batch-summary'),
    call: int,
    epoch: int,
    callback: int,
    hook: z.string(),
    calls: int,
    reads: z.array(KeyRead),
    ms: seconds,
  }),
  z.object({ type: z.literal('epoch-end'), call: int, epoch: int, logs: z.record(z.string(), measured), seconds }),
  z.object({
    type: z.literal('stop-write'),
    call: z.number().nullable(),
    value: z.string(),
    ctx: ctxOrNull,
    truthy: z.boolean(),
    onStack: z.boolean().optional(),
  }),
  z.object({ type: z.literal('unknown-property'), name: z.string(), suggestion: z.string().optional(), ctx: ctxOrNull, model: int }),
  z.object({
    type: z.literal('print'),
    stream: z.string(),
    text: z.string(),
    match: z.enum(['exact', 'near']),
    ctx: ctxOrNull,
    onStack: z.boolean().optional(),
  }),
  z.object({ type: z.literal('violation'), permission: z.string(), resource: z.string(), via: z.string(), frames: z.array(z.string()), ctx: ctxOrNull }),
  z.object({
    type: z.literal('fit-end'),
    call: int,
    epochsTrained: int,
    stoppedEarly: z.boolean(),
    error: ErrorInfo.optional(),
    seconds,
    weights: WeightsDump.optional(),
    dataChanged: z.boolean(),
  }),
  z.object({ type: z.literal('network'), target: z.string() }),
  z.object({ type: z.literal('output-limit'), bytes: int, ctx: ctxOrNull }),
  z.object({ type: z.literal('process-exit-call'), code: z.string(), frames: z.array(z.string()) }),
  z.object({ type: z.literal('error'), error: ErrorInfo }),
  z.object({ type: z.literal('result'), returned: z.string(), historyOf: int.nullable(), seconds, dataChanged: z.boolean() }),
  z.object({ type: z.literal('exit'), code: int }),
]);
export type HarnessEvent = z.infer<typeof HarnessEvent>;

/** The configuration as the harness reads it from fd 3: one line of text saying what is wrong, never a cast. */
export function parseHarnessConfig(json: string): HarnessConfig {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new Error(`the grader's configuration is not JSON: ${(error as Error).message}`, { cause: error });
  }
  const parsed = HarnessConfig.safeParse(value);
  if (!parsed.success) throw new Error(`the grader's configuration is malformed: ${describeIssues(parsed.error, value).join('; ')}`);
  return parsed.data;
}

export function macOf(key: Buffer | string, seq: number, json: string): string {
  return createHmac('sha256', key).update(`${seq} ${json}`).digest('hex');
}

/** One authenticated line (without the newline). */
export function signLine(key: Buffer | string, seq: number, json: string): string {
  return `${seq} ${macOf(key, seq, json)} ${json}`;
}

/**
 * Reads the event stream: feed it chunks; it checks each line's sequence number and MAC. Anything that
 * does not verify is inted as forged (the submission wrote to the channel).
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
    let value: unknown;
    try {
      value = JSON.parse(json);
    } catch {
      this.forged++;
      if (!this.forgedSample) this.forgedSample = `a signed line that is not JSON: ${json.slice(0, 160)}`;
      return;
    }
    const parsed = HarnessEvent.safeParse(value);
    if (!parsed.success) {
      this.forged++;
      if (!this.forgedSample) this.forgedSample = `a signed event of the wrong shape: ${describeIssues(parsed.error, value).join('; ').slice(0, 300)}`;
      return;
    }
    const event = parsed.data;
    this.events.push(event);
    this.onEvent(event);
  }
}
