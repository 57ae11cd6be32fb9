/** model.summary() in tfjs' layout: name (type), output shape, parameter count, then totals. */
import type { Shape } from '../layers/layer.js';

export interface SummaryRow {
  name: string;
  className: string;
  outputShape: Shape;
  params: number;
  /** Of those, how many no optimizer updates. */
  nonTrainable?: number;
}

export function formatSummary(rows: SummaryRow[], lineLength = 65, positions = [0.45, 0.85, 1]): string[] {
  const stops = positions.map((p) => (p <= 1 ? Math.floor(lineLength * p) : p));
  const line = (cells: string[]) => {
    let out = '';
    cells.forEach((cell, i) => {
      out += cell;
      out = out.slice(0, stops[i] - 1).padEnd(stops[i]);
    });
    return out;
  };
  const total = rows.reduce((s, r) => s + r.params, 0);
  const out = ['_'.repeat(lineLength), line(['Layer (type)', 'Output shape', 'Param #']), '='.repeat(lineLength)];
  rows.forEach((r, i) => {
    out.push(line([`${r.name} (${r.className})`, `[${r.outputShape.map((d) => (d === null ? 'null' : d)).join(',')}]`, String(r.params)]));
    out.push(i === rows.length - 1 ? '='.repeat(lineLength) : '_'.repeat(lineLength));
  });
  const nonTrainable = rows.reduce((s, r) => s + (r.nonTrainable ?? 0), 0);
  out.push(`Total params: ${total}`, `Trainable params: ${total - nonTrainable}`, `Non-trainable params: ${nonTrainable}`, '_'.repeat(lineLength));
  return out;
}
