/**
 * why.json read back: the browser's Report view (a file the user picks, or the one `normlab serve` and a
 * static site publish) and `normlab site build --study`. The file is untrusted input — hand-edited,
 * truncated, from another tool — so it goes through a schema before any renderer touches it: a bad file is
 * one message naming the first fields that are wrong, never a TypeError from deep inside a chart.
 *
 * The schema follows StudyResult (src/lab/study/types.ts) and Findings. Objects are loose (fields this
 * version does not know are kept, so a newer why.json still opens); what the renderers and findings read
 * is checked, including every run key (parseRunKey). Parts added to the study over time default to empty,
 * so a why.json written before them still opens.
 */
import { z } from 'zod';
import { parseRunKey } from '../lab/study/run-id.js';
import { STUDY_GROUPS, type StudyResult } from '../lab/study/types.js';
import { TRANSFORM_NAMES } from '../data/transforms.js';
import { parseJson } from '../util/json.js';
import { describeIssues } from '../util/zod-issues.js';
import { deriveFindings, type Findings } from './findings.js';

/** Any number, NaN and ±Infinity included (a diverged run's loss is one; zod's z.number() refuses them). */
const num = z.custom<number>((v) => typeof v === 'number', { message: 'expected a number' });
const nullableNum = num.nullable();
const nums = z.array(num);
const obj = <T extends z.ZodRawShape>(shape: T) => z.looseObject(shape);

const runKey = z.string().superRefine((key, ctx) => {
  try {
    parseRunKey(key);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
  }
});
const optimizer = z.enum(['adam', 'sgd']);
const dtype = z.enum(['float32', 'float64']);
const tier = z.enum(['full', 'subset']);
const transform = z.enum(TRANSFORM_NAMES);

const stat = obj({ n: num, mean: num, std: num, min: num, max: num, lo: num, hi: num, values: nums });
const curvePoint = obj({ step: num, epoch: num, value: num });

const layerDiagnostics = obj({
  units: num,
  activation: z.string(),
  meanAbsPre: num,
  maxAbsPre: num,
  deadFraction: nullableNum,
  activeFraction: nullableNum,
  saturatedFraction: nullableNum,
  saturatedExactFraction: nullableNum,
  kernelNorm: num,
  kernelGradNorm: num,
  biasGradNorm: num,
  gradNorm: num,
  updateRatio: nullableNum,
  biasUpdateRatio: nullableNum,
});
const probe = obj({
  step: num,
  epoch: num,
  kind: z.enum(['init', 'step', 'epoch']),
  loss: num,
  acc: num,
  layers: z.array(layerDiagnostics),
  logits: obj({ meanAbs: num, maxAbs: num, gapMean: num, gapMedian: num, gapMax: num }),
  softmax: obj({ maxExactlyOne: num, trueProbZero: num, meanMax: num, errorNorm: num }),
  nonFinite: obj({ preActivations: num, activations: num, gradients: num, losses: num, weights: num }),
  extra: z.record(z.string(), num),
});

const runSpec = obj({
  id: z.string(),
  key: runKey,
  group: z.enum(STUDY_GROUPS),
  label: z.string(),
  seed: num,
  transform,
  activation: z.enum(['relu', 'sigmoid']),
  units: nums,
  optimizer,
  learningRate: num,
  dtype,
  backend: z.string(),
  epochs: num,
  batchSize: num,
  tier,
  reparam: obj({ kernel0Divisor: num, matches: runKey }).optional(),
  intervention: obj({ arm: z.string() }).optional(),
});

const runResult = obj({
  spec: runSpec,
  backend: z.string(),
  history: z.record(z.string(), nums),
  test: obj({ loss: num, acc: num }),
  probes: z.array(probe),
  lossCurve: z.array(curvePoint),
  lossWindow: num,
  stepLosses: nums.optional(),
  steps: num,
  stepsPerEpoch: num,
  nonFinite: obj({
    loss: obj({ step: num, epoch: num, value: num }).nullable(),
    firstProbeStep: nullableNum,
  }),
  initialWeightsHash: z.string(),
  seconds: num,
  secondsPerEpoch: num,
  analyses: obj({ seconds: num }).optional(),
});

