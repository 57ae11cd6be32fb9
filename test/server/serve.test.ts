/**
 * `normlab serve`'s server without a browser: static files with the right MIME types, no way out of the
 * app folder, DNS-rebinding protection, dataset files found by the data layer and refused when they are
 * not the dataset asked for, the last study, graceful shutdown; and the CLI's flag and start-up errors.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { hostHeaderAllowed, isLoopback, isUnspecified, parseHost, urlFor } from '../../src/server/host.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { mimeType, resolveInside } from '../../src/server/static.js';
import { FASHION_DIR as FASHION, NO_FASHION } from '../shared-data.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const temps: string[] = [];
process.on('exit', () => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

function tempDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `normlab-serve-${label}-`));
  temps.push(dir);
  return dir;
}

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A raw HTTP request: unlike fetch, it sends the path exactly as written (`..` and all). */
function get(port: number, path: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A small fake build: index.html, a script, a stylesheet, a wasm module, and a secret just outside it. */
function fakeApp(): { appDir: string; secret: string } {
  const base = tempDir('app');
  const appDir = join(base, 'web-dist');
  mkdirSync(join(appDir, 'assets'), { recursive: true });
  writeFileSync(join(appDir, 'index.html'), '<!doctype html><title>normlab test app</title>');
  writeFileSync(join(appDir, 'assets', 'index-abc.js'), 'console.log(1)');
  writeFileSync(join(appDir, 'assets', 'index-abc.css'), 'body{}');
  writeFileSync(join(appDir, 'assets', 'normlab-abc.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
  const secret = join(base, 'secret.txt');
  writeFileSync(secret, 'SECRET CONTENT');
  symlinkSync(secret, join(appDir, 'assets', 'link-out.txt'));
  return { appDir, secret };
}

describe('host handling', () => {
  test('--host accepts IP literals and localhost only', () => {
    assert.equal(parseHost('127.0.0.1'), '127.0.0.1');
    assert.equal(parseHost('0.0.0.0'), '0.0.0.0');
    assert.equal(parseHost('[::1]'), '::1');
    assert.equal(parseHost('LOCALHOST'), 'localhost');
    assert.equal(parseHost('example.com'), undefined);
    assert.equal(parseHost('127.0.0.1:80'), undefined);
    assert.equal(parseHost(''), undefined);
  });

  test('loopback, wildcard and the printed URL', () => {
    assert.ok(isLoopback('127.0.0.1') && isLoopback('::1') && isLoopback('0:0::1') && isLoopback('localhost'));
    assert.ok(!isLoopback('0.0.0.0') && !isLoopback('192.168.1.2'));
    assert.ok(isUnspecified('0.0.0.0') && isUnspecified('::') && isUnspecified('0:0::0') && !isUnspecified('::1'));
    assert.equal(urlFor('127.0.0.1', 8080), 'http://127.0.0.1:8080/');
    assert.equal(urlFor('0.0.0.0', 8080), 'http://127.0.0.1:8080/');
    assert.equal(urlFor('::', 81), 'http://[::1]:81/');
    assert.equal(urlFor('::1', 81), 'http://[::1]:81/');
  });

  test('Host headers: addresses and localhost with our port, never other names (DNS rebinding)', () => {
    assert.ok(hostHeaderAllowed('127.0.0.1:8080', 8080));
    assert.ok(hostHeaderAllowed('localhost:8080', 8080));
    assert.ok(hostHeaderAllowed('[::1]:8080', 8080));
    assert.ok(hostHeaderAllowed('192.168.1.20:8080', 8080));
    assert.ok(!hostHeaderAllowed('127.0.0.1:8081', 8080));
    assert.ok(!hostHeaderAllowed('attacker.example:8080', 8080));
    assert.ok(!hostHeaderAllowed('127.0.0.1', 8080));
    assert.ok(!hostHeaderAllowed(undefined, 8080));
  });
});

describe('static files', () => {
  test('resolveInside keeps every path inside the root', () => {
    const root = '/srv/app';
    assert.equal(resolveInside(root, '/assets/a.js'), '/srv/app/assets/a.js');
    assert.equal(resolveInside(root, '/a%20b.js'), '/srv/app/a b.js');
    for (const bad of ['/../etc/passwd', '/assets/../../etc/passwd', '/%2e%2e/etc/passwd', '/..%2f..%2fetc/passwd', '/a%00.js', '/a%5c..%5cb', '/%E0%A4%A']) {
      assert.equal(resolveInside(root, bad), undefined, bad);
    }
  });

  test('MIME types come from a fixed table, with application/wasm for WebAssembly', () => {
    assert.equal(mimeType('x/normlab-abc.wasm'), 'application/wasm');
    assert.equal(mimeType('a.JS'), 'text/javascript; charset=utf-8');
    assert.equal(mimeType('index.html'), 'text/html; charset=utf-8');
    assert.equal(mimeType('data.bin'), 'application/octet-stream');
  });
});

describe('the server', () => {
  let server: RunningServer;
  let app: { appDir: string; secret: string };
  let studyDir: string;

  before(async () => {
    app = fakeApp();
    studyDir = tempDir('study');
    server = await startServer({ port: 0, appDir: app.appDir, studyFile: join(studyDir, 'why.json'), dataDir: tempDir('empty-data') });
  });
  after(() => server.close());

  test('listens on 127.0.0.1 by default and prints that URL', () => {
    assert.equal(server.host, '127.0.0.1');
    assert.equal(server.url, `http://127.0.0.1:${server.port}/`);
    assert.equal((server.server.address() as { address: string }).address, '127.0.0.1');
  });

  test('serves the app with the right types and caching', async () => {
    const index = await get(server.port, '/');
    assert.equal(index.status, 200);
    assert.equal(index.headers['content-type'], 'text/html; charset=utf-8');
    assert.match(index.body.toString(), /normlab test app/);
    assert.equal(index.headers['x-content-type-options'], 'nosniff');
    const wasm = await get(server.port, '/assets/normlab-abc.wasm');
    assert.equal(wasm.status, 200);
    assert.equal(wasm.headers['content-type'], 'application/wasm');
    assert.match(String(wasm.headers['cache-control']), /immutable/);
    assert.equal((await get(server.port, '/assets/index-abc.js')).headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal((await get(server.port, '/assets/index-abc.css')).headers['content-type'], 'text/css; charset=utf-8');
    // Revalidation and HEAD.
    const etag = String(wasm.headers.etag);
    assert.equal((await get(server.port, '/assets/normlab-abc.wasm', { headers: { 'If-None-Match': etag } })).status, 304);
    const head = await get(server.port, '/assets/normlab-abc.wasm', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], '8');
    assert.equal(head.body.length, 0);
  });

  test('Range requests get 206 and just those bytes; bad ranges 416; If-Range with an old validator the whole file (issue 10, bug 8)', async () => {
    const path = '/assets/normlab-abc.wasm'; // 8 bytes: 00 61 73 6d 01 00 00 00
    const part = await get(server.port, path, { headers: { Range: 'bytes=1-3' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers['content-range'], 'bytes 1-3/8');
    assert.equal(part.headers['content-length'], '3');
    assert.deepEqual([...part.body], [0x61, 0x73, 0x6d]);
    assert.equal(part.headers['accept-ranges'], 'bytes');
    const tail = await get(server.port, path, { headers: { Range: 'bytes=-2' } });
    assert.equal(tail.headers['content-range'], 'bytes 6-7/8');
    const open = await get(server.port, path, { headers: { Range: 'bytes=4-' } });
    assert.deepEqual([...open.body], [1, 0, 0, 0]);
    const beyond = await get(server.port, path, { headers: { Range: 'bytes=8-9' } });
    assert.equal(beyond.status, 416);
    assert.equal(beyond.headers['content-range'], 'bytes */8');
    const changed = await get(server.port, path, { headers: { Range: 'bytes=1-3', 'If-Range': 'W/"old"' } });
    assert.equal(changed.status, 200);
    assert.equal(changed.body.length, 8);
    const several = await get(server.port, path, { headers: { Range: 'bytes=0-1,4-5' } });
    assert.equal(several.status, 200, 'several ranges: the whole file');
  });

  test('a page path gets the app; a missing file is 404', async () => {
    assert.match((await get(server.port, '/lab')).body.toString(), /normlab test app/);
    assert.equal((await get(server.port, '/assets/missing.js')).status, 404);
  });

  test('no request reads outside the app folder', async () => {
    for (const path of [
      '/../secret.txt',
      '/assets/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/..%2fsecret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/assets/link-out.txt',
      '/%00',
      '//../secret.txt',
    ]) {
      const reply = await get(server.port, path);
      assert.ok(!reply.body.toString().includes('SECRET'), `${path} leaked the file outside the app (status ${reply.status})`);
      assert.ok(reply.status >= 400 || reply.body.toString().includes('normlab test app'), `${path}: status ${reply.status}`);
    }
  });

  test('other methods and other host names are refused', async () => {
    assert.equal((await get(server.port, '/', { method: 'POST' })).status, 405);
    const rebound = await get(server.port, '/', { headers: { Host: `attacker.example:${server.port}` } });
    assert.equal(rebound.status, 421);
    assert.equal((await get(server.port, '/', { headers: { Host: `localhost:${server.port}` } })).status, 200);
  });

  test('dataset requests are matched against the registry, never used as paths', async () => {
    // `..` segments are resolved by URL parsing before routing: this one is the app's page /etc/passwd.
    const dotted = await get(server.port, '/datasets/fashion-mnist/../../etc/passwd');
    assert.ok(!dotted.body.toString().includes('root:') && dotted.body.toString().includes('normlab test app'));
    for (const path of [
      '/datasets/fashion-mnist/passwd',
      '/datasets/fashion-mnist/train-images-idx3-ubyte.gz.bak',
      '/datasets/cifar/t10k-images-idx3-ubyte.gz',
      '/datasets/fashion-mnist/%2e%2e%2fsecret.txt',
    ]) {
      assert.equal((await get(server.port, path)).status, 404, path);
    }
    const missing = await get(server.port, '/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz');
    assert.equal(missing.status, 404);
    assert.match(missing.body.toString(), /Fashion-MNIST test split not found on this machine \(looked in --data-dir .* only\)/);
  });

  test('the last study: 404 with a hint until there is one, then the file', async () => {
    const none = await get(server.port, '/api/study');
    assert.equal(none.status, 404);
    assert.match(none.body.toString(), /run `normlab why` first/);
    writeFileSync(join(studyDir, 'why.json'), '{"tool":"normlab why"}');
    const some = await get(server.port, '/api/study');
    assert.equal(some.status, 200);
    assert.equal(some.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(some.body.toString(), '{"tool":"normlab why"}');
  });

  test('an unbuilt app gets a page saying how to build it', async () => {
    const bare = await startServer({ port: 0, appDir: join(tempDir('bare'), 'web-dist') });
    try {
      const reply = await get(bare.port, '/');
      assert.equal(reply.status, 503);
      assert.match(reply.body.toString(), /npm run build:web/);
    } finally {
      await bare.close();
    }
  });

  test('close() lets an open keep-alive connection go and stops listening', async () => {
    const s = await startServer({ port: 0, appDir: app.appDir });
    let socketClosed: Promise<void> | undefined;
    const kept = await new Promise<number>((resolve, reject) => {
      request({ host: '127.0.0.1', port: s.port, path: '/', headers: { Connection: 'keep-alive' }, agent: new Agent({ keepAlive: true }) }, (res) => {
        const socket = res.socket;
        socketClosed = new Promise((done) => socket.once('close', () => done()));
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
        .on('error', reject)
        .end();
    });
    assert.equal(kept, 200);
    // Events, not a stopwatch: close() resolves, and the server has closed the idle keep-alive socket.
    await s.close();
    await socketClosed;
    await assert.rejects(get(s.port, '/'), /ECONNREFUSED/);
  });
});

describe('dataset files', { skip: NO_FASHION }, () => {
  let server: RunningServer;
  let dataDir: string;

  before(async () => {
    // The test split only (symlinked, as a learner's data folder may be), so verification stays quick.
    dataDir = tempDir('data');
    for (const f of ['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz']) symlinkSync(join(FASHION, f), join(dataDir, f));
    server = await startServer({ port: 0, appDir: fakeApp().appDir, dataDir });
  });
  after(() => server.close());

  test('a verified file is served as stored, under its name with or without .gz', async () => {
    const stored = readFileSync(join(FASHION, 't10k-labels-idx1-ubyte.gz'));
    for (const name of ['t10k-labels-idx1-ubyte.gz', 't10k-labels-idx1-ubyte']) {
      const reply = await get(server.port, `/datasets/fashion-mnist/${name}`);
      assert.equal(reply.status, 200, name);
      assert.equal(reply.headers['content-type'], 'application/octet-stream');
      assert.ok(reply.body.equals(stored), `${name}: the bytes are the file's`);
    }
  });

  test('/api/datasets says which splits are here', async () => {
    const body = JSON.parse((await get(server.port, '/api/datasets')).body.toString()) as {
      datasets: { name: string; splits: { train: unknown; test: { directory: string } | null } }[];
    };
    const fashion = body.datasets.find((d) => d.name === 'fashion-mnist')!;
    assert.equal(fashion.splits.train, null);
    assert.equal(fashion.splits.test?.directory, dataDir);
  });

  test('Fashion-MNIST files asked for as MNIST are refused with the data layer’s explanation', async () => {
    const reply = await get(server.port, '/datasets/mnist/t10k-images-idx3-ubyte.gz');
    assert.equal(reply.status, 409);
    assert.match(reply.body.toString(), /You asked for MNIST digits \(test split\), but the files in .* are the Fashion-MNIST test split, not MNIST digits/);
    assert.match(reply.body.toString(), /Try: /);
  });

  test('files that match no known dataset are refused as modified or corrupt', async () => {
    const dir = tempDir('corrupt');
    const labels = Buffer.concat([Buffer.from([0, 0, 8, 1, 0, 0, 0, 3]), Buffer.from([1, 2, 3])]);
    const images = Buffer.concat([Buffer.from([0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 28, 0, 0, 0, 28]), Buffer.alloc(3 * 784, 7)]);
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), labels);
    writeFileSync(join(dir, 't10k-images-idx3-ubyte'), images);
    const s = await startServer({ port: 0, appDir: fakeApp().appDir, dataDir: dir });
    try {
      const reply = await get(s.port, '/datasets/fashion-mnist/t10k-labels-idx1-ubyte');
      assert.equal(reply.status, 409);
      assert.match(reply.body.toString(), /modified or corrupt/);
    } finally {
      await s.close();
    }
  });
});

describe('normlab serve (CLI)', () => {
  const cli = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, ...env },
    });
  const builtApp = fakeApp().appDir;

  test('bad flags are one-line errors', () => {
    const port = cli(['--port', '70000'], { NORMLAB_WEB_DIR: builtApp });
    assert.equal(port.status, 2);
    assert.match(port.stderr, /--port <n>' argument '70000' is invalid: expected a whole number between 0 and 65535/);
    const host = cli(['--host', 'example.com'], { NORMLAB_WEB_DIR: builtApp });
    assert.equal(host.status, 2);
    assert.match(host.stderr, /--host <address>' argument 'example.com' is invalid: expected an IP address/);
    const dir = cli(['--data-dir', '/nonexistent/normlab-data'], { NORMLAB_WEB_DIR: builtApp });
    assert.equal(dir.status, 2);
    assert.match(dir.stderr, /--data-dir \/nonexistent\/normlab-data does not exist/);
    for (const r of [port, host, dir]) assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });

  test('an unbuilt app is a clear error', () => {
    const r = cli(['--port', '0'], { NORMLAB_WEB_DIR: join(tempDir('unbuilt'), 'web-dist') });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /normlab: error: the web app is not built: .*web-dist has no index\.html\./);
    assert.match(r.stderr, /Try: run `npm run build`/);
  });

  test('a busy port is a clear error', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = cli(['--port', String(port)], { NORMLAB_WEB_DIR: builtApp });
      assert.equal(r.status, 2);
      assert.match(r.stderr, new RegExp(`normlab: error: 127\\.0\\.0\\.1 port ${port} is already in use`));
      assert.match(r.stderr, /Try: pass another --port, or --port 0/);
    } finally {
      blocker.close();
    }
  });

  test('prints its URL, serves, and stops cleanly on SIGTERM', { timeout: 180_000 }, async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', '0'], {
      cwd: ROOT,
      env: { ...process.env, NORMLAB_WEB_DIR: builtApp },
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    // The URL line, or the child's exit without one: events, not a wall-clock limit (starting tsx on a
    // busy machine can take long; the test's own timeout is the backstop).
    const url = await new Promise<string>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`normlab serve exited (${code}) without printing its URL: ${stderr}`)));
      child.stdout.on('data', (d) => {
        stdout += String(d);
        const m = /normlab lab: (http:\/\/127\.0\.0\.1:(\d+)\/)/.exec(stdout);
        if (m) resolve(m[1]);
      });
    });
    const reply = await get(Number(new URL(url).port), '/');
    assert.equal(reply.status, 200);
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    assert.equal(await exit, 0);
    assert.match(stderr, /stopping/);
  });
});
