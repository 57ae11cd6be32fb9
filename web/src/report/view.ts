/**
 * The report view: opens a why.json (a file the learner picks or drops, or the last study that
 * `normlab serve` finds) and shows what why.html shows — the closing summary, the findings with their
 * verdicts, the tables and the charts — built by the same src/report code (findings, tables, and the
 * Chart.js configurations of src/report/charts.ts), so the two never disagree.
 */
import {
  type StudyResult,
  transformLabel,
  studyCharts,
  type ChartSection,
  type Findings,
  num,
  seconds,
  measuredGapTable,
  methodNotes,
  proposedTable,
  reparamTable,
  runsTable,
  softmaxThresholdTable,
  thresholdTable,
  type Table,
  parseWhyJson,
} from '../../../src/browser.js';
import { Chart, refreshCharts } from '../charts.js';
import { h, richText, setText } from '../dom.js';

const VERDICT_CLASS: Record<string, string> = { 'as expected': 'ok', 'contradicts the expected story': 'bad', mixed: 'mixed', 'not measured': 'na' };

function tableEl(t: Table): HTMLElement {
  return h(
    'div',
    { className: 'table-wrap' },
    h(
      'table',
      {},
      h('thead', {}, h('tr', {}, ...t.head.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, ...t.rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, ...richText(c)))))),
    ),
  );
}

export class ReportView {
  readonly root: HTMLElement;
  private readonly body: HTMLElement;
  private readonly status: HTMLElement;
  private charts: Chart[] = [];
  private triedLast = false;
  private loaded: { study: StudyResult; findings: Findings; source: string } | undefined;

  /** `study`: the why.json published with the site (site.json), if any. */
  constructor(
    private readonly study?: string,
    /** embedded: only the rendered study, inside another view (the Why? view), without the open controls. */
    private readonly options: { embedded?: boolean } = {},
  ) {
    const file = h('input', { type: 'file', id: 'report-file', accept: '.json,application/json' });
    file.addEventListener('change', () => {
      const f = file.files?.[0];
      if (f) void this.openFile(f);
    });
    this.status = h('p', { className: 'report-status', role: 'status', 'aria-live': 'polite' });
    this.body = h('div', { className: 'report-body' });
    const open = h(
      'div',
      { className: 'report-open' },
      h('label', { for: 'report-file' }, 'Open a why.json:'),
      file,
      study ? h('button', { type: 'button', id: 'report-last', onclick: () => void this.openLast(true) }, 'Load the published study') : null,
      h(
        'span',
        { className: 'badge' },
        'or drop the file here. Make one with ',
        h('code', {}, 'normlab why'),
        ', or run the study here in the ',
        h('a', { href: '?view=why' }, 'Why?'),
        ' view.',
      ),
    );
    open.addEventListener('dragover', (e) => {
      e.preventDefault();
      open.classList.add('dragging');
    });
    open.addEventListener('dragleave', () => open.classList.remove('dragging'));
    open.addEventListener('drop', (e) => {
      e.preventDefault();
      open.classList.remove('dragging');
      const f = e.dataTransfer?.files[0];
      if (f) void this.openFile(f);
    });
    if (options.embedded) {
      this.root = h('div', { className: 'report-embedded' }, this.status, this.body);
      return;
    }
    this.root = h(
      'section',
      { id: 'view-report', className: 'view', hidden: true, 'aria-labelledby': 'report-title' },
      h('h2', { id: 'report-title' }, 'Report: why does normalization change the results so much?'),
      h('p', { className: 'lede' }, 'The findings and charts of a ', h('code', {}, 'normlab why'), ' study — the same as its why.html.'),
      open,
      this.status,
      this.body,
    );
  }

  shown(): void {
    if (this.options.embedded) {
      refreshCharts(this.charts);
      return;
    }
    // Only a study the site says it has: asking for one that is not there would log a 404.
    if (!this.triedLast && this.study) {
      this.triedLast = true;
      void this.openLast(false);
    } else if (!this.loaded) setText(this.status, 'No study open yet: open a why.json, or run one in the Why? view.');
    refreshCharts(this.charts);
  }

