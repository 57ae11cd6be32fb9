/**
 * A grade as it is stored in Redis. Plain JSON would turn a diverged run's NaN or Infinity loss into null,
 * and the queued grade would then differ from the local one; non-finite numbers are written as a one-key
 * object instead. Nothing a submission controls can produce such an object: everything it influences
 * (output, messages, names) is a string.
 */
import { z } from 'zod';
import { describeIssues } from '../../util/zod-issues.js';
import type { SubmissionResult } from '../types.js';

const KEY = '\u0000nonfinite';

export function encodeResult(r: SubmissionResult): string {
  return JSON.stringify(r, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? { [KEY]: String(v) } : v));
}

/** Any number, NaN and ±Infinity included (decoded above; zod's z.number() refuses them). */
const num = z.custom<number>((v) => typeof v === 'number', { message: 'expected a number' });
const strings = z.array(z.string());

/**
 * What the readers of a stored grade use (the reports, grades.csv, results.json, the HTTP API). Loose: the
 * rest of the record is kept as stored. Redis is shared infrastructure; a damaged value must become a
 * clear grader-error, not a TypeError in the API or the CLI.
 */
const StoredResult = z.looseObject({
  submission: z.string(),
  file: z.string(),
  assignment: z.string(),
  status: z.string(),
  statusMessage: z.string(),
  score: num,
  maxScore: num,
  tests: z.array(z.looseObject({ id: z.string(), name: z.string(), score: num, maxScore: num, passed: z.boolean(), message: z.string() })),
  run: z.looseObject({}),
  notes: strings,
  integrity: z.looseObject({ policy: z.enum(['zero', 'flag']), violations: z.array(z.looseObject({})), summary: z.string() }),
  output: z.looseObject({ stdout: z.string(), stderr: z.string(), bytes: num }),
  sandbox: z.looseObject({ wallSeconds: num, isolation: strings }),
  seconds: num,
});

/** The stored text back into a grade; throws an Error whose message says what is damaged (one line). */
export function decodeResult(text: string): SubmissionResult {
  let value: unknown;
  try {
    value = JSON.parse(text, (_k, v: unknown) => {
      if (v && typeof v === 'object' && !Array.isArray(v)) {
        const keys = Object.keys(v);
        if (keys.length === 1 && keys[0] === KEY) return Number((v as Record<string, string>)[KEY]);
      }
      return v;
    });
  } catch (error) {
    throw new Error(`the stored grade is not JSON (${(error as Error).message})`, { cause: error });
  }
  const parsed = StoredResult.safeParse(value);
  if (!parsed.success) {
    const lines = describeIssues(parsed.error, value);
    throw new Error(`the stored grade is damaged: ${lines.slice(0, 3).join('; ')}${lines.length > 3 ? ` (and ${lines.length - 3} more)` : ''}`);
  }
  return parsed.data as unknown as SubmissionResult;
}
