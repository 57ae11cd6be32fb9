/**
 * For the static-site e2e tests: build sites with `normlab site build` (from source) and serve them with
 * a plain static file server — Python's `http.server`, which knows nothing of normlab — on a free port.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import type { Page } from 'playwright-core';
import { ROOT } from './web-harness.js';

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** `normlab site build DIR ...args`; returns its stdout. */
export function buildSiteCli(dir: string, args: string[] = []): string {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'site', 'build', dir, ...args], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`normlab site build failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

export interface StaticServer {
  url: string;
  close(): Promise<void>;
}

/** `python3 -m http.server 0 --bind 127.0.0.1 -d DIR`; resolves with its URL once it listens. */
export async function startStaticServer(dir: string): Promise<StaticServer> {
  const child = spawn('python3', ['-u', '-m', 'http.server', '0', '--bind', '127.0.0.1', '-d', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`python3 -m http.server printed no port within 15 s: ${out}`)), 15_000);
    const onData = (d: Buffer) => {
      out += String(d);
      const match = /port (\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${match[1]}/`);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', () => {}); // one log line per request: drained, not kept
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`python3 -m http.server exited with ${code}: ${out}`));
    });
  });
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) {
          live.delete(child);
          resolve();
          return;
        }
        child.once('exit', () => {
          live.delete(child);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

/**
 * A static host that honours the site's `_headers` file, as Netlify and Cloudflare Pages do: a few lines
 * of node:http serving files from `dir` with the headers of the `/*` block. Stands in for such a host
 * (the site is still only files); Python's http.server stands in for hosts without header support.
 */
export async function startHeadersHost(dir: string): Promise<StaticServer> {
  const { createServer } = await import('node:http');
  const { readFile } = await import('node:fs/promises');
  const { extname, join, normalize } = await import('node:path');
  const headers: Record<string, string> = {};
  const block = (await readFile(join(dir, '_headers'), 'utf8')).split(/^\/\*$/m)[1] ?? '';
  for (const line of block.split('\n')) {
    const match = /^\s+([\w-]+):\s*(.+)$/.exec(line);
    if (match) headers[match[1]] = match[2].trim();
  }
  const types: Record<string, string> = {
    '.html': 'text/html',
    '.js': 'text/javascript',
    '.css': 'text/css',
    '.json': 'application/json',
    '.wasm': 'application/wasm',
  };
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    try {
      const body = await readFile(join(dir, path.endsWith('/') ? `${path}index.html` : path));
      res.writeHead(200, { ...headers, 'Content-Type': types[extname(path)] ?? (path.endsWith('/') ? 'text/html' : 'application/octet-stream') });
      res.end(body);
    } catch {
      res.writeHead(404, headers);
      res.end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Console errors and failed requests (HTTP ≥ 400 or network) seen by the watched pages. */
export interface Watch {
  errors: string[];
  failed: string[];
}

/** `normlab.lab.snapshot()`: what the lab view says about its runs. */
export type LabSnap = {
  running: boolean;
  runs: { transform: string; state: string; epochsDone: number; batchPoints: number; epochSeconds: number[]; testAcc?: number }[];
};
export const labSnapshot = (page: Page) =>
  page.evaluate(() => (window as unknown as { normlab: { lab: { snapshot(): unknown } } }).normlab.lab.snapshot()) as Promise<LabSnap>;

/** Poll the lab until `ok`; a run in error or the timeout fails with what was seen. */
export async function waitLab(page: Page, what: string, ok: (s: LabSnap) => boolean, timeoutMs = 180_000): Promise<LabSnap> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await labSnapshot(page);
    if (ok(s)) return s;
    if (s.runs.some((r) => r.state === 'error'))
      throw new Error(`a run failed while waiting for ${what}: ${await page.locator('.run-status').allTextContents()}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(s)}`);
    await page.waitForTimeout(150);
  }
}

/** Collect `page`'s console errors and failed requests into `into`. */
export function watchPage(page: Page, into: Watch): void {
  page.on('pageerror', (e) => into.errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') into.errors.push(m.text());
  });
  page.on('requestfailed', (r) => into.failed.push(`${r.url()} (${r.failure()?.errorText})`));
  page.on('response', (r) => {
    if (r.status() >= 400) into.failed.push(`${r.url()} (HTTP ${r.status()})`);
  });
}
