/** Words for a quantity measured across seeds (a Stat): mean with its 95% interval. */
import type { Stat } from '../lab/study/types.js';

/** '82.1% (95% CI 81.3–82.9%, 5 seeds)' — or the single value marked as one seed. */
export function ciText(s: Stat, fmt: (v: number) => string): string {
  if (s.n === 0) return 'not measured';
  if (s.n === 1) return `${fmt(s.mean)} (1 seed)`;
  return `${fmt(s.mean)} (95% CI ${fmt(s.lo)} to ${fmt(s.hi)}, ${s.n} seeds)`;
}

/** Whether two across-seed quantities differ beyond their 95% intervals. */
export function apart(a: Stat, b: Stat): boolean {
  return a.hi < b.lo || b.hi < a.lo;
}
