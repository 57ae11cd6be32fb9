/**
 * The static site's datasets in Chromium, beyond web-static.test.ts: a site opened on plain http at a
 * LAN-style host name (not a secure context: no WebCrypto, no Cache Storage), where files are verified
 * with the portable SHA-256 and kept in IndexedDB; and MNIST digits trained end to end
 * in the browser from the official test split alone (all there is offline), including MNIST files
 * dropped while Fashion-MNIST is selected. Sites are built with `normlab site build` and served by
 * Python's http.server; real files, real SHA-256 checks, real IndexedDB. Requests are counted, never timed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { FASHION_DIR, MNIST_TEST_DIR, NO_FASHION, NO_MNIST } from '../shared-data.js';
import { browserTestBlocker, ensureWebBuild, launchChromium } from './web-harness.js';
import { buildSiteCli, startStaticServer, waitLab, watchPage, type StaticServer, type Watch } from './web-static-harness.js';

const blocker = browserTestBlocker();
const LAPTOP = { width: 1366, height: 768 };
/** A host name Chromium resolves to 127.0.0.1 (launchChromium): opened over http it is not a secure context. */
const LAN_HOST = 'lab.normlab-lan.test';

/** What the page stored in the IndexedDB fallback: key → byte length. */
function indexedDbFiles(page: Page): Promise<Record<string, number>> {
  return page.evaluate(
    () =>
      new Promise<Record<string, number>>((resolve, reject) => {
        const open = indexedDB.open('normlab-datasets');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains('files')) {
            db.close();
            resolve({});
            return;
          }
          const out: Record<string, number> = {};
          const cursor = db.transaction('files').objectStore('files').openCursor();
          cursor.onerror = () => reject(cursor.error);
          cursor.onsuccess = () => {
            const c = cursor.result;
            if (!c) {
              db.close();
              resolve(out);
              return;
            }
            out[String(c.key).replace(/^.*\/normlab-cache\//, '')] = (c.value as ArrayBuffer).byteLength;
            c.continue();
          };
        };
      }),
  );
}

