/**
 * One run's panel: its transform, progress, the latest numbers and diagnostics, a grid of test images
 * with the run's predictions, and its confusion matrix on the test set. All text, so screen readers and
 * the e2e test read the same numbers the charts draw.
 */
import { h, setText } from '../dom.js';
import { fixed, pct } from '../../../src/browser.js';
import type { DiagnosticPoint, EpochInfo, ReadyInfo } from './protocol.js';

export type RunState = 'queued' | 'loading' | 'training' | 'paused' | 'done' | 'stopped' | 'error';

const STATE_TEXT: Record<RunState, string> = {
  queued: 'waiting for a free core',
  loading: 'loading',
  training: 'training',
  paused: 'paused',
  done: 'finished',
  stopped: 'stopped',
  error: 'failed',
};

export class RunCard {
  readonly root: HTMLElement;
  private readonly stateEl: HTMLElement;
  private readonly statusEl: HTMLElement;
  private readonly progress: HTMLProgressElement;
  private readonly progressText: HTMLElement;
  private readonly values: Record<string, HTMLElement> = {};
  private readonly noteEl: HTMLElement;
  private readonly samplesEl: HTMLElement;
  private readonly confusionEl: HTMLElement;
  private classNames: string[] = [];
  private sampleLabels: number[] = [];
  private captions: HTMLElement[] = [];
  private cells: HTMLTableCellElement[] = [];

  constructor(
    readonly transform: string,
    readonly color: string,
    readonly epochs: number,
  ) {
    const stat = (key: string, label: string, title?: string) => {
      const dd = h('dd', { 'data-value': key }, '–');
      this.values[key] = dd;
      return h('div', {}, h('dt', { title }, label), dd);
    };
    this.stateEl = h('span', { className: 'state' }, STATE_TEXT.queued);
    this.statusEl = h('p', { className: 'run-status', 'aria-live': 'polite' });
    this.progress = h('progress', { max: 1, value: 0, 'aria-label': `${transform} run progress` });
    this.progressText = h('span', { className: 'progress-text' }, '');
    this.noteEl = h('p', { className: 'run-note' });
    this.samplesEl = h('div', { className: 'samples', role: 'list', 'aria-label': 'test images with predictions' });
    this.confusionEl = h('div', { className: 'confusion-wrap' });
    this.root = h(
      'article',
      { className: 'run-card', 'data-run': transform, 'data-state': 'queued', style: `--run-color:${color}` },
      h('header', {}, h('h3', {}, h('span', { className: 'swatch', 'aria-hidden': 'true' }), h('span', { className: 'run-name' }, transform)), this.stateEl),
      h('p', { className: 'formula' }, ''),
      h('div', { className: 'progress-row' }, this.progress, this.progressText),
      this.statusEl,
      h(
        'dl',
        { className: 'stats' },
        stat('loss', 'train loss', 'mean loss over the epoch so far (before each batch update, as Keras reports it)'),
        stat('acc', 'train acc'),
        stat('testLoss', 'test loss', 'loss on the 10 000 test images after the last finished epoch'),
        stat('testAcc', 'test acc'),
        stat('seconds', 's / epoch', 'seconds of training per epoch in this browser'),
      ),
      h(
        'details',
        { className: 'diagnostics', open: true },
        h('summary', {}, 'Diagnostics'),
        h(
          'dl',
          { className: 'stats diag' },
          stat('logitMax', 'max |logit|', 'largest |logit| of the output layer on the probe batch (256 training images)'),
          stat('logitGap', 'top-2 logit gap', 'mean gap between the largest and second-largest logit; softmax saturates as it grows'),
          stat('softmaxOne', 'softmax = 1.0', 'share of probe images whose top softmax probability is exactly 1.0 in the run’s precision'),
          stat(
            'deadUnits',
            'dead units',
            'ReLU: share of first-layer units that are ≤ 0 on every probe image. sigmoid/tanh: share of activations with |z| > 5',
          ),
          stat('gradNorm0', '‖∇W₁‖', 'L2 norm of the gradient of the first kernel (mean probe-batch loss)'),
          stat('gradNormLast', '‖∇W_out‖', 'L2 norm of the gradient of the output kernel'),
          stat('updateRatio', '‖ΔW₁‖/‖W₁‖', 'relative size of one optimizer step on the first kernel'),
          stat('step', 'probed at step', 'optimizer steps completed when these were measured'),
        ),
      ),
      this.noteEl,
      h('h4', {}, 'Test images'),
      this.samplesEl,
      h('h4', {}, 'Confusion matrix (test set)'),
      this.confusionEl,
    );
  }

  setState(state: RunState, status = ''): void {
    this.root.dataset.state = state;
    setText(this.stateEl, STATE_TEXT[state]);
    setText(this.statusEl, status);
  }

  setReady(info: ReadyInfo): void {
    this.classNames = info.classNames;
    const formula = this.root.querySelector('.formula')!;
    setText(
      formula,
      `x′ = ${info.transform.formula} → inputs in [${fixed(info.transform.range[0], 2)}, ${fixed(info.transform.range[1], 2)}] · ${info.backend} backend${info.threads === 2 ? ' (2 threads)' : ''} · ${info.params.toLocaleString('en')} params`,
    );
    const notes = [...(info.backendNote ? [info.backendNote] : []), ...info.notes, info.verified ? '' : 'dataset files not verified'].filter(Boolean);
    setText(this.noteEl, notes.join(' · '));
    this.progressText.textContent = `epoch 1/${this.epochs}`;
    this.renderSamples(info.samples);
    this.renderConfusion();
  }