const runSummary = obj({
  key: runKey,
  group: z.enum(STUDY_GROUPS),
  label: z.string(),
  transform,
  activation: z.string(),
  optimizer,
  learningRate: num,
  dtype,
  seeds: nums,
  testAcc: obj({ mean: num, std: num, min: num, max: num, values: nums, lo: num, hi: num }),
  tier,
  testLoss: obj({ mean: num, values: nums }),
  firstEpochLoss: num,
  init: probe.nullable(),
  final: probe.nullable(),
  nonFiniteRuns: num,
});

const boundedDiff = obj({ lossMaxAbsDiff: num, finalMaxAbsDiff: nullableNum, lossDiffCurve: z.array(curvePoint) });
const reparamCheck = obj({
  optimizer,
  dtype,
  normalized: runKey,
  reparametrised: runKey,
  recipe: z.string(),
  steps: num,
  initialMaxAbsDiff: num,
  earlySteps: num,
  earlyLossMaxAbsDiff: num,
  lossMaxAbsDiff: num,
  finalMaxAbsDiff: num,
  testAcc: z.tuple([num, num]),
  unreparametrised: obj({ finalMaxAbsDiff: num, lossMaxAbsDiff: num, testAcc: num }).nullable(),
  lossDiffCurve: z.array(curvePoint),
  tolerance: num,
  roundingReference: boundedDiff.nullable(),
  bound: obj({ initial: num, loss: num, final: num }),
  passed: z.boolean(),
});

const sweepPoint = obj({ learningRate: num, key: runKey, testAcc: num, gapRecovered: nullableNum });
const precision = obj({
  optimizer,
  float32: runKey,
  float64: runKey,
  testAcc: z.tuple([num, num]),
  testAccStats: z.tuple([stat, stat]),
  finalLoss: z.tuple([num, num]),
  maxSoftmaxOne: z.tuple([num, num]),
  firstNonFinite: z.tuple([nullableNum, nullableNum]),
  probeLossMaxAbsDiff: num,
});
const ablationRow = obj({ optimizer, arm: z.string(), key: runKey, label: z.string(), share: stat, acc: stat, gap: stat });
const lossForm = obj({
  optimizer,
  transform: z.enum(['none', 'scale']),
  logits: stat,
  clipped: stat,
  difference: stat,
  firstEpochLoss: z.tuple([num, num]),
  trueProbZeroAtInit: stat,
});
const curvatureSummary = obj({
  key: runKey,
  transform: z.string(),
  optimizer,
  learningRate: num,
  limit: num,
  points: z.array(obj({ step: num, lambdaMax: stat, firstLayer: stat, preconditioned: stat })),
  rows: num,
});
const lossPlane = obj({
  rows: num,
  eigenvalues: z.tuple([num, num]),
  alphas: nums,
  losses: z.array(nums),
  path: z.array(obj({ step: num, a: num, b: num, loss: num })),
  offPlane: nums,
});
const spectrum = obj({
  images: num,
  floor: num,
  rows: z.array(
    obj({
      transform: z.string(),
      formula: z.string(),
      top: num,
      second: num,
      ratio12: num,
      condition: num,
      nonNegligible: num,
      topShare: num,
      largest10: nums,
    }),
  ),
  seconds: num,
});
/** The sigmoid tables: checked one level deep (they are computed, not measured, and rendered as tables). */
const sigmoid = obj({
  methods: z.record(z.string(), z.string()),
  proposed: obj({ code: z.string(), weights: nums, values: z.record(z.string(), z.array(z.tuple([num, num]))) }),
  realisticWeights: obj({ code: z.string(), weights: nums, values: z.record(z.string(), z.array(z.tuple([num, num]))) }),
  raw: obj({ inputs: nums, values: z.record(z.string(), nums) }),
  scaled: obj({ inputs: nums, values: z.record(z.string(), nums) }),
  thresholds: z.array(obj({ method: z.string(), x: num })),
  softmax: z.array(obj({ method: z.string(), competitors: num, gap: num })),
  softmaxAtMeasuredGaps: z.array(obj({ label: z.string(), gap: num })),
});

