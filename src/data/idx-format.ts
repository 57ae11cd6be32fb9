/**
 * The IDX file format (LeCun's MNIST format) — parsing only, no Node APIs, so the browser can use it too.
 *
 * Layout: a 4-byte magic number `00 00 TT NN` (TT = element type, NN = number of dimensions), then NN
 * big-endian uint32 dimension sizes, then the elements. normlab reads exactly two shapes, both uint8:
 *   images  0x00000803  [count, height, width]
 *   labels  0x00000801  [count]
 */
import { NormlabError } from '../errors.js';

export const IDX_IMAGES_MAGIC = 0x00000803;
export const IDX_LABELS_MAGIC = 0x00000801;

export interface IdxImages {
  kind: 'images';
  count: number;
  height: number;
  width: number;
  /** count·height·width pixels, row-major, 0–255. A view into the file's bytes (no copy). */
  data: Uint8Array;
}

export interface IdxLabels {
  kind: 'labels';
  count: number;
  /** One class index per item. */
  data: Uint8Array;
}

export type IdxContent = IdxImages | IdxLabels;

/** Element types the IDX format defines; named so a rejected file says what it holds. */
const IDX_DTYPES: Record<number, string> = {
  0x08: 'uint8',
  0x09: 'int8',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};

const hex8 = (n: number) => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

function formatError(file: string, what: string): NormlabError {
  return new NormlabError(
    'idx-format',
    `${file} is not a valid IDX file: ${what}.`,
    'use the official, unmodified files (e.g. train-images-idx3-ubyte.gz); delete this one and download it again if it came from a download',
  );
}

/**
 * Parse uncompressed IDX bytes. `file` names the file in error messages.
 * Accepts only uint8 images (3-D) and uint8 labels (1-D); the byte length must match the header exactly,
 * because a truncated or padded file is a broken download, not a smaller dataset.
 */
export function parseIdx(bytes: Uint8Array, file: string): IdxContent {
  if (bytes.length < 4) {
    throw formatError(file, `it is ${bytes.length} bytes long, shorter than the 4-byte IDX magic number`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  const dtype = bytes[2];
  const ndims = bytes[3];
  if (bytes[0] !== 0 || bytes[1] !== 0 || !(dtype in IDX_DTYPES)) {
    throw formatError(file, `its magic number is ${hex8(magic)}, expected ${hex8(IDX_IMAGES_MAGIC)} (images) or ${hex8(IDX_LABELS_MAGIC)} (labels)`);
  }
  if (dtype !== 0x08) {
    throw new NormlabError(
      'idx-dtype',
      `${file} holds ${IDX_DTYPES[dtype]} elements (magic ${hex8(magic)}); normlab reads only uint8 IDX files ` +
        `(magic ${hex8(IDX_IMAGES_MAGIC)} for images, ${hex8(IDX_LABELS_MAGIC)} for labels).`,
      'convert the data to uint8 pixels (0–255) and uint8 class labels, then write it as IDX again',
    );
  }
  if (ndims !== 3 && ndims !== 1) {
    throw formatError(
      file,
      `it has ${ndims} dimension${ndims === 1 ? '' : 's'} (magic ${hex8(magic)}), expected 3 for images [count, height, width] or 1 for labels [count]`,
    );
  }

  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) {
    throw formatError(file, `it ends inside the header: ${bytes.length} bytes, the header alone needs ${headerBytes}`);
  }
  const dims = Array.from({ length: ndims }, (_, i) => view.getUint32(4 + 4 * i));
  if (ndims === 3 && (dims[1] === 0 || dims[2] === 0)) {
    throw formatError(file, `its images are ${dims[1]}×${dims[2]} pixels`);
  }

  const expected = headerBytes + dims.reduce((a, b) => a * b, 1);
  if (bytes.length !== expected) {
    const shape = ndims === 3 ? `${dims[0]} images of ${dims[1]}×${dims[2]}` : `${dims[0]} labels`;
    const problem =
      bytes.length < expected
        ? `it is truncated: the header promises ${shape} = ${expected} bytes, found ${bytes.length} (${expected - bytes.length} missing)`
        : `it has extra bytes: the header promises ${shape} = ${expected} bytes, found ${bytes.length} (${bytes.length - expected} too many)`;
    throw formatError(file, problem);
  }

  // A plain Uint8Array view, not a Buffer: Buffer#slice shares memory where Uint8Array#slice copies,
  // a difference that would surprise code downstream.
  const data = new Uint8Array(bytes.buffer, bytes.byteOffset + headerBytes, expected - headerBytes);
  return ndims === 3 ? { kind: 'images', count: dims[0], height: dims[1], width: dims[2], data } : { kind: 'labels', count: dims[0], data };
}

/**
 * The total size an IDX header declares (header + elements), read from the first bytes of a file, or
 * undefined when those bytes are not a complete uint8 IDX header. Used to cap decompression: a file may
 * never inflate past what its own header promises.
 */
export function declaredIdxBytes(prefix: Uint8Array): number | undefined {
  if (prefix.length < 4 || prefix[0] !== 0 || prefix[1] !== 0 || prefix[2] !== 0x08) return undefined;
  const ndims = prefix[3];
  if (ndims !== 1 && ndims !== 3) return undefined;
  const headerBytes = 4 + 4 * ndims;
  if (prefix.length < headerBytes) return undefined;
  const view = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  let elements = 1;
  for (let i = 0; i < ndims; i++) elements *= view.getUint32(4 + 4 * i);
  return headerBytes + elements;
}

/** True when the bytes start with the gzip magic number (1f 8b). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Describe parsed content in a few words, e.g. "10000 images of 28×28" (for messages and notes). */
export function describeIdx(content: IdxContent): string {
  return content.kind === 'images' ? `${content.count} images of ${content.height}×${content.width}` : `${content.count} labels`;
}
