/**
 * Downloading a named dataset's missing files into the user cache.
 *
 * Each file is tried on every mirror in order; the bytes are decompressed and their SHA-256 checked
 * *before* anything touches the disk, and the file appears in the cache only by an atomic rename of a
 * complete temp file — so an interrupted or wrong download never leaves a file that looks valid.
 * `fetch` is injectable: tests serve real bytes from a fake, and never touch the network.
 */
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { NormlabError } from '../errors.js';
import { writeFileAtomic } from '../util/files.js';
import { decodeIdx } from './idx.js';
import { checkDataDir, datasetCacheDir, locateSplit, missingFilesError, type Located, type SearchOptions } from './locate.js';
import { DATASETS, identifyByHash, registeredBytes, type DatasetName, type FileKind, type RegisteredDataset, type Split } from './registry.js';

export interface DownloadProgress {
  /** The official file name being downloaded. */
  file: string;
  /** Bytes received so far. */
  received: number;
  /** Total bytes, when the server says (Content-Length). */
  total?: number;
  /** The URL being fetched. */
  url?: string;
  /** Set on the last report for this URL (success or failure). */
  done?: boolean;
}

export type ProgressCallback = (p: DownloadProgress) => void;

export interface DownloadOptions {
  fetchImpl?: typeof fetch;
  onProgress?: ProgressCallback;
  /**
   * Abort a mirror that sends fewer than `minBytesPerWindow` bytes in this long (default 30 s): a stalled
   * mirror, or one trickling a byte every 20 s, should not hang the lab.
   */
  idleTimeoutMs?: number;
  /** See idleTimeoutMs (default 16 KiB, i.e. about 0.5 KiB/s). */
  minBytesPerWindow?: number;
}

/** Every mirror failed for one file; `attempts` says why, one entry per URL. */
export class DownloadFailed extends Error {
  constructor(
    readonly file: string,
    readonly attempts: string[],
  ) {
    super(attempts.join('\n'));
  }
}

/** Download one file of a split into `targetDir`, verified; returns the path written. */
export async function downloadFile(dataset: RegisteredDataset, split: Split, kind: FileKind, targetDir: string, opts: DownloadOptions = {}): Promise<string> {
  const spec = dataset.splits[split][kind];
  const attempts: string[] = [];
  // The most a mirror may send: the decompressed size (a raw copy) plus gzip's worst-case overhead.
  const expected = registeredBytes(dataset, split, kind);
  const maxDownload = expected + Math.ceil(expected / 1000) + 1024;
  for (const mirror of dataset.mirrors) {
    const url = new URL(spec.file, mirror).href;
    if (new URL(url).protocol !== 'https:') {
      attempts.push(`${url} → not HTTPS: normlab downloads only over HTTPS`);
      continue;
    }
    let bytes: Uint8Array;
    try {
      bytes = await fetchBytes(url, spec.file, maxDownload, opts);
    } catch (e) {
      attempts.push(`${url} → ${describeFetchError(e)}`);
      continue;
    }
    let decoded;
    try {
      decoded = decodeIdx(bytes, url, expected);
    } catch (e) {
      if (!(e instanceof NormlabError)) throw e;
      attempts.push(`${url} → ${e.message}`);
      continue;
    }
    if (decoded.sha256 !== spec.sha256) {
      const known = identifyByHash(decoded.sha256);
      const what = known ? ` (that is the ${known.dataset.title} ${known.split} ${known.kind})` : '';
      attempts.push(`${url} → SHA-256 of the decompressed file is ${decoded.sha256}${what}, expected ${spec.sha256}`);
      continue;
    }
    // Keep the bytes as served: gzip under the official name, or raw (without .gz) when the server or an
    // HTTP layer already decompressed them — the name must say what the content is.
    const name = decoded.gzipped ? spec.file : spec.file.replace(/\.gz$/, '');
    return writeAtomically(targetDir, name, bytes);
  }
  throw new DownloadFailed(spec.file, attempts);
}

