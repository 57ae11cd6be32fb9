/**
 * Flag parsers for commander: each turns a string into a checked value or throws InvalidArgumentError
 * with a one-line reason, which commander prints as "error: option '--epochs <n>' argument 'x' is
 * invalid. <reason>".
 */
import { InvalidArgumentError } from 'commander';
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

export function fraction(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n >= 1) throw new InvalidArgumentError('expected a fraction in [0, 1), e.g. 0.1.');
  return n;
}

export function oneOf<T extends string>(choices: readonly T[]) {
  return (value: string): T => {
    if (!(choices as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of: ${choices.join(', ')}.`);
    return value as T;
  };
}

/** Comma-separated list of values parsed by `item`, e.g. --units 512,256. */
export function listOf<T>(item: (v: string) => T, what: string) {
  return (value: string): T[] => {
    const parts = value.split(',').map((p) => p.trim());
    if (parts.some((p) => p === '')) throw new InvalidArgumentError(`expected a comma-separated list of ${what}, e.g. 128 or 512,256.`);
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
  throw new InvalidArgumentError(`expected fashion-mnist, mnist, or idx:DIR for a directory of IDX files${suggestion ? ` (did you mean ${suggestion}?)` : ''}.`);
}
