/**
 * The 2-D loss picture as inline SVG: log₁₀ loss on the plane of the top two Hessian eigenvectors
 * (a coloured grid), with the first SGD steps drawn on it. Built as a string (no DOM), so the terminal
 * build, why.html and the browser can all use it.
 */
import type { LossPlaneResult } from '../lab/study/types.js';

/** A perceptually ordered ramp (viridis, 5 stops), interpolated. */
const STOPS = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

function colour(t: number): string {
  const u = Math.max(0, Math.min(1, t)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(u));
  const f = u - i;
  const c = STOPS[i].map((v, k) => Math.round(v + f * (STOPS[i + 1][k] - v)));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

const fmt = (v: number) => (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-2 && v !== 0) ? v.toExponential(1) : Number(v.toPrecision(3)).toString());

export function lossPlaneSvg(plane: LossPlaneResult, label: string, size = 360): string {
  const n = plane.alphas.length;
  const pad = 34;
  const cell = (size - 2 * pad) / n;
  const logs = plane.losses.flat().map((v) => Math.log10(Math.max(v, 1e-12)));
  const lo = Math.min(...logs.filter(Number.isFinite));
  const hi = Math.max(...logs.filter(Number.isFinite));
  const range = plane.alphas[n - 1];
  const toX = (a: number) => pad + ((a + range) / (2 * range)) * (size - 2 * pad);
  const toY = (b: number) => size - pad - ((b + range) / (2 * range)) * (size - 2 * pad);
  const rects = plane.losses
    .map((row, j) =>
      row
        .map((v, i) => {
          const t = hi > lo ? (Math.log10(Math.max(v, 1e-12)) - lo) / (hi - lo) : 0.5;
          return `<rect x="${(pad + i * cell).toFixed(1)}" y="${(size - pad - (j + 1) * cell).toFixed(1)}" width="${(cell + 0.5).toFixed(1)}" height="${(cell + 0.5).toFixed(1)}" fill="${colour(t)}"><title>loss ${fmt(v)}</title></rect>`;
        })
        .join(''),
    )
    .join('');
  const inside = plane.path.filter((p) => Math.abs(p.a) <= range && Math.abs(p.b) <= range);
  const line = inside.map((p) => `${toX(p.a).toFixed(1)},${toY(p.b).toFixed(1)}`).join(' ');
  const dots = inside
    .map(
      (p) =>
        `<circle cx="${toX(p.a).toFixed(1)}" cy="${toY(p.b).toFixed(1)}" r="3" fill="#fff" stroke="#d62728" stroke-width="1.5"><title>step ${p.step}: loss ${fmt(p.loss)}</title></circle>`,
    )
    .join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 ${size} ${size}" role="img" aria-label="loss plane, ${label}" data-plane="${label}">` +
    rects +
    `<polyline points="${line}" fill="none" stroke="#d62728" stroke-width="2"/>${dots}` +
    `<text x="${size / 2}" y="${size - 8}" font-size="11" text-anchor="middle">top eigenvector 1 (±${fmt(range)})</text>` +
    `<text x="12" y="${size / 2}" font-size="11" text-anchor="middle" transform="rotate(-90 12 ${size / 2})">eigenvector 2</text>` +
    `<text x="${pad}" y="${pad - 8}" font-size="11">log₁₀ loss ${fmt(lo)} (dark) … ${fmt(hi)} (light)</text>` +
    `</svg>`
  );
}
