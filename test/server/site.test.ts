/**
 * The static site without a browser: `normlab site build` writes a complete, relative-path folder with
 * site.json and _headers, copies only verified dataset files, never clobbers a folder it did not build,
 * and replaces an earlier site atomically; `normlab serve` answers site.json, the cross-origin isolation
 * headers, and an over-long link with a page that says so instead of a bare 431.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { startServer } from '../../src/server/index.js';
import { SiteConfigSchema } from '../../src/data/site-config.js';
import { buildSite, headersFile } from '../../src/server/site.js';
import { FASHION_DIR as FASHION, MNIST_TEST_DIR, NO_FASHION, NO_MNIST } from '../shared-data.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MNIST_TEST = MNIST_TEST_DIR;
const temps: string[] = [];
after(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

function tempDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `normlab-site-${label}-`));
  temps.push(dir);
  return dir;
}

function fakeApp(): string {
  const appDir = join(tempDir('app'), 'web-dist');
  mkdirSync(join(appDir, 'assets'), { recursive: true });
  writeFileSync(join(appDir, 'index.html'), '<!doctype html><script type="module" src="./assets/index.js"></script>');
  writeFileSync(join(appDir, 'assets', 'index.js'), 'console.log(1)');
  writeFileSync(join(appDir, 'assets', 'index.js.map'), '{}');
  return appDir;
}

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NORMLAB_WEB_DIR: fakeApp() },
  });
}

describe('normlab site build', () => {
  test('writes the app, site.json and _headers; no source maps', () => {
    const out = join(tempDir('out'), 'site');
    const result = buildSite({ outDir: out, appDir: fakeApp() });
    assert.deepEqual(readdirSync(out).sort(), ['_headers', 'assets', 'index.html', 'site.json']);
    assert.deepEqual(readdirSync(join(out, 'assets')), ['index.js']);
    const config = SiteConfigSchema.parse(JSON.parse(readFileSync(join(out, 'site.json'), 'utf8')));
    assert.deepEqual(config.datasets, {});
    assert.equal(config.study, undefined);
    assert.equal(readFileSync(join(out, '_headers'), 'utf8'), headersFile());
    assert.match(headersFile(), /^\/\*\n {2}Cross-Origin-Opener-Policy: same-origin\n {2}Cross-Origin-Embedder-Policy: require-corp\n/m);
    assert.equal(result.files, 4);
  });

  test('--with-data copies the verified files; a folder holding the wrong dataset is refused', { skip: NO_FASHION }, () => {
    const out = join(tempDir('out'), 'site');
    const result = buildSite({ outDir: out, appDir: fakeApp(), withData: ['fashion-mnist'], dataDir: FASHION });
    assert.deepEqual(
      result.datasets.map((d) => d.name),
      ['fashion-mnist'],
    );
    for (const f of readdirSync(FASHION)) assert.deepEqual(readFileSync(join(out, 'datasets', 'fashion-mnist', f)), readFileSync(join(FASHION, f)));
    assert.deepEqual(JSON.parse(readFileSync(join(out, 'site.json'), 'utf8')).datasets['fashion-mnist'].sort(), readdirSync(FASHION).sort());
    // MNIST test files under Fashion-MNIST's names: the data layer's identity check stops the build.
    const mixed = tempDir('mixed');
    for (const f of readdirSync(FASHION)) copyFileSync(join(f.startsWith('t10k') && existsSync(MNIST_TEST) ? MNIST_TEST : FASHION, f), join(mixed, f));
    if (existsSync(MNIST_TEST)) {
      const bad = join(tempDir('out'), 'site');
      assert.throws(() => buildSite({ outDir: bad, appDir: fakeApp(), withData: ['fashion-mnist'], dataDir: mixed }), /MNIST/);
      assert.equal(existsSync(bad), false, 'nothing is left behind');
    }
  });

  test('--with-data mnist where only its test split exists: publishes the test split and says so (CLI note)', { skip: NO_MNIST }, () => {
    const out = join(tempDir('mnist'), 'site');
    const result = buildSite({ outDir: out, appDir: fakeApp(), withData: ['mnist'], dataDir: MNIST_TEST });
    assert.deepEqual(result.testOnly, [{ name: 'mnist', reason: 'MNIST digits train split not found on this machine' }]);
    assert.deepEqual(result.skipped, []);
    const files = ['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];
    assert.deepEqual(JSON.parse(readFileSync(join(out, 'site.json'), 'utf8')).datasets, { mnist: files });
    for (const f of files) assert.deepEqual(readFileSync(join(out, 'datasets', 'mnist', f)), readFileSync(join(MNIST_TEST, f)));
    const run = cli(['site', 'build', join(tempDir('mnist-cli'), 'site'), '--with-data', 'mnist', '--data-dir', MNIST_TEST]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /data: mnist \(2 files\)/);
    assert.match(run.stderr, /note: MNIST digits train split not found on this machine: published its test split only \(the lab trains on 80% of it/);
  });

  test('refuses to replace a folder it did not build; replaces its own earlier site whole', () => {
    const dir = tempDir('existing');
    writeFileSync(join(dir, 'thesis.tex'), 'precious');
    assert.throws(() => buildSite({ outDir: dir, appDir: fakeApp() }), /is not empty and is not a site built by normlab/);
    assert.equal(readFileSync(join(dir, 'thesis.tex'), 'utf8'), 'precious');
    const out = join(tempDir('again'), 'site');
    buildSite({ outDir: out, appDir: fakeApp() });
    writeFileSync(join(out, 'stale.txt'), 'old');
    buildSite({ outDir: out, appDir: fakeApp() });
    assert.equal(existsSync(join(out, 'stale.txt')), false);
    assert.deepEqual(readdirSync(join(out, '..')), ['site'], 'no temporary folders left');
  });

  test('CLI: one-line errors for a bad study file and an unknown dataset', () => {
    const dir = tempDir('cli');
    writeFileSync(join(dir, 'other.json'), '{"hello": 1}');
    const study = cli(['site', 'build', join(dir, 'site'), '--study', join(dir, 'other.json')]);
    assert.equal(study.status, 2, 'a bad flag exits with 2, as every normlab flag error');
    assert.match(study.stderr, /^normlab: error: --study .* is not a why\.json written by normlab why/m);
    assert.doesNotMatch(study.stderr, /\n\s+at /, 'no stack trace');
    const data = cli(['site', 'build', join(dir, 'site'), '--with-data', 'cifar']);
    assert.equal(data.status, 2);
    assert.match(data.stderr, /unknown dataset cifar/);
    const ok = cli(['site', 'build', join(dir, 'site')]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /^normlab site: .*site {2}\d+ files/);
  });
});

describe('normlab serve for the same build', () => {
  test('site.json, cross-origin isolation headers, and an explained 431 for an over-long link', async () => {
    const server = await startServer({ port: 0, appDir: fakeApp(), studyFile: join(tempDir('nostudy'), 'why.json') });
    try {
      const response = await fetch(`${server.url}site.json`);
      assert.equal(response.headers.get('cross-origin-opener-policy'), 'same-origin');
      assert.equal(response.headers.get('cross-origin-embedder-policy'), 'require-corp');
      const config = SiteConfigSchema.parse(await response.json());
      assert.equal(config.source, 'normlab serve');
      assert.equal(config.study, undefined);
      const page = await fetch(server.url);
      assert.equal(page.headers.get('cross-origin-embedder-policy'), 'require-corp');
      // A 20 KB query string: more than Node reads; the browser gets a page, not an empty 431.
      const raw = await new Promise<string>((resolve, reject) => {
        const socket = connect(server.port, '127.0.0.1', () =>
          socket.write(`GET /?seed=${'9'.repeat(20_000)} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n\r\n`),
        );
        let text = '';
        socket.on('data', (d) => (text += String(d)));
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
      });
      assert.match(raw, /^HTTP\/1\.1 431 /);
      assert.match(raw, /This link is too long/);
    } finally {
      await server.close();
    }
  });
});
