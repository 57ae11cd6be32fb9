/**
 * `normlab site build DIR`: the browser lab as a folder any static host serves (GitHub Pages, an S3
 * bucket, Netlify, `python3 -m http.server`) — no normlab server behind it. The folder holds:
 *   index.html, assets/…     the built app (web-dist/, from `npm run build:web`), all paths relative
 *   site.json                what the app needs to know (src/data/site-config.ts): the datasets copied here, a study
 *   _headers                 cross-origin isolation headers, for hosts that read this file (Netlify,
 *                            Cloudflare Pages); needed for SharedArrayBuffer / the two-thread wasm module
 *   datasets/<name>/<file>   with --with-data: the official files, copied only after they passed the
 *                            same SHA-256 check as `normlab train` (the browser checks them again)
 *   why.json                 with --study FILE: a `normlab why` result the report view opens
 * The folder is written next to DIR and renamed into place, so DIR is never half-built.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { locateSplit } from '../data/locate.js';
import { DATASET_NAMES, DATASETS, SPLITS, type DatasetName } from '../data/registry.js';
import { NormlabError } from '../errors.js';
import { parseWhyJson, WhyJsonError } from '../report/why-json.js';
import { SplitVerifier } from './datasets.js';
import { appIsBuilt } from './index.js';
import { SiteConfigSchema, type SiteConfig } from '../data/site-config.js';
import { CROSS_ORIGIN_ISOLATION } from './static.js';

export interface SiteBuildOptions {
  outDir: string;
  /** The built app (web-dist/). */
  appDir: string;
  /** Copy the verified dataset files of these datasets (all registered ones found, when true). */
  withData?: boolean | DatasetName[];
  /** Where to look for them (as `normlab train --data-dir`). */
  dataDir?: string;
  /** A why.json to publish with the site. */
  studyFile?: string;
  /** Make the page cross-origin isolated with coi-sw.js, for hosts that ignore `_headers` (GitHub Pages). */
  serviceWorker?: boolean;
}

export interface SiteBuildResult {
  outDir: string;
  files: number;
  bytes: number;
  datasets: { name: DatasetName; files: string[] }[];
  /** Datasets asked for (or, with plain --with-data, registered) but not found on this machine. */
  skipped: { name: DatasetName; reason: string }[];
  /**
   * Datasets published with their test split only (the train split is not on this machine, as for
   * MNIST here): the browser lab trains on part of that split and tests on the rest, and says so.
   */
  testOnly: { name: DatasetName; reason: string }[];
  study: boolean;
}

/** The `_headers` file (Netlify / Cloudflare Pages syntax): every path gets the isolation headers. */
export function headersFile(): string {
  return `# Cross-origin isolation for the two-thread wasm module (SharedArrayBuffer); written by normlab site build\n/*\n${Object.entries(
    CROSS_ORIGIN_ISOLATION,
  )
    .map(([k, v]) => `  ${k}: ${v}`)
    .join('\n')}\n`;
}

function folderSize(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const info = statSync(path);
    if (info.isDirectory()) {
      const sub = folderSize(path);
      files += sub.files;
      bytes += sub.bytes;
    } else {
      files++;
      bytes += info.size;
    }
  }
  return { files, bytes };
}

/** A folder we may replace: missing, empty, or a site this command built before (it has site.json). */
function checkOutDir(outDir: string): void {
  if (!existsSync(outDir)) return;
  if (!statSync(outDir).isDirectory())
    throw new NormlabError('flag', `${outDir} is a file, not a folder.`, 'pass a new or empty folder for the site, e.g. normlab site build site');
  const entries = readdirSync(outDir);
  if (entries.length && !entries.includes('site.json')) {
    throw new NormlabError(
      'flag',
      `${outDir} is not empty and is not a site built by normlab (no site.json): it would be replaced.`,
      'pass a new or empty folder, e.g. normlab site build site',
    );
  }
}

