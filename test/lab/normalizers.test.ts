/** Every way of normalizing has words and a colour of its own, in src/ (the browser lab shows them, as why.html does). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NORMALIZE_CHOICES, NORMALIZE_LABELS } from '../../src/lab/normalizers.js';
import { NORMALIZE_COLORS } from '../../src/report/charts.js';

test('each choice has a label naming it and a colour no other choice has', () => {
  // the browser lab's own tables lacked 'centre' once it was added to the choices: an empty checkbox
  for (const choice of NORMALIZE_CHOICES) {
    assert.ok(NORMALIZE_LABELS[choice]?.length > 0, `${choice} has a label`);
    assert.match(NORMALIZE_COLORS[choice] ?? '', /^#[0-9a-f]{6}$/, `${choice} has a colour`);
  }
  assert.equal(new Set(NORMALIZE_CHOICES.map((c) => NORMALIZE_COLORS[c])).size, NORMALIZE_CHOICES.length, 'colours are distinct');
  assert.equal(new Set(NORMALIZE_CHOICES.map((c) => NORMALIZE_LABELS[c])).size, NORMALIZE_CHOICES.length, 'labels are distinct');
});
