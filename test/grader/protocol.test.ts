/**
 * The private channel's reader: lines signed with the run's key are accepted in order; anything else
 * (no key, a replayed line, garbage, a MAC computed with another key) is counted as forged.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { EventReader, parseHarnessConfig, signLine, type HarnessEvent } from '../../src/grader/protocol.js';

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

  it('a signed line whose event has the wrong shape is counted as forged, never handed on', () => {
    // The harness shares its process with the submission: a valid signature does not make the content
    // trustworthy, and the code reading the facts must never see (and crash on) a malformed event.
    const seen: HarnessEvent[] = [];
    const r = new EventReader(key, (e) => seen.push(e));
    const signed = (seq: number, value: unknown) => `${signLine(key, seq, JSON.stringify(value))}\n`;
    r.push(signed(0, { type: 'call-begin' }));
    r.push(signed(1, { type: 'epoch-end', call: 0, epoch: '1; DROP', logs: {}, seconds: 1 }));
    r.push(signed(2, { type: 'fit-end', call: 0 }));
    r.push(signed(3, { type: 'no-such-event' }));
    r.push(signed(4, null));
    r.push(signed(5, [1, 2, 3]));
    r.push(`${signLine(key, 6, '{"type": "result",')}\n`);
    r.end();
    assert.deepEqual(
      seen.map((e) => e.type),
      ['call-begin'],
    );
    assert.equal(r.forged, 6);
    assert.match(r.forgedSample, /^a signed event of the wrong shape: epoch: expected a number .*got "1; DROP"/);
  });

  it('a NaN the harness measured (null in JSON) reads back as NaN, not as a malformed event', () => {
    const seen: HarnessEvent[] = [];
    const r = new EventReader(key, (e) => seen.push(e));
    r.push(line(0, { type: 'epoch-end', call: 0, epoch: 1, logs: { loss: NaN, acc: 0.1 }, seconds: 2 }));
    r.end();
    assert.equal(r.forged, 0, r.forgedSample);
    const e = seen[0] as Extract<HarnessEvent, { type: 'epoch-end' }>;
    assert.ok(Number.isNaN(e.logs.loss));
    assert.equal(e.logs.acc, 0.1);
  });

  it("the harness's configuration: a malformed one is one line naming the field", () => {
    const good = {
      submissionUrl: 'file:///tmp/s.mjs',
      displayName: 's.mjs',
      images: '/tmp/i',
      labels: '/tmp/l',
      count: 10,
      height: 28,
      width: 28,
      entry: 'trainMnist',
      message: 'done',
      outputBytes: 1000,
      seed: 1,
      engineUrl: 'file:///tmp/normlab.js',
    };
    assert.deepEqual(parseHarnessConfig(JSON.stringify(good)), good);
    assert.throws(() => parseHarnessConfig('{"submissionUrl": '), /^Error: the grader's configuration is not JSON: /);
    assert.throws(() => parseHarnessConfig(JSON.stringify({ ...good, count: -1 })), /the grader's configuration is malformed: count: .*got -1/);
    assert.throws(() => parseHarnessConfig('null'), /the grader's configuration is malformed: the value: .*got null/);
  });
});
