/**
 * Backends by name. Environments register what they can load (Node registers `wasm` from the built
 * file; the browser registers it after an async fetch), and models ask for one by name. Like tfjs'
 * `tf.setBackend`, the default can be changed globally; a model can also name its own. What getBackend
 * returns validates every call before the backend sees it (./checked.ts).
 */
import { NormlabError } from '../../errors.js';
import type { Backend } from '../backend.js';
import { checkedBackend } from './checked.js';
import { referenceBackend } from './reference/index.js';

const factories = new Map<string, () => Backend>([['reference', () => referenceBackend]]);
const instances = new Map<string, Backend>();
let defaultName = 'reference';

export function registerBackend(name: string, factory: () => Backend, options: { makeDefault?: boolean } = {}): void {
  factories.set(name, factory);
  instances.delete(name);
  if (options.makeDefault) defaultName = name;
}

export function backendNames(): string[] {
  return [...factories.keys()];
}

export function getBackend(name: string = defaultName): Backend {
  const cached = instances.get(name);
  if (cached) return cached;
  const factory = factories.get(name);
  if (!factory) {
    throw new NormlabError('config', `unknown backend '${name}'`, `use one of ${backendNames().join(', ')}`);
  }
  // Every backend is handed out checked (./checked.ts): bad input gets the same error whichever computes.
  const backend = checkedBackend(factory());
  instances.set(name, backend);
  return backend;
}

/** tfjs-compatible: `await setBackend('reference')`. Resolves to true when the backend loaded. */
export async function setBackend(name: string): Promise<boolean> {
  getBackend(name);
  defaultName = name;
  return true;
}

export function getBackendName(): string {
  return defaultName;
}
