#!/usr/bin/env node
// The `normlab` command: runs this checkout's compiled CLI (built by `npm install` → prepare → build).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  console.error('normlab: the CLI is not built yet. Run `npm install` (or `npm run build`) in the normlab checkout first.');
  process.exit(2);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
