/**
 * The API's guards that need no library: bearer-token auth and a per-client rate limit.
 *
 * Token: compared as SHA-256 digests with timingSafeEqual, so neither the comparison's duration nor its
 * early exit tells a client how much of a guess was right (digests also make the lengths equal).
 *
 * Rate limit: a token bucket per client address (`burst` requests at once, refilled at `perMinute`). Written
 * here because it is ten lines; the buckets of clients idle long enough to be full again are dropped.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export function tokenMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  const given = createHash('sha256')
    .update(m ? m[1] : '')
    .digest();
  const wanted = createHash('sha256').update(token).digest();
  return timingSafeEqual(given, wanted) && m !== null;
}

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly perMs: number;

  constructor(
    readonly perMinute: number,
    readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
    this.perMs = perMinute / 60_000;
  }

  /** 0 when the request may go ahead (and is counted), else the seconds until it may. */
  take(client: string): number {
    const t = this.now();
    const b = this.buckets.get(client) ?? { tokens: this.burst, at: t };
    b.tokens = Math.min(this.burst, b.tokens + (t - b.at) * this.perMs);
    b.at = t;
    this.buckets.set(client, b);
    if (this.buckets.size > 10_000) this.prune(t);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.perMs / 1000));
  }

  private prune(t: number): void {
    for (const [k, b] of this.buckets) if (b.tokens + (t - b.at) * this.perMs >= this.burst) this.buckets.delete(k);
  }
}
