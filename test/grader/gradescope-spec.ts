/**
 * Gradescope's results.json, as its autograder specification defines it
 * (https://gradescope-autograders.readthedocs.io/en/latest/specs/, "Output format"): the fields, their
 * types and allowed values. Strict, so that a misspelt key (which Gradescope would silently ignore) fails.
 */
import { z } from 'zod';

const Visibility = z.enum(['hidden', 'after_due_date', 'after_published', 'visible']);
const OutputFormat = z.enum(['text', 'html', 'simple_format', 'md', 'ansi']);

export const GradescopeTestSchema = z
  .object({
    score: z.number().optional(),
    max_score: z.number().nonnegative().optional(),
    status: z.enum(['passed', 'failed']).optional(),
    name: z.string().optional(),
    name_format: OutputFormat.optional(),
    number: z.string().optional(),
    output: z.string().optional(),
    output_format: OutputFormat.optional(),
    tags: z.array(z.string()).optional(),
    visibility: Visibility.optional(),
    extra_data: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export const GradescopeResultsSchema = z
  .object({
    score: z.number().optional(),
    /** Whole seconds in the specification's example. */
    execution_time: z.number().int().nonnegative().optional(),
    output: z.string().optional(),
    output_format: OutputFormat.optional(),
    test_output_format: OutputFormat.optional(),
    test_name_format: OutputFormat.optional(),
    visibility: Visibility.optional(),
    stdout_visibility: Visibility.optional(),
    extra_data: z.record(z.string(), z.unknown()).optional(),
    tests: z.array(GradescopeTestSchema).optional(),
    leaderboard: z
      .array(z.object({ name: z.string(), value: z.union([z.number(), z.string()]), order: z.enum(['asc', 'desc']).optional() }).strict())
      .optional(),
  })
  .strict()
  // "score: optional, but required if not on each test case"
  .refine((r) => r.score !== undefined || (r.tests ?? []).every((t) => t.score !== undefined), 'score is missing, and not every test has one');
