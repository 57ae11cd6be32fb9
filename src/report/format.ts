/** Number formatting shared by the terminal summary, the findings, the HTML page and the browser app. */

/** 0.8234 → '82.3%'. */
export function pct(x: number | null | undefined, digits = 1): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return 'n/a';
  return `${(x * 100).toFixed(digits)}%`;
}

/** Percentage points: 0.043 → '4.3 points'. */
export function points(x: number, digits = 1): string {
  if (!Number.isFinite(x)) return 'n/a';
  return `${(Math.abs(x) * 100).toFixed(digits)} point${Math.abs(x * 100).toFixed(digits) === '1.0' ? '' : 's'}`;
}

/** A number with about `sig` significant digits, in exponent form when very small or large. */
export function num(x: number | null | undefined, sig = 3): string {
  if (x === null || x === undefined) return 'n/a';
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e5 || a < 1e-3) return sci(x, sig);
  const s = Number(x.toPrecision(sig)).toString();
  return s.replace('-', '−');
}

/**
 * A value that updates live (the browser lab's run cards), with a fixed number of decimals so its width
 * stays put while it changes: 0.5 → '0.5000'; in exponent form (sci) when very small or large.
 */
export function fixed(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return num(x);
  const a = Math.abs(x);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return sci(x, 3);
  return x.toFixed(digits).replace('-', '−');
}

/** 1.234e-9 → '1.2×10⁻⁹'. */
export function sci(x: number, sig = 2): string {
  if (!Number.isFinite(x)) return num(x);
  if (x === 0) return '0';
  const [m, e] = x.toExponential(sig - 1).split('e');
  const sup: Record<string, string> = { '-': '⁻', '+': '', 0: '⁰', 1: '¹', 2: '²', 3: '³', 4: '⁴', 5: '⁵', 6: '⁶', 7: '⁷', 8: '⁸', 9: '⁹' };
  const exp = e
    .split('')
    .map((c) => sup[c] ?? c)
    .join('');
  return `${m.replace('-', '−')}×10${exp}`;
}

/** Ratio a/b as '255×' (or '1/255×' style when below 1). */
export function times(a: number, b: number, sig = 3): string {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return 'n/a';
  const r = a / b;
  return r >= 1 ? `${num(r, sig)}×` : `1/${num(1 / r, sig)}×`;
}

export function seconds(s: number): string {
  return s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}
