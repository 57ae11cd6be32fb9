/**
 * The SHA-256 a page uses when it has no WebCrypto (plain http at a LAN address): the same digest as
 * Node's OpenSSL for lengths around the 64-byte block and 1 MiB piece boundaries, and for the real
 * dataset files' registered hashes when they are here.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { portableSha256Hex, sha256Hex } from '../../web/src/datasets/verify.js';

const opensslHex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

test('portable SHA-256 equals OpenSSL at block and piece boundaries', async () => {
  for (const length of [0, 1, 55, 56, 63, 64, 65, 1000, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, 3 * (1 << 20) + 17]) {
    const bytes = new Uint8Array(randomBytes(length));
    assert.equal(await portableSha256Hex(bytes), opensslHex(bytes), `length ${length}`);
  }
});

test('the known answer for "abc" (FIPS 180-4), and WebCrypto where it exists gives the same', async () => {
  const abc = new TextEncoder().encode('abc');
  const expected = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
  assert.equal(await portableSha256Hex(abc), expected);
  assert.equal(await sha256Hex(abc), expected);
});
