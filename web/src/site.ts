/**
 * The site's own description (site.json, written by `normlab site build` and answered by `normlab serve`),
 * fetched once at start. A page opened some other way (vite dev, a copied web-dist without site.json)
 * falls back to "no datasets on this site": the lab then offers the CORS mirrors and picked files.
 */
import { SiteConfigSchema, type SiteConfig } from '../../src/browser.js';

export const EMPTY_SITE: SiteConfig = { version: 1, source: 'normlab site build', datasets: {} };

export async function loadSiteConfig(): Promise<{ site: SiteConfig; problem?: string }> {
  try {
    const response = await fetch(new URL('site.json', document.baseURI), { cache: 'no-cache' });
    if (!response.ok) return { site: EMPTY_SITE, problem: `site.json: HTTP ${response.status}` };
    const parsed = SiteConfigSchema.safeParse(await response.json());
    if (!parsed.success)
      return { site: EMPTY_SITE, problem: `site.json is not valid: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}` };
    return { site: parsed.data };
  } catch (error) {
    return { site: EMPTY_SITE, problem: `site.json could not be read: ${(error as Error).message}` };
  }
}
