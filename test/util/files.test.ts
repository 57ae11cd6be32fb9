/**
 * Atomic writes (src/util/files.ts): a failed write keeps the previous file, temp files are unique and
 * cleaned up, folders are created one level at a time (Node 20's recursive mkdir spins forever under /proc).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { NormlabError } from '../../src/errors.js';
import { makeDirsSync, writeFileAtomic, writeFileAtomicSync } from '../../src/util/files.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const dir = mkdtempSync(join(tmpdir(), 'normlab-files-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `code` (ESM, may import from src/) in a child whose file size limit is `limitBytes` (ulimit -f). */
function withFileSizeLimit(limitBytes: number, code: string) {
  return spawnSync('prlimit', [`--fsize=${limitBytes}`, process.execPath, '--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('writeFileAtomicSync / writeFileAtomic', () => {
  test('replaces the file and leaves no temporary file behind', async () => {
    const target = join(dir, 'a', 'b', 'out.json');
    writeFileAtomicSync(target, '{"v":1}');
    await writeFileAtomic(target, '{"v":2}');
    assert.equal(readFileSync(target, 'utf8'), '{"v":2}');
    assert.deepEqual(readdirSync(join(dir, 'a', 'b')), ['out.json']);
  });

  test('a write that fails midway (file size limit) keeps the previous file intact and says so', () => {
    const target = join(dir, 'limited.json');
    writeFileSync(target, '{"previous":true}');
    const r = withFileSizeLimit(
      4096,
      `import { writeFileAtomicSync } from './src/util/files.ts';
       try { writeFileAtomicSync(${JSON.stringify(target)}, JSON.stringify({ big: 'x'.repeat(20000) })); }
       catch (e) { console.log(e.name + ': ' + e.message); process.exit(2); }`,
    );
    assert.equal(r.status, 2, r.stderr);
    assert.match(
      r.stdout,
      /NormlabError: could not write .*limited\.json: the file is larger than this process may write .*previous limited\.json is unchanged/,
    );
    assert.equal(readFileSync(target, 'utf8'), '{"previous":true}');
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.includes('limited')),
      ['limited.json'],
      'temporary file removed',
    );
  });

  test('concurrent writers of one file never collide (unique temporary names)', async () => {
    const target = join(dir, 'race.bin');
    const payloads = Array.from({ length: 8 }, (_, i) => new Uint8Array(100_000).fill(i));
    await Promise.all(payloads.map((p) => writeFileAtomic(target, p)));
    const bytes = readFileSync(target);
    assert.equal(bytes.length, 100_000);
    assert.ok(
      bytes.every((b) => b === bytes[0]),
      'one writer wins whole, no mix',
    );
  });
});

describe('makeDirsSync', () => {
  test('under /proc: a clear error at once instead of spinning forever', () => {
    // Before, mkdirSync('/proc/…', {recursive: true}) never returned; run it in a child with a timeout.
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `import { makeDirsSync } from './src/util/files.ts'; try { makeDirsSync('/proc/normlab-test/out'); } catch (e) { console.log(e.message); }`,
      ],
      { cwd: ROOT, encoding: 'utf8', timeout: 30_000 },
    );
    assert.equal(r.signal, null, 'finished without being killed by the timeout');
    assert.match(r.stdout, /cannot create the folder \/proc\/normlab-test: this location does not allow new folders/);
  });

  test('a file in the way is named', () => {
    writeFileSync(join(dir, 'file'), 'x');
    assert.throws(
      () => makeDirsSync(join(dir, 'file', 'sub')),
      (e: unknown) => e instanceof NormlabError && /file is a file, not a folder/.test(e.message),
    );
  });
});
