/**
 * How the CLI talks: human text on stderr (progress, notes) and stdout (results); with --json the last
 * line of stdout is one JSON object. Errors: a NormlabError prints its message and hint, never a stack;
 * anything else is a normlab bug and prints its stack so it can be reported.
 */
import { isNormlabError } from '../errors.js';
import { stringifyJson } from '../util/json.js';

export function printJson(value: unknown): void {
  process.stdout.write(`${stringifyJson(value)}\n`);
}

export function note(message: string): void {
  process.stderr.write(`${message}\n`);
}

export function reportError(error: unknown): number {
  if (isNormlabError(error)) {
    process.stderr.write(`normlab: error: ${error.message}\n`);
    if (error.hint) process.stderr.write(`  Try: ${error.hint}\n`);
    return 2;
  }
  const e = error as Error;
  process.stderr.write(`normlab: internal error (a bug in normlab, please report it): ${e?.stack ?? String(error)}\n`);
  return 70;
}
