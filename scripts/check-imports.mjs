#!/usr/bin/env node
// Import-graph checks that ESLint's per-file rules cannot make (part of `npm run lint`):
//  1. no import cycle among the modules of src/, type-only imports included (what `madge --circular`
//     reports): at run time a cycle makes evaluation order decide what is undefined at import time,
//     and even a type-only one ties together modules that should layer;
//  2. nothing reachable from src/browser.ts (the web app's one entry) at run time imports a Node
//     built-in, except through the module web/vite.config.ts replaces for the browser (the disk dataset
//     loader). Here only imports that exist at run time count: `import type`, `export type` and imports
//     whose every name is `type` are erased by TypeScript.
// Why a script: madge / eslint-plugin-import are not dependencies, and TypeScript's own parser (already
// one) gives the exact list in ~100 lines.
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..');
const SRC = join(ROOT, 'src');

/** Every .ts file under dir, except the AssemblyScript kernels (another compiler, another module system). */
function tsFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return path.endsWith(join('wasm', 'assembly')) ? [] : tsFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The imports of one file: relative module paths (resolved to .ts files) and bare specifiers; `typeOnly` when erased at run time. */
function imports(file) {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const specifiers = [];
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      const named = clause?.namedBindings;
      const onlyTypes = clause && !clause.name && named && ts.isNamedImports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly);
      specifiers.push({ spec: statement.moduleSpecifier.text, typeOnly: Boolean(clause?.isTypeOnly || onlyTypes) });
    } else if (ts.isExportDeclaration(statement) && statement.moduleSpecifier) {
      const named = statement.exportClause;
      const onlyTypes = named && ts.isNamedExports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly);
      specifiers.push({ spec: statement.moduleSpecifier.text, typeOnly: Boolean(statement.isTypeOnly || onlyTypes) });
    }
  }
  return specifiers.map(({ spec, typeOnly }) => {
    if (!spec.startsWith('.')) return { spec, typeOnly };
    const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
    return { spec, typeOnly, file: existsSync(target) ? target : undefined };
  });
}

const files = tsFiles(SRC);
const graph = new Map(files.map((f) => [f, imports(f)]));
const rel = (f) => relative(ROOT, f);
const problems = [];

// 1. cycles: strongly connected components of more than one module (Tarjan), and self-imports
let index = 0;
const stack = [];
const state = new Map();
function connect(v) {
  state.set(v, { index, low: index, onStack: true });
  index++;
  stack.push(v);
  for (const { file: w } of graph.get(v) ?? []) {
    if (!w || !graph.has(w)) continue;
    if (!state.has(w)) {
      connect(w);
      state.get(v).low = Math.min(state.get(v).low, state.get(w).low);
    } else if (state.get(w).onStack) state.get(v).low = Math.min(state.get(v).low, state.get(w).index);
  }
  if (state.get(v).low === state.get(v).index) {
    const component = [];
    let w;
    do {
      w = stack.pop();
      state.get(w).onStack = false;
      component.push(w);
    } while (w !== v);
    const selfImport = component.length === 1 && (graph.get(v) ?? []).some((i) => i.file === v);
    if (component.length > 1 || selfImport) problems.push(`import cycle: ${component.map(rel).sort().join(' ↔ ')}`);
  }
}
for (const f of files) if (!state.has(f)) connect(f);

// 2. the browser entry reaches no Node built-in
const BROWSER_STUBBED = [join(SRC, 'data', 'dataset.ts')]; // replaced by web/vite.config.ts (nodeDatasetLoader)
const entry = join(SRC, 'browser.ts');
const seen = new Set([entry]);
const via = new Map();
const queue = [entry];
while (queue.length) {
  const file = queue.shift();
  for (const { spec, typeOnly, file: target } of graph.get(file) ?? []) {
    if (typeOnly) continue;
    if (target) {
      if (BROWSER_STUBBED.includes(target) && !file.startsWith(join(SRC, 'data'))) continue;
      if (!seen.has(target)) {
        seen.add(target);
        via.set(target, file);
        queue.push(target);
      }
    } else if (spec.startsWith('node:') || ['fs', 'path', 'os', 'crypto', 'zlib', 'child_process', 'worker_threads', 'url'].includes(spec)) {
      const chain = [file];
      while (via.has(chain[0])) chain.unshift(via.get(chain[0]));
      problems.push(`src/browser.ts reaches the Node built-in '${spec}': ${chain.map(rel).join(' → ')}`);
    }
  }
}

if (problems.length) {
  for (const p of problems) console.error(`check-imports: ${p}`);
  process.exit(1);
}
console.log(`check-imports: ${files.length} modules of src/, no import cycle; src/browser.ts reaches ${seen.size} of them and no Node built-in`);
