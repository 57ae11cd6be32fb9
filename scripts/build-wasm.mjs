#!/usr/bin/env node
// Compiles the AssemblyScript kernels (src/engine/backends/wasm/assembly/) to two modules:
// - build/normlab.wasm (entry assembly/index.ts): one thread, for Node and browsers alike. SIMD (v128)
//   on, no imports (stub runtime, no abort), its own memory, exported.
// - build/normlab-mt.wasm (entry assembly/threads.ts): the same kernels plus the two-thread training
//   step, on an imported shared memory (threads feature: atomics, wait/notify). Node only, where a
//   single training run splits its batches between the main thread and one worker thread.
// Usage: node scripts/build-wasm.mjs [--wat]   (--wat also writes build/normlab*.wat for inspection)
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const assembly = join(root, 'src/engine/backends/wasm/assembly');
const wat = process.argv.includes('--wat');

const common = ['--optimizeLevel', '3', '--shrinkLevel', '0', '--converge', '--noAssert', '--runtime', 'stub', '--use', 'abort='];
const targets = [
  { entry: 'index.ts', out: 'build/normlab.wasm', flags: ['--enable', 'simd', '--initialMemory', '1'] },
  {
    entry: 'threads.ts',
    out: 'build/normlab-mt.wasm',
    // 65536 pages = 4 GiB, the most a 32-bit memory can hold, as for the single-threaded module (whose
    // memory has no maximum); a shared memory must declare one.
    flags: ['--enable', 'simd,threads', '--importMemory', '--sharedMemory', '--initialMemory', '1', '--maximumMemory', '65536'],
  },
];

for (const t of targets) {
  const outFile = join(root, t.out);
  mkdirSync(dirname(outFile), { recursive: true });
  const args = [join(assembly, t.entry), '--outFile', outFile, ...common, ...t.flags];
  if (wat) args.push('--textFile', outFile.replace(/\.wasm$/, '.wat'));
  const { error } = await asc.main(args, { stdout: process.stdout, stderr: process.stderr });
  if (error) {
    console.error(`build-wasm: ${t.out}: ${error.message}`);
    process.exit(1);
  }
  console.log(`build-wasm: wrote ${outFile}`);
}
