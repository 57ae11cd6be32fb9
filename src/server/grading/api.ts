/**
 * The HTTP API of `normlab grade serve`, in front of the grading queue (grader/queue/client.ts):
 *
 *   POST /api/submissions?assignment=ID&name=FILE   body: the file → 202 {id, status, existing}
 *   GET  /api/submissions/ID                        → {id, name, status, attempts, …, result}
 *                                                      status: queued | running | done | failed;
 *                                                      result: Gradescope's results.json once graded
 *   GET  /api/submissions/ID/events                 Server-Sent Events: one `status` event per change,
 *                                                      closed after done/failed
 *   GET  /api/results.csv                           the grades so far (grades.csv's columns)
 *   GET  /api/health                                Redis reachable? job counts
 *
 * Every error is JSON, {"error": {"code", "message"}}, with the HTTP status that fits. Guards, in order:
 * rate limit per client address (429 + Retry-After), bearer token when configured (401), upload size
 * (413), then the request itself (400/404/405). While Redis is unreachable every request that needs it
 * answers 503 with Retry-After at once; a submission is queued by one atomic script, so a failed POST
 * leaves nothing behind, and the client simply sends it again.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { ASSIGNMENTS } from '../../grader/assignment.js';
import type { SubmissionQueue } from '../../grader/queue/client.js';
import { SubmissionNameSchema, type GradeSettings } from '../../grader/queue/identity.js';
import { RedisUnavailable } from '../../grader/queue/redis.js';
import type { SubmissionState } from '../../grader/queue/result.js';
import { toCsv, toGradescope } from '../../grader/report.js';
import { urlFor } from '../host.js';
import { RateLimiter, tokenMatches } from './limits.js';

export interface GradingApiOptions {
  queue: SubmissionQueue;
  port: number;
  host: string;
  /** Bearer token every request must carry (none: open, for a trusted network only). */
  token?: string;
  maxUploadBytes: number;
  /** Requests per minute per client address, and how many may come at once; undefined: no limit. */
  rateLimit?: { perMinute: number; burst: number };
  /** The grading settings of every submission queued here. */
  settings: GradeSettings;
  attempts: number;
  log?: (line: string) => void;
}

