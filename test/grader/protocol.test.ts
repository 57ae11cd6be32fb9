/**
 * The private channel's reader: lines signed with the run's key are accepted in order; anything else
 * (no key, a replayed line, garbage, a MAC computed with another key) is counted as forged.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { EventReader, signLine, type HarnessEvent } from '../../src/grader/protocol.js';

const key = randomBytes(32);
const line = (seq: number, e: HarnessEvent, k: Buffer = key) => `${signLine(k, seq, JSON.stringify(e))}\n`;
const result: HarnessEvent = { type: 'result', returned: 'history', historyOf: 1, seconds: 1, dataChanged: false };

describe('grader channel (EventReader)', () => {
  it('accepts signed lines in order, across chunk boundaries', () => {
    const seen: HarnessEvent[] = [];
    const r = new EventReader(key, (e) => seen.push(e));
    const text = line(0, { type: 'call-begin' }) + line(1, result);
    r.push(text.slice(0, 17));
    r.push(text.slice(17));
    r.end();
    assert.equal(r.forged, 0);
    assert.deepEqual(
      seen.map((e) => e.type),
      ['call-begin', 'result'],
    );
  });

  it('rejects a line signed with another key, an unsigned line, and garbage', () => {
    const r = new EventReader(key);
    r.push(line(0, result, randomBytes(32)));
    r.push(`0 ${'0'.repeat(64)} ${JSON.stringify(result)}\n`);
    r.push('{"score": 100}\n');
    r.end();
    assert.equal(r.events.length, 0);
    assert.equal(r.forged, 3);
    assert.match(r.forgedSample, /^0 /);
  });

  it('rejects a replayed line', () => {
    const r = new EventReader(key);
    const first = line(0, { type: 'call-begin' });
    r.push(first);
    r.push(first);
    assert.equal(r.events.length, 1);
    assert.equal(r.forged, 1);
  });

  it('counts lines lost in between (garbage written into the middle of one) as forged', () => {
    const r = new EventReader(key);
    r.push(line(0, { type: 'call-begin' }));
    r.push(`xx${line(1, result)}`);
    r.push(line(2, result));
    assert.equal(r.events.length, 2);
    assert.ok(r.forged >= 1);
  });

  it('decodes UTF-8 across chunks: an honest run fed one byte at a time is not tampered', () => {
    // The engine's messages contain multi-byte characters (≥, —, …); a pipe chunk can end inside one.
    const seen: HarnessEvent[] = [];
    const r = new EventReader(key, (e) => seen.push(e));
    const print: HarnessEvent = { type: 'print', stream: 'stdout', text: 'acc ≥ 0.99 — reached… ✓ 🎉', match: 'near', ctx: null };
    const bytes = Buffer.from(line(0, { type: 'call-begin' }) + line(1, print) + line(2, result), 'utf8');
    for (let i = 0; i < bytes.length; i++) r.push(bytes.subarray(i, i + 1));
    r.end();
    assert.equal(r.forged, 0, r.forgedSample);
    assert.deepEqual(
      seen.map((e) => e.type),
      ['call-begin', 'print', 'result'],
    );
    assert.equal((seen[1] as { text: string }).text, 'acc ≥ 0.99 — reached… ✓ 🎉');
  });
});
