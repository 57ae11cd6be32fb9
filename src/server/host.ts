/**
 * Which address `normlab serve` listens on, the URL it prints, and which Host headers it answers.
 *
 * The default is 127.0.0.1: the lab is for the learner at this machine, and the server hands out dataset
 * files and the last study. `--host 0.0.0.0` (or `::`) opens it to the network, e.g. for a phone on the
 * same Wi-Fi, and the CLI says so when it starts.
 *
 * Host header check (DNS rebinding): a page on another site can make a browser resolve its own name to
 * 127.0.0.1 and then read this server as "same origin". Such requests carry that site's name in the Host
 * header, so only IP literals and `localhost` are answered, never other names.
 */
import { isIP } from 'node:net';

export const DEFAULT_HOST = '127.0.0.1';

/** A listen address: an IPv4 or IPv6 literal, or `localhost`. Undefined when it is neither. */
export function parseHost(value: string): string | undefined {
  const host = value.trim().replace(/^\[(.*)\]$/, '$1');
  if (host.toLowerCase() === 'localhost') return 'localhost';
  return isIP(host) ? host : undefined;
}

/** An IPv6 literal in its shortest form ("0:0::1" → "::1"), as the URL parser writes it. */
function canonicalV6(host: string): string {
  return new URL(`http://[${host}]/`).hostname.slice(1, -1);
}

/** Whether `host` listens on every interface (0.0.0.0 / ::). */
export function isUnspecified(host: string): boolean {
  return host === '0.0.0.0' || (isIP(host) === 6 && canonicalV6(host) === '::');
}

/** Whether only this machine can reach `host`. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return isIP(host) === 6 && canonicalV6(host) === '::1';
}

/** The URL to print and open: a wildcard address is reached through loopback. */
export function urlFor(host: string, port: number): string {
  const shown = host === '0.0.0.0' ? '127.0.0.1' : isUnspecified(host) ? '::1' : host;
  return `http://${isIP(shown) === 6 ? `[${shown}]` : shown}:${port}/`;
}

/** Whether a request's Host header names this server: an IP literal or localhost, with our port. */
export function hostHeaderAllowed(header: string | undefined, port: number): boolean {
  if (!header) return false;
  const match = /^(\[[0-9a-f:.]+\]|[^:]+):(\d+)$/i.exec(header.trim());
  if (!match || Number(match[2]) !== port) return false;
  const name = match[1].replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return name === 'localhost' || isIP(name) !== 0;
}
