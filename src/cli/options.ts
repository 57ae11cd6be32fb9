/**
 * Flag parsers for commander: each turns a string into a checked value or throws InvalidArgumentError
 * with a one-line reason, which commander prints as "error: option '--epochs <n>' argument 'x' is
 * invalid. <reason>".
 */
import { InvalidArgumentError } from 'commander';
import type { z } from 'zod';
import { NormlabError } from '../errors.js';
import { describeIssues } from '../lab/settings.js';
import { closestName } from '../util/suggest.js';

export function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError(`expected a whole number between ${min} and ${max}.`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`expected a whole number between ${min} and ${max}.`);
    return n;
  };
}

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number, e.g. 0.001 or 1e-3.');
  return n;
}

/** A fraction from `min` to `max` (inclusive), e.g. --validation-split 0.1. */
export function fraction(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max)
      throw new InvalidArgumentError(`expected a fraction from ${min} to ${max}, e.g. 0.1.`);
    return n;
  };
}

export function oneOf<T extends string>(choices: readonly T[]) {
  return (value: string): T => {
    if (!(choices as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of: ${choices.join(', ')}.`);
    return value as T;
  };
}

/**
 * --backend: a registered backend, or 'wasm'/'reference' (wasm falls back to reference with a note where
 * it is not built). Checked when the flags are parsed, before any data is loaded.
 */
export function backendChoice(registered: readonly string[]) {
  return oneOf([...new Set([...registered, 'wasm', 'reference'])]);
}

/** Comma-separated list of at most `maxItems` values parsed by `item`, e.g. --units 512,256. */
export function listOf<T>(item: (v: string) => T, what: string, maxItems = Infinity) {
  return (value: string): T[] => {
    const parts = value.split(',').map((p) => p.trim());
    if (parts.some((p) => p === '')) throw new InvalidArgumentError(`expected a comma-separated list of ${what}, e.g. 128 or 512,256.`);
    if (parts.length > maxItems) throw new InvalidArgumentError(`expected at most ${maxItems} ${what}, got ${parts.length}.`);
    return parts.map((p) => {
      try {
        return item(p);
      } catch (e) {
        throw new InvalidArgumentError(`'${p}' in the list: ${(e as Error).message}`);
      }
    });
  };
}

/** --dataset fashion-mnist | mnist | idx:DIR */
export function datasetSpec(value: string): string {
  if (value === 'fashion-mnist' || value === 'mnist') return value;
  if (value.startsWith('idx:') && value.length > 4) return value;
  const suggestion = closestName(value, ['fashion-mnist', 'mnist']);
  throw new InvalidArgumentError(
    `expected fashion-mnist, mnist, or idx:DIR for a directory of IDX files${suggestion ? ` (did you mean ${suggestion}?)` : ''}.`,
  );
}

/**
 * Checks parsed flags against a job's schema (src/lab/settings.ts and friends), so the CLI can never accept
 * a value the job then rejects: each problem becomes a flag error naming the flag, e.g.
 * "--validation-split: expected at most 0.9, got 0.95".
 */
export function parseFlags<S extends z.ZodType>(schema: S, values: unknown, flagOf: Record<string, string>, command: string): z.infer<S> {
  const r = schema.safeParse(values);
  if (r.success) return r.data;
  const lines = describeIssues(r.error, values, (path) => flagOf[String(path[0])] ?? String(path[0]));
  throw new NormlabError('flag', lines.join('; '), `normlab ${command} --help lists every flag and its range`);
}
