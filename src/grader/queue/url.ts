/** The --redis URL: checked before anything connects, and shown without its password. */
import { NormlabError } from '../../errors.js';

/** Checks a --redis value: redis://[user:pass@]host[:port][/db] or rediss:// (TLS). */
export function parseRedisUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new NormlabError('flag', `--redis ${value} is not a URL`, 'pass e.g. --redis redis://127.0.0.1:6379');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    throw new NormlabError('flag', `--redis ${value}: expected a redis:// or rediss:// URL`, 'pass e.g. --redis redis://127.0.0.1:6379');
  if (!url.hostname) throw new NormlabError('flag', `--redis ${value} has no host`, 'pass e.g. --redis redis://127.0.0.1:6379');
  if (url.pathname && url.pathname !== '/' && !/^\/\d{1,2}$/.test(url.pathname))
    throw new NormlabError('flag', `--redis ${value}: the path must be a database number, e.g. /0`, 'pass e.g. --redis redis://127.0.0.1:6379/0');
  return value;
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}
