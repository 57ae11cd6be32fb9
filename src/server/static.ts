/**
 * Serving files from one directory, safely: a request path is decoded, normalised and resolved inside the
 * root, and anything that would leave it (`..`, encoded slashes, NUL bytes, symlinks pointing out) is
 * refused. Only regular files are served; MIME types come from a short fixed table (no guessing from
 * content), with `application/wasm` for WebAssembly so browsers can compile it while it streams.
 */
import { createReadStream, type Stats } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';

export const MIME_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
  '.gz': 'application/octet-stream',
};

/**
 * Cross-origin isolation: with these, `crossOriginIsolated` is true in the page and its workers, which
 * browsers require before they hand out SharedArrayBuffer (the two-thread wasm module's shared memory).
 * CORP same-origin on our own responses keeps them loadable under COEP require-corp.
 */
export const CROSS_ORIGIN_ISOLATION: Record<string, string> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export function mimeType(path: string): string {
  return MIME_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * The file a URL path names inside `root`, or undefined when the path is malformed or would escape the
 * root. Pure string work; `serveFile` additionally checks the real path after symlinks.
 */
export function resolveInside(root: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const parts = decoded.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) return undefined;
  const base = resolve(root);
  const full = resolve(base, ...parts);
  return full === base || full.startsWith(base + sep) ? full : undefined;
}

export interface ServeFileOptions {
  /**
   * The directory the file must really be inside, after following symlinks; for paths built from a URL.
   * Left out for paths that come from elsewhere (a dataset file the data layer found may be a symlink).
   */
  root?: string;
  /** Cache-Control header value. */
  cacheControl: string;
  /** Content type; default from the file's extension. */
  contentType?: string;
}

/** Stream one regular file, with ETag / Last-Modified revalidation and HEAD support. */
export async function serveFile(req: IncomingMessage, res: ServerResponse, file: string, options: ServeFileOptions): Promise<boolean> {
  let info: Stats;
  try {
    const real = await realpath(file);
    if (options.root !== undefined) {
      const realRoot = await realpath(options.root);
      if (real !== realRoot && !real.startsWith(realRoot + sep)) return false;
    }
    info = await stat(real);
    if (!info.isFile()) return false;
    file = real;
  } catch {
    return false;
  }
  const etag = `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
  res.setHeader('Content-Type', options.contentType ?? mimeType(file));
  res.setHeader('Cache-Control', options.cacheControl);
  res.setHeader('ETag', etag);
  res.setHeader('Last-Modified', info.mtime.toUTCString());
  if (req.headers['if-none-match'] === etag) {
    res.statusCode = 304;
    res.end();
    return true;
  }
  res.setHeader('Accept-Ranges', 'bytes');
  // A Range request (resuming a dataset download, a media element seeking) gets 206 and just those bytes;
  // If-Range with another validator means the file changed: send it whole.
  const ifRange = req.headers['if-range'];
  const range = ifRange === undefined || ifRange === etag ? parseRange(req.headers.range, info.size) : undefined;
  if (range === 'unsatisfiable') {
    res.statusCode = 416;
    res.setHeader('Content-Range', `bytes */${info.size}`);
    res.end();
    return true;
  }
  const { start, end } = range ?? { start: 0, end: info.size - 1 };
  res.setHeader('Content-Length', String(Math.max(0, end - start + 1)));
  res.statusCode = range ? 206 : 200;
  if (range) res.setHeader('Content-Range', `bytes ${start}-${end}/${info.size}`);
  if (req.method === 'HEAD' || info.size === 0) {
    res.end();
    return true;
  }
  await new Promise<void>((done) => {
    const stream = createReadStream(file, { start, end });
    stream.on('error', () => {
      res.destroy();
      done();
    });
    stream.on('end', done);
    res.on('close', () => {
      stream.destroy();
      done();
    });
    stream.pipe(res);
  });
  return true;
}

/**
 * One byte range from a Range header (RFC 9110 §14): `bytes=a-b`, `bytes=a-` or `bytes=-n`, clamped to the
 * file. undefined means "send the whole file" (no header, another unit, or several ranges, which a server
 * may answer with the whole file); 'unsatisfiable' means 416.
 */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return undefined;
  const [, a, b] = m;
  if (a === '' && b === '') return undefined;
  let start: number;
  let end: number;
  if (a === '') {
    const suffix = Number(b);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(a);
    end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
    if (b !== '' && Number(b) < start) return undefined; // malformed: ignore the header
  }
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}
