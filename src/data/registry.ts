/**
 * The datasets normlab knows by name: class names, official file names, download mirrors, item counts,
 * and the SHA-256 of every *decompressed* file. Plain data, no Node APIs (the browser uses it too).
 *
 * Where the hashes come from:
 * - Fashion-MNIST, all four files: measured on this project's machines from Debian's
 *   dataset-fashion-mnist 0.0~git20200523.55506a9-1 (/usr/share/datasets/fashion-mnist). Debian's gzip
 *   wrappers differ from upstream's (their .gz MD5s are not the ones upstream publishes), the decompressed
 *   bytes are the same; the values also agree with public projects that pin Fashion-MNIST's raw files.
 * - MNIST test split (t10k-*): measured here from /work/shared/datasets/mnist; equal to that folder's README
 *   and to public sources.
 * - MNIST train split (train-*): NOT measured here (the files are not available offline). Taken from public
 *   sources; many independent projects on GitHub pin exactly these values for the decompressed
 *   files (47,040,016 and 60,008 bytes), next to the gzip SHA-256s that tfds uses
 *   (440fcabf… and 3552534a…).
 */

export const DATASET_NAMES = ['fashion-mnist', 'mnist'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];
export type Split = 'train' | 'test';
export const SPLITS: readonly Split[] = ['train', 'test'];
export type FileKind = 'images' | 'labels';

export interface RegisteredFile {
  /** The official file name, as the mirrors serve it (gzip). The raw file has the same name without `.gz`. */
  file: string;
  /** Number of images or labels in the file. */
  count: number;
  /** SHA-256 (hex) of the decompressed file. */
  sha256: string;
}

export interface RegisteredDataset {
  name: DatasetName;
  /** Human name for messages, e.g. "Fashion-MNIST". */
  title: string;
  classNames: string[];
  height: number;
  width: number;
  /** Base URLs tried in order; the file name is appended. */
  mirrors: string[];
  /** Where a system package puts the files, if one exists (searched after the user cache). */
  systemDirs: string[];
  /** A command that installs the files system-wide, if there is one (used in error hints). */
  installCommand?: string;
  splits: Record<Split, Record<FileKind, RegisteredFile>>;
}

const OFFICIAL_FILES: Record<Split, Record<FileKind, string>> = {
  train: { images: 'train-images-idx3-ubyte.gz', labels: 'train-labels-idx1-ubyte.gz' },
  test: { images: 't10k-images-idx3-ubyte.gz', labels: 't10k-labels-idx1-ubyte.gz' },
};

function splitFiles(split: Split, count: number, sha256: Record<FileKind, string>): Record<FileKind, RegisteredFile> {
  return {
    images: { file: OFFICIAL_FILES[split].images, count, sha256: sha256.images },
    labels: { file: OFFICIAL_FILES[split].labels, count, sha256: sha256.labels },
  };
}

export const DATASETS: Record<DatasetName, RegisteredDataset> = {
  'fashion-mnist': {
    name: 'fashion-mnist',
    title: 'Fashion-MNIST',
    classNames: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
    height: 28,
    width: 28,
    mirrors: [
      // HTTPS only: the SHA-256 check guarantees the bytes, TLS keeps what is fetched private and stops a
      // network in between from feeding junk (the plain-HTTP S3 website endpoint was dropped for that).
      'https://fashion-mnist.s3-website.eu-central-1.amazonaws.com/',
      'https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/',
    ],
    systemDirs: ['/usr/share/datasets/fashion-mnist'],
    installCommand: 'sudo apt-get install dataset-fashion-mnist',
    splits: {
      // measured here (Debian dataset-fashion-mnist)
      train: splitFiles('train', 60000, {
        images: 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888',
        labels: 'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9',
      }),
      // measured here (Debian dataset-fashion-mnist)
      test: splitFiles('test', 10000, {
        images: '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b',
        labels: '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34',
      }),
    },
  },
  mnist: {
    name: 'mnist',
    title: 'MNIST digits',
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    height: 28,
    width: 28,
    mirrors: ['https://ossci-datasets.s3.amazonaws.com/mnist/', 'https://storage.googleapis.com/cvdf-datasets/mnist/'],
    systemDirs: [],
    splits: {
      // public sources only — not measured here (see the header comment)
      train: splitFiles('train', 60000, {
        images: 'ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db',
        labels: '65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5',
      }),
      // measured here (/work/shared/datasets/mnist), equal to public sources
      test: splitFiles('test', 10000, {
        images: '0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7',
        labels: 'ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2',
      }),
    },
  },
};

/** The official file names of a split (the same for every registered dataset). */
export function officialFiles(split: Split): Record<FileKind, string> {
  return OFFICIAL_FILES[split];
}

export interface KnownFile {
  dataset: RegisteredDataset;
  split: Split;
  kind: FileKind;
}

/** Which registered file has this decompressed SHA-256, if any. */
export function identifyByHash(sha256: string): KnownFile | undefined {
  for (const dataset of Object.values(DATASETS)) {
    for (const split of SPLITS) {
      for (const kind of ['images', 'labels'] as const) {
        if (dataset.splits[split][kind].sha256 === sha256) return { dataset, split, kind };
      }
    }
  }
  return undefined;
}

/** The decompressed size of a registered file: the IDX header plus one byte per pixel or label. */
export function registeredBytes(dataset: RegisteredDataset, split: Split, kind: FileKind): number {
  const { count } = dataset.splits[split][kind];
  return kind === 'images' ? 16 + count * dataset.height * dataset.width : 8 + count;
}

/** "the MNIST digits test split", "the Fashion-MNIST train split" (for messages). */
export function describeSplit(dataset: RegisteredDataset, split: Split): string {
  return `the ${dataset.title} ${split} split`;
}
