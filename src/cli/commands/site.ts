/** `normlab site build DIR`: the browser lab as a static folder to upload anywhere (src/server/site.ts). */
import type { Command } from 'commander';
import { checkDataDir } from '../../data/locate.js';
import { DATASET_NAMES, type DatasetName } from '../../data/registry.js';
import { NormlabError } from '../../errors.js';
import { defaultAppDir } from '../../server/index.js';
import { buildSite } from '../../server/site.js';
import { note } from '../output.js';

interface SiteFlags {
  withData?: boolean | string;
  dataDir?: string;
  study?: string;
  serviceWorker?: boolean;
}

function datasetsFlag(value: boolean | string | undefined): boolean | DatasetName[] {
  if (value === undefined || typeof value === 'boolean') return value ?? false;
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = names.filter((n) => !(DATASET_NAMES as readonly string[]).includes(n));
  if (bad.length || !names.length)
    throw new NormlabError(
      'flag',
      `--with-data ${value}: unknown dataset ${bad.join(', ') || '(none given)'}.`,
      `name some of ${DATASET_NAMES.join(', ')}, or give --with-data alone for every one found`,
    );
  return names as DatasetName[];
}

export function registerSite(program: Command): void {
  const site = program.command('site').description('the browser lab as a static website (no normlab server needed)');
  site
    .command('build')
    .description('write the lab, sigmoid explorer, Why? and report views into DIR, ready to upload to any static host')
    .argument('[dir]', 'output folder (created, or replaced if it holds an earlier site)', 'site')
    .option('--with-data [names]', `copy the SHA-256-verified dataset files into the site (all found, or a list: ${DATASET_NAMES.join(',')})`)
    .option('--data-dir <dir>', 'where the dataset files are (also: NORMLAB_DATA_DIR)')
    .option('--study <file>', 'a why.json from `normlab why` for the report view to open')
    .option('--service-worker', 'isolate the page with a service worker, for hosts that ignore _headers (GitHub Pages): two threads per run')
    .action((dir: string, flags: SiteFlags) => {
      if (flags.dataDir !== undefined) checkDataDir(flags.dataDir);
      const result = buildSite({
        outDir: dir,
        appDir: defaultAppDir(),
        withData: datasetsFlag(flags.withData),
        dataDir: flags.dataDir,
        studyFile: flags.study,
        serviceWorker: flags.serviceWorker === true,
      });
      for (const s of result.skipped) note(`note: ${s.reason}: not included (the site offers the CORS mirrors and picked files for it)`);
      for (const s of result.testOnly)
        note(
          `note: ${s.reason}: published its test split only (the lab trains on 80% of it and tests on the rest, and says so; learners can pick the train files)`,
        );
      const data = result.datasets.length
        ? result.datasets.map((d) => `${d.name} (${d.files.length} files)`).join(', ')
        : 'no datasets (learners download them from a mirror or pick their own files)';
      process.stdout.write(
        `normlab site: ${result.outDir}  ${result.files} files, ${(result.bytes / 1e6).toFixed(1)} MB; data: ${data}${result.study ? '; study: why.json' : ''}\n`,
      );
      note('Upload the folder to any static host (GitHub Pages, S3, Netlify…) or try it here: python3 -m http.server -d ' + dir);
    });
}
