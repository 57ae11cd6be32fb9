/**
 * A grade as it is stored in Redis. Plain JSON would turn a diverged run's NaN or Infinity loss into null,
 * and the queued grade would then differ from the local one; non-finite numbers are written as a one-key
 * object instead. Nothing a submission controls can produce such an object: everything it influences
 * (output, messages, names) is a string.
 */
import type { SubmissionResult } from '../types.js';

const KEY = '\u0000nonfinite';

export function encodeResult(r: SubmissionResult): string {
  return JSON.stringify(r, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? { [KEY]: String(v) } : v));
}

export function decodeResult(text: string): SubmissionResult {
  return JSON.parse(text, (_k, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const keys = Object.keys(v);
      if (keys.length === 1 && keys[0] === KEY) return Number((v as Record<string, string>)[KEY]);
    }
    return v;
  }) as SubmissionResult;
}
