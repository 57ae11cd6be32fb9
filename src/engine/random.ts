/**
 * The one seeded random source of a run. Initialisation and shuffling both draw from generators derived
 * from the run's seed, so the same seed gives the same initial weights and the same batch order on every
 * backend, and the same history on the same backend (bit for bit). Across backends the histories agree
 * within rounding, which stays small for normalized inputs; with raw 0–255 inputs rounding differences can
 * grow chaotically (test/engine/backends/wasm-model.test.ts nudges one weight by one ulp and watches the
 * reference part ways with itself), so there the same seed does not promise the same history.
 *
 * mulberry32 is hand-written on purpose: it is 6 lines, fast, and its output is fixed forever, whereas a
 * library's generator could change between versions and silently change every recorded result.
 */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  uniform(low: number, high: number): number {
    return low + (high - low) * this.next();
  }

  /** Standard normal by Box–Muller. */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** Normal with values beyond two standard deviations redrawn, as Keras' truncated normal does. */
  truncatedNormal(stddev: number): number {
    for (;;) {
      const v = this.normal();
      if (Math.abs(v) <= 2) return v * stddev;
    }
  }

  /** Fisher–Yates shuffle in place. */
  shuffle(values: Int32Array): Int32Array {
    for (let i = values.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const tmp = values[i];
      values[i] = values[j];
      values[j] = tmp;
    }
    return values;
  }

  /** A generator for a named purpose, independent of how much this one has been used. */
  derive(purpose: string): Random {
    let h = this.state ^ 0x9e3779b9;
    for (let i = 0; i < purpose.length; i++) h = Math.imul(h ^ purpose.charCodeAt(i), 0x01000193);
    return new Random(h >>> 0);
  }
}