describe(
  'static site datasets in Chromium: IndexedDB cache, MNIST from its test split',
  { skip: blocker ? `skipped: ${blocker}` : NO_FASHION, timeout: 600_000 },
  () => {
    let work: string;
    let fashionSite: StaticServer;
    let mnistSite: StaticServer;
    let bareSite: StaticServer;
    let browser: Browser;
    const clean: Watch = { errors: [], failed: [] };

    /** A new page at `url`. */
    async function open(context: BrowserContext, url: string): Promise<Page> {
      const page = await context.newPage();
      watchPage(page, clean);
      await page.goto(url);
      await page.waitForSelector('#view-lab', { state: 'attached' });
      await page.waitForFunction(() => document.querySelector('#data-status')?.textContent !== '');
      return page;
    }

    function countDatasetRequests(page: Page): string[] {
      const seen: string[] = [];
      page.on('request', (r) => {
        if (r.url().includes('/datasets/')) seen.push(r.url().replace(/^.*\/datasets\//, ''));
      });
      return seen;
    }

    before(async () => {
      ensureWebBuild((line) => console.log(`# ${line}`));
      work = mkdtempSync(join(tmpdir(), 'normlab-static-data-'));
      buildSiteCli(join(work, 'fashion'), ['--with-data', 'fashion-mnist', '--data-dir', FASHION_DIR]);
      buildSiteCli(join(work, 'bare'));
      // No data and no mirror: Fashion-MNIST can only come from picked files (no request leaves the machine).
      writeFileSync(
        join(work, 'bare', 'site.json'),
        JSON.stringify({ version: 1, source: 'normlab site build', datasets: {}, corsMirrors: { 'fashion-mnist': [] } }),
      );
      fashionSite = await startStaticServer(join(work, 'fashion'));
      bareSite = await startStaticServer(join(work, 'bare'));
      if (!NO_MNIST) {
        const out = buildSiteCli(join(work, 'mnist'), ['--with-data', 'mnist', '--data-dir', MNIST_TEST_DIR]);
        assert.match(out, /data: mnist \(2 files\)/);
        mnistSite = await startStaticServer(join(work, 'mnist'));
      }
      browser = await launchChromium({ lanHost: LAN_HOST });
    });

    after(async () => {
      await browser?.close();
      await Promise.all([fashionSite?.close(), mnistSite?.close(), bareSite?.close()]);
      if (work) rmSync(work, { recursive: true, force: true });
    });

    test('plain http at a LAN host name (no WebCrypto, no Cache Storage): files verified with the portable SHA-256 and kept in IndexedDB, the second visit downloads nothing, a damaged entry is caught and fetched again', async () => {
      const context = await browser.newContext({ viewport: LAPTOP });
      const query = '?normalize=scale&epochs=1&trainLimit=2000';
      const lanUrl = fashionSite.url.replace(/\/\/(127\.0\.0\.1|localhost)/, `//${LAN_HOST}`);
      assert.notEqual(lanUrl, fashionSite.url, `the site's URL names its host: ${fashionSite.url}`);
      const first = await open(context, `${lanUrl}${query}`);
      assert.deepEqual(
        await first.evaluate(() => ({ secure: isSecureContext, subtle: typeof crypto.subtle, caches: typeof caches })),
        { secure: false, subtle: 'undefined', caches: 'undefined' },
        'the browser treats the LAN host as it treats http://192.168.x.y',
      );
      assert.match((await first.locator('#data-status').textContent())!, /comes from this site/);
      const firstRequests = countDatasetRequests(first);
      await first.getByRole('button', { name: 'Start' }).click();
      await waitLab(first, 'the first run', (s) => s.runs.length === 1 && !s.running);
      assert.equal(firstRequests.length, 4, `the four files came from the site: ${firstRequests.join(', ')}`);
      const stored = await indexedDbFiles(first);
      assert.deepEqual(Object.keys(stored).sort(), [
        'fashion-mnist/t10k-images-idx3-ubyte',
        'fashion-mnist/t10k-labels-idx1-ubyte',
        'fashion-mnist/train-images-idx3-ubyte',
        'fashion-mnist/train-labels-idx1-ubyte',
      ]);
      assert.equal(stored['fashion-mnist/train-images-idx3-ubyte'], 16 + 60_000 * 28 * 28, 'decompressed bytes are stored');
      await first.close();

      // Second visit, same profile, still without Cache Storage: the lab starts from IndexedDB.
      const second = await open(context, `${lanUrl}${query}`);
      assert.match((await second.locator('#data-status').textContent())!, /is in this browser's cache/);
      const secondRequests = countDatasetRequests(second);
      await second.getByRole('button', { name: 'Start' }).click();
      await waitLab(second, 'the cached run', (s) => s.runs.length === 1 && !s.running);
      assert.deepEqual(secondRequests, [], 'no dataset file was fetched on the second visit');
      assert.match((await second.locator('#data-status').textContent())!, /SHA-256 verified \(from this browser's cache\)/);

      // Damage one stored file: the SHA-256 check on read refuses it, and only that file is fetched again.
      await second.evaluate(
        () =>
          new Promise<void>((resolve, reject) => {
            const open = indexedDB.open('normlab-datasets');
            open.onsuccess = () => {
              const db = open.result;
              const store = db.transaction('files', 'readwrite').objectStore('files');
              const key = new URL('normlab-cache/fashion-mnist/t10k-labels-idx1-ubyte', document.baseURI).href;
              const get = store.get(key);
              get.onsuccess = () => {
                const bytes = new Uint8Array((get.result as ArrayBuffer).slice(0));
                bytes[100] = (bytes[100] + 1) % 10; // still a valid label: only the hash can tell
                store.put(bytes.buffer, key).onsuccess = () => {
                  db.close();
                  resolve();
                };
              };
              get.onerror = () => reject(get.error);
            };
            open.onerror = () => reject(open.error);
          }),
      );
      await second.close();
      const third = await open(context, `${lanUrl}${query}`);
      const thirdRequests = countDatasetRequests(third);
      await third.getByRole('button', { name: 'Start' }).click();
      await waitLab(third, 'the run after the damaged entry', (s) => s.runs.length === 1 && !s.running);
      assert.deepEqual(thirdRequests, ['fashion-mnist/t10k-labels-idx1-ubyte.gz'], 'only the damaged file was fetched again');
      assert.match((await third.locator('#data-status').textContent())!, /SHA-256 verified \(from this browser's cache and this site\)/);
      await third.close();

      await context.close();
    });

    test(
      'MNIST digits from a site that has only its test split: verified, trained on 8,000 images and tested on the other 2,000, and said so',
      { skip: NO_MNIST },
      async () => {
        const context = await browser.newContext({ viewport: LAPTOP });
        const page = await open(context, `${mnistSite.url}?dataset=mnist&normalize=none,scale&epochs=2`);
        const before = (await page.locator('#data-status').textContent())!;
        assert.match(
          before,
          /^Only the MNIST digits test split \(10,000 images\) is available here: the lab trains on its first 8,000 images and tests on the other 2,000/,
        );
        assert.match(before, /not comparable with published MNIST digits results/);
        assert.equal(await page.locator('#lab-dataset option[value=mnist]').textContent(), 'MNIST digits (test split only)');
        const requests = countDatasetRequests(page);
        await page.getByRole('button', { name: 'Start' }).click();
        const done = await waitLab(page, 'the MNIST runs', (s) => s.runs.length === 2 && !s.running);
        assert.deepEqual(requests.sort(), ['mnist/t10k-images-idx3-ubyte.gz', 'mnist/t10k-labels-idx1-ubyte.gz'], 'only the test split is fetched');
        assert.ok(
          done.runs.every((r) => r.state === 'done' && r.epochsDone === 2),
          JSON.stringify(done.runs),
        );
        const status = (await page.locator('#data-status').textContent())!;
        assert.match(status, /^MNIST digits: 8,000 training and 2,000 test images, SHA-256 verified \(from this site\)\. Note: only the official test split/);
        assert.match((await page.locator('[data-run=scale] .run-note').textContent())!, /trained on its first 8,000 images, tested on the other 2,000/);
        // It learned digits: well above chance (10%) on images it never trained on.
        const scale = done.runs.find((r) => r.transform === 'scale')!;
        assert.ok((scale.testAcc ?? 0) > 0.8, `held-out accuracy ${scale.testAcc}`);
        const captions = await page.locator('[data-run=scale] .samples figcaption').allTextContents();
        assert.ok(
          captions.every((c) => /^[✓✗] [0-9]( \(is [0-9]\))?$/.test(c)),
          `digit class names: ${captions.join(' | ')}`,
        );
        await page.close();
        await context.close();
      },
    );

    test(
      'MNIST files dropped while Fashion-MNIST is selected: the mix-up is named, the files are kept for MNIST, and MNIST then trains on them',
      { skip: NO_MNIST },
      async () => {
        const context = await browser.newContext({ viewport: LAPTOP });
        const page = await open(context, `${bareSite.url}?normalize=scale&epochs=1`);
        assert.equal(await page.inputValue('#lab-dataset'), 'fashion-mnist');
        await page.setInputFiles('#data-files', [join(MNIST_TEST_DIR, 't10k-images-idx3-ubyte.gz'), join(MNIST_TEST_DIR, 't10k-labels-idx1-ubyte.gz')]);
        await page.waitForFunction(() => document.querySelectorAll('#data-verdicts li').length === 2);
        const verdicts = await page.locator('#data-verdicts li.bad').allTextContents();
        assert.equal(verdicts.length, 2);
        assert.match(
          verdicts[0],
          /^t10k-images-idx3-ubyte\.gz is the MNIST digits test images file, not Fashion-MNIST \(the two use the same file names\)\. Kept for MNIST digits; choose that dataset to use it\.$/,
        );
        assert.match(verdicts[1], /^t10k-labels-idx1-ubyte\.gz is the MNIST digits test labels file, not Fashion-MNIST/);
        // Fashion-MNIST did not get them: Start still says it is missing, and starts nothing.
        await page.getByRole('button', { name: 'Start' }).click();
        await page.waitForFunction(() => document.querySelector('#data-error')?.textContent !== '');
        assert.equal(await page.locator('.run-card').count(), 0);
        // Choose MNIST as the message says: the kept files are used (test split only), nothing is downloaded.
        await page.selectOption('#lab-dataset', 'mnist');
        await page.waitForFunction(() => /^Only the MNIST digits test split/.test(document.querySelector('#data-status')?.textContent ?? ''));
        const requests = countDatasetRequests(page);
        await page.getByRole('button', { name: 'Start' }).click();
        const done = await waitLab(page, 'the MNIST run on dropped files', (s) => s.runs.length === 1 && !s.running);
        assert.deepEqual(requests, []);
        assert.equal(done.runs[0].state, 'done');
        assert.match(
          (await page.locator('#data-status').textContent())!,
          /^MNIST digits: 8,000 training and 2,000 test images, SHA-256 verified \(from this browser's cache\)/,
        );
        await page.close();
        await context.close();
      },
    );

    test(
      'Why? on MNIST digits where only its test split exists: the study runs on the 8,000 / 2,000 held-out split, and the report says so',
      { skip: NO_MNIST },
      async () => {
        const context = await browser.newContext({ viewport: LAPTOP });
        const page = await open(context, `${mnistSite.url}?view=why&dataset=mnist`);
        await page.selectOption('#why-size', 'quick');
        await page.getByRole('button', { name: 'Run the study' }).click();
        await page.waitForFunction(
          () => {
            const why = (window as unknown as { normlab: { why: { snapshot(): { runs: number; running: boolean } } } }).normlab.why.snapshot();
            return why.runs > 0 && !why.running;
          },
          null,
          { timeout: 600_000 },
        );
        assert.equal(await page.locator('#why-error').textContent(), '');
        assert.match((await page.locator('#why-status').textContent())!, /^Done: \d+ runs in/);
        const lede = (await page.locator('#view-why .lede').last().textContent())!;
        assert.match(lede, /^mnist \(SHA-256 verified\), \d+ training \/ \d+ test images/);
        assert.match(
          (await page.locator('#view-why .dataset-note').textContent())!,
          /only the official test split is available: trained on its first 8,000 images, tested on the other 2,000/,
        );
        assert.ok((await page.locator('#view-why .finding').count()) >= 3, 'findings are shown');
        await page.close();
        await context.close();
      },
    );

    test('no console errors and no failed requests', () => {
      // The deliberate failure above (Start with Fashion-MNIST missing) makes no request and logs nothing.
      assert.deepEqual(clean.errors, []);
      assert.deepEqual(clean.failed, []);
    });
  },
);
