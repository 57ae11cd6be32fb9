/**
 * The page `normlab why` writes, rendered in Debian's Chromium (playwright-core): every chart drew
 * (a Chart instance per canvas, and canvases that are not blank), no console errors, no network request
 * at all (Chart.js and the data are inlined). Screenshot: test-artifacts/why.png (kept by CI), decoded and
 * checked for drawn content.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { NO_FASHION } from '../shared-data.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const CHROMIUM = process.env.NORMLAB_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = join(ROOT, 'test-artifacts');
const blocker = !existsSync(CHROMIUM) ? `${CHROMIUM} is not installed (Debian: apt-get install chromium)` : null;

const out = mkdtempSync(join(tmpdir(), 'normlab-why-html-'));
after(() => rmSync(out, { recursive: true, force: true }));

describe('why.html in Chromium', { skip: blocker ? `skipped: ${blocker}` : NO_FASHION, timeout: 400_000 }, () => {
  test('a --quick study renders: charts drawn, no errors, no network', async () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'why', '--quick', '--out', out, '--workers', '2'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 300_000,
    });
    assert.equal(run.status, 0, run.stderr);
    const page_ = join(out, 'why.html');
    assert.ok(existsSync(page_));

    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--headless',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
      headless: true,
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors: string[] = [];
      const requests: string[] = [];
      const url = pathToFileURL(page_).href;
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(e.message));
      await page.route('**/*', (route) => {
        const u = route.request().url();
        if (u === url) return route.continue();
        requests.push(u);
        return route.abort();
      });
      await page.goto(url);
      await page.waitForSelector('body[data-ready]', { timeout: 30_000 });
      const state = await page.evaluate(() => {
        const canvases = [...document.querySelectorAll('canvas[data-chart]')] as HTMLCanvasElement[];
        const blank = canvases
          .filter((c) => {
            const ctx = c.getContext('2d')!;
            const { data } = ctx.getImageData(0, 0, c.width, c.height);
            for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return false;
            return true;
          })
          .map((c) => c.id);
        const digits = [...document.querySelectorAll('canvas.digit')].length;
        return {
          charts: (window as unknown as { __whyCharts: unknown[] }).__whyCharts.length,
          chartGlobal: typeof (window as unknown as { Chart?: unknown }).Chart,
          canvases: canvases.length,
          blank,
          digits,
          findings: document.querySelectorAll('.finding').length,
          closing: document.querySelector('.closing')?.textContent ?? '',
        };
      });
      assert.equal(state.chartGlobal, 'function', 'Chart.js is inlined');
      assert.ok(state.canvases >= 20, `only ${state.canvases} chart canvases`);
      assert.equal(state.charts, state.canvases, 'one Chart instance per canvas');
      assert.deepEqual(state.blank, [], 'every chart canvas has drawn pixels');
      assert.ok(state.digits >= 16, 'sample images drawn per transform');
      assert.ok(state.findings >= 5);
      assert.match(state.closing, /dividing by 255 takes SGD from/);
      // the answer first, the claims, the forum reply with a working copy button, the loss-plane pictures
      const extra = await page.evaluate(() => ({
        answer: document.querySelectorAll('#the-answer p').length,
        claims: document.querySelectorAll('ul.claims li').length,
        planes: document.querySelectorAll('svg[data-plane] rect').length,
        answerBeforeFindings:
          (document.querySelector('#the-answer')!.compareDocumentPosition(document.querySelector('.finding')!) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0,
      }));
      assert.ok(extra.answer >= 3 && extra.answer <= 5, `${extra.answer} answer sentences`);
      assert.equal(extra.claims, 6);
      assert.ok(extra.planes >= 2 * 49, 'two loss planes drawn');
      assert.ok(extra.answerBeforeFindings);
      await page.click('#copy-reply');
      await page.waitForFunction(() => (document.getElementById('copy-status')?.textContent ?? '').length > 0, undefined, { timeout: 5000 });
      assert.deepEqual(errors, []);
      assert.deepEqual(requests, [], 'the page makes no network request');
      mkdirSync(ARTIFACTS, { recursive: true });
      const shot = await page.screenshot({ path: join(ARTIFACTS, 'why.png'), fullPage: true });
      // Check the screenshot itself, decoded by the browser: the first screen of charts must show drawn
      // content (many colours, a good share of non-white pixels), not an empty page.
      const firstChart = await page.locator('figure.chart').first().boundingBox();
      assert.ok(firstChart, 'a chart figure is laid out');
      const pixels = await page.evaluate(
        async ({ png, box }) => {
          const img = new Image();
          img.src = `data:image/png;base64,${png}`;
          await img.decode();
          const c = document.createElement('canvas');
          c.width = Math.round(box.width);
          c.height = Math.round(box.height);
          const ctx = c.getContext('2d')!;
          ctx.drawImage(img, box.x, box.y, box.width, box.height, 0, 0, c.width, c.height);
          const { data } = ctx.getImageData(0, 0, c.width, c.height);
          const colours = new Set<number>();
          let ink = 0;
          for (let i = 0; i < data.length; i += 4) {
            colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
            if (data[i] < 235 || data[i + 1] < 235 || data[i + 2] < 235) ink++;
          }
          return { width: img.naturalWidth, height: img.naturalHeight, colours: colours.size, ink: ink / (data.length / 4) };
        },
        { png: shot.toString('base64'), box: firstChart! },
      );
      assert.equal(pixels.width, 1280);
      assert.ok(pixels.height > 5000, `full page screenshot, ${pixels.height} px tall`);
      assert.ok(pixels.colours > 20, `the first chart in the screenshot has ${pixels.colours} colours`);
      assert.ok(pixels.ink > 0.03, `the first chart in the screenshot is ${(pixels.ink * 100).toFixed(1)}% drawn`);
    } finally {
      await browser.close();
    }
  });
});
