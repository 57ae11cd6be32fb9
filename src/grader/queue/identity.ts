/**
 * What a queued grading job is, and how two of them are recognised as the same:
 *
 *   assignment version   the normlab release plus a hash of the assignment's constants. Each version has
 *                        its own BullMQ queue, so a worker only ever sees jobs for versions it has: a worker
 *                        of another release listens on another queue and refuses the rest by construction
 *                        (no take-and-put-back churn, no job graded by the wrong grader).
 *   grade settings       split, limits, backend, seed, type checking: the same knobs as `normlab grade`,
 *                        carried by each job so a queued grade equals a local grade with the same flags.
 *   submission id        SHA-256 of (version, settings, file bytes). It is the BullMQ job id, so a second
 *                        POST of the same bytes finds the job the first one made (graded once).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { TRAIN_LIMITS } from '../../lab/settings.js';
import { getAssignment, type Assignment } from '../assignment.js';
import type { GradeOptions } from '../grade.js';
import { packageRoot } from '../runtime.js';

/**
 * The normlab release this process grades with: package.json's version. NORMLAB_GRADER_VERSION overrides it
 * so that a staged release (or a test) can run workers that count as another version next to this one.
 */
export function normlabVersion(): string {
  const override = process.env.NORMLAB_GRADER_VERSION?.trim();
  if (override) return override;
  const pkg = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version?: string };
  return pkg.version ?? '0.0.0';
}

/** e.g. 'callbacks@0.1.0+3f2a9c1d': the release and the assignment's graded constants. */
export function assignmentVersion(assignment: Assignment, version = normlabVersion()): string {
  const { id, entry, epochs, stopBy, threshold, message } = assignment;
  const constants = createHash('sha256').update(JSON.stringify({ id, entry, epochs, stopBy, threshold, message })).digest('hex').slice(0, 8);
  return `${id}@${version}+${constants}`;
}

/** The BullMQ queue of one assignment version (BullMQ reserves ':' in queue names). */
export function queueName(assignmentVersion: string): string {
  return `normlab-grade-${assignmentVersion.replace(/[^\w.@+-]/g, '_')}`;
}

/** Tries a submission may lose (its worker died, or the grader failed on it) before it ends as grader-error. */
export const DEFAULT_ATTEMPTS = 3;

/**
 * The limits of the grading knobs, with the reason for each: the one set the `normlab grade` flags (local,
 * --redis, `grade serve`, `assignment package`) and every queued job are checked against.
 */
export const GRADE_LIMITS = {
  /** An hour of wall-clock time is far beyond any assignment here (the reference solution takes seconds). */
  timeoutS: { min: 1, max: 3600, default: 120 },
  /** Below 128 MiB Node itself cannot start the harness; 64 GiB is more than a grading machine should give one run. */
  memoryMB: { min: 128, max: 65536, default: 1024 },
  /** The seed is a uint32 (engine/random.ts), as for training. */
  seed: { ...TRAIN_LIMITS.seed, default: 1 },
} as const;
const G = GRADE_LIMITS;

/** The grading knobs a job carries (the `normlab grade` flags that change a grade). */
export const GradeSettingsSchema = z
  .object({
    split: z.enum(['train', 'test']).default('train'),
    timeoutS: z.number().int().min(G.timeoutS.min).max(G.timeoutS.max).default(G.timeoutS.default),
    memoryMB: z.number().int().min(G.memoryMB.min).max(G.memoryMB.max).default(G.memoryMB.default),
    backend: z.string().min(1).max(40).optional(),
    seed: z.number().int().min(G.seed.min).max(G.seed.max).default(G.seed.default),
    typeCheck: z.boolean().default(true),
    /** What a refused attempt costs (grade.ts: zero or flag). */
    onViolation: z.enum(['zero', 'flag']).default('zero'),
  })
  .strict();
export type GradeSettings = z.infer<typeof GradeSettingsSchema>;

export const DEFAULT_SETTINGS: GradeSettings = GradeSettingsSchema.parse({});

/** The Grader options for a job's settings (the data folder is the worker's own). */
export function graderOptions(assignment: string, settings: GradeSettings, dataDir: string | undefined, tmpRoot?: string): GradeOptions {
  return {
    assignment,
    dataDir,
    split: settings.split,
    limits: { timeoutS: settings.timeoutS, memoryMB: settings.memoryMB },
    backend: settings.backend,
    seed: settings.seed,
    typeCheck: settings.typeCheck,
    onViolation: settings.onViolation,
    tmpRoot,
  };
}

/** Settings in a fixed key order, so equal settings hash equally. */
function canonical(settings: GradeSettings): string {
  const s = GradeSettingsSchema.parse(settings);
  return JSON.stringify([s.split, s.timeoutS, s.memoryMB, s.backend ?? null, s.seed, s.typeCheck, s.onViolation]);
}

export function submissionId(version: string, settings: GradeSettings, bytes: Uint8Array): string {
  return createHash('sha256').update(version).update('\0').update(canonical(settings)).update('\0').update(bytes).digest('hex');
}

/** A submission's file name as reports show it: a relative path of plain segments with a code extension. */
export const SubmissionNameSchema = z
  .string()
  .min(1)
  .max(200)
  .refine((n) => ![...n].some((c) => c.charCodeAt(0) < 32 || c === '\\'), 'must not contain control characters or backslashes')
  .refine(
    (n) => !n.startsWith('/') && n.split('/').every((s) => s !== '' && s !== '.' && s !== '..'),
    'must be a relative path without empty, . or .. segments',
  )
  .refine((n) => /\.(ts|mts|js|mjs)$/.test(n) && !n.endsWith('.d.ts'), 'must end in .ts, .mts, .js or .mjs');

/** What a job holds in Redis. */
export const JobDataSchema = z
  .object({
    /** Format of this record. */
    format: z.literal(1),
    assignment: z.string(),
    assignmentVersion: z.string(),
    name: SubmissionNameSchema,
    /** The file's bytes, base64. */
    source: z.string(),
    settings: GradeSettingsSchema,
    submittedAt: z.string(),
  })
  .strict();
export type JobData = z.infer<typeof JobDataSchema>;

export function makeJobData(assignmentId: string, name: string, bytes: Uint8Array, settings: GradeSettings): { id: string; data: JobData } {
  const a = getAssignment(assignmentId);
  const version = assignmentVersion(a);
  const data: JobData = {
    format: 1,
    assignment: a.id,
    assignmentVersion: version,
    name: SubmissionNameSchema.parse(name),
    source: Buffer.from(bytes).toString('base64'),
    settings: GradeSettingsSchema.parse(settings),
    submittedAt: new Date().toISOString(),
  };
  return { id: submissionId(version, data.settings, bytes), data };
}