async function fetchBytes(url: string, file: string, maxBytes: number, opts: DownloadOptions): Promise<Uint8Array> {
  const fetchImpl = opts.fetchImpl ?? fetch;
  const controller = new AbortController();
  const windowMs = opts.idleTimeoutMs ?? 30_000;
  const minBytes = opts.minBytesPerWindow ?? 16 * 1024;
  let received = 0;
  let total: number | undefined;
  let receivedAtWindowStart = 0;
  // Not unref'd: while a download is pending, this timer may be the only thing keeping the process alive.
  const watchdog = setInterval(() => {
    if (received - receivedAtWindowStart < minBytes) {
      const got = received - receivedAtWindowStart;
      controller.abort(new Error(got === 0 ? `no data for ${windowMs / 1000} s` : `only ${got} bytes in ${windowMs / 1000} s: the mirror is stalled`));
    }
    receivedAtWindowStart = received;
  }, windowMs);
  try {
    const response = await fetchImpl(url, { signal: controller.signal, redirect: 'follow' });
    if (!response.ok) throw new Error(`HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
    // A redirect may not leave HTTPS.
    if (response.url && new URL(response.url).protocol !== 'https:') throw new Error(`redirected to ${response.url}, which is not HTTPS`);
    const length = Number(response.headers.get('content-length'));
    total = Number.isFinite(length) && length > 0 ? length : undefined;
    if (total !== undefined && total > maxBytes) throw new Error(`the mirror announces ${total} bytes, more than the ${maxBytes} this file can take`);
    const chunks: Uint8Array[] = [];
    if (response.body) {
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        received += value.length;
        if (received > maxBytes) {
          await reader.cancel().catch(() => {});
          throw new Error(`the mirror sent more than ${maxBytes} bytes, more than this file can take; stopped there`);
        }
        opts.onProgress?.({ file, url, received, total });
      }
    }
    if (total !== undefined && received < total) throw new Error(`connection closed after ${received} of ${total} bytes`);
    return concat(chunks, received);
  } finally {
    clearInterval(watchdog);
    opts.onProgress?.({ file, url, received, total, done: true });
  }
}

function concat(chunks: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

function describeFetchError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  // undici reports "fetch failed" and hides the useful part (ENOTFOUND, ECONNREFUSED…) in `cause`.
  const cause = e.cause as { code?: string; message?: string } | undefined;
  const detail = cause?.code ?? cause?.message;
  return detail ? `${e.message} (${detail})` : e.message;
}

/** Write atomically (src/util/files.ts): readers see the whole file or none; a failure says the download succeeded. */
async function writeAtomically(dir: string, name: string, bytes: Uint8Array): Promise<string> {
  const target = join(dir, name);
  try {
    await writeFileAtomic(target, bytes);
  } catch (e) {
    const cause = (e as Error).message.replace(/^could not write \S+: /, '');
    throw new NormlabError(
      'dataset-cache',
      `cannot write ${target} (${cause}); the download itself succeeded.`,
      'make the cache folder writable, or download the files yourself and pass --data-dir DIR',
    );
  }
  return target;
}

export interface EnsureOptions extends SearchOptions, DownloadOptions {
  /** Download missing files into the cache (default true). */
  download?: boolean;
}

/**
 * Find a split's two files (see locate.ts for the order), downloading what the cache lacks when allowed.
 * Throws 'dataset-missing' naming the missing files, every place looked at and every failed URL.
 */
export async function ensureSplitFiles(name: DatasetName, split: Split, opts: EnsureOptions = {}): Promise<Located> {
  if (opts.dataDir !== undefined) checkDataDir(opts.dataDir);
  const { located, looked } = locateSplit(name, split, opts);
  if (located) return located;
  if (opts.dataDir !== undefined) {
    throw missingFilesError(name, split, looked, { attempted: false, reason: 'normlab never downloads when --data-dir is given' });
  }
  if (opts.download === false) {
    throw missingFilesError(name, split, looked, { attempted: false, reason: 'downloading is off (--no-download)' });
  }

  const cacheDir = datasetCacheDir(name, opts.cacheDir);
  const cached = looked.find((i) => i.place.source === 'cache');
  const files: Partial<Record<FileKind, string>> = { ...cached?.found };
  const failures: string[] = [];
  const onProgress = opts.onProgress ?? terminalProgress();
  for (const kind of ['images', 'labels'] as const) {
    if (files[kind]) continue;
    try {
      files[kind] = await downloadFile(DATASETS[name], split, kind, cacheDir, { ...opts, onProgress });
    } catch (e) {
      if (!(e instanceof DownloadFailed)) throw e;
      failures.push(...e.attempts);
    }
  }
  if (failures.length > 0) {
    // Look again so the message counts a file that did download as found.
    throw missingFilesError(name, split, locateSplit(name, split, opts).looked, { attempted: true, failures });
  }
  return { place: { directory: cacheDir, source: 'cache' }, files: files as Record<FileKind, string> };
}

/**
 * The default progress report: a cli-progress bar on stderr when it is a terminal, one line per file
 * otherwise (logs and CI should not fill with redraws). A mirror that fails before sending a byte draws
 * nothing: the final error lists every failed URL anyway.
 */
export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): ProgressCallback {
  const size = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${Math.ceil(n / 1e3)} kB`);
  let bar: cliProgress.SingleBar | undefined;
  let currentUrl: string | undefined;
  return (p) => {
    if (!p.done && p.url !== currentUrl) {
      bar?.stop();
      bar = undefined;
      currentUrl = p.url;
      if (stream.isTTY) {
        bar = new cliProgress.SingleBar(
          { stream, format: `${p.file} [{bar}] {percentage}% {got} of {size}`, hideCursor: true },
          cliProgress.Presets.shades_classic,
        );
        bar.start(p.total ?? p.received, p.received, { got: size(p.received), size: p.total ? size(p.total) : '?' });
      } else {
        stream.write(`downloading ${p.url ?? p.file}${p.total ? ` (${size(p.total)})` : ''}\n`);
      }
    }
    if (bar) {
      // Without a Content-Length the total grows with the data, so the bar reads "?" rather than lying.
      bar.setTotal(Math.max(p.total ?? 0, p.received));
      bar.update(p.received, { got: size(p.received), size: p.total ? size(p.total) : '?' });
    }
    if (p.done) {
      bar?.stop();
      bar = undefined;
      currentUrl = undefined;
    }
  };
}
