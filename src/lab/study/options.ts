/**
 * The options of the normalization study (`normlab why`, the browser's Why? view, bench/why.ts) as one
 * zod schema with one set of limits. The CLI's flags are checked against STUDY_LIMITS, and
 * resolveStudyOptions parses whatever it is given with StudyOptions, so a value one caller accepts, all
 * accept; a bad value is one NormlabError naming the option, never a ZodError or a run that fails later.
 */
import { z } from 'zod';
import { NormlabError } from '../../errors.js';
import { describeIssues } from '../../util/zod-issues.js';
import { TRAIN_LIMITS } from '../settings.js';

/** The limits of the study's options, with the reason for each. */
export const STUDY_LIMITS = {
  /** Epochs of every run: the study has ~200 runs, so 100 epochs each is already days of computing. */
  epochs: { min: 1, max: 100 },
  /** 20 seeds make the 95% intervals narrow; beyond that the study's ~200 runs grow without teaching more. */
  seeds: { min: 1, max: 20 },
  /** Each seed is a uint32, as for training. */
  seed: TRAIN_LIMITS.seed,
  batchSize: TRAIN_LIMITS.batchSize,
  /** Worker threads: more than 64 would only wait on each other's memory. */
  workers: { min: 1, max: 64 },
  /** Learning rates of one sweep: every rate is a group of runs per seed. */
  sweepRates: { max: 20 },
  /** The float64 reparametrisation pair's step cap. */
  reparamMaxSteps: { min: 1, max: 10_000_000 },
  /** Images of a slice (train, test, subset, probe rows): the largest dataset here has 60,000 training images. */
  images: { min: 1, max: 1_000_000 },
} as const;

const L = STUDY_LIMITS;
const whole = (r: { min: number; max: number }) => z.number().int().min(r.min).max(r.max);
const rates = z.array(z.number().positive().finite()).max(L.sweepRates.max);

export const StudyOptions = z
  .object({
    dataset: z.string().min(1).optional(),
    dataDir: z.string().optional(),
    /** Download the dataset if it is missing (default true). */
    download: z.boolean().optional(),
    epochs: whole(L.epochs).optional(),
    /** Number of seeds (1, 2, … N) or an explicit list. Default 5: every quoted comparison is across seeds. */
    seeds: z.union([whole(L.seeds), z.array(whole(L.seed)).min(L.seeds.min).max(L.seeds.max)]).optional(),
    /** Restrict to these groups and/or run keys (substring match on keys). */
    runs: z.array(z.string().max(200)).max(100).optional(),
    quick: z.boolean().optional(),
    /** A lighter option set sized for a browser tab (fewer, shorter runs; still 5 seeds). */
    profile: z.enum(['cli', 'browser']).optional(),
    backend: z.string().min(1).optional(),
    batchSize: whole(L.batchSize).optional(),
    /** Train/test images of the headline tier (main, reparam); default: all. */
    trainLimit: whole(L.images).optional(),
    testLimit: whole(L.images).optional(),
    /** Training images of the subset tier (every other group's seed repeats). */
    subsetTrainLimit: whole(L.images).optional(),
    probeRows: whole(L.images).optional(),
    probeTestRows: whole(L.images).optional(),
    /** Optimizer steps at which to probe (0 = initialisation). */
    probeSteps: z.array(z.number().int().nonnegative()).max(1000).optional(),
    sweepLearningRates: rates.optional(),
    sgdSweepLearningRates: rates.optional(),
    reparamMaxSteps: whole(L.reparamMaxSteps).optional(),
    /** Second-order measurements: curvature (λ_max), the loss plane, the input spectrum (default on). */
    curvature: z.boolean().optional(),
    workers: whole(L.workers).optional(),
  })
  .strict();
export type StudyOptions = z.infer<typeof StudyOptions>;

/**
 * The options checked against the schema: one NormlabError (code 'study-options') listing every bad one;
 * `nameOf` names an option as the caller's user knows it (the CLI: its flag).
 */
export function parseStudyOptions(input: unknown, nameOf?: (path: PropertyKey[]) => string): StudyOptions {
  const parsed = StudyOptions.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  throw new NormlabError(
    'study-options',
    `invalid study options: ${describeIssues(parsed.error, input, nameOf).join('; ')}`,
    `see normlab why --help: e.g. epochs ${L.epochs.min}–${L.epochs.max}, seeds ${L.seeds.min}–${L.seeds.max}, workers ${L.workers.min}–${L.workers.max}`,
  );
}
