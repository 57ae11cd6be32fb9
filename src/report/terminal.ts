/** The study's terminal summary: a table of runs (cli-table3), the reparametrisation check, the findings. */
import Table from 'cli-table3';
import type { StudyResult } from '../lab/study/types.js';
import type { Findings } from './findings.js';
import { seconds } from './format.js';
import { ablationTable, reparamTable, runsTable, type Table as Rows } from './tables.js';

function bold(text: string, color: boolean): string {
  return color ? `\u001b[1m${text}\u001b[22m` : `${text}:`;
}

/** Greedy word wrap to `width` columns, with `indent` before every line after the first. */
export function wrap(text: string, width = 100, indent = ''): string {
  const words = text.split(/\s+/);
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line && line.length + 1 + w.length > width) {
      lines.push(line);
      line = indent + w;
    } else {
      line = line ? `${line} ${w}` : w;
    }
  }
  if (line) lines.push(line);
  return lines.join('\n');
}

function render(rows: Rows, color: boolean): string {
  const t = new Table({ head: rows.head, style: { head: color ? ['cyan'] : [], border: color ? ['grey'] : [], compact: true } });
  for (const r of rows.rows) t.push(r);
  return t.toString();
}

export function studySummary(study: StudyResult, findings: Findings, options: { color?: boolean; width?: number } = {}): string {
  const color = options.color ?? false;
  const width = options.width ?? 100;
  const o = study.options;
  const out: string[] = [];
  const header =
    `normlab why — ${study.dataset.name}${study.dataset.verified ? ' (verified)' : ''}: ${study.dataset.trainCount} train / ${study.dataset.testCount} test images, ` +
    `${o.epochs} epoch(s), seed(s) ${o.seeds.join(',')}, ${study.runs.length} runs on ${[...new Set(study.runs.map((r) => r.backend))].join(', ')} in ${seconds(study.wallSeconds)}` +
    (o.quick ? ' [--quick: a small slice]' : '');
  out.push(wrap(header, width, '  '));
  out.push(
    wrap(
      `Measured on: main comparison and reparametrisation check on ${study.tiers.full} training images; every other comparison on the first ${study.tiers.subset} (seeds ${o.seeds.join(', ')}, intervals are 95% t-intervals over seeds).`,
      width,
      '  ',
    ),
  );
  out.push('');
  out.push(bold('The answer', color));
  for (const s of findings.answer) out.push(`  ${wrap(s, width - 2, '  ')}`);
  out.push('');
  if (findings.claims.length) {
    out.push(bold('Claims checked', color));
    for (const c of findings.claims) out.push(`  ${wrap(`${c.verdict.toUpperCase()} — ${c.claim} ${c.evidence}`, width - 2, '  ')}`);
    out.push('');
  }
  out.push(render(runsTable(study, { compact: true }), color));
  if (study.ablation.length) {
    out.push('');
    out.push(wrap(`Every fix, share of the raw → /255 gap recovered (paired by seed; ${study.tiers.subset} images):`, width, '  '));
    out.push(render(ablationTable(study), color));
  }
  if (o.seeds.length > 1) {
    out.push(
      wrap(
        `test acc: mean ± sample std over seeds ${o.seeds.join(', ')}; epoch-1 loss: mean over seeds; the diagnostic columns are seed ${o.seeds[0]}'s run.`,
        width,
        '  ',
      ),
    );
  }
  if (study.reparam.length) {
    out.push('');
    out.push(wrap('Reparametrisation check (raw inputs, kernel0 ÷ 255, rescaled first-layer step) vs the normalized run:', width, '  '));
    out.push(render(reparamTable(study), color));
  }
  out.push('');
  findings.list.forEach((f, i) => {
    out.push(wrap(`${i + 1}. ${f.title} [${f.verdict}]`, width, '   '));
    for (const s of f.sentences) out.push(`   ${wrap(s, width - 3, '   ')}`);
    out.push('');
  });
  out.push('In short:');
  for (const s of findings.closing) out.push(`  ${wrap(s, width - 2, '  ')}`);
  out.push('');
  out.push('Reply to the forum:');
  out.push(`  ${wrap(findings.reply, width - 2, '  ')}`);
  return out.join('\n');
}
