/**
 * "Did you mean …?" for misspelled names (`stopTraning`, `stop_training`, `logs.accuracy`).
 * Damerau–Levenshtein (adjacent transpositions count as one edit) on names compared case-insensitively
 * with underscores removed, so Python's snake_case spelling maps onto the camelCase one.
 */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 0; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

const normalise = (s: string) => s.replace(/_/g, '').toLowerCase();

/** The candidate closest to `name`, if it is close enough to be a plausible typo (≤ 1/3 of its length). */
export function closestName(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const distance = editDistance(normalise(name), normalise(c));
    if (distance < bestDistance) {
      best = c;
      bestDistance = distance;
    }
  }
  if (best === undefined) return undefined;
  return bestDistance <= Math.max(1, Math.floor(name.length / 3)) ? best : undefined;
}