export function buildSite(options: SiteBuildOptions): SiteBuildResult {
  const outDir = resolve(options.outDir);
  const appDir = resolve(options.appDir);
  if (!appIsBuilt(appDir)) {
    throw new NormlabError(
      'not-built',
      `the web app is not built: ${appDir} has no index.html.`,
      'run `npm run build:web` (or `npm run build:site`, which does both) first',
    );
  }
  checkOutDir(outDir);
  let study: unknown;
  if (options.studyFile) {
    let text: string;
    try {
      text = readFileSync(options.studyFile, 'utf8');
    } catch (error) {
      throw new NormlabError('flag', `--study ${options.studyFile} could not be read: ${(error as Error).message}`, 'pass the why.json written by normlab why');
    }
    // The same check as the Report view that will open it: a file the page cannot show is refused here.
    try {
      study = parseWhyJson(text).study;
    } catch (error) {
      if (!(error instanceof WhyJsonError)) throw error;
      throw new NormlabError('flag', `--study ${options.studyFile}: ${error.message}`, 'pass the why.json written by normlab why');
    }
  }

  const temp = join(dirname(outDir), `.${basename(outDir)}.tmp-${process.pid}-${Date.now()}`);
  mkdirSync(dirname(outDir), { recursive: true });
  try {
    cpSync(appDir, temp, { recursive: true, filter: (src) => !src.endsWith('.map') });
    const datasets: SiteBuildResult['datasets'] = [];
    const skipped: SiteBuildResult['skipped'] = [];
    const testOnly: SiteBuildResult['testOnly'] = [];
    const wanted = options.withData === true ? [...DATASET_NAMES] : options.withData || [];
    const verifier = new SplitVerifier();
    for (const name of wanted) {
      const located = SPLITS.map((split) => ({ split, ...locateSplit(name, split, { dataDir: options.dataDir }) }));
      let missing = located.filter((l) => !l.located);
      if (missing.length === 1 && missing[0].split === 'train') {
        testOnly.push({ name, reason: `${DATASETS[name].title} train split not found on this machine` });
        located.splice(located.indexOf(missing[0]), 1);
        missing = [];
      }
      if (missing.length) {
        skipped.push({
          name,
          reason: `${DATASETS[name].title} ${missing.map((m) => m.split).join(' and ')} split${missing.length > 1 ? 's' : ''} not found on this machine`,
        });
        continue;
      }
      const files: string[] = [];
      for (const { split, located: found } of located) {
        const { error } = verifier.verify(name, split, found!);
        if (error) throw error; // the files are there but are not this dataset: never publish them
        for (const path of Object.values(found!.files)) {
          mkdirSync(join(temp, 'datasets', name), { recursive: true });
          cpSync(path, join(temp, 'datasets', name, basename(path)), { dereference: true });
          files.push(basename(path));
        }
      }
      datasets.push({ name, files });
    }
    if (Array.isArray(options.withData) && skipped.length) {
      throw new NormlabError(
        'dataset-missing',
        `${skipped.map((s) => s.reason).join('; ')}.`,
        'pass --data-dir DIR with the official files, or run `normlab train --dataset NAME` once to download them',
      );
    }
    if (study) writeFileSync(join(temp, 'why.json'), readFileSync(options.studyFile!));
    const config: SiteConfig = SiteConfigSchema.parse({
      version: 1,
      source: 'normlab site build',
      datasets: Object.fromEntries(datasets.map((d) => [d.name, d.files])),
      ...(study ? { study: 'why.json' } : {}),
      ...(options.serviceWorker ? { serviceWorker: true } : {}),
    });
    writeFileSync(join(temp, 'site.json'), `${JSON.stringify(config, null, 2)}\n`);
    writeFileSync(join(temp, '_headers'), headersFile());
    // Swap the finished folder into place; the old one (if any) goes only once the new one is there.
    const old = existsSync(outDir) ? `${temp}-old` : undefined;
    if (old) renameSync(outDir, old);
    renameSync(temp, outDir);
    if (old) rmSync(old, { recursive: true, force: true });
    return { outDir, ...folderSize(outDir), datasets, skipped, testOnly, study: Boolean(study) };
  } catch (error) {
    rmSync(temp, { recursive: true, force: true });
    throw error;
  }
}
