/**
 * Builds the browser lab into web-dist/ (served by `normlab serve`): `npm run build:web`.
 * The app imports the engine, data, lab and report code straight from ../src (TypeScript), so the
 * browser runs the same code as the CLI; Node-only modules stay out because the app imports only
 * src/browser.ts, the browser entry (ESLint enforces it; scripts/check-imports.mjs checks that nothing
 * reachable from it imports a Node built-in). The wasm backend comes in as a hashed asset URL.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const wasmFile = fileURLToPath(new URL('../build/normlab.wasm', import.meta.url));

/**
 * The app trains with the wasm backend; built without it, it would quietly fall back to the reference
 * backend, many times slower. So a missing build/normlab.wasm stops the build and says what to run.
 */
function requireWasm(): Plugin {
  return {
    name: 'normlab-require-wasm',
    buildStart() {
      if (!existsSync(wasmFile))
        this.error(`${wasmFile} is missing: run \`npm run build:wasm\` before \`npm run build:web\` (\`npm run build\` does both, in that order)`);
    },
  };
}

/**
 * The study's job module (src/lab/study/job.ts) can load a dataset from disk by itself (Node); in the
 * browser every job is handed the verified data the page loaded (web/src/datasets), so the Node loader
 * (and its fs, zlib, download progress bar…) is replaced by a module that explains itself.
 */
function nodeDatasetLoader(): Plugin {
  const id = '\0normlab-node-only-dataset';
  return {
    name: 'normlab-node-only-dataset',
    enforce: 'pre',
    resolveId(source, importer) {
      if (!importer || !/\/data\/dataset\.js$/.test(source)) return null;
      const from = importer.replace(/\\/g, '/');
      return from.includes('/src/') && !from.includes('/src/data/') ? id : null;
    },
    load(loaded) {
      if (loaded !== id) return null;
      const message = 'in the browser, datasets are loaded and verified by the page (web/src/datasets), not read from disk';
      return `const fail = () => { throw new Error(${JSON.stringify(message)}); };\nexport const loadDataset = async () => fail();\nexport const parseDatasetSpec = fail;\n`;
    },
  };
}

/**
 * The app reaches src/ through one entry (src/browser.ts) that re-exports every layer a page uses. A
 * module of src/ does nothing when imported (ESLint's no-import-side-effects rule), so the bundler may
 * drop whatever a bundle does not use — without this hint it keeps e.g. a top-level zod schema in both
 * Workers, which never parse a site.json.
 */
const srcDir = fileURLToPath(new URL('../src/', import.meta.url)).replace(/\\/g, '/');
const treeshake = {
  moduleSideEffects: [{ test: new RegExp(`^${srcDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*\\.ts$`), sideEffects: false }],
};

export default defineConfig({
  plugins: [requireWasm(), nodeDatasetLoader()],
  root,
  base: './',
  // web/public: files copied as they are (coi-sw.js, the isolation service worker for static hosts).
  publicDir: fileURLToPath(new URL('./public', import.meta.url)),
  build: {
    outDir: fileURLToPath(new URL('../web-dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    chunkSizeWarningLimit: 1000,
    // Never inline the wasm as a data: URL; serve it as a file with application/wasm.
    assetsInlineLimit: (file) => (file.endsWith('.wasm') ? false : undefined),
    rolldownOptions: { treeshake },
  },
  worker: { format: 'es', plugins: () => [nodeDatasetLoader()], rolldownOptions: { treeshake } },
  server: { fs: { allow: [fileURLToPath(new URL('..', import.meta.url))] } },
});
