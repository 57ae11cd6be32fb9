/**
 * Read IDX files in Node: gunzip when the bytes are gzip, hash the decompressed bytes, parse.
 *
 * Why hash the *decompressed* bytes: the same data ships in different gzip wrappers (Debian recompresses
 * Fashion-MNIST; the lab's MNIST copy was recompressed too), so only the decompressed content identifies
 * a dataset reliably.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { constants as zlib, gunzipSync } from 'node:zlib';
import { NormlabError } from '../errors.js';
import { declaredIdxBytes, isGzip, parseIdx, type IdxContent } from './idx-format.js';

export interface DecodedIdx {
  /** The file's name or path, as given (used in messages). */
  file: string;
  content: IdxContent;
  /** SHA-256 (hex) of the decompressed IDX bytes. */
  sha256: string;
  /** Whether the file was gzip-compressed. */
  gzipped: boolean;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * No IDX file normlab reads may inflate past this: 20× the largest registered file (47,040,016 bytes of
 * MNIST training images), and more pixels than a model within the engine's 2 GiB memory limit could train
 * on. A header that declares more is refused before anything is inflated.
 */
export const MAX_IDX_BYTES = 1024 ** 3;

/**
 * Compressed prefixes inflated, shortest first, until one yields the IDX header (at most 16 bytes). Deflate
 * expands at most ~1032:1, so even 1024 compressed bytes inflate to about 1 MiB: the probe stays cheap
 * for a bomb too.
 */
const HEADER_PROBES = [64, 256, 1024];

/**
 * How far a gzip file may inflate: what its IDX header declares (read by inflating only its first bytes),
 * never more than `limit` (e.g. the registered size) or MAX_IDX_BYTES. A gzip bomb (a 5 MB file whose
 * header says 500 images but that inflates to 5 GiB) is stopped at the declared size.
 */
function inflateCap(bytes: Uint8Array, limit: number | undefined): { cap: number; declared?: number } {
  let declared: number | undefined;
  for (const probe of HEADER_PROBES) {
    try {
      const head = gunzipSync(bytes.subarray(0, probe), { finishFlush: zlib.Z_SYNC_FLUSH, maxOutputLength: 2 * 1024 * 1024 });
      if (head.length >= 16 || probe >= bytes.length) {
        declared = declaredIdxBytes(head);
        break;
      }
    } catch {
      break; // not even the start inflates: the full inflate below reports it
    }
  }
  return { cap: Math.min(declared ?? Infinity, limit ?? Infinity, MAX_IDX_BYTES), declared };
}

function inflate(bytes: Uint8Array, file: string, limit: number | undefined): Uint8Array {
  const { cap, declared } = inflateCap(bytes, limit);
  try {
    // maxOutputLength stops zlib as soon as the output would pass the cap, so memory stays bounded.
    return gunzipSync(bytes, { maxOutputLength: cap });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      const what =
        declared !== undefined && declared <= cap
          ? `the ${declared} bytes its IDX header declares`
          : limit !== undefined && limit <= cap
            ? `the ${limit} bytes this file should have`
            : `${cap} bytes, the most normlab reads from one IDX file`;
      throw new NormlabError(
        'idx-gzip',
        `${file} inflates to more than ${what} (${bytes.length} compressed bytes); decompression stopped there: the file is corrupt or a gzip bomb.`,
        `delete ${basename(file)} and download it again from a trusted source`,
      );
    }
    throw e;
  }
}

/**
 * Decode the bytes of an IDX file, gzip-compressed or raw. Compression is recognised by content, not by
 * name, because some browsers and HTTP clients silently decompress a `.gz` download and keep its name.
 * `maxBytes` caps the decompressed size further (the registered size of a download).
 */
export function decodeIdx(bytes: Uint8Array, file: string, maxBytes?: number): DecodedIdx {
  const gzipped = isGzip(bytes);
  let raw = bytes;
  if (gzipped) {
    try {
      raw = inflate(bytes, file, maxBytes);
    } catch (e) {
      if (e instanceof NormlabError) throw e;
      throw new NormlabError(
        'idx-gzip',
        `${file} is a corrupt or truncated gzip file (${(e as Error).message}; ${bytes.length} compressed bytes).`,
        `delete ${basename(file)} and download it again`,
      );
    }
  } else if (file.endsWith('.gz') && !(bytes.length >= 2 && bytes[0] === 0 && bytes[1] === 0)) {
    // Neither gzip nor IDX: say "not gzip" rather than "bad IDX magic", which would mislead.
    throw new NormlabError(
      'idx-gzip',
      `${file} is named .gz but is not a gzip file (it starts with bytes ${hexPrefix(bytes)}, gzip starts with 1f 8b).`,
      `delete ${basename(file)} and download it again (an HTML error page saved under the file's name looks like this)`,
    );
  }
  return { file, content: parseIdx(raw, file), sha256: sha256Hex(raw), gzipped };
}

/** Read and decode one IDX file from disk. */
export function readIdx(path: string): DecodedIdx {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new NormlabError('dataset-read', `cannot read ${path}: ${err.code ?? err.message}.`, 'check that the file exists and is readable');
  }
  return decodeIdx(bytes, path);
}

function hexPrefix(bytes: Uint8Array): string {
  return Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ') || '(empty file)';
}
