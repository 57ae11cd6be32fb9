/**
 * The sandbox's command line: Node's permission flag is chosen by what the Node binary accepts (Node
 * renamed `--experimental-permission` to `--permission`), never hard-coded; the working folder is
 * granted once; and the shell set-up hands the child an empty environment.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { chooseNodeFlags, nodeFlags, sandboxCommand, type Isolation } from '../../src/grader/sandbox.js';

describe('grader sandbox: Node flags by capability', () => {
  it('prefers --permission when Node accepts it (Node ≥ 22.13 / 23.5)', () => {
    const accepted = new Set(['--permission', '--permission --disable-warning=ExperimentalWarning']);
    assert.deepEqual(
      chooseNodeFlags((args) => accepted.has(args.join(' '))),
      { permission: '--permission', disableWarning: true },
    );
  });

  it('falls back to --experimental-permission (Node 20–22), and drops --disable-warning where it is unknown (Node < 20.11)', () => {
    assert.deepEqual(
      chooseNodeFlags((args) => args.join(' ') === '--experimental-permission'),
      { permission: '--experimental-permission', disableWarning: false },
    );
  });

  it('refuses a Node without a permission model', () => {
    assert.throws(() => chooseNodeFlags(() => false), /no permission model/);
  });

  it('on this Node, the chosen flags start Node and are the ones in the sandbox command', () => {
    const flags = nodeFlags(process.execPath);
    const r = spawnSync(process.execPath, [
      flags.permission,
      ...(flags.disableWarning ? ['--disable-warning=ExperimentalWarning'] : []),
      '-e',
      'process.exit(process.permission ? 0 : 3)',
    ]);
    assert.equal(r.status, 0, String(r.stderr));
    const iso: Isolation = { namespaces: false, dropUser: false, rlimits: false, notes: [] };
    const cmd = sandboxCommand({
      node: process.execPath,
      harness: '/x/harness.js',
      readPaths: ['/x'],
      workDir: '/w/1',
      hidePaths: [],
      limits: { timeoutS: 1, cpuS: 2, memoryMB: 128, outputBytes: 1, diskMB: 1 },
      isolation: iso,
      configJson: '{}',
      key: Buffer.alloc(32),
    });
    assert.ok(cmd.includes(flags.permission));
    assert.ok(!cmd.includes(flags.permission === '--permission' ? '--experimental-permission' : '--permission'));
    assert.deepEqual(
      cmd.filter((a) => a.startsWith('--allow-fs-write')),
      ['--allow-fs-write=/w/1'],
    );
  });
});
