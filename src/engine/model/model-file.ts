/**
 * What a saved model's model.json must hold, as a zod schema, and the checks of its weights manifest
 * against weights.bin. A file from elsewhere (edited by hand, cut off, from another model, from two
 * saves that overlapped) gets one clear error per defect, never a raw TypeError/RangeError and never a
 * silently wrong model.
 */
import { z } from 'zod';
import { NormlabError } from '../../errors.js';

export const MODEL_FORMAT = 'normlab-model';

const finiteInt = z.number().int().nonnegative();

export const WeightEntry = z.object({
  shape: z.array(finiteInt),
  dtype: z.enum(['float32', 'float64']),
  /** Offset into weights.bin, in elements of `dtype` (so always aligned). */
  offset: finiteInt,
  count: finiteInt,
});

export const ModelFileSchema = z.object({
  format: z.literal(MODEL_FORMAT),
  version: z.literal(1),
  config: z.object({
    name: z.string(),
    dtype: z.enum(['float32', 'float64']),
    seed: finiteInt,
    backend: z.string(),
    // Each layer's own constructor checks its settings; here only what every layer config has.
    layers: z.array(z.looseObject({ className: z.string() })).min(1),
    compile: z
      .object({
        optimizer: z.looseObject({ name: z.string(), learningRate: z.number().positive() }),
        loss: z.looseObject({ name: z.string() }),
        metrics: z.array(z.string()),
      })
      .optional(),
  }),
  weights: z.array(WeightEntry),
  /** SHA-256 (hex) of weights.bin: detects a weights.bin from another save. Absent in older files. */
  weightsSha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
});
export type ModelFile = z.infer<typeof ModelFileSchema>;

const problem = (file: string, what: string, hint = 'save the model again with model.save()') => new NormlabError('model-file', `${file}: ${what}`, hint);

/** Parses model.json's text; one error naming the first defect (field path, what was expected, what was found). */
export function parseModelJson(text: string, file: string): ModelFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw problem(file, `not valid JSON (${(e as Error).message})`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    throw problem(file, `holds ${json === null ? 'null' : Array.isArray(json) ? 'an array' : typeof json}, expected a model object`);
  if ((json as { format?: unknown }).format !== MODEL_FORMAT) {
    throw problem(
      file,
      `is not a normlab model file (format ${JSON.stringify((json as { format?: unknown }).format)}, expected '${MODEL_FORMAT}')`,
      'pass the folder (or model.json) that model.save() wrote',
    );
  }
  const r = ModelFileSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    let found: unknown = json;
    for (const key of issue.path) found = found && typeof found === 'object' ? (found as Record<PropertyKey, unknown>)[key] : undefined;
    throw problem(file, `${issue.path.join('.') || 'the file'}: ${issue.message} (found ${JSON.stringify(found) ?? 'nothing'})`);
  }
  return r.data;
}

/**
 * Checks the manifest against the model's dtype, the byte size of weights.bin and the shapes the layers
 * need, then returns the weights as float64 arrays in layer order.
 */
export function readWeights(file: ModelFile, bytes: Uint8Array, expectedShapes: number[][], paths: { modelJson: string; weightsBin: string }): Float64Array[] {
  const { modelJson, weightsBin } = paths;
  const dtype = file.config.dtype;
  const bytesPer = dtype === 'float64' ? 8 : 4;
  if (bytes.byteLength % bytesPer !== 0)
    throw problem(weightsBin, `has ${bytes.byteLength} bytes, not a whole number of ${dtype} values: the file is truncated or from another model`);
  const elements = bytes.byteLength / bytesPer;
  if (file.weights.length !== expectedShapes.length) {
    throw problem(
      modelJson,
      `the weights manifest lists ${file.weights.length} tensors, the layers need ${expectedShapes.length}: it describes a different architecture`,
    );
  }
  let end = 0;
  const byOffset = [...file.weights.keys()].sort((a, b) => file.weights[a].offset - file.weights[b].offset);
  for (const i of byOffset) {
    const w = file.weights[i];
    const need = expectedShapes[i];
    const size = w.shape.reduce((p, d) => p * d, 1);
    if (w.dtype !== dtype) throw problem(modelJson, `weight ${i} is ${w.dtype}, but the model is ${dtype}`);
    if (w.count !== size) throw problem(modelJson, `weight ${i} has shape [${w.shape.join(',')}] (${size} values) but count ${w.count}`);
    if (w.shape.length !== need.length || w.shape.some((d, k) => d !== need[k])) {
      throw problem(modelJson, `weight ${i} has shape [${w.shape.join(',')}], the layers need [${need.join(',')}]: it describes a different architecture`);
    }
    if (w.offset < end) throw problem(modelJson, `weight ${i} (offset ${w.offset}) overlaps the weight before it, which ends at ${end}`);
    end = w.offset + w.count;
  }
  const total = file.weights.reduce((s, w) => s + w.count, 0);
  if (total !== elements)
    throw problem(weightsBin, `has ${bytes.byteLength} bytes, expected ${total * bytesPer}: the file is truncated or belongs to another model`);
  for (const [i, w] of file.weights.entries()) {
    if (w.offset + w.count > elements) {
      throw problem(
        modelJson,
        `weight ${i} spans values ${w.offset}–${w.offset + w.count} but ${weightsBin} holds only ${elements} ${dtype} values: out of range`,
      );
    }
  }
  // An aligned copy: a Buffer from readFile may start at any byte offset of its pool.
  const aligned = new Uint8Array(bytes).buffer;
  return file.weights.map((w) =>
    Float64Array.from(dtype === 'float64' ? new Float64Array(aligned, w.offset * 8, w.count) : new Float32Array(aligned, w.offset * 4, w.count)),
  );
}
