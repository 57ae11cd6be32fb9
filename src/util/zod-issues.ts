/**
 * zod's issues as lines a person reads. Every schema normlab parses untrusted input with (flags, URLs,
 * why.json, model.json, the grader's channel) reports through this, so no raw ZodError reaches a user.
 */
import type { z } from 'zod';

/** One readable line per problem, e.g. "validationSplit: expected at most 0.9, got 0.95". */
export function describeIssues(
  error: z.ZodError,
  input: unknown,
  nameOf: (path: PropertyKey[]) => string = (p) => (p.length ? p.join('.') : 'the value'),
): string[] {
  return error.issues.map((issue) => {
    // 'Unrecognized key: "epocs"' says it all; the whole object it sits in would only add noise.
    if (issue.code === 'unrecognized_keys') return issue.path.length ? `${nameOf(issue.path)}: ${issue.message}` : issue.message;
    let value: unknown = input;
    for (const key of issue.path) value = value && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined;
    const got = value === undefined ? '' : `, got ${shown(value)}`;
    return `${nameOf(issue.path)}: ${issue.message}${got}`;
  });
}

/** A value as an error line quotes it: JSON, numbers as written (NaN, not null), long ones cut. */
function shown(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value); // a BigInt or a cycle
  }
  return text.length > 80 ? `${text.slice(0, 80)}… (${text.length} characters)` : text;
}
