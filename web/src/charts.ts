/**
 * Chart.js, set up once for the app: no animation (live data would otherwise animate forever), and
 * redraws coalesced to at most a few per second, so a stream of progress messages never keeps the main
 * thread busy. Each chart's canvas carries an aria-label, and the numbers it shows are also in text.
 */
import Chart from 'chart.js/auto';
import type { ChartConfiguration, ChartDataset } from 'chart.js';

Chart.defaults.animation = false;
Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
Chart.defaults.color = '#333';
Chart.defaults.maintainAspectRatio = false;
Chart.defaults.responsive = true;

export { Chart };
export type { ChartConfiguration, ChartDataset };

/** Redraw interval: at most 5 chart updates per second in total. */
const UPDATE_INTERVAL_MS = 200;
const dirty = new Set<Chart>();
let timer: ReturnType<typeof setTimeout> | undefined;
let lastFlush = 0;
let redrawCount = 0;

function flush(): void {
  timer = undefined;
  lastFlush = performance.now();
  for (const chart of dirty) chart.update('none');
  redrawCount += dirty.size;
  dirty.clear();
}

/** Chart redraws done by scheduleUpdate so far (the e2e test checks that live charts really redraw). */
export function redraws(): number {
  return redrawCount;
}

/** Ask for a redraw of `chart`; it happens within ~200 ms, together with any other pending ones. */
export function scheduleUpdate(chart: Chart): void {
  dirty.add(chart);
  if (timer !== undefined) return;
  const wait = Math.max(0, UPDATE_INTERVAL_MS - (performance.now() - lastFlush));
  timer = setTimeout(() => requestAnimationFrame(flush), wait);
}

/**
 * Size and draw charts whose view was just shown. A chart made while its view was hidden (or not yet in
 * the document) has no size, and Chart.js' own resize() only redraws charts it has seen attached, which
 * it learns asynchronously — so a view opened straight from a link would show empty cards until the
 * first input. Resize and update explicitly, once layout has happened.
 */
export function refreshCharts(charts: Chart[]): void {
  requestAnimationFrame(() => {
    for (const chart of charts) {
      chart.resize();
      chart.update('none');
    }
  });
}

/** A canvas for a chart inside a sized wrapper (Chart.js sizes itself to the wrapper). */
export function chartCanvas(label: string, className = 'chart'): { wrapper: HTMLDivElement; canvas: HTMLCanvasElement } {
  const wrapper = document.createElement('div');
  wrapper.className = className;
  const canvas = document.createElement('canvas');
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', label);
  wrapper.append(canvas);
  return { wrapper, canvas };
}