  async openLast(explicit: boolean): Promise<void> {
    try {
      if (!this.study) {
        setText(this.status, 'This site has no published study: open a why.json, or run one in the Why? view.');
        return;
      }
      const response = await fetch(new URL(this.study, document.baseURI), { cache: 'no-cache' });
      if (!response.ok) {
        const reason = (await response.text()).trim();
        setText(this.status, explicit || !this.loaded ? `No last study: ${reason}` : (this.status.textContent ?? ''));
        return;
      }
      this.show(parseWhyJson(await response.text()), 'the published study (the last normlab why run)');
    } catch (error) {
      setText(this.status, `Could not load the last study: ${(error as Error).message}`);
    }
  }

  async openFile(file: File): Promise<void> {
    try {
      this.show(parseWhyJson(await file.text()), file.name);
    } catch (error) {
      setText(this.status, `Could not open ${file.name}: ${(error as Error).message}`);
    }
  }

  /** Render a study (also for tests and the console: `normlab.report.show(...)`). */
  show(data: { study: StudyResult; findings: Findings }, source: string): void {
    for (const c of this.charts) c.destroy();
    this.charts = [];
    this.loaded = { ...data, source };
    const { study, findings } = data;
    const o = study.options;
    const specs = studyCharts(study);
    const chartsOf = (section: ChartSection) => {
      const list = specs.filter((c) => c.section === section);
      if (!list.length) return null;
      return h(
        'div',
        { className: 'charts report-charts' },
        ...list.map((spec) => {
          const canvas = h('canvas', { role: 'img', 'aria-label': spec.title, 'data-chart': spec.id });
          const fig = h(
            'figure',
            { className: 'chart-card' },
            h('figcaption', { className: 'chart-title' }, h('b', {}, spec.title), h('br'), spec.caption),
            h('div', { className: spec.id === 'softmax-gaps' ? 'chart tall' : 'chart' }, canvas),
          );
          queueMicrotask(() => this.charts.push(new Chart(canvas, spec.config)));
          return fig;
        }),
      );
    };
    const backends = [...new Set(study.runs.map((r) => r.backend))].join(', ');
    setText(this.status, `Showing ${source}: ${study.runs.length} runs, created ${study.createdAt}.`);
    const parts: (Node | null)[] = [
      h(
        'p',
        { className: 'lede' },
        `${study.dataset.name}${study.dataset.verified ? ' (SHA-256 verified)' : ' (unverified)'}, ${study.dataset.trainCount} training / ${study.dataset.testCount} test images · ${o.epochs} epoch(s), batch ${o.batchSize}, seed${o.seeds.length > 1 ? 's' : ''} ${o.seeds.join(', ')} · ${study.runs.length} runs on ${backends} in ${seconds(study.wallSeconds)}${o.quick ? ' · --quick (a small slice: numbers are indicative only)' : ''}`,
      ),
      // what the data layer said about the data (e.g. MNIST from its test split alone), in its own words
      ...study.dataset.notes.map((note) => h('p', { className: 'dataset-note' }, `Data: ${note}.`)),
      h('h3', {}, 'The answer'),
      h('div', { className: 'closing answer' }, ...(findings.answer?.length ? findings.answer : findings.closing).map((s) => h('p', {}, ...richText(s)))),
      ...(findings.claims?.length
        ? [
            h('h3', {}, 'Claims checked'),
            h(
              'ul',
              { className: 'claims' },
              ...findings.claims.map((c) =>
                h(
                  'li',
                  { 'data-claim': c.id },
                  h('b', {}, c.claim),
                  ' ',
                  h('span', { className: `verdict ${c.verdict === 'supported' ? 'ok' : c.verdict === 'refuted' ? 'bad' : 'mixed'}` }, c.verdict),
                  h('br', {}),
                  ...richText(c.evidence),
                ),
              ),
            ),
          ]
        : []),
      ...(findings.reply ? [h('h3', {}, 'Reply to the forum'), this.replyBox(findings.reply)] : []),
      h('h3', {}, 'Findings'),
      ...findings.list.map((f) =>
        h(
          'section',
          { className: `finding ${VERDICT_CLASS[f.verdict] ?? ''}`, 'data-finding': f.id },
          h('h4', {}, f.title, ' ', h('span', { className: `verdict ${VERDICT_CLASS[f.verdict] ?? ''}` }, f.verdict)),
          h('p', { className: 'evidence' }, 'Expected: ', ...richText(f.expectation)),
          ...f.sentences.map((s) => h('p', {}, ...richText(s))),
        ),
      ),
      h('h3', {}, 'The runs'),
      chartsOf('outcome'),
      tableEl(runsTable(study)),
      h('h3', {}, 'Training curves'),
      chartsOf('curves'),
      h('h3', {}, 'Diagnostics over time'),
      h(
        'p',
        { className: 'note' },
        `Probes on ${o.probeRows} training images at initialisation, at steps ${o.probeSteps.filter((s) => s > 0).join(', ')} and at the end of every epoch.`,
      ),
      chartsOf('diagnostics'),
      h('h3', {}, 'Normalization as a reparametrisation'),
      h(
        'p',
        { className: 'note' },
        'z = W·(x/255) + b = (W/255)·x + b: raw inputs with the first kernel divided by 255 compute the normalized network; to take the same steps, SGD needs that kernel’s learning rate ÷ 255², Adam lr ÷ 255 and ε × 255.',
      ),
      tableEl(reparamTable(study)),
      chartsOf('reparam'),
      h('h3', {}, 'Raw inputs with Adam at smaller learning rates'),
      chartsOf('sweep'),
      h('h3', {}, 'float32 vs float64'),
      chartsOf('precision'),
      h('h3', {}, 'The sigmoid and softmax experiments'),
      h('ul', { className: 'note' }, ...methodNotes().map((m) => h('li', {}, ...richText(m)))),
      tableEl(proposedTable(study)),
      tableEl(thresholdTable(study)),
      tableEl(softmaxThresholdTable(study)),
      study.sigmoid.softmaxAtMeasuredGaps.length ? tableEl(measuredGapTable(study)) : null,
      chartsOf('sigmoid'),
      h('h3', {}, 'The inputs as each transform feeds them'),
      this.samples(study),
      chartsOf('inputs'),
    ];
    this.body.replaceChildren(...parts.filter((p): p is Node => p !== null));
  }

