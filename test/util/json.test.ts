/** The one NaN/±Infinity convention in JSON (src/util/json.ts), used by why.json, --json and why.html alike. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseJson, REVIVER_SOURCE, scriptJson, stringifyJson } from '../../src/util/json.js';

test('NaN and ±Infinity survive a round trip as the strings "NaN", "Infinity", "-Infinity"', () => {
  const value = { loss: NaN, up: Infinity, down: -Infinity, fine: 1.5, list: [NaN, 2] };
  const text = stringifyJson(value);
  assert.equal(text, '{"loss":"NaN","up":"Infinity","down":"-Infinity","fine":1.5,"list":["NaN",2]}');
  assert.deepEqual(parseJson(text), value);
});

test('scriptJson uses the same convention (why.html used null where why.json had "NaN") and cannot close its <script>', () => {
  assert.equal(scriptJson({ v: NaN, s: '</script>' }), '{"v":"NaN","s":"\\u003c/script>"}');
});

test("REVIVER_SOURCE (what why.html inlines) is parseJson's reviver, as a standalone function", () => {
  const revive = new Function(`return (${REVIVER_SOURCE});`)() as (key: string, value: unknown) => unknown;
  const value = { loss: NaN, up: Infinity, down: -Infinity, fine: 1.5, word: 'NaNa' };
  assert.deepEqual(JSON.parse(scriptJson(value), revive), value);
});
