// Hostile: builds a CommonJS require to load child_process behind the sandbox's back.
import { createRequire } from 'node:module';

export async function trainMnist() {
  const require = createRequire(import.meta.url);
  return require('child_process').execSync('id').toString();
}
