/**
 * Where the browser lab gets a dataset, in this order, and what it does with it:
 *   1. this browser's cache (Cache Storage, or IndexedDB where the page has no Cache Storage, as on a
 *      plain-http origin other than localhost: ./cache.ts), filled by an earlier visit,
 *   2. this site (`datasets/<name>/<file>`, when site.json lists it: `normlab site build --with-data`,
 *      or `normlab serve` on a machine that has the files),
 *   3. the registered mirrors that allow cross-origin reads (site.json may override the list),
 *   4. files the learner picks or drops (`addFiles`), which go into the cache.
 * Every file is SHA-256-verified on its decompressed bytes against the CLI's registry (./verify.ts)
 * before it is used or cached, and again when it is read back from the cache. Failures become one
 * DatasetProblem each, with a message a learner can act on.
 */
import {
  type Dataset,
  parseIdx,
  type IdxImages,
  DATASETS,
  officialFiles,
  SPLITS,
  type DatasetName,
  type FileKind,
  type Split,
  defaultCorsMirrors,
  type SiteConfig,
} from '../../../src/browser.js';
import { heldOutSplit, heldOutTrainCount } from '../data.js';
import { clearByteCaches, openByteCache, type ByteCache } from './cache.js';
import { DatasetProblem, decompressed, describeFile, identify, rawName, verifyAs, type FileId } from './verify.js';

const KINDS: FileKind[] = ['images', 'labels'];

export interface LoadProgress {
  /** Bytes received so far over all files of this load, and the total when known. */
  loaded: number;
  total: number | undefined;
  text: string;
}

/**
 * Where a dataset would come from. 'test-only': only its test split can be had (cache or site) and no
 * mirror serves the train split — MNIST on a site built where only the official test split exists. The
 * lab then trains on part of that split and tests on the rest (`heldOutSplit`), and says so.
 */
export type Availability = 'cached' | 'site' | 'mirror' | 'test-only' | 'pick';

export interface PickedVerdict {
  file: string;
  ok: boolean;
  text: string;
}

function fileIds(name: DatasetName): FileId[] {
  return SPLITS.flatMap((split) => KINDS.map((kind) => ({ name, split, kind })));
}

function cacheKey(id: FileId): string {
  return new URL(`normlab-cache/${id.name}/${rawName(id.split, id.kind)}`, document.baseURI).href;
}

