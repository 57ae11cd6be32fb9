/**
 * Connections to Redis for the grading queue. Two kinds, because they fail differently on purpose:
 *
 *   worker connections   wait out an outage: commands queue up while disconnected and are sent when Redis
 *                        is back (BullMQ requires maxRetriesPerRequest: null for its blocking calls), so a
 *                        grade finished during a Redis restart is still stored.
 *   request connections  (the HTTP API, `grade DIR --redis`) fail fast: no offline queue, so a request
 *                        during an outage gets a clear "Redis is unavailable" at once instead of hanging.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { NormlabError } from '../../errors.js';
import { redactUrl } from './url.js';

/** Reconnect quickly at first, then every 2 s, for ever: Redis restarts are expected, not fatal. */
const retryStrategy = (times: number) => Math.min(100 * times, 2000);

export function workerConnection(url: string, name: string): Redis {
  const options: RedisOptions = { maxRetriesPerRequest: null, enableReadyCheck: true, retryStrategy, connectionName: name, lazyConnect: true };
  return quiet(new Redis(url, options));
}

export function requestConnection(url: string, name: string): Redis {
  const options: RedisOptions = {
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    enableReadyCheck: true,
    retryStrategy,
    connectionName: name,
    connectTimeout: 2000,
    commandTimeout: 5000,
    lazyConnect: true,
  };
  return quiet(new Redis(url, options));
}

/**
 * Connection errors are expected while Redis restarts and are retried by ioredis; without a listener,
 * ioredis prints each one with a stack. Callers see the state through `status` (and 503s, log lines).
 */
function quiet(redis: Redis): Redis {
  redis.on('error', () => undefined);
  return redis;
}

/** Connects (lazy connections) and fails with a one-line error if Redis cannot be reached within `waitMs`. */
export async function connectOrExplain(redis: Redis, url: string, waitMs = 5000): Promise<void> {
  const safeUrl = redactUrl(url);
  const attempt = redis.connect().catch(() => undefined);
  const ready = new Promise<void>((resolve, reject) => {
    if (redis.status === 'ready') return resolve();
    const timer = setTimeout(
      () =>
        reject(
          new NormlabError(
            'redis',
            `cannot reach Redis at ${safeUrl} (waited ${waitMs / 1000} s)`,
            'start it (e.g. `redis-server --appendonly yes`), or check the --redis URL',
          ),
        ),
      waitMs,
    );
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  try {
    await Promise.all([attempt, ready]);
  } catch (e) {
    redis.disconnect();
    throw e;
  }
}

/** Thrown by request paths while Redis is down; the API answers it with 503 and Retry-After. */
export class RedisUnavailable extends Error {
  constructor(readonly reason: string) {
    super(`Redis is unavailable: ${reason}`);
    this.name = 'RedisUnavailable';
  }
}

/** Rejects at once when the connection is not ready (instead of waiting for a reconnect). */
export function requireReady(redis: Redis): void {
  if (redis.status !== 'ready') throw new RedisUnavailable(`connection is ${redis.status}`);
}
