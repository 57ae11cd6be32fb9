/**
 * A study run's identity as a typed value. A run is named by what makes it differ from the others —
 * activation, input transform, optimizer and its learning rate, dtype, an ablation tag, the data tier —
 * and why.json, the terminal, the charts and the findings all refer to runs by the key string this module
 * writes, e.g. 'relu·none·adam·f32', 'relu·none·adam@0.0001·f32·sub', 'relu·none·sgd·f32·clipped·sub'.
 * The key string stays the serialized form (why.json files written before keep their meaning); nothing
 * else builds or splits it: build keys with formatRunKey, read them with parseRunKey.
 *
 * The seed is not part of the key: runs with the same key are repeats across seeds, told apart by the
 * run's instance id (formatRunInstanceId: key·s<seed>).
 */
import { z } from 'zod';
import { NormlabError } from '../../errors.js';
import { TRANSFORM_NAMES } from '../../data/transforms.js';
import { describeIssues } from '../../util/zod-issues.js';

export const STUDY_ACTIVATIONS = ['relu', 'sigmoid'] as const;
export const STUDY_OPTIMIZERS = ['adam', 'sgd'] as const;
export const STUDY_TIERS = ['full', 'subset'] as const;
/**
 * Ablation / loss-form tags of a run on raw inputs: init255 and step255 (one half of the
 * reparametrisation each), reparam (both halves), clipnorm, rescaling, batchnorm (engine interventions),
 * clipped (the loss from clipped probabilities, as TensorFlow.js layers computes it).
 */
export const RUN_TAGS = ['init255', 'step255', 'reparam', 'clipnorm', 'rescaling', 'batchnorm', 'clipped'] as const;

/** Keras' default learning rate of each optimizer; the key leaves it out (adam, not adam@0.001). */
export const DEFAULT_LR: Record<(typeof STUDY_OPTIMIZERS)[number], number> = { adam: 0.001, sgd: 0.01 };

export const RunId = z
  .object({
    activation: z.enum(STUDY_ACTIVATIONS),
    transform: z.enum(TRANSFORM_NAMES),
    optimizer: z.enum(STUDY_OPTIMIZERS),
    /** Default: DEFAULT_LR of the optimizer. */
    learningRate: z.number().positive().finite().optional(),
    /** Default: float32. */
    dtype: z.enum(['float32', 'float64']).optional(),
    tag: z.enum(RUN_TAGS).optional(),
    /** Default: full (the whole training set); subset runs carry '·sub'. */
    tier: z.enum(STUDY_TIERS).optional(),
  })
  .strict();
/** What identifies a run; omitted fields take their defaults (lr of the optimizer, float32, no tag, full tier). */
export type RunId = z.infer<typeof RunId>;
/** A RunId with every default filled in, as parseRunKey returns it. */
export type ResolvedRunId = Required<Omit<RunId, 'tag'>> & Pick<RunId, 'tag'>;

const SEPARATOR = '·';
const KEY_SHAPE = 'activation·transform·optimizer[@lr]·f32|f64[·tag][·sub], e.g. relu·none·adam·f32 or relu·none·sgd@0.001·f32·sub';

/** The learning rate as a key writes it: three significant digits, no trailing zeros (3e-4 → 0.0003). */
function formatLearningRate(lr: number): string {
  return Number(lr.toPrecision(3)).toString();
}

/** Fill in the defaults. */
export function resolveRunId(id: RunId): ResolvedRunId {
  return {
    activation: id.activation,
    transform: id.transform,
    optimizer: id.optimizer,
    learningRate: id.learningRate ?? DEFAULT_LR[id.optimizer],
    dtype: id.dtype ?? 'float32',
    ...(id.tag ? { tag: id.tag } : {}),
    tier: id.tier ?? 'full',
  };
}

/** The one way to write a run key: activation·transform·optimizer[@lr]·dtype[·tag][·sub]. */
export function formatRunKey(id: RunId): string {
  const r = resolveRunId(id);
  return [
    r.activation,
    r.transform,
    r.learningRate === DEFAULT_LR[r.optimizer] ? r.optimizer : `${r.optimizer}@${formatLearningRate(r.learningRate)}`,
    r.dtype === 'float32' ? 'f32' : 'f64',
    ...(r.tag ? [r.tag] : []),
    ...(r.tier === 'subset' ? ['sub'] : []),
  ].join(SEPARATOR);
}

function badKey(key: string, why: string): NormlabError {
  const shown = key.length > 80 ? `${key.slice(0, 80)}…` : key;
  return new NormlabError('run-key', `'${shown}' is not a study run key: ${why}`, `write run keys as ${KEY_SHAPE}`);
}

/**
 * The one way to read a run key. Throws a NormlabError (code 'run-key') that names the part that is wrong
 * — never a raw ZodError or TypeError — for anything formatRunKey would not have written, including a
 * learning rate spelled differently (adam@1e-3 for adam) so that one run never has two keys.
 */
export function parseRunKey(key: string): ResolvedRunId {
  if (typeof key !== 'string') throw badKey(String(key), `expected text, got ${typeof key}`);
  const parts = key.split(SEPARATOR);
  if (parts.length < 4) throw badKey(key, `expected at least 4 parts separated by '${SEPARATOR}', got ${parts.length}`);
  const [activation, transform, optimizerPart, dtypePart, ...rest] = parts;
  const at = optimizerPart.indexOf('@');
  const optimizer = at < 0 ? optimizerPart : optimizerPart.slice(0, at);
  const lrText = at < 0 ? undefined : optimizerPart.slice(at + 1);
  const learningRate = lrText === undefined ? undefined : /^[0-9.e+-]+$/i.test(lrText) ? Number(lrText) : NaN;
  if (learningRate !== undefined && !(Number.isFinite(learningRate) && learningRate > 0))
    throw badKey(key, `the learning rate after '@' is '${lrText}', expected a positive number such as 0.0001`);
  if (dtypePart !== 'f32' && dtypePart !== 'f64') throw badKey(key, `the dtype part is '${dtypePart}', expected f32 or f64`);
  let tier: 'full' | 'subset' = 'full';
  if (rest[rest.length - 1] === 'sub') {
    tier = 'subset';
    rest.pop();
  }
  if (rest.length > 1) throw badKey(key, `expected at most one tag after the dtype, got ${rest.join(SEPARATOR)}`);
  const candidate = {
    activation,
    transform,
    optimizer,
    ...(learningRate === undefined ? {} : { learningRate }),
    dtype: dtypePart === 'f32' ? 'float32' : 'float64',
    ...(rest.length ? { tag: rest[0] } : {}),
    tier,
  };
  const parsed = RunId.safeParse(candidate);
  if (!parsed.success) throw badKey(key, describeIssues(parsed.error, candidate).join('; '));
  const id = resolveRunId(parsed.data);
  const canonical = formatRunKey(id);
  if (canonical !== key) throw badKey(key, `the same run's key is written ${canonical}`);
  return id;
}

/** Whether two ids name the same run (defaults filled in). */
export function sameRun(a: RunId, b: RunId): boolean {
  return formatRunKey(a) === formatRunKey(b);
}

/** The id of one run of a key: the key and the seed, e.g. 'relu·none·sgd·f32·s1'. */
export function formatRunInstanceId(key: string, seed: number): string {
  return `${key}${SEPARATOR}s${seed}`;
}
