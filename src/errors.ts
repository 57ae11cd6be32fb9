/**
 * Errors a learner can act on. Every error normlab raises on purpose is a NormlabError: it says what was
 * expected, what was found, and the likely fix, in one or two sentences. The CLI prints `message` (and
 * `hint`) without a stack trace; anything that is *not* a NormlabError is a bug in normlab and is printed
 * with its stack.
 */
export class NormlabError extends Error {
  /** A short machine-readable category, e.g. 'shape', 'dataset-identity', 'non-finite', 'flag'. */
  readonly code: string;
  /** The likely fix, one sentence. */
  readonly hint?: string;

  constructor(code: string, message: string, hint?: string) {
    super(message);
    this.name = 'NormlabError';
    this.code = code;
    this.hint = hint;
  }

  /** Message and hint as the learner should read them. */
  describe(): string {
    return this.hint ? `${this.message}\n  Try: ${this.hint}` : this.message;
  }
}

export function isNormlabError(e: unknown): e is NormlabError {
  return e instanceof NormlabError;
}
