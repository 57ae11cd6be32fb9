/**
 * Node-side set-up: registers the backends Node can load. Importing `normlab` (src/index.ts) or running
 * the CLI does this once; the browser build registers its own.
 */
export {};
