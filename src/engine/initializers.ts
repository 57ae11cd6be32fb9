/**
 * Weight initializers with Keras' definitions and names (tfjs spells them the same way).
 * fanIn/fanOut are the kernel's input and output sizes.
 */
import { NormlabError } from '../errors.js';
import type { Random } from './random.js';

export type InitializerName = 'glorotUniform' | 'glorotNormal' | 'heNormal' | 'heUniform' | 'zeros' | 'ones' | 'randomNormal' | 'randomUniform';

export const INITIALIZERS: readonly InitializerName[] = [
  'glorotUniform',
  'glorotNormal',
  'heNormal',
  'heUniform',
  'zeros',
  'ones',
  'randomNormal',
  'randomUniform',
];

export function initialize(name: InitializerName, fanIn: number, fanOut: number, count: number, random: Random): Float64Array {
  const out = new Float64Array(count);
  const fill = (draw: () => number) => {
    for (let i = 0; i < count; i++) out[i] = draw();
  };
  switch (name) {
    case 'zeros':
      break;
    case 'ones':
      out.fill(1);
      break;
    case 'glorotUniform': {
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      fill(() => random.uniform(-limit, limit));
      break;
    }
    case 'glorotNormal': {
      // Keras divides by the std of a normal truncated at 2σ (0.87962566…) so the variance is exact.
      const stddev = Math.sqrt(2 / (fanIn + fanOut)) / 0.8796256610342398;
      fill(() => random.truncatedNormal(stddev));
      break;
    }
    case 'heUniform': {
      const limit = Math.sqrt(6 / fanIn);
      fill(() => random.uniform(-limit, limit));
      break;
    }
    case 'heNormal': {
      const stddev = Math.sqrt(2 / fanIn) / 0.8796256610342398;
      fill(() => random.truncatedNormal(stddev));
      break;
    }
    case 'randomNormal':
      fill(() => 0.05 * random.normal());
      break;
    case 'randomUniform':
      fill(() => random.uniform(-0.05, 0.05));
      break;
    default:
      throw new NormlabError('config', `unknown initializer '${String(name)}'`, `use one of ${INITIALIZERS.join(', ')}`);
  }
  return out;
}
