/** The reference backend: readable TypeScript, float32 or float64, the oracle for every other backend. */
import type { Backend } from '../../backend.js';
import { ReferenceRunner } from './runner.js';

export const referenceBackend: Backend = {
  name: 'reference',
  createNetwork: (spec, weights) => new ReferenceRunner(spec, weights),
};