  setBatch(epoch: number, batch: number, batches: number, loss: number, acc: number): void {
    this.progress.value = (epoch + (batch + 1) / batches) / this.epochs;
    setText(this.progressText, `epoch ${epoch + 1}/${this.epochs} · batch ${batch + 1}/${batches}`);
    setText(this.values.loss, fixed(loss));
    setText(this.values.acc, pct(acc));
  }

  setDiagnostics(d: DiagnosticPoint): void {
    const first = d.layers[0];
    const last = d.layers[d.layers.length - 1];
    setText(this.values.logitMax, fixed(d.logits.maxAbs, 2));
    setText(this.values.logitGap, fixed(d.logits.gapMean, 2));
    setText(this.values.softmaxOne, pct(d.softmax.maxExactlyOne));
    setText(this.values.deadUnits, d.layers.length > 1 ? pct(first.deadFraction ?? first.saturatedFraction ?? undefined) : '–');
    setText(this.values.gradNorm0, fixed(first.kernelGradNorm, 4));
    setText(this.values.gradNormLast, fixed(last.kernelGradNorm, 4));
    if (first.updateRatio !== null) setText(this.values.updateRatio, fixed(first.updateRatio, 4));
    setText(this.values.step, `${d.step} (epoch ${d.epoch.toFixed(2)})`);
  }

  setEpoch(info: EpochInfo): void {
    this.root.dataset.epochs = info.partial ? info.at.toFixed(2) : String(info.epoch + 1);
    setText(this.values.loss, fixed(info.loss));
    setText(this.values.acc, pct(info.acc));
    setText(this.values.testLoss, fixed(info.testLoss));
    setText(this.values.testAcc, pct(info.testAcc));
    if (!info.partial) setText(this.values.seconds, info.seconds.toFixed(2));
    this.updateSamples(info.samplePredictions);
    this.updateConfusion(info.confusion);
  }

  setSecondsPerEpoch(seconds: number | undefined): void {
    setText(this.values.seconds, seconds === undefined ? '–' : seconds.toFixed(2));
  }

  private renderSamples(samples: ReadyInfo['samples']): void {
    this.samplesEl.replaceChildren();
    this.captions = [];
    this.sampleLabels = samples.labels;
    const size = samples.height * samples.width;
    samples.labels.forEach((label, i) => {
      const canvas = h('canvas', { width: samples.width, height: samples.height, 'aria-hidden': 'true' });
      const ctx = canvas.getContext('2d')!;
      const img = ctx.createImageData(samples.width, samples.height);
      for (let p = 0; p < size; p++) {
        const v = 255 - samples.images[i * size + p];
        img.data[p * 4] = img.data[p * 4 + 1] = img.data[p * 4 + 2] = v;
        img.data[p * 4 + 3] = 255;
      }
      ctx.putImageData(img, 0, 0);
      const caption = h('figcaption', {}, '…');
      this.captions.push(caption);
      this.samplesEl.append(
        h('figure', { role: 'listitem', title: `test image #${samples.indices[i]}: ${this.classNames[label]}`, 'data-label': label }, canvas, caption),
      );
    });
  }

  private updateSamples(predictions: EpochInfo['samplePredictions']): void {
    predictions.forEach((p, i) => {
      const caption = this.captions[i];
      if (!caption) return;
      const truth = this.sampleLabels[i];
      const right = p.label === truth;
      caption.className = right ? 'right' : 'wrong';
      // Both labels on screen (not only in a tooltip, which touch screens and keyboards never show).
      setText(caption, right ? `✓ ${this.classNames[p.label]}` : `✗ ${this.classNames[p.label]} (is ${this.classNames[truth]})`);
      const figure = caption.parentElement!;
      figure.title = `true: ${this.classNames[truth]} · predicted: ${this.classNames[p.label]} (${(p.prob * 100).toFixed(1)}%)`;
    });
  }

  private renderConfusion(): void {
    const n = this.classNames.length;
    this.cells = [];
    const head = h(
      'tr',
      {},
      h('th', { scope: 'col', className: 'corner' }, 'true ↓ predicted →'),
      ...this.classNames.map((c, j) => h('th', { scope: 'col', title: `predicted ${c}` }, String(j))),
    );
    const rows = this.classNames.map((c, i) =>
      h(
        'tr',
        {},
        h('th', { scope: 'row', title: `true ${c}` }, `${i} ${c}`),
        ...Array.from({ length: n }, (_, j) => {
          const td = h('td', { title: `true ${c}, predicted ${this.classNames[j]}` }, '');
          if (i === j) td.className = 'diag';
          this.cells.push(td);
          return td;
        }),
      ),
    );
    this.confusionEl.replaceChildren(
      h(
        'p',
        { className: 'axis-note' },
        `Rows: the true class. Columns: the class predicted (numbered as the rows: ${this.classNames.map((c, i) => `${i} ${c}`).join(', ')}).`,
      ),
      h(
        'table',
        { className: 'confusion' },
        h('caption', { className: 'sr-only' }, 'Confusion matrix: rows are true classes, columns predicted classes, numbered as the rows'),
        h('thead', {}, head),
        h('tbody', {}, ...rows),
      ),
    );
  }

  private updateConfusion(confusion: number[]): void {
    const n = this.classNames.length;
    for (let i = 0; i < n; i++) {
      let rowSum = 0;
      for (let j = 0; j < n; j++) rowSum += confusion[i * n + j];
      for (let j = 0; j < n; j++) {
        const count = confusion[i * n + j];
        const cell = this.cells[i * n + j];
        const share = rowSum ? count / rowSum : 0;
        setText(cell, count ? String(count) : '');
        cell.style.setProperty('--share', share.toFixed(3));
        cell.classList.toggle('dark', share > 0.5);
      }
    }
  }
}
