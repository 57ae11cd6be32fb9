/*
 * normlab: cross-origin isolation for static hosts that cannot send headers (GitHub Pages, plain S3).
 * Written into the site by `normlab site build --service-worker`; the page registers it only when it is
 * not already cross-origin isolated (web/src/isolation.ts). It re-serves this site's own responses with
 * the headers `normlab serve` and the `_headers` file send, so the browser grants SharedArrayBuffer (the
 * two-thread wasm module). Responses from other origins (a CORS mirror) pass through untouched: under
 * COEP require-corp, CORS reads are allowed as they are. Same technique as coi-serviceworker (MIT).
 */
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (new URL(request.url).origin !== self.location.origin) return;
  if (request.cache === 'only-if-cached' && request.mode !== 'same-origin') return;
  event.respondWith(
    fetch(request).then((response) => {
      if (response.status === 0) return response;
      const headers = new Headers(response.headers);
      headers.set('Cross-Origin-Opener-Policy', 'same-origin');
      headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
      headers.set('Cross-Origin-Resource-Policy', 'same-origin');
      return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
    }),
  );
});
