#!/usr/bin/env node
// Compiles the AssemblyScript kernels (src/engine/backends/wasm/assembly/) to build/normlab.wasm.
// One .wasm for Node and browsers: SIMD (v128) on, no imports (stub runtime, no abort), memory exported.
// Usage: node scripts/build-wasm.mjs [--wat]   (--wat also writes build/normlab.wat for inspection)
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'src/engine/backends/wasm/assembly/index.ts');
const outFile = join(root, 'build/normlab.wasm');
mkdirSync(dirname(outFile), { recursive: true });

const args = [
  entry,
  '--outFile', outFile,
  '--enable', 'simd',
  '--optimizeLevel', '3',
  '--shrinkLevel', '0',
  '--converge',
  '--noAssert',
  '--runtime', 'stub',
  '--use', 'abort=',
  '--initialMemory', '1',
];
if (process.argv.includes('--wat')) args.push('--textFile', join(root, 'build/normlab.wat'));

const { error } = await asc.main(args, { stdout: process.stdout, stderr: process.stderr });
if (error) {
  console.error(`build-wasm: ${error.message}`);
  process.exit(1);
}
console.log(`build-wasm: wrote ${outFile}`);
