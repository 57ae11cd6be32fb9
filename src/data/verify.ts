/**
 * Checking that loaded IDX files are what they claim to be: the dataset asked for (by SHA-256 of the
 * decompressed bytes), images where images belong, and as many labels as images.
 * Pure functions over decoded files; they only decide and explain.
 */
import { basename, dirname } from 'node:path';
import { NormlabError } from '../errors.js';
import type { DecodedIdx } from './idx.js';
import { describeIdx, type IdxImages, type IdxLabels } from './idx-format.js';
import { identifyByHash, type FileKind, type KnownFile, type RegisteredDataset, type Split } from './registry.js';

export interface DecodedSplit {
  images: DecodedIdx;
  labels: DecodedIdx;
}

const KINDS: readonly FileKind[] = ['images', 'labels'];

const describeKnown = (k: KnownFile) => `the ${k.dataset.title} ${k.split} ${k.kind}`;

/**
 * Throw unless both files' hashes are the registered ones for `dataset`/`split`:
 * 'dataset-identity' when a file is some *other* known file (wrong dataset, split or kind),
 * 'dataset-checksum' when it matches nothing known (modified or corrupt).
 */
export function verifyNamedSplit(dataset: RegisteredDataset, split: Split, files: DecodedSplit): void {
  const foreign: { kind: FileKind; file: DecodedIdx; known: KnownFile }[] = [];
  const unknown: { kind: FileKind; file: DecodedIdx }[] = [];
  for (const kind of KINDS) {
    const file = files[kind];
    if (file.sha256 === dataset.splits[split][kind].sha256) continue;
    const known = identifyByHash(file.sha256);
    if (known) foreign.push({ kind, file, known });
    else unknown.push({ kind, file });
  }
  if (foreign.length > 0) throw identityError(dataset, split, foreign);
  if (unknown.length > 0) {
    const { kind, file } = unknown[0];
    const expected = dataset.splits[split][kind].sha256;
    throw new NormlabError(
      'dataset-checksum',
      `${file.file} does not match ${dataset.title}'s ${split} ${kind}: the SHA-256 of its decompressed bytes is ` +
        `${file.sha256}, expected ${expected} (it parses as ${describeIdx(file.content)}). The file is modified or corrupt.`,
      `replace it with the official file (delete it and normlab downloads a fresh copy), or load the folder as ` +
        `idx:${dirname(file.file)} to use these files unverified`,
    );
  }
}

function identityError(wanted: RegisteredDataset, split: Split, foreign: { kind: FileKind; file: DecodedIdx; known: KnownFile }[]): NormlabError {
  const first = foreign[0].known;
  const folder = dirname(foreign[0].file.file);
  // The common case: the whole folder is one other split, kinds in the right place.
  const wholeSplit =
    foreign.length === 2 && foreign.every((f) => f.known.dataset === first.dataset && f.known.split === first.split && f.known.kind === f.kind);
  let message: string;
  if (wholeSplit && first.dataset !== wanted) {
    const pair = new Set([first.dataset.name, wanted.name]);
    const mixUp =
      pair.has('mnist') && pair.has('fashion-mnist')
        ? ` — the lab's known mix-up: both datasets use the same file names and 28×28 images, only the content differs`
        : '';
    message = `You asked for ${wanted.title} (${split} split), but the files in ${folder} are ${describeSplitOf(first)}, not ${wanted.title}${mixUp}.`;
  } else if (wholeSplit) {
    message = `You asked for the ${wanted.title} ${split} split, but the files in ${folder} are ${describeSplitOf(first)}: the ${first.split} files carry the ${split} split's names.`;
  } else {
    const lines = foreign.map((f) => `${basename(f.file.file)} holds ${describeKnown(f.known)}`);
    message = `The files in ${folder} are not the ${wanted.title} ${split} split: ${lines.join('; ')}.`;
  }
  const wantedSource =
    wanted.systemDirs.length > 0 ? ` (e.g. ${wanted.systemDirs[0]}${wanted.installCommand ? ` after \`${wanted.installCommand}\`` : ''})` : '';
  const hint =
    first.dataset !== wanted
      ? `point --data-dir at ${wanted.title}'s files${wantedSource}, or ask for --dataset ${first.dataset.name} if you meant ${first.dataset.title}`
      : `restore the official file names: train-* files hold the train split, t10k-* files the test split`;
  return new NormlabError('dataset-identity', message, hint);
}

function describeSplitOf(k: KnownFile): string {
  return `the ${k.dataset.title} ${k.split} split`;
}

/** The decoded file as images, or a clear error when it holds labels. */
export function expectImages(file: DecodedIdx): IdxImages {
  if (file.content.kind === 'images') return file.content;
  throw kindError(file, 'images');
}

/** The decoded file as labels, or a clear error when it holds images. */
export function expectLabels(file: DecodedIdx): IdxLabels {
  if (file.content.kind === 'labels') return file.content;
  throw kindError(file, 'labels');
}

function kindError(file: DecodedIdx, expected: FileKind): NormlabError {
  return new NormlabError(
    'idx-kind',
    `${file.file} should hold ${expected} (IDX magic ${expected === 'images' ? '0x00000803' : '0x00000801'}), ` + `but holds ${describeIdx(file.content)}.`,
    'the images and labels files look swapped: *-images-idx3-ubyte holds images, *-labels-idx1-ubyte holds labels',
  );
}

/** Images and labels must pair up one to one. */
export function checkCounts(images: DecodedIdx, labels: DecodedIdx): void {
  if (images.content.count === labels.content.count) return;
  throw new NormlabError(
    'dataset-count',
    `${images.file} holds ${images.content.count} images but ${labels.file} holds ${labels.content.count} labels; ` + 'every image needs exactly one label.',
    'use the images and labels of the same split (train-* with train-*, t10k-* with t10k-*), and check that neither file was cut short',
  );
}
