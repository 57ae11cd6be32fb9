/**
 * The localhost server behind `normlab serve`: the built web app (web-dist/, made by `npm run build:web`)
 * and the dataset files the app trains on. It binds 127.0.0.1 unless told otherwise (see host.ts) and
 * serves a closed set of paths:
 *
 *   GET /                                 the app (web-dist/index.html; unknown non-file paths get it too)
 *   GET /assets/…                         the app's hashed bundles, worker and normlab.wasm (immutable)
 *   GET /datasets/<name>/<file>           a registered dataset's IDX file, by its official name (with or
 *                                         without .gz), found with the data layer's search order and
 *                                         verified by SHA-256 (datasets.ts); the bytes are sent as stored
 *                                         (gzip or raw), the browser handles both and checks them again
 *   GET /site.json                        what the app needs to know (src/data/site-config.ts): the
 *                                         datasets this machine has, and whether there is a study
 *   GET /api/datasets                     which registered datasets have which splits here
 *   GET /why.json, /api/study             the last `why` study (why.json), when there is one
 *
 * Every response carries the cross-origin isolation headers (COOP same-origin, COEP require-corp), so
 * the page may use SharedArrayBuffer and the two-thread wasm module, as on a static host with the
 * `_headers` file that `normlab site build` writes.
 *
 * Nothing outside web-dist/ and the located dataset files is reachable: dataset requests are matched
 * against the registry's file names, never joined onto a path, and static paths are resolved inside the
 * root (see static.ts). Requests whose Host header is a domain name are refused (DNS rebinding, host.ts).
 */
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { locateSplit } from '../data/locate.js';
import { DATASETS, officialFiles, SPLITS } from '../data/registry.js';
import { datasetAvailability, datasetFileFor, isDatasetName, SplitVerifier } from './datasets.js';
import { DEFAULT_HOST, hostHeaderAllowed, urlFor } from './host.js';
import type { SiteConfig } from '../data/site-config.js';
import { CROSS_ORIGIN_ISOLATION, resolveInside, serveFile } from './static.js';

export { datasetAvailability, datasetFileFor, type DatasetAvailability } from './datasets.js';

export interface ServeOptions {
  /** TCP port; 0 picks a free one. */
  port: number;
  /** Address to listen on (default 127.0.0.1); 0.0.0.0 or :: for every interface. */
  host?: string;
  /** Dataset directory (as `normlab train --data-dir`); searched alone when given. */
  dataDir?: string;
  /** The built app. Default: web-dist/ at the package root. */
  appDir?: string;
  /** A why.json to offer as "the last study". Default: ./why.json in the working directory. */
  studyFile?: string;
}

export interface RunningServer {
  /** Where a browser on this machine opens the lab, e.g. http://127.0.0.1:8080/. */
  url: string;
  host: string;
  port: number;
  appDir: string;
  server: Server;
  /** Stop accepting connections, let requests in flight finish (up to 2 s), then close the rest. */
  close(): Promise<void>;
}

/** How long close() lets running responses (a dataset file on a slow link) finish before cutting them. */
const CLOSE_GRACE_MS = 2000;

/**
 * The built app: $NORMLAB_WEB_DIR when set (another build, or none, for tests), else web-dist/ at the
 * package root, which is two levels up from src/server/ (running from source) and dist/server/ (installed).
 */
export function defaultAppDir(env: Record<string, string | undefined> = process.env): string {
  return env.NORMLAB_WEB_DIR ? resolve(env.NORMLAB_WEB_DIR) : resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web-dist');
}

/** Whether `appDir` holds a built app (`npm run build:web` writes index.html last of all). */
export function appIsBuilt(appDir: string): boolean {
  return existsSync(join(appDir, 'index.html'));
}

function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.statusCode = status;
  res.setHeader('Content-Type', type);
  res.setHeader('Cache-Control', 'no-store');
  res.end(body);
}

/** site.json for this server: every registered dataset whose two splits are on this machine. */
export function serveSiteConfig(dataDir: string | undefined, hasStudy: boolean): SiteConfig {
  const datasets: SiteConfig['datasets'] = {};
  for (const d of datasetAvailability(dataDir)) {
    if (d.splits.train && d.splits.test) datasets[d.name] = SPLITS.flatMap((split) => Object.values(officialFiles(split)));
  }
  return { version: 1, source: 'normlab serve', datasets, ...(hasStudy ? { study: 'why.json' } : {}) };
}

/** The page for a request whose address is too long to read (Node stops at 16 KB of headers). */
const TOO_LONG_PAGE = `<!doctype html><meta charset="utf-8"><title>normlab: link too long</title>
<body style="font-family:system-ui;max-width:40rem;margin:3rem auto;line-height:1.5">
<h1>This link is too long</h1>
<p>Its address is longer than this server reads (16 KB). normlab's own links are a few hundred characters:
this one was probably cut, pasted twice, or padded. <a href="/">Open the lab with its default settings</a>.</p></body>`;

function sendJson(res: ServerResponse, value: unknown): void {
  send(res, 200, JSON.stringify(value), 'application/json; charset=utf-8');
}

