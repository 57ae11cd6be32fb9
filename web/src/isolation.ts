/**
 * Cross-origin isolation on a static host without headers: when site.json asks for it (`normlab site
 * build --service-worker`) and the page is not isolated yet, register coi-sw.js (which re-serves this
 * site with COOP/COEP) and reload once under its control. Returns true when the page is about to reload
 * (the app should not start). A session flag stops a loop if the browser still refuses isolation.
 */
const TRIED = 'normlab-coi-reload';

export async function isolateWithServiceWorker(enabled: boolean): Promise<boolean> {
  if (!enabled || globalThis.crossOriginIsolated || !window.isSecureContext || !('serviceWorker' in navigator)) return false;
  if (sessionStorage.getItem(TRIED)) {
    console.warn('normlab: the isolation service worker is registered but the page is still not cross-origin isolated; training uses one thread per run');
    return false;
  }
  try {
    const registration = await navigator.serviceWorker.register(new URL('coi-sw.js', document.baseURI));
    await navigator.serviceWorker.ready;
    sessionStorage.setItem(TRIED, '1');
    if (navigator.serviceWorker.controller && registration.active) {
      location.reload();
      return true;
    }
    await new Promise<void>((resolve) => navigator.serviceWorker.addEventListener('controllerchange', () => resolve(), { once: true }));
    location.reload();
    return true;
  } catch (error) {
    console.warn(`normlab: could not register the isolation service worker (${(error as Error).message}); training uses one thread per run`);
    return false;
  }
}