  /** The forum reply with a copy button (clipboard API; a hidden textarea where it is unavailable). */
  private replyBox(text: string): HTMLElement {
    const status = h('span', { className: 'note', role: 'status' });
    const button = h('button', { type: 'button', className: 'copy-reply' }, 'Copy reply');
    button.addEventListener('click', () => {
      const done = () => setText(status, ' Copied.');
      if (navigator.clipboard?.writeText) void navigator.clipboard.writeText(text).then(done, () => setText(status, ' Select the text and copy it.'));
      else setText(status, ' Select the text and copy it.');
    });
    return h('div', { className: 'reply' }, h('p', { className: 'forum-reply' }, text), button, status);
  }

  private samples(study: StudyResult): HTMLElement {
    const s = study.samples;
    return h(
      'div',
      { className: 'report-samples' },
      ...s.transforms.map((t) =>
        h(
          'div',
          { className: 'sample-row' },
          h(
            'div',
            { className: 'sample-label' },
            h('b', {}, transformLabel(t.name)),
            h('br'),
            `${t.formula} · range [${num(t.range[0], 3)}, ${num(t.range[1], 3)}], mean ${num(t.mean, 3)}, std ${num(t.std, 3)}`,
          ),
          h(
            'div',
            { className: 'sample-images' },
            ...s.images.map((img) => {
              const canvas = h('canvas', { width: s.width, height: s.height, title: img.className, 'aria-label': img.className, role: 'img' });
              const ctx = canvas.getContext('2d')!;
              const out = ctx.createImageData(s.width, s.height);
              const lo = Math.min(t.range[0], t.range[1]);
              const hi = Math.max(t.range[0], t.range[1]);
              img.pixels.forEach((p, i) => {
                const g = Math.max(0, Math.min(255, Math.round(((t.a * p + t.b - lo) / (hi - lo)) * 255)));
                out.data[4 * i] = out.data[4 * i + 1] = out.data[4 * i + 2] = g;
                out.data[4 * i + 3] = 255;
              });
              ctx.putImageData(out, 0, 0);
              return canvas;
            }),
          ),
        ),
      ),
    );
  }

  /** What the e2e test reads. */
  snapshot(): { loaded: boolean; findings: number; charts: number } {
    return { loaded: this.loaded !== undefined, findings: this.loaded?.findings.list.length ?? 0, charts: this.charts.length };
  }
}
