/**
 * The index of the largest of `width` values starting at `offset`: the first one on ties, and NaN never
 * wins (as tf.argMax picks it). The one argmax for predictions everywhere (tensors, accuracy, confusion
 * matrices, the grader's re-check, the browser lab).
 */
export function argmaxRow(values: ArrayLike<number>, offset: number, width: number): number {
  let best = 0;
  for (let j = 1; j < width; j++) if (values[offset + j] > values[offset + best]) best = j;
  return best;
}

/**
 * argmaxRow's rule for `count` values read through `valueAt` (a target that may be sparse or dense, a
 * tensor seen through its lazy transform), where there is no array to index.
 */
export function argmaxOf(count: number, valueAt: (j: number) => number): number {
  let best = 0;
  for (let j = 1; j < count; j++) if (valueAt(j) > valueAt(best)) best = j;
  return best;
}