export const StudyResultSchema = obj({
  tool: z.literal('normlab why', { message: 'expected "normlab why" (this is not a why.json written by normlab why)' }),
  version: z.literal(1, { message: 'expected version 1 (this app reads why.json version 1)' }),
  createdAt: z.string(),
  options: obj({ epochs: num, seeds: nums, quick: z.boolean(), batchSize: num, backend: z.string() }),
  dataset: obj({ name: z.string(), verified: z.boolean(), trainCount: num, testCount: num, classNames: z.array(z.string()), notes: z.array(z.string()) }),
  environment: obj({ node: z.string(), platform: z.string() }),
  wallSeconds: num,
  runs: z.array(runResult),
  summaries: z.array(runSummary),
  reparam: z.array(reparamCheck).default([]),
  sweep: z.array(sweepPoint).default([]),
  precision: z.array(precision).default([]),
  sigmoid,
  samples: obj({
    height: num,
    width: num,
    images: z.array(obj({ index: num, label: num, className: z.string(), pixels: nums })),
    transforms: z.array(obj({ name: transform, formula: z.string(), a: num, b: num, range: z.tuple([num, num]), mean: num, std: num })),
  }),
  sameInitialWeights: obj({ relu: z.boolean().nullable(), sigmoid: z.boolean().nullable() }),
  tiers: obj({ full: num, subset: num }),
  ablation: z.array(ablationRow).default([]),
  lossForm: z.array(lossForm).default([]),
  curvature: z.array(curvatureSummary).default([]),
  mechanismAtInit: obj({ seeds: num, rows: num }).nullable().default(null),
  spectrum: spectrum.nullable().default(null),
  planes: z.array(obj({ transform: z.string(), plane: lossPlane })).default([]),
});

const verdict = z.enum(['as expected', 'contradicts the expected story', 'mixed', 'not measured']);
const finding = obj({
  id: z.string(),
  title: z.string(),
  expectation: z.string(),
  verdict,
  sentences: z.array(z.string()),
  numbers: z.record(z.string(), z.union([num, z.string(), z.boolean(), z.null()])),
});
const claim = obj({
  id: z.string(),
  claim: z.string(),
  prediction: z.string(),
  verdict: z.enum(['supported', 'refuted', 'partly', 'not measured']),
  evidence: z.string(),
  numbers: z.record(z.string(), nullableNum),
});
export const FindingsSchema = obj({
  answer: z.array(z.string()),
  reply: z.string(),
  claims: z.array(claim),
  list: z.array(finding),
  closing: z.array(z.string()),
});

/** A why.json that is not one: `message` says what is wrong in one line. */
export class WhyJsonError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WhyJsonError';
  }
}

/**
 * why.json's text → the study and its findings (derived from the study when the file has none). NaN and
 * ±Infinity arrive as strings, as normlab writes them (util/json.ts). Throws a WhyJsonError naming at most
 * three wrong fields.
 */
export function parseWhyJson(text: string): { study: StudyResult; findings: Findings } {
  let value: unknown;
  try {
    value = parseJson(text);
  } catch (error) {
    throw new WhyJsonError(`this is not JSON (${(error as Error).message}); a why.json is written by normlab why`);
  }
  const tool = value && typeof value === 'object' && !Array.isArray(value) ? (value as { tool?: unknown }).tool : undefined;
  if (tool !== 'normlab why') throw new WhyJsonError('this is not a why.json written by normlab why (its "tool" field is not "normlab why")');
  const study = StudyResultSchema.safeParse(value);
  if (!study.success) throw new WhyJsonError(`this why.json is damaged or from another version: ${firstIssues(study.error, value)}`);
  const raw = (value as { findings?: unknown }).findings;
  let findings: Findings | undefined;
  if (raw !== undefined) {
    const parsed = FindingsSchema.safeParse(raw);
    if (!parsed.success) throw new WhyJsonError(`this why.json's findings are damaged: ${firstIssues(parsed.error, raw)}`);
    findings = parsed.data as unknown as Findings;
  }
  // The schema checks what the renderers read; the rest of each object is kept as the file has it.
  const result = study.data as unknown as StudyResult;
  return { study: result, findings: findings ?? deriveFindings(result) };
}

function firstIssues(error: z.ZodError, value: unknown): string {
  const lines = describeIssues(error, value);
  return lines.slice(0, 3).join('; ') + (lines.length > 3 ? ` (and ${lines.length - 3} more)` : '');
}
