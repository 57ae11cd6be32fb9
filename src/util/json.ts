/**
 * normlab's one convention for numbers JSON cannot hold: NaN, Infinity and -Infinity are written as the
 * strings "NaN", "Infinity" and "-Infinity" (a diverged run's loss must survive the round trip, and null
 * would lose which of the three it was). Everything normlab writes as JSON (why.json, --json output, the
 * browser's downloads, the data embedded in why.html) uses stringifyJson; readers use parseJson (why.html's
 * own script, REVIVER_SOURCE).
 */

const encode = (_key: string, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v);
function decode(_key: string, v: unknown): unknown {
  return v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v;
}

/**
 * parseJson's reviver as JavaScript source, for a page that decodes its embedded data without our modules
 * (why.html's inline script): the same function, so why.json and why.html read NaN/±Infinity alike.
 */
export const REVIVER_SOURCE = decode.toString();

/** JSON.stringify with NaN/±Infinity as strings. */
export function stringifyJson(value: unknown, space?: number): string {
  return JSON.stringify(value, encode, space);
}

/** JSON.parse turning "NaN"/"Infinity"/"-Infinity" back into numbers. */
export function parseJson(text: string): unknown {
  return JSON.parse(text, decode);
}

/** stringifyJson, safe to embed in a <script> element (no `</script>`, no line separators). */
export function scriptJson(value: unknown): string {
  return stringifyJson(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}
