/**
 * Chart.js, set up once for the app: no animation (live data would otherwise animate forever), and
 * redraws coalesced to at most two per second and skipped while off screen, so a stream of progress
 * messages never keeps the main thread busy. Each chart's canvas carries an aria-label, and the numbers it shows are also in text.
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

/**
 * Redraw interval: at most 2 chart updates per second in total, and none for a chart that is off screen
 * (it is redrawn when it scrolls into view). Why so few: on a 2-core machine the page's main thread shares
 * the cores with the two training threads, and every moment it runs, one training thread is descheduled
 * and the other waits for it at the next barrier. Measured in Chromium 156 with the two-thread lab run
 * (bench/web-epoch.ts, steady epochs): redraws every 200 ms 0.90 s/epoch, every 1 s 0.76 s.
 */
const UPDATE_INTERVAL_MS = 500;
const dirty = new Set<Chart>();
/** Charts with new data that were off screen: redrawn once they are seen. */
const deferred = new Set<Chart>();
/** Canvases currently intersecting the viewport (absent: not observed, or off screen). */
const onScreen = new WeakSet<Element>();
/** Canvases the observer already watches. */
const observed = new WeakSet<Element>();
let observer: IntersectionObserver | undefined;
let timer: ReturnType<typeof setTimeout> | undefined;
let lastFlush = 0;
let redrawCount = 0;

function flush(): void {
  timer = undefined;
  lastFlush = performance.now();
  for (const chart of dirty) {
    if (isVisible(chart)) {
      chart.update('none');
      redrawCount++;
    } else {
      deferred.add(chart);
    }
  }
  dirty.clear();
}

/** Whether a chart can be seen (on screen, or in a browser without IntersectionObserver). */
function isVisible(chart: Chart): boolean {
  return observer === undefined || onScreen.has(chart.canvas);
}

/** Start watching a chart's canvas for entering and leaving the viewport (once per chart). */
function observe(chart: Chart): void {
  if (typeof IntersectionObserver !== 'function') return;
  observer ??= new IntersectionObserver((entries) => {
    for (const entry of entries) {
      if (entry.isIntersecting) onScreen.add(entry.target);
      else onScreen.delete(entry.target);
    }
    for (const chart of [...deferred]) {
      if (!isVisible(chart)) continue;
      deferred.delete(chart);
      scheduleUpdate(chart);
    }
  });
  if (!observed.has(chart.canvas)) {
    observed.add(chart.canvas);
    // visible until the observer's first report says otherwise, so nothing waits on it
    onScreen.add(chart.canvas);
    observer.observe(chart.canvas);
  }
}

/** Chart redraws done by scheduleUpdate so far (the e2e test checks that live charts really redraw). */
export function redraws(): number {
  return redrawCount;
}

/** Ask for a redraw of `chart`; it happens within ~500 ms (or when it comes into view), with any other pending ones. */
export function scheduleUpdate(chart: Chart): void {
  observe(chart);
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