/** Read a response body, reporting bytes as they arrive. */
async function readBody(response: Response, onBytes: (n: number) => void): Promise<Uint8Array> {
  if (!response.body) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    onBytes(bytes.length);
    return bytes;
  }
  const reader = response.body.getReader();
  const parts: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    length += value.length;
    onBytes(value.length);
  }
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export class DatasetStore {
  private readonly loaded = new Map<DatasetName, Promise<{ train: Dataset; test: Dataset }>>();
  private cache: Promise<ByteCache | undefined> | undefined;

  constructor(private readonly site: SiteConfig) {}

  /** This page's cache (opened once), or undefined when the browser offers none: the lab then works without. */
  openCache(): Promise<ByteCache | undefined> {
    this.cache ??= openByteCache();
    return this.cache;
  }

  private siteFile(id: FileId): string | undefined {
    const files = this.site.datasets[id.name] ?? [];
    const gz = officialFiles(id.split)[id.kind];
    const raw = rawName(id.split, id.kind);
    const file = files.includes(gz) ? gz : files.includes(raw) ? raw : undefined;
    return file && new URL(`datasets/${id.name}/${file}`, document.baseURI).href;
  }

  mirrors(name: DatasetName): string[] {
    return this.site.corsMirrors?.[name] ?? defaultCorsMirrors(name);
  }

  /** Where `name` would come from if loaded now. */
  async availability(name: DatasetName): Promise<Availability> {
    const cache = await this.openCache();
    const cached = cache ? await Promise.all(fileIds(name).map((id) => cache.has(cacheKey(id)).catch(() => false))) : [];
    if (cached.length && cached.every(Boolean)) return 'cached';
    const here = fileIds(name).map((id, i) => Boolean(this.siteFile(id) || cached[i]));
    if (here.every(Boolean)) return 'site';
    if (this.mirrors(name).length) return 'mirror';
    // fileIds order: train images, train labels, test images, test labels
    return here[2] && here[3] ? 'test-only' : 'pick';
  }

  /** A sentence for the data panel. */
  async describe(name: DatasetName): Promise<string> {
    const title = DATASETS[name].title;
    switch (await this.availability(name)) {
      case 'cached':
        return `${title} is in this browser's cache (verified when read).`;
      case 'site':
        return `${title} comes from this site (about ${name === 'mnist' ? 11 : 30} MB once, then from this browser's cache).`;
      case 'mirror':
        return `${title} will be downloaded from ${new URL(this.mirrors(name)[0]).hostname} (about 30 MB once, then from this browser's cache), or pick the four .gz files.`;
      case 'test-only': {
        const total = DATASETS[name].splits.test.images.count;
        const train = heldOutTrainCount(total);
        return `Only the ${title} test split (${total.toLocaleString('en')} images) is available here: the lab trains on its first ${train.toLocaleString('en')} images and tests on the other ${(total - train).toLocaleString('en')} — not the official split, so accuracy is not comparable with published ${title} results. Pick its train-images and train-labels .gz files for the full training set.`;
      }
      case 'pick':
        return `${title} is not on this site: pick or drop its four official .gz files (train-images, train-labels, t10k-images, t10k-labels).`;
    }
  }

  /** Both splits, verified; loaded once per page (later calls share the same promise). */
  load(name: DatasetName, onProgress: (p: LoadProgress) => void = () => {}): Promise<{ train: Dataset; test: Dataset }> {
    let pending = this.loaded.get(name);
    if (!pending) {
      pending = this.loadUncached(name, onProgress);
      this.loaded.set(name, pending);
      pending.catch(() => this.loaded.delete(name));
    }
    return pending;
  }

  private async loadUncached(name: DatasetName, onProgress: (p: LoadProgress) => void): Promise<{ train: Dataset; test: Dataset }> {
    const testOnly = (await this.availability(name)) === 'test-only';
    const ids = fileIds(name).filter((id) => !testOnly || id.split === 'test');
    const cache = await this.openCache();
    const progress = { loaded: 0, total: 0 as number | undefined };
    const files = await Promise.all(
      ids.map(async (id) => {
        return this.loadFile(id, cache, (n, size) => {
          if (size !== undefined && progress.total !== undefined) progress.total += size;
          else if (size === undefined && n === 0) progress.total = undefined;
          progress.loaded += n;
          onProgress({ loaded: progress.loaded, total: progress.total, text: `loading ${DATASETS[name].title}…` });
        });
      }),
    );
    const raws = files.map((f) => f.raw);
    const sources = files.map((f) => f.source); // in file order, so the sentence is the same every time
    onProgress({ loaded: progress.loaded, total: progress.total, text: `${DATASETS[name].title}: verified` });
    const from = [...new Set(sources)].join(' and ');
    const build = (split: Split, images: Uint8Array, labels: Uint8Array): Dataset => {
      const img = parseIdx(images, rawName(split, 'images')) as IdxImages;
      const lab = parseIdx(labels, rawName(split, 'labels'));
      return {
        name,
        split,
        count: img.count,
        height: img.height,
        width: img.width,
        images: img.data,
        labels: lab.data,
        classNames: DATASETS[name].classNames,
        verified: true,
        directory: from,
        notes: [],
      };
    };
    if (testOnly) return heldOutSplit(build('test', raws[0], raws[1]));
    return { train: build('train', raws[0], raws[1]), test: build('test', raws[2], raws[3]) };
  }

  /** One verified file: from the cache, else this site, else a mirror; cached once verified. */
  private async loadFile(id: FileId, cache: ByteCache | undefined, onBytes: (n: number, size?: number) => void): Promise<{ raw: Uint8Array; source: string }> {
    const key = cacheKey(id);
    const raw = await cache?.get(key).catch(() => undefined);
    if (raw) {
      try {
        await verifyAs(raw, id, 'the browser cache');
        onBytes(0, 0);
        return { raw, source: "this browser's cache" };
      } catch {
        await cache!.delete(key).catch(() => {}); // damaged in storage: fetch it again below
      }
    }
    const site = this.siteFile(id);
    const urls = [...(site ? [site] : []), ...this.mirrors(id.name).map((m) => new URL(officialFiles(id.split)[id.kind], m).href)];
    if (!urls.length) {
      throw new DatasetProblem(
        'missing',
        `${DATASETS[id.name].title} is not on this site and has no mirror a browser may read from.`,
        'pick or drop its four official .gz files below (they are then kept in this browser)',
      );
    }
    let problem: DatasetProblem | undefined;
    for (const url of urls) {
      const where = url === site ? 'this site' : `the mirror ${new URL(url).host}`;
      try {
        const raw = await this.fetchFile(url, id, where, onBytes);
        await verifyAs(raw, id, where);
        await cache?.put(key, raw).catch(() => {}); // a full or refused cache only costs the next visit a download
        return { raw, source: where };
      } catch (error) {
        if (!(error instanceof DatasetProblem)) throw error;
        problem ??= error; // the first source's problem is the one to explain
        if (error.kind === 'offline') break;
      }
    }
    throw problem!;
  }

  private async fetchFile(url: string, id: FileId, where: string, onBytes: (n: number, size?: number) => void): Promise<Uint8Array> {
    if (typeof navigator !== 'undefined' && navigator.onLine === false) throw this.offline(id);
    let response: Response;
    try {
      response = await fetch(url, { mode: 'cors', credentials: 'omit' });
    } catch {
      if (navigator.onLine === false) throw this.offline(id);
      const cross = new URL(url).origin !== location.origin;
      throw cross
        ? new DatasetProblem(
            'cors',
            `${where} did not let this page read ${describeFile(id)}: browsers only let a page read another site's files when that site allows cross-origin reads (CORS), and this one does not (or cannot be reached).`,
            'download the four files yourself and pick them below, or publish the site with `normlab site build --with-data`',
          )
        : new DatasetProblem('offline', `this site could not be reached for ${describeFile(id)}.`, 'check the connection and press Start again');
    }
    if (!response.ok) {
      throw new DatasetProblem(
        'http',
        `${where} answered HTTP ${response.status} for ${describeFile(id)}.`,
        'the site may be incomplete: pick the four .gz files below, or rebuild it with `normlab site build --with-data`',
      );
    }
    const size = Number(response.headers.get('Content-Length')) || undefined;
    onBytes(0, size);
    const bytes = await readBody(response, (n) => onBytes(n));
    return decompressed(bytes, `${describeFile(id)} from ${where}`);
  }

  private offline(id: FileId): DatasetProblem {
    return new DatasetProblem(
      'offline',
      `this browser is offline and ${describeFile(id)} is not in its cache yet.`,
      'connect once to download it, or pick the four .gz files below',
    );
  }

  /**
   * Files the learner picked or dropped: each is identified by its content (any name), verified and
   * cached. `wanted` is the dataset selected in the lab, to name the MNIST/Fashion-MNIST mix-up.
   */
  async addFiles(files: File[], wanted: DatasetName): Promise<PickedVerdict[]> {
    const cache = await this.openCache();
    const verdicts: PickedVerdict[] = [];
    for (const file of files) {
      try {
        const raw = await decompressed(new Uint8Array(await file.arrayBuffer()), file.name);
        const found = await identify(raw);
        if (found.name === undefined) {
          verdicts.push({
            file: file.name,
            ok: false,
            text: `${file.name} is not an official file of any dataset the lab knows (SHA-256 ${found.sha256.slice(0, 12)}…): corrupt, truncated, or another file.`,
          });
          continue;
        }
        const id: FileId = { name: found.name, split: found.split, kind: found.kind };
        this.loaded.delete(found.name);
        await cache?.put(cacheKey(id), raw).catch(() => {});
        const mixup = found.name !== wanted;
        verdicts.push({
          file: file.name,
          ok: !mixup,
          text: mixup
            ? `${file.name} is the ${DATASETS[found.name].title} ${found.split} ${found.kind} file, not ${DATASETS[wanted].title} (the two use the same file names). Kept for ${DATASETS[found.name].title}; choose that dataset to use it.`
            : `${file.name}: ${describeFile(id)}, SHA-256 verified.`,
        });
      } catch (error) {
        verdicts.push({
          file: file.name,
          ok: false,
          text: error instanceof DatasetProblem ? error.message : `${file.name} could not be read: ${(error as Error).message}`,
        });
      }
    }
    return verdicts;
  }

  /** Which files of `name` are still missing from cache and site (for the data panel after picking). */
  async missing(name: DatasetName): Promise<string[]> {
    const cache = await this.openCache();
    const out: string[] = [];
    for (const id of fileIds(name)) {
      if (this.siteFile(id)) continue;
      if (!(await cache?.has(cacheKey(id)).catch(() => false))) out.push(officialFiles(id.split)[id.kind]);
    }
    return out;
  }

  /** Remove every cached dataset file of this site. */
  async forget(): Promise<void> {
    this.loaded.clear();
    this.cache = undefined;
    await clearByteCaches();
  }
}
