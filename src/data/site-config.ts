/**
 * site.json: what a built site (`normlab site build`) or `normlab serve` tells the web app about itself.
 * The app fetches `./site.json` once at start instead of probing URLs, so a static host never answers a
 * probe with a 404 (a failed request in the console) and the app knows, before any download, where each
 * dataset can come from. Plain data with no Node imports: the server writes it, the browser parses it
 * with the same schema. It lives in the data layer (it says where each dataset's files are) so that both
 * src/server and the web app (through src/browser.ts) can import it.
 */
import { z } from 'zod';
import { DATASET_NAMES, DATASETS, type DatasetName } from './registry.js';

const datasetName = z.enum(DATASET_NAMES);

export const SiteConfigSchema = z.object({
  version: z.literal(1),
  /** Who wrote it: "normlab site build" or "normlab serve". */
  source: z.enum(['normlab site build', 'normlab serve']),
  /**
   * Official file names (".gz" or raw) available from this site under `datasets/<name>/`, per dataset.
   * They were SHA-256-verified when copied (site build --with-data) or are verified by the server.
   */
  datasets: z.partialRecord(datasetName, z.array(z.string().regex(/^[a-z0-9-]+-idx[13]-ubyte(\.gz)?$/))).default({}),
  /** Mirrors the browser may read across origins (CORS), tried in order after this site. */
  corsMirrors: z.partialRecord(datasetName, z.array(z.url())).optional(),
  /**
   * Register coi-sw.js to make the page cross-origin isolated on hosts that cannot send headers (GitHub
   * Pages): `normlab site build --service-worker`.
   */
  serviceWorker: z.boolean().optional(),
  /** A why.json published with the site (relative URL), opened by the report view as "the last study". */
  study: z
    .string()
    .regex(/^[A-Za-z0-9._/-]+\.json$/)
    .optional(),
});

export type SiteConfig = z.infer<typeof SiteConfigSchema>;

/**
 * Registered mirrors known to send `Access-Control-Allow-Origin: *`, so a page on any site may read
 * them. raw.githubusercontent.com does; the S3 website endpoints and the MNIST buckets do not promise it
 * (and an http:// mirror is blocked from an https page anyway), so MNIST comes from the site itself or
 * from files the learner picks.
 */
const CORS_HOSTS = new Set(['raw.githubusercontent.com']);

export function defaultCorsMirrors(name: DatasetName): string[] {
  return DATASETS[name].mirrors.filter((m) => m.startsWith('https://') && CORS_HOSTS.has(new URL(m).hostname));
}
