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
import { gunzipSync } from 'node:zlib';
import { NormlabError } from '../errors.js';
import { isGzip, parseIdx, type IdxContent } from './idx-format.js';

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
 * Decode the bytes of an IDX file, gzip-compressed or raw. Compression is recognised by content, not by
 * name, because some browsers and HTTP clients silently decompress a `.gz` download and keep its name.
 */
export function decodeIdx(bytes: Uint8Array, file: string): DecodedIdx {
  const gzipped = isGzip(bytes);
  let raw = bytes;
  if (gzipped) {
    try {
      raw = gunzipSync(bytes);
    } catch (e) {
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
