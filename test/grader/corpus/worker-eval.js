// Hostile: starts a worker thread from a string of code and swallows the refusal.
import { Worker } from 'node:worker_threads';

export async function trainMnist() {
  try {
    new Worker('require("child_process").execSync("id")', { eval: true });
  } catch {
    /* refused */
  }
  return undefined;
}