export interface RunningApi {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

/** Seconds a client should wait before retrying while Redis is down. */
const RETRY_AFTER_S = 5;
const SSE_POLL_MS = 2000;
const SSE_HEARTBEAT_MS = 15_000;

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const QuerySchema = z.object({
  assignment: z.enum(Object.keys(ASSIGNMENTS) as [string, ...string[]], { message: `assignment must be one of: ${Object.keys(ASSIGNMENTS).join(', ')}` }),
  name: SubmissionNameSchema,
});

const ID = /^[0-9a-f]{64}$/;

/** Errors from ioredis / BullMQ that mean "Redis is not reachable right now", not a bug. */
function isRedisDown(e: unknown, queue: SubmissionQueue): boolean {
  if (e instanceof RedisUnavailable) return true;
  const msg = (e as Error)?.message ?? '';
  return (
    !queue.ready ||
    /Connection is closed|Stream isn't writeable|ECONNREFUSED|ECONNRESET|ETIMEDOUT|Command timed out|LOADING|MISCONF|max retries|Reached the max/i.test(msg)
  );
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(text);
}

/** The public view of a submission: the Gradescope results.json as `result`. */
export function publicState(s: SubmissionState): Record<string, unknown> {
  return {
    id: s.id,
    name: s.name,
    assignment: s.assignment,
    assignmentVersion: s.assignmentVersion,
    status: s.status,
    attempts: s.attempts,
    submittedAt: s.submittedAt,
    result: s.result ? toGradescope(s.result) : null,
  };
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) {
    return Promise.reject(new ApiError(413, 'too-large', `the upload is ${declared} bytes; the limit is ${max} bytes`, { Connection: 'close' }));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        req.removeAllListeners('data');
        req.pause();
        reject(new ApiError(413, 'too-large', `the upload is larger than the limit of ${max} bytes`, { Connection: 'close' }));
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startGradingApi(o: GradingApiOptions): Promise<RunningApi> {
  const limiter = o.rateLimit ? new RateLimiter(o.rateLimit.perMinute, o.rateLimit.burst) : undefined;
  const streams = new Set<ServerResponse>();
  const log = o.log ?? (() => undefined);

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (limiter) {
      const wait = limiter.take(req.socket.remoteAddress ?? 'unknown');
      if (wait > 0) throw new ApiError(429, 'rate-limited', `too many requests from this client; try again in ${wait} s`, { 'Retry-After': String(wait) });
    }
    if (o.token !== undefined && !tokenMatches(req.headers.authorization, o.token)) {
      throw new ApiError(401, 'unauthorized', 'a valid bearer token is required (Authorization: Bearer <token>)', {
        'WWW-Authenticate': 'Bearer realm="normlab"',
      });
    }
    const method = req.method ?? 'GET';
    const only = (allowed: string) => {
      if (method !== allowed) throw new ApiError(405, 'method-not-allowed', `${path} accepts ${allowed} only`, { Allow: allowed });
    };
    if (path === '/api/submissions') {
      only('POST');
      return submit(req, res, url);
    }
    const m = /^\/api\/submissions\/([^/]+)(\/events)?$/.exec(path);
    if (m) {
      only('GET');
      if (!ID.test(m[1])) throw new ApiError(400, 'bad-id', 'a submission id is 64 lowercase hex digits, as POST /api/submissions returned it');
      return m[2] ? events(req, res, m[1]) : show(res, m[1]);
    }
    if (path === '/api/results.csv') {
      only('GET');
      const finished = await o.queue.finished();
      const csv = toCsv(finished.map((s) => s.result!).filter(Boolean));
      res.writeHead(200, {
        'Content-Type': 'text/csv; charset=utf-8',
        'Content-Disposition': 'attachment; filename="grades.csv"',
        'Cache-Control': 'no-store',
      });
      res.end(csv);
      return;
    }
    if (path === '/api/health') {
      only('GET');
      sendJson(res, 200, { redis: 'ready', counts: await o.queue.counts() });
      return;
    }
    throw new ApiError(404, 'not-found', `no such endpoint: ${method} ${path}`);
  }

  async function submit(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const query = QuerySchema.safeParse({ assignment: url.searchParams.get('assignment') ?? undefined, name: url.searchParams.get('name') ?? undefined });
    if (!query.success) {
      const issue = query.error.issues[0];
      throw new ApiError(
        400,
        'bad-query',
        `query parameter ${issue?.path.join('.') || '?'}: ${issue?.message ?? 'invalid'} (POST /api/submissions?assignment=callbacks&name=FILE)`,
      );
    }
    const body = await readBody(req, o.maxUploadBytes);
    if (body.length === 0) throw new ApiError(400, 'empty-body', 'the request body is empty: send the submission file itself as the body');
    const { id, existing } = await o.queue.submit(query.data.assignment, query.data.name, body, o.settings, { attempts: o.attempts });
    if (!existing) log(`queued ${query.data.name} (${id.slice(0, 12)})`);
    sendJson(res, 202, { id, existing, url: `/api/submissions/${id}` }, { Location: `/api/submissions/${id}` });
  }

  async function show(res: ServerResponse, id: string): Promise<void> {
    const s = await o.queue.state(id);
    if (!s) throw new ApiError(404, 'unknown-submission', `no submission with id ${id}`);
    sendJson(res, 200, publicState(s));
  }

  async function events(req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
    const first = await o.queue.state(id);
    if (!first) throw new ApiError(404, 'unknown-submission', `no submission with id ${id}`);
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    streams.add(res);
    let last = '';
    let closed = false;
    const send = (s: SubmissionState) => {
      const key = `${s.status}/${s.attempts}`;
      if (closed || key === last) return;
      last = key;
      res.write(`event: status\ndata: ${JSON.stringify(publicState(s))}\n\n`);
      if (s.status === 'done' || s.status === 'failed') finish();
    };
    let refreshing = false;
    const refresh = async () => {
      if (refreshing || closed) return;
      refreshing = true;
      try {
        const s = await o.queue.state(id);
        if (s) send(s);
      } catch {
        /* Redis is down: the poll tries again; the stream stays open */
      } finally {
        refreshing = false;
      }
    };
    const onChange = (changed: string) => {
      if (changed === id) void refresh();
    };
    const poll = setInterval(() => void refresh(), SSE_POLL_MS);
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), SSE_HEARTBEAT_MS);
    function finish() {
      if (closed) return;
      closed = true;
      clearInterval(poll);
      clearInterval(heartbeat);
      o.queue.changes.off('change', onChange);
      streams.delete(res);
      res.end();
    }
    o.queue.changes.on('change', onChange);
    req.on('close', finish);
    send(first);
  }

  const server = createServer((req, res) => {
    route(req, res).catch((e: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (e instanceof ApiError) {
        sendJson(res, e.status, { error: { code: e.code, message: e.message } }, e.headers);
        if (e.status === 413) req.destroy();
      } else if (isRedisDown(e, o.queue)) {
        sendJson(
          res,
          503,
          {
            error: {
              code: 'redis-unavailable',
              message: `the grading queue (Redis) is unavailable right now; nothing was stored, retry in ${RETRY_AFTER_S} s`,
            },
          },
          { 'Retry-After': String(RETRY_AFTER_S) },
        );
      } else {
        log(`internal error on ${req.method} ${req.url}: ${(e as Error)?.stack ?? String(e)}`);
        sendJson(res, 500, { error: { code: 'internal', message: 'internal error (a bug in normlab); the server log has the details' } });
      }
    });
  });
  // Longer than clients' and proxies' idle timeouts, so that the server never closes a kept-alive
  // connection just as a client reuses it (the client would see ECONNRESET).
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: urlFor(o.host, port),
    port,
    server,
    async close() {
      for (const s of streams) s.end();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        setTimeout(() => {
          server.closeAllConnections();
          resolve();
        }, 2000).unref();
      });
    },
  };
}
