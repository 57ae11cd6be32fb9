#!/usr/bin/env node
// Runs every test/**/*.test.ts with Node's own test runner (TypeScript through tsx).
// Why a script: Node 20's `--test` does not expand globs itself, and npm scripts must work in plain sh.
// Usage: npm test [-- substring ...]   (only files whose path contains one of the substrings;
//        without them, the suite is preceded by a type check of sources, tests and bench, and by
//        `npm run lint`: ESLint with the layer-order rule, Prettier's check and the import-graph check)
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function collect(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...collect(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = collect('test')
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}
// The whole suite starts with a type check of sources, tests and bench (tsx itself ignores types).
if (filters.length === 0) {
  const tsc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.test.json'], { stdio: 'inherit' });
  if (tsc.status !== 0) {
    console.error('type check failed (tsc -p tsconfig.test.json)');
    process.exit(tsc.status ?? 1);
  }
  if (!existsSync('node_modules/eslint') || !existsSync('node_modules/prettier')) {
    console.error('lint needs eslint and prettier (devDependencies): run `npm install` first');
    process.exit(1);
  }
  const lint = spawnSync('npm', ['run', '-s', 'lint'], { stdio: 'inherit' });
  if (lint.status !== 0) {
    console.error('lint failed (npm run lint; `npm run format` fixes the formatting)');
    process.exit(lint.status ?? 1);
  }
}
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], {
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
