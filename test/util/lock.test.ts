/**
 * The folder lock (src/util/lock.ts) reads its file back through a schema: whatever a crash, a person or
 * another program left in it, taking the lock ends in the lock or in one clear "busy" error, never a TypeError.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { NormlabError } from '../../src/errors.js';
import { acquireFolderLock } from '../../src/util/lock.js';

const dir = mkdtempSync(join(tmpdir(), 'normlab-lock-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('folder lock', () => {
  for (const content of ['null', '42', '"1234"', '[1]', '{"pid": "x"}', '{"pid": 1.5, "host": 7}', '{not json']) {
    test(`a lock file holding ${content} is "held by an unknown owner", not a crash`, () => {
      const path = join(dir, '.normlab-test.lock');
      writeFileSync(path, content);
      assert.throws(
        () => acquireFolderLock(dir, 'test'),
        (e: unknown) => e instanceof NormlabError && e.code === 'busy' && /another normlab test \(pid unknown\)/.test(e.message),
      );
      rmSync(path);
    });
  }

  test('a lock whose owner is gone is taken over; a live one is not', () => {
    const path = join(dir, '.normlab-test.lock');
    // pid 2^22 + 1 is above Linux's pid_max default, so no process has it.
    writeFileSync(path, JSON.stringify({ pid: 4_194_305 }));
    const lock = acquireFolderLock(dir, 'test');
    assert.throws(() => acquireFolderLock(dir, 'test'), new RegExp(`pid ${process.pid}`));
    lock.release();
  });
});
