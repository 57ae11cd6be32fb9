/**
 * One finding of the study, as every view renders it (terminal, why.html, the browser's Why? view). In
 * its own module so that findings.ts and findings-why.ts, which both build findings, import it one way.
 */
export type Verdict = 'as expected' | 'contradicts the expected story' | 'mixed' | 'not measured';

export interface Finding {
  id:
    | 'outcome'
    | 'mechanism'
    | 'reparametrisation'
    | 'adam-sweep'
    | 'precision'
    | 'sigmoid'
    | 'curvature'
    | 'input-spectrum'
    | 'ablation'
    | 'loss-form'
    | 'claims';
  title: string;
  /** The expectation this finding tests, in one sentence. */
  expectation: string;
  verdict: Verdict;
  /** The finding, as sentences that each quote their numbers. */
  sentences: string[];
  /** The numbers quoted, by name (also in why.json). */
  numbers: Record<string, number | string | boolean | null>;
}
