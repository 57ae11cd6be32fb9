/**
 * Checking a dataset file in the browser exactly as the CLI does: gunzip when the bytes are gzip
 * (recognised by content, not by name), SHA-256 of the *decompressed* bytes (WebCrypto, or where a page has
 * none, @noble/hashes), compared with
 * the registry (src/data/registry.ts). A hash that is another registered file is named (the MNIST /
 * Fashion-MNIST mix-up); any other hash is a corrupt or foreign file. Nothing here trusts a file name.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { isGzip, DATASETS, identifyByHash, officialFiles, yieldToEventLoop, type DatasetName, type FileKind, type Split } from '../../../src/browser.js';

export type ProblemKind = 'offline' | 'cors' | 'http' | 'corrupt' | 'mixup' | 'missing';

/** A dataset problem the page shows as one sentence plus what to do. */
export class DatasetProblem extends Error {
  constructor(
    readonly kind: ProblemKind,
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = 'DatasetProblem';
  }
}

export interface FileId {
  name: DatasetName;
  split: Split;
  kind: FileKind;
}

/** The decompressed file name, e.g. "train-images-idx3-ubyte". */
export function rawName(split: Split, kind: FileKind): string {
  return officialFiles(split)[kind].replace(/\.gz$/, '');
}

export function describeFile(id: FileId): string {
  return `${DATASETS[id.name].title} ${id.split} ${id.kind} (${officialFiles(id.split)[id.kind]})`;
}

export async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Whether this page has WebCrypto (a secure context: https, or localhost). */
export function cryptoAvailable(): boolean {
  return typeof crypto !== 'undefined' && crypto.subtle !== undefined;
}

/**
 * SHA-256 as lower-case hex. WebCrypto where the page has it; elsewhere — a site on plain http at a LAN
 * address or an intranet name, which browsers do not count as secure — the audited pure-JS SHA-256 of
 * @noble/hashes, so files are verified the same way wherever the lab is opened.
 */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  if (!cryptoAvailable()) return portableSha256Hex(bytes);
  const digest = await crypto.subtle.digest('SHA-256', bytes as BufferSource);
  return bytesToHex(new Uint8Array(digest));
}

/** Bytes hashed between two yields to the event loop, so the page stays responsive (a few ms each). */
const PORTABLE_PIECE = 1 << 20;

/** SHA-256 without WebCrypto (see sha256Hex), fed in pieces with a yield between them. */
export async function portableSha256Hex(bytes: Uint8Array): Promise<string> {
  const hash = sha256.create();
  for (let at = 0; at < bytes.length; at += PORTABLE_PIECE) {
    hash.update(bytes.subarray(at, at + PORTABLE_PIECE));
    if (at + PORTABLE_PIECE < bytes.length) await yieldToEventLoop();
  }
  return bytesToHex(hash.digest());
}

/** Decompressed bytes when `bytes` is gzip, else `bytes`; a broken gzip stream is a corrupt file. */
export async function decompressed(bytes: Uint8Array, what: string): Promise<Uint8Array> {
  if (!isGzip(bytes)) return bytes;
  try {
    return await gunzip(bytes);
  } catch {
    throw new DatasetProblem('corrupt', `${what} is a damaged gzip file (it stops or breaks before its end).`, 'download it again, or pick another copy');
  }
}

/** Which registered file these decompressed bytes are, or undefined. */
export async function identify(raw: Uint8Array): Promise<(FileId & { sha256: string }) | { sha256: string; name?: undefined }> {
  const sha256 = await sha256Hex(raw);
  const known = identifyByHash(sha256);
  return known ? { name: known.dataset.name, split: known.split, kind: known.kind, sha256 } : { sha256 };
}

/** Throws unless `raw` is exactly the registered file `want`; `source` says where it came from. */
export async function verifyAs(raw: Uint8Array, want: FileId, source: string): Promise<void> {
  const found = await identify(raw);
  const expected = DATASETS[want.name].splits[want.split][want.kind].sha256;
  if (found.sha256 === expected) return;
  if (found.name !== undefined) {
    const other = DATASETS[found.name];
    const mixup = found.name !== want.name;
    throw new DatasetProblem(
      mixup ? 'mixup' : 'corrupt',
      `${source} gave the ${other.title} ${found.split} ${found.kind} file where ${describeFile(want)} belongs${mixup ? ` — ${other.title} and ${DATASETS[want.name].title} use the same file names` : ''}.`,
      mixup ? `choose ${other.title} as the dataset, or get the ${DATASETS[want.name].title} files` : 'check that the four files are in their right places',
    );
  }
  throw new DatasetProblem(
    'corrupt',
    `${source} gave a file that is not ${describeFile(want)}: its SHA-256 is ${found.sha256.slice(0, 12)}…, the registered one ${expected.slice(0, 12)}… (corrupt, truncated or another file).`,
    'download the official file again, or pick another copy',
  );
}
