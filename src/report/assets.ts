/**
 * Node-side assets of the HTML report: the Chart.js UMD build, read from the installed `chart.js`
 * package so the page can inline it and needs no network when viewed. (The browser app loads Chart.js
 * its own way and never imports this file.)
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

let cached: string | undefined;

/** The source of chart.js/dist/chart.umd.min.js (falls back to chart.umd.js). */
export function chartJsUmdSource(): string {
  if (cached !== undefined) return cached;
  const require = createRequire(import.meta.url);
  // The package's exports map hides dist/ files from resolve(), so resolve the main entry and look beside it.
  const dist = dirname(require.resolve('chart.js'));
  for (const name of ['chart.umd.min.js', 'chart.umd.js']) {
    try {
      cached = readFileSync(join(dist, name), 'utf8');
      return cached;
    } catch {
      // try the next name
    }
  }
  throw new Error(`chart.js's UMD build was not found in ${dist}; reinstall the chart.js dependency`);
}
