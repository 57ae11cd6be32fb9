/**
 * The static site end to end: `normlab site build` from source, served by Python's plain http.server (no
 * normlab server, no special headers), opened in Debian's Chromium through playwright-core, at a laptop
 * (1366×768) and a phone (390×844) width. Real Fashion-MNIST files throughout, real SHA-256 checks in
 * the browser, real Cache Storage. Each failure message is produced by a real failure: a second static
 * server on another origin stands in for a mirror that sends no CORS headers, the browser is put
 * offline, the site serves the MNIST files under Fashion-MNIST's names, a file is truncated.
 * Screenshots: test-artifacts/web/static-*.png.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ARTIFACTS, browserTestBlocker, ensureWebBuild, launchChromium } from './web-harness.js';
import { buildSiteCli, startHeadersHost, startStaticServer, waitLab, watchPage, type LabSnap, type StaticServer, type Watch } from './web-static-harness.js';
import { FASHION_DIR as FASHION, MNIST_TEST_DIR, NO_FASHION } from '../shared-data.js';

const blocker = browserTestBlocker();
const LAPTOP = { width: 1366, height: 768 };
const PHONE = { width: 390, height: 844 };
const MNIST_TEST = MNIST_TEST_DIR;
const FILES = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];

async function noOverflow(page: Page, what: string): Promise<void> {
  await page.waitForTimeout(250);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `${what}: the page is ${overflow}px wider than the window`);
}

async function inViewport(page: Page, selector: string): Promise<boolean> {
  return page.locator(selector).evaluate((el) => {
    const r = el.getBoundingClientRect();
    return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight;
  });
}

describe(
  'static site (normlab site build + python3 -m http.server) in Chromium',
  { skip: blocker ? `skipped: ${blocker}` : NO_FASHION, timeout: 900_000 },
  () => {
    let work: string;
    let withData: StaticServer;
    let noData: StaticServer;
    let noDataDir: string;
    let foreign: StaticServer;
    let browser: Browser;
    /** Console errors and failed requests of every page that is not a deliberate failure. */
    const clean: Watch = { errors: [], failed: [] };

    const watch = watchPage;

    async function open(context: BrowserContext, url: string, into: Watch = clean): Promise<Page> {
      const page = await context.newPage();
      watch(page, into);
      await page.goto(url);
      await page.waitForSelector('#view-lab', { state: 'attached' });
      return page;
    }

    /**
     * Each rewrite of a served file gets its own, later modification second. The browser revalidates with
     * If-Modified-Since, and http.server's Last-Modified has one-second resolution: two versions written
     * within one second would be answered 304 and the page would read the previous one (a CI flake once).
     */
    let nextModified = Math.ceil(Date.now() / 1000) + 60;
    function served(path: string, write: () => void): void {
      write();
      nextModified += 1;
      utimesSync(path, nextModified, nextModified);
    }

    /** The no-data site's site.json, rewritten for one scenario (the app reads it fresh on every visit). */
    function setNoDataSite(extra: object): void {
      const path = join(noDataDir, 'site.json');
      served(path, () => writeFileSync(path, JSON.stringify({ version: 1, source: 'normlab site build', datasets: {}, ...extra })));
    }

    before(async () => {
      mkdirSync(ARTIFACTS, { recursive: true });
      ensureWebBuild((line) => console.log(`# ${line}`));
      work = mkdtempSync(join(tmpdir(), 'normlab-static-'));
      const out = buildSiteCli(join(work, 'with-data'), ['--with-data', 'fashion-mnist', '--data-dir', FASHION]);
      assert.match(out, /fashion-mnist \(4 files\)/);
      noDataDir = join(work, 'no-data');
      buildSiteCli(noDataDir);
      mkdirSync(join(work, 'foreign'));
      for (const f of FILES) copyFileSync(join(FASHION, f), join(work, 'foreign', f));
      withData = await startStaticServer(join(work, 'with-data'));
      noData = await startStaticServer(noDataDir);
      foreign = await startStaticServer(join(work, 'foreign'));
      browser = await launchChromium();
    });

    after(async () => {
      await browser?.close();
      await Promise.all([withData?.close(), noData?.close(), foreign?.close()]);
      if (work) rmSync(work, { recursive: true, force: true });
    });

    test('first visit: verify the site’s files, train side by side, progress in view with an ETA; second visit: from the cache', async () => {
      const context = await browser.newContext({ viewport: LAPTOP });
      const started = Date.now();
      const page = await open(context, `${withData.url}?normalize=none,scale,standardize&epochs=2&trainLimit=6000`);
      await page.waitForFunction(() => document.querySelector('#data-status')?.textContent !== '');
      console.log(`# first visit to an interactive lab: ${Date.now() - started} ms (goto to data status; machine shared, indicative)`);
      assert.match((await page.locator('#data-status').textContent())!, /comes from this site/);
      const datasetRequests: string[] = [];
      page.on('request', (r) => {
        if (r.url().includes('/datasets/')) datasetRequests.push(r.url());
      });
      await page.getByRole('button', { name: 'Start' }).click();
      await waitLab(page, 'training', (s) => s.runs.length === 3 && s.runs.every((r) => r.batchPoints >= 1));
      assert.equal(datasetRequests.length, 4, 'the four files came from the site');
      assert.match((await page.locator('#data-status').textContent())!, /SHA-256 verified \(from this site\)/);
      assert.ok(await inViewport(page, '#overall-progress'), 'after Start the overall progress bar is on screen at 1366×768');
      await page.waitForFunction(() => /left|done/.test(document.querySelector('#overall-text')?.textContent ?? ''), null, { timeout: 60_000 });
      const done = await waitLab(page, 'the runs to finish', (s) => !s.running);
      assert.ok(
        done.runs.every((r) => r.state === 'done' && r.epochsDone === 2),
        JSON.stringify(done.runs),
      );
      assert.match((await page.locator('.lab-status').textContent())!, /^Done\./);
      // The comparison in words, from the findings code of normlab why, next to the numbers.
      const outcome = (await page.locator('#lab-explain [data-finding=outcome]').textContent())!;
      const mechanism = (await page.locator('#lab-explain [data-finding=mechanism]').textContent())!;
      assert.match(outcome, /raw inputs/);
      assert.match(outcome, /\d+\.\d+%/);
      assert.match(mechanism, /logit/i);
      assert.doesNotMatch((await page.locator('#lab-explain').textContent()) ?? '', /`/);
      // Sample captions name the prediction and, when wrong, the truth, in full (3 runs side by side).
      const captions = await page.locator('[data-run=none] .samples figcaption').allTextContents();
      assert.ok(
        captions.every((c) => /^✓ [A-Z][\w/ -]+$|^✗ [A-Z][\w/ -]+ \(is [A-Z][\w/ -]+\)$/.test(c)),
        captions.join(' | '),
      );
      assert.ok(
        captions.some((c) => c.includes('T-shirt/top') || c.includes('Ankle boot') || c.includes('Pullover')),
        'full class names, not "C…"',
      );
      // The confusion matrix says on screen which axis is which.
      assert.match((await page.locator('[data-run=scale] .axis-note').textContent())!, /Rows: the true class\. Columns: the class predicted/);
      assert.match((await page.locator('[data-run=scale] th.corner').textContent())!, /true ↓ predicted →/);
      const clipped = await page
        .locator('[data-run=scale] table.confusion tbody th')
        .evaluateAll((ths) => ths.filter((th) => th.scrollWidth > th.clientWidth + 1).map((th) => th.textContent));
      assert.deepEqual(clipped, [], 'no clipped class names in the confusion matrix');
      await page.screenshot({ path: join(ARTIFACTS, 'static-lab-laptop.png'), fullPage: true });
      await page.close();

      // Second visit, same browser profile: the cache answers, nothing is downloaded.
      const again = await open(context, `${withData.url}?normalize=scale&epochs=1&trainLimit=2000`);
      await again.waitForFunction(() => /cache/.test(document.querySelector('#data-status')?.textContent ?? ''));
      const secondRequests: string[] = [];
      again.on('request', (r) => {
        if (r.url().includes('/datasets/')) secondRequests.push(r.url());
      });
      await again.getByRole('button', { name: 'Start' }).click();
      await waitLab(again, 'the cached run to finish', (s) => s.runs.length === 1 && !s.running);
      assert.deepEqual(secondRequests, [], 'no dataset file was fetched on the second visit');
      assert.match((await again.locator('#data-status').textContent())!, /from this browser's cache/);
      await again.close();
      await context.close();
    });

    test('pause is not counted in seconds per epoch; a run stopped mid-epoch is plotted where it stopped; Stop clears Pause and keeps focus', async () => {
      const context = await browser.newContext({ viewport: LAPTOP });
      const page = await open(context, `${withData.url}?normalize=scale&epochs=2&trainLimit=30000`);
      await page.getByRole('button', { name: 'Start' }).click();
      await waitLab(page, 'the first batches', (s) => s.runs[0]?.batchPoints >= 1);
      const trainingSeenAt = Date.now();
      await page.getByRole('button', { name: 'Pause' }).click();
      const pausedAt = Date.now();
      await page.waitForSelector('[data-run=scale][data-state=paused]');
      await page.waitForTimeout(8000);
      await page.getByRole('button', { name: 'Resume' }).click();
      const pausedMs = Date.now() - pausedAt;
      const first = await waitLab(page, 'the first epoch', (s) => s.runs[0].epochsDone >= 1);
      // No absolute time limit (the machine may be busy): epoch 1 lasted at least `epochWallMs` here,
      // pause included, so its training time must be short of that by most of the pause. Counting the
      // pause would put it at about epochWallMs; leaving it out puts it at about epochWallMs − pausedMs.
      const epochWallMs = Date.now() - trainingSeenAt;
      const epoch1 = first.runs[0].epochSeconds[0];
      assert.ok(
        epoch1 > 0 && epoch1 * 1000 < epochWallMs - pausedMs / 2,
        `epoch 1 is said to have taken ${epoch1} s of training; it lasted ${epochWallMs / 1000} s here, ${pausedMs / 1000} s of them paused`,
      );
      // Stop early in epoch 2, using the keyboard: the point lands before 2.0 and is not called final.
      await waitLab(page, 'epoch 2', (s) => s.runs[0].batchPoints > 0 && s.runs[0].epochsDone === 1);
      await page.getByRole('button', { name: 'Pause' }).focus();
      await page.keyboard.press('Enter');
      assert.equal(await page.getByRole('button', { name: 'Resume' }).getAttribute('aria-pressed'), 'true');
      await page.locator('#stop').focus();
      await page.keyboard.press('Enter');
      await page.waitForSelector('[data-run=scale][data-state=stopped]', { timeout: 60_000 });
      assert.equal(await page.locator('#pause').getAttribute('aria-pressed'), 'false', 'Pause is no longer pressed after Stop');
      assert.equal(await page.locator('#pause').textContent(), 'Pause');
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'start', 'focus moves to Start, not to the page body');
      const status = (await page.locator('[data-run=scale] .run-status').textContent())!;
      assert.match(status, /^stopped after 1\.\d+ of 2 epochs/);
      assert.doesNotMatch(status, /final/);
      // "s per epoch" is the mean over whole epochs (only epoch 1 here), pauses excluded: epoch 1's figure.
      const pace = Number(/· ([\d.]+) s per epoch/.exec(status)?.[1]);
      assert.equal(pace.toFixed(2), epoch1.toFixed(2), `the card says ${status}; epoch 1 trained ${epoch1} s`);
      assert.equal(await page.locator('[data-run=scale] [data-value=seconds]').textContent(), epoch1.toFixed(2));
      const lastTestPoint = await page.evaluate(() => {
        const lab = (window as unknown as { normlab: { lab: { snapshot(): unknown } } }).normlab.lab as unknown as {
          accChart: { data: { datasets: { label: string; data: { x: number }[] }[] } };
        };
        const test = lab.accChart.data.datasets.find((d) => d.label === 'scale test')!;
        return test.data[test.data.length - 1].x;
      });
      assert.ok(lastTestPoint > 1 && lastTestPoint < 2, `the stopped run's test point is at epoch ${lastTestPoint}, between 1 and 2`);
      await page.close();
      await context.close();
    });

    test('share a link and reopen it; Copy link refuses while a field is invalid; the link banner says exactly what it ignored', async () => {
      const context = await browser.newContext({ viewport: LAPTOP, permissions: ['clipboard-read', 'clipboard-write'] });
      const page = await open(context, `${withData.url}?view=lab`);
      await page.fill('#lab-seed', '42');
      await page.fill('#lab-units', '64,32');
      await page.selectOption('#lab-optimizer', 'sgd');
      await page.locator('input[name=normalize][value=symmetric]').check();
      await page.getByRole('button', { name: 'Copy link' }).click();
      await page.waitForFunction(() => document.querySelector('#copy-link')?.textContent === 'Link copied');
      const link = await page.evaluate(() => navigator.clipboard.readText());
      // An invalid field: the link is not copied with the old value, and the field is marked.
      await page.fill('#lab-epochs', '0x10');
      await page.getByRole('button', { name: 'Copy link' }).click();
      assert.equal(await page.locator('#copy-link').textContent(), 'Fix the settings first');
      assert.equal(await page.evaluate(() => navigator.clipboard.readText()), link, 'the clipboard still holds the last valid link');
      assert.equal(await page.locator('#lab-epochs').getAttribute('aria-invalid'), 'true');
      assert.match((await page.locator('#view-lab .form-error').textContent())!, /Epochs must be a whole number/);
      await page.close();

      const reopened = await open(context, link);
      assert.equal(await reopened.inputValue('#lab-seed'), '42');
      assert.equal(await reopened.inputValue('#lab-units'), '64,32');
      assert.equal(await reopened.inputValue('#lab-optimizer'), 'sgd');
      assert.deepEqual(await reopened.locator('input[name=normalize]:checked').evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value)), [
        'none',
        'scale',
        'symmetric',
      ]);
      await reopened.close();

      const bad = await open(context, `${withData.url}?normalize=foo,none&epochs=0x10&seed=${'9'.repeat(6000)}`);
      const banner = (await bad.locator('.url-problems').textContent())!;
      assert.match(banner, /normalize=foo,none: foo ignored \(expected some of none, scale, standardize, symmetric[^)]*\); kept none/);
      assert.match(banner, /epochs=0x10 \(expected a whole number from 1 to 1000\)/);
      assert.match(banner, /seed=9{40}… \(6,000 characters\)/);
      assert.equal(await bad.inputValue('#lab-epochs'), '5', '0x10 is not read as 16');
      assert.deepEqual(await bad.locator('input[name=normalize]:checked').evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value)), ['none']);
      await noOverflow(bad, 'a 6 KB link value');
      await bad.close();
      await context.close();
    });

    test('sigmoid explorer: σ′ as the table shows it, invalid inputs said, pixel 255 beside 1, the forum’s weights put in scale', async () => {
      const context = await browser.newContext({ viewport: LAPTOP });
      const page = await open(context, `${withData.url}?view=sigmoid&pixel=255&weight=-0.1`);
      await page.waitForSelector('#view-sigmoid:not([hidden])');
      await page.waitForTimeout(100);
      const tableD = (await page.locator('.sig-table tr[data-method=float32] td').nth(2).textContent())!;
      assert.match(tableD, /^8\.\d+e-12$/, `float32 σ′ at z = −25.5: ${tableD}`);
      const verdict = (await page.locator('.sig-verdict').textContent())!;
      assert.doesNotMatch(verdict, /exactly 0|no gradient/, verdict);
      assert.match(verdict, /8\.\d+e-12/);
      const side = await page.locator('.side-by-side tbody tr').allTextContents();
      assert.equal(side.length, 2);
      assert.match(side[0], /^raw pixel 255/);
      assert.match(side[1], /^255 \/ 255 = 1\.000/);
      assert.match((await page.locator('#forum-note').textContent())!, /about 8,100× smaller than the weights the lab model really starts with/);
      await page.fill('#sig-weight-n', 'abc');
      assert.equal(await page.locator('#sig-weight-n').getAttribute('aria-invalid'), 'true');
      assert.match((await page.locator('#sig-error').textContent())!, /“abc” is not a weight/);
      await page.fill('#sig-weight-n', '0x1');
      assert.match((await page.locator('#sig-error').textContent())!, /“0x1” is not a weight/);
      await page.fill('#sig-weight-n', '0.08');
      assert.equal(await page.locator('#sig-error').textContent(), '');
      await page.fill('#sig-pixel-n', '300');
      assert.match((await page.locator('#sig-error').textContent())!, /not a pixel value/);
      await page.screenshot({ path: join(ARTIFACTS, 'static-sigmoid-laptop.png'), fullPage: true });
      await page.close();
      await context.close();
    });

    test('Why?: the study runs in Web Workers and shows the answer, the findings and the charts; the report view needs no server', async () => {
      const context = await browser.newContext({ viewport: LAPTOP });
      const page = await open(context, `${withData.url}?view=why`);
      await page.selectOption('#why-size', 'quick');
      await page.getByRole('button', { name: 'Run the study' }).click();
      await page.waitForFunction(
        () => (window as unknown as { normlab: { why: { snapshot(): { runs: number; running: boolean } } } }).normlab.why.snapshot().runs > 0,
        null,
        { timeout: 600_000 },
      );
      const snap = (await page.evaluate(() => (window as unknown as { normlab: { why: { snapshot(): unknown } } }).normlab.why.snapshot())) as {
        runs: number;
        findings: number;
        answer: string[];
        seconds: number;
      };
      console.log(`# Why? quick study in the browser: ${snap.runs} runs in ${snap.seconds.toFixed(1)} s (machine shared)`);
      assert.ok(snap.findings >= 3, `findings: ${snap.findings}`);
      assert.ok(snap.answer.length >= 1);
      assert.equal(await page.locator('#view-why h3', { hasText: 'The answer' }).count(), 1);
      assert.ok((await page.locator('#view-why .finding').count()) === snap.findings);
      await page.waitForFunction(() => document.querySelectorAll('#view-why canvas[data-chart]').length >= 5);
      const text = (await page.locator('#view-why').textContent())!;
      assert.doesNotMatch(text, /`/, 'no literal backticks');
      assert.match((await page.locator('#why-status').textContent())!, /^Done: \d+ runs in/);
      await page.screenshot({ path: join(ARTIFACTS, 'static-why-laptop.png'), fullPage: true });
      // The report view, with no published study: no request for one, a plain note instead.
      await page.getByRole('link', { name: 'Report' }).click();
      await page.waitForSelector('#view-report:not([hidden])');
      assert.match((await page.locator('#view-report .report-status').textContent())!, /No study open yet/);
      assert.doesNotMatch((await page.locator('#view-report').textContent())!, /`/);
      await page.close();
      await context.close();
    });

    test('pick local files: verified, cached, then the lab trains on them; corrupt and MNIST files are named as such', async () => {
      setNoDataSite({ corsMirrors: { 'fashion-mnist': [] } });
      const context = await browser.newContext({ viewport: LAPTOP });
      const page = await open(context, `${noData.url}?normalize=scale&epochs=1&trainLimit=2000`);
      assert.match((await page.locator('#data-status').textContent())!, /not on this site: pick or drop/);
      const dir = mkdtempSync(join(tmpdir(), 'normlab-picked-'));
      const truncated = join(dir, 'broken-train-labels.gz');
      writeFileSync(truncated, readFileSync(join(FASHION, 'train-labels-idx1-ubyte.gz')).subarray(0, 4000));
      await page.setInputFiles('#data-files', [join(MNIST_TEST, 't10k-images-idx3-ubyte.gz'), truncated]);
      await page.waitForSelector('#data-verdicts li');
      const verdicts = await page.locator('#data-verdicts li').allTextContents();
      assert.match(verdicts[0], /is the MNIST digits test images file, not Fashion-MNIST \(the two use the same file names\)/);
      assert.match(verdicts[1], /broken-train-labels\.gz.*damaged gzip file/);
      // The real files, renamed: recognised by content.
      const renamed = FILES.map((f, i) => {
        const path = join(dir, `download (${i + 1}).gz`);
        copyFileSync(join(FASHION, f), path);
        return path;
      });
      await page.setInputFiles('#data-files', renamed);
      await page.waitForFunction(() => document.querySelectorAll('#data-verdicts li.ok').length === 4, null, { timeout: 60_000 });
      await page.waitForFunction(() => /cache/.test(document.querySelector('#data-status')?.textContent ?? ''));
      await page.getByRole('button', { name: 'Start' }).click();
      await waitLab(page, 'the run on picked files', (s) => s.runs.length === 1 && !s.running);
      assert.match((await page.locator('#data-status').textContent())!, /verified \(from this browser's cache\)/);
      rmSync(dir, { recursive: true, force: true });
      await page.close();
      await context.close();
    });

    test('every dataset failure has its own clear message, and nothing starts', async () => {
      const failures: Watch = { errors: [], failed: [] };
      const attempt = async (context: BrowserContext, query: string) => {
        const page = await open(context, `${noData.url}?${query}`, failures);
        await page.waitForFunction(() => document.querySelector('#data-status')?.textContent !== '');
        await page.getByRole('button', { name: 'Start' }).click();
        await page.waitForFunction(() => document.querySelector('#data-error')?.textContent !== '', null, { timeout: 60_000 });
        const message = (await page.locator('#data-error').textContent())!;
        assert.equal(await page.locator('.run-card').count(), 0, 'no run was started');
        assert.equal(await page.locator('[role=alert]:not(:empty)').count(), 1, 'one message, not two');
        assert.doesNotMatch((await page.locator('.lab-status').textContent())!, /Done/);
        await page.close();
        return message;
      };
      const context = await browser.newContext({ viewport: LAPTOP });
      // A dataset with no source at all: MNIST on a site without it.
      setNoDataSite({});
      assert.match(
        await attempt(context, 'dataset=mnist'),
        /MNIST digits is not on this site and has no mirror a browser may read from\. Try: pick or drop its four official \.gz files/,
      );
      // A mirror that does not allow cross-origin reads (another origin, no CORS headers).
      setNoDataSite({ corsMirrors: { 'fashion-mnist': [foreign.url] } });
      assert.match(await attempt(context, ''), /did not let this page read .*cross-origin reads \(CORS\)/);
      // The site serves MNIST's files under Fashion-MNIST's names.
      mkdirSync(join(noDataDir, 'datasets', 'fashion-mnist'), { recursive: true });
      for (const f of FILES) {
        const path = join(noDataDir, 'datasets', 'fashion-mnist', f);
        served(path, () => copyFileSync(join(f.startsWith('t10k') ? MNIST_TEST : FASHION, f), path));
      }
      setNoDataSite({ datasets: { 'fashion-mnist': FILES }, corsMirrors: { 'fashion-mnist': [] } });
      assert.match(
        await attempt(context, ''),
        /this site gave the MNIST digits test (images|labels) file where Fashion-MNIST test (images|labels) .* belongs — MNIST digits and Fashion-MNIST use the same file names/,
      );
      // A corrupt file on the site.
      const siteImages = join(noDataDir, 'datasets', 'fashion-mnist', 't10k-images-idx3-ubyte.gz');
      const siteLabels = join(noDataDir, 'datasets', 'fashion-mnist', 't10k-labels-idx1-ubyte.gz');
      served(siteImages, () => writeFileSync(siteImages, readFileSync(join(FASHION, 't10k-images-idx3-ubyte.gz')).subarray(0, 100_000)));
      served(siteLabels, () => copyFileSync(join(FASHION, 't10k-labels-idx1-ubyte.gz'), siteLabels));
      assert.match(await attempt(context, ''), /damaged gzip file/);
      await context.close();
      // Offline, nothing cached.
      const offline = await browser.newContext({ viewport: LAPTOP });
      setNoDataSite({});
      const page = await open(offline, `${noData.url}?`, failures);
      await offline.setOffline(true);
      await page.getByRole('button', { name: 'Start' }).click();
      await page.waitForFunction(() => document.querySelector('#data-error')?.textContent !== '');
      assert.match((await page.locator('#data-error').textContent())!, /this browser is offline and Fashion-MNIST .* is not in its cache yet/);
      await page.close();
      await offline.close();
      // The only console errors are the browser's own report of the CORS refusal.
      assert.ok(
        failures.errors.every((e) => /CORS|Failed to load resource/.test(e)),
        failures.errors.join('\n'),
      );
    });

    test('phone (390×844): Start is reachable without scrolling, and no view is wider than the screen', async () => {
      const context = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
      const page = await open(context, `${withData.url}?normalize=none,scale,standardize&epochs=1&trainLimit=2000`);
      assert.ok(await inViewport(page, '#start'), 'Start is on the first screen');
      await noOverflow(page, 'lab');
      await page.getByRole('button', { name: 'Start' }).click();
      await waitLab(page, 'the phone runs', (s) => s.runs.length === 3 && !s.running);
      await noOverflow(page, 'lab after training');
      await page.screenshot({ path: join(ARTIFACTS, 'static-lab-phone.png'), fullPage: true });
      for (const view of ['why', 'sigmoid', 'report']) {
        await page.goto(`${withData.url}?view=${view}`);
        await page.waitForSelector(`#view-${view}:not([hidden])`);
        await noOverflow(page, view);
        if (view === 'why') {
          // every study size's label fits the closed select at phone width (it used to be cut off mid-word)
          const fit = await page.evaluate(() => {
            const select = document.querySelector<HTMLSelectElement>('#why-size')!;
            const style = getComputedStyle(select);
            const context = document.createElement('canvas').getContext('2d')!;
            context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
            const widest = Math.max(...Array.from(select.options, (o) => context.measureText(o.text).width));
            const arrow = 20; // the drop-down arrow's share of the box
            return { widest, room: select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - arrow };
          });
          assert.ok(fit.widest <= fit.room, `the longest study size label is ${fit.widest.toFixed(0)} px wide in ${fit.room.toFixed(0)} px`);
          await page.selectOption('#why-size', 'full');
          assert.match((await page.locator('#why-size-note').textContent())!, /many minutes/);
          await page.selectOption('#why-size', 'browser');
        }
        await page.screenshot({ path: join(ARTIFACTS, `static-${view}-phone.png`), fullPage: true });
      }
      await page.close();
      await context.close();
    });

    test('on a host that sends the _headers, the page is cross-origin isolated and one run splits its batches over two threads, with the same numbers', async () => {
      const host = await startHeadersHost(join(work, 'with-data'));
      try {
        const query = '?normalize=scale&epochs=1&trainLimit=6000';
        const results: { isolated: boolean; threads?: number; split?: number; acc?: number; loss: string }[] = [];
        for (const base of [host.url, withData.url]) {
          const context = await browser.newContext({ viewport: LAPTOP });
          const page = await open(context, `${base}${query}`);
          await page.getByRole('button', { name: 'Start' }).click();
          const done = await waitLab(page, 'the run', (s) => s.runs.length === 1 && !s.running);
          const run = done.runs[0] as LabSnap['runs'][number] & { threads?: number; splitBatches?: number };
          if (base === withData.url)
            assert.match((await page.locator('[data-run=scale] .run-note').textContent())!, /one thread: this site is not cross-origin isolated/);
          results.push({
            isolated: await page.evaluate(() => crossOriginIsolated),
            threads: run.threads,
            split: run.splitBatches,
            acc: run.testAcc,
            loss: (await page.locator('[data-run=scale] [data-value=testLoss]').textContent())!,
          });
          await page.close();
          await context.close();
        }
        const [two, one] = results;
        console.log(`# two threads in the browser: ${two.split} batches split; test acc ${two.acc} vs ${one.acc} on one thread`);
        assert.equal(two.isolated, true, 'COOP/COEP from _headers make the page cross-origin isolated');
        assert.equal(two.threads, 2);
        assert.ok((two.split ?? 0) > 0, 'the helper thread ran batches');
        assert.equal(one.isolated, false, 'a host without the headers is not isolated');
        assert.equal(one.threads, 1);
        assert.equal(two.acc, one.acc, 'the same numbers on one and two threads');
        assert.equal(two.loss, one.loss);
      } finally {
        await host.close();
      }
    });

    test('on a host without header support, --service-worker makes the page cross-origin isolated (one reload) and runs get two threads', async () => {
      const dir = join(work, 'service-worker');
      buildSiteCli(dir, ['--with-data', 'fashion-mnist', '--data-dir', FASHION, '--service-worker']);
      const host = await startStaticServer(dir);
      try {
        const context = await browser.newContext({ viewport: LAPTOP });
        const page = await context.newPage();
        watch(page, clean);
        await page.goto(`${host.url}?normalize=scale&epochs=1&trainLimit=4000`);
        await page.waitForFunction(() => crossOriginIsolated && document.querySelector('#view-lab') !== null, null, { timeout: 30_000 });
        await page.getByRole('button', { name: 'Start' }).click();
        const done = await waitLab(page, 'the isolated run', (s) => s.runs.length === 1 && !s.running);
        const run = done.runs[0] as LabSnap['runs'][number] & { threads?: number; splitBatches?: number };
        assert.equal(run.threads, 2);
        assert.ok((run.splitBatches ?? 0) > 0, 'the helper thread ran batches');
        await page.close();
        await context.close();
      } finally {
        await host.close();
      }
    });

    test('no console errors and no failed requests on the pages that should have none', () => {
      assert.deepEqual(clean.errors, []);
      assert.deepEqual(clean.failed, []);
    });
  },
);