const NOT_BUILT_PAGE = `<!doctype html><meta charset="utf-8"><title>normlab: app not built</title>
<body style="font-family:system-ui;max-width:40rem;margin:3rem auto;line-height:1.5">
<h1>The normlab web app is not built</h1>
<p>Build it once in the normlab checkout, then reload this page:</p>
<pre style="background:#eee;padding:1rem">npm run build:web</pre></body>`;

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const appDir = resolve(options.appDir ?? defaultAppDir());
  const studyFile = resolve(options.studyFile ?? 'why.json');
  const host = options.host ?? DEFAULT_HOST;
  const verifier = new SplitVerifier();
  let port = options.port;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    for (const [name, value] of Object.entries(CROSS_ORIGIN_ISOLATION)) res.setHeader(name, value);
    res.setHeader('Referrer-Policy', 'no-referrer');
    if (!hostHeaderAllowed(req.headers.host, port)) {
      send(res, 421, `normlab serve answers only to addresses such as ${urlFor(host, port)}, not to host names\n`);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      send(res, 405, 'method not allowed\n');
      return;
    }
    let path: string;
    try {
      path = new URL(req.url ?? '/', 'http://normlab.invalid').pathname;
    } catch {
      send(res, 400, 'bad request path\n');
      return;
    }

    if (path.startsWith('/datasets/')) {
      const match = /^\/datasets\/([a-z0-9-]+)\/([A-Za-z0-9.-]+)$/.exec(path);
      const wanted = match ? datasetFileFor(match[2]) : undefined;
      if (!match || !isDatasetName(match[1]) || !wanted) {
        send(res, 404, 'no such dataset file\n');
        return;
      }
      const name = match[1];
      const { located } = locateSplit(name, wanted.split, { dataDir: options.dataDir });
      if (!located) {
        send(
          res,
          404,
          `${DATASETS[name].title} ${wanted.split} split not found on this machine${options.dataDir ? ` (looked in --data-dir ${resolve(options.dataDir)} only)` : ''}\n`,
        );
        return;
      }
      const { error } = verifier.verify(name, wanted.split, located);
      if (error) {
        // 409: the files exist but are not the dataset asked for; the text is the data layer's explanation.
        send(res, 409, `${error.message}${error.hint ? `\nTry: ${error.hint}` : ''}\n`);
        return;
      }
      if (!(await serveFile(req, res, located.files[wanted.kind], { cacheControl: 'private, max-age=3600', contentType: 'application/octet-stream' }))) {
        send(res, 404, `${DATASETS[name].title} ${wanted.split} ${wanted.kind} not found on this machine\n`);
      }
      return;
    }
    if (path === '/api/datasets') {
      sendJson(res, { datasets: datasetAvailability(options.dataDir) });
      return;
    }
    if (path === '/site.json') {
      sendJson(res, serveSiteConfig(options.dataDir, existsSync(studyFile)));
      return;
    }
    if (path === '/api/study' || path === '/why.json') {
      if (!(await serveFile(req, res, studyFile, { cacheControl: 'no-store', contentType: 'application/json; charset=utf-8' }))) {
        send(res, 404, `no study at ${studyFile}: run \`normlab why\` first, or open a why.json file\n`);
      }
      return;
    }

    if (!appIsBuilt(appDir)) {
      send(res, 503, NOT_BUILT_PAGE, 'text/html; charset=utf-8');
      return;
    }
    const file = path === '/' ? join(appDir, 'index.html') : resolveInside(appDir, path);
    if (!file) {
      send(res, 400, 'bad path\n');
      return;
    }
    const immutable = path.startsWith('/assets/');
    if (await serveFile(req, res, file, { root: appDir, cacheControl: immutable ? 'public, max-age=31536000, immutable' : 'no-cache' })) return;
    // A path without an extension is a page of the app (client-side routing): answer with the app.
    if (!/\.[a-z0-9]+$/i.test(path) && (await serveFile(req, res, join(appDir, 'index.html'), { root: appDir, cacheControl: 'no-cache' }))) return;
    send(res, 404, 'not found\n');
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, `normlab serve: internal error: ${(error as Error).message}\n`);
      else res.destroy();
    });
  });
  // Node answers an over-long request line or header block with a bare 431 and no body; say what it means.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return;
    if (error.code === 'HPE_HEADER_OVERFLOW') {
      const body = Buffer.from(TOO_LONG_PAGE);
      socket.end(
        `HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${TOO_LONG_PAGE}`,
      );
    } else socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(options.port, host === 'localhost' ? DEFAULT_HOST : host, () => {
      server.off('error', fail);
      done();
    });
  });
  port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: urlFor(host, port),
    host,
    port,
    appDir,
    server,
    close: () =>
      (closing ??= new Promise<void>((done) => {
        const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        // A keep-alive connection whose response just ended may not count as idle yet at the moment
        // close() is called, so idle connections are closed again until the server has stopped.
        const sweep = setInterval(() => server.closeIdleConnections(), 50);
        server.close(() => {
          clearTimeout(force);
          clearInterval(sweep);
          done();
        });
        server.closeIdleConnections();
      })),
  };
}
