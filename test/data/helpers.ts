/**
 * Shared fixtures for the dataset tests: where the real data lives, temp folders (always under
 * os.tmpdir(), never in the repo), synthetic IDX bytes, a fake fetch, and error assertions.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { NormlabError } from '../../src/errors.js';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export { SHARED_DIR, MNIST_TEST_DIR, HAVE_MNIST_TEST, NO_MNIST } from '../shared-data.js';

export { FASHION_DIR as DEBIAN_FASHION_DIR, HAVE_FASHION as HAVE_DEBIAN_FASHION, NO_FASHION } from '../shared-data.js';

const tempDirs: string[] = [];

/** A fresh temp folder, removed when the process exits. */
export function tempDir(label = 'data'): string {
  const dir = mkdtempSync(join(tmpdir(), `normlab-test-${label}-`));
  tempDirs.push(dir);
  return dir;
}

process.on('exit', () => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** IDX header (big-endian) + body. */
export function idxBytes(magic: number, dims: number[], body: Uint8Array | number[]): Uint8Array {
  const header = new Uint8Array(4 + 4 * dims.length);
  const view = new DataView(header.buffer);
  view.setUint32(0, magic);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  const out = new Uint8Array(header.length + body.length);
  out.set(header);
  out.set(body, header.length);
  return out;
}

/** `count` images of h×w whose pixel i holds (i mod 256). */
export function imagesIdx(count: number, h: number, w: number): Uint8Array {
  return idxBytes(
    0x803,
    [count, h, w],
    Array.from({ length: count * h * w }, (_, i) => i % 256),
  );
}

export function labelsIdx(labels: number[]): Uint8Array {
  return idxBytes(0x801, [labels.length], labels);
}

/** Run `fn` (sync or async) and check it throws a NormlabError with `code` whose text matches every pattern. */
export async function assertNormlabError(fn: () => unknown, code: string, patterns: (RegExp | string)[] = []): Promise<NormlabError> {
  let thrown: unknown;
  try {
    await fn();
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown instanceof NormlabError, `expected a NormlabError '${code}', got ${thrown instanceof Error ? thrown.stack : String(thrown)}`);
  assert.equal(thrown.code, code, `wrong code; message: ${thrown.message}`);
  const text = thrown.describe();
  for (const p of patterns) {
    if (typeof p === 'string') assert.ok(text.includes(p), `expected ${JSON.stringify(p)} in:\n${text}`);
    else assert.match(text, p);
  }
  return thrown;
}

export type Route = Uint8Array<ArrayBuffer> | number | Error | ((signal?: AbortSignal) => Response);

/**
 * A fetch that serves fixed routes and records every URL asked for. A route is the body to serve,
 * an HTTP status to fail with, an Error to throw (like a network failure), or a Response factory.
 * Unknown URLs get 404. It never touches the network.
 */
export function fakeFetch(routes: Record<string, Route>): typeof fetch & { calls: string[] } {
  const calls: string[] = [];
  const impl = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    calls.push(url);
    const route = routes[url];
    if (route === undefined) return new Response('not found', { status: 404, statusText: 'Not Found' });
    if (typeof route === 'number') return new Response('error', { status: route });
    if (route instanceof Error) throw route;
    if (typeof route === 'function') return route(init?.signal ?? undefined);
    return new Response(route, { status: 200, headers: { 'content-length': String(route.length) } });
  };
  return Object.assign(impl as typeof fetch, { calls });
}

/** Gzipped IDX labels (what a mirror serves). */
export function gzipLabels(labels: number[]): Uint8Array<ArrayBuffer> {
  return new Uint8Array(gzipSync(labelsIdx(labels)));
}
