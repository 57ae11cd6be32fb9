/**
 * The ways a training run can normalize its inputs: one of the study's input transforms, applied outside
 * the model as batches are formed (`scale` = x/255, …), or one of Keras' in-model answers on raw 0–255
 * pixels (`layer:rescaling`, `layer:normalization`, `layer:batchnorm`). One choice, one name, recorded
 * with the run; `normlab train --normalize`, the browser lab and the worker pool all resolve it here.
 */
import { tensor } from '../engine/tensor.js';
import { layers, type Layer } from '../engine/layers/index.js';
import { inputTransform, TRANSFORM_NAMES, type InputTransform } from '../data/transforms.js';

export const LAYER_NORMALIZERS = ['layer:rescaling', 'layer:normalization', 'layer:batchnorm'] as const;
export type LayerNormalizer = (typeof LAYER_NORMALIZERS)[number];
export const NORMALIZE_CHOICES = [...TRANSFORM_NAMES, ...LAYER_NORMALIZERS] as const;
export type NormalizeChoice = (typeof NORMALIZE_CHOICES)[number];

/**
 * Each choice as a list to pick from shows it: its name and what it does to a pixel x (the browser lab's
 * checkboxes). Typed by the choice list, so a new choice cannot be offered without words.
 */
export const NORMALIZE_LABELS: Record<NormalizeChoice, string> = {
  none: 'none — raw 0–255',
  scale: 'scale — x / 255',
  standardize: 'standardize — (x − mean) / std',
  symmetric: 'symmetric — x / 127.5 − 1',
  centre: 'centre — x − mean',
  'layer:rescaling': 'Rescaling(1/255) layer — raw pixels in',
  'layer:normalization': 'Normalization layer (adapted) — raw pixels in',
  'layer:batchnorm': 'BatchNormalization first — raw pixels in',
};

export function isLayerNormalizer(choice: string): choice is LayerNormalizer {
  return (LAYER_NORMALIZERS as readonly string[]).includes(choice);
}

export interface Normalization {
  choice: NormalizeChoice;
  /** Applied to the pixels outside the model ('none' for the in-model layers: they see raw 0–255). */
  transform: InputTransform;
  /** The model's first layers (they replace the lab model's Flatten); fresh layers on every call. */
  front: Layer[];
  /** What a learner would read, e.g. "Rescaling(1/255) layer inside the model, on raw 0–255 pixels". */
  description: string;
}

/**
 * The transform and front layers for `choice`. `train` is the training split: `standardize` and
 * `layer:normalization` take their statistics from it (per pixel for the layer, as Keras' adapt).
 */
export function normalizationFor(choice: string, train: { images: Uint8Array; count: number; height: number; width: number }): Normalization {
  const inputShape = [train.height, train.width];
  if (!isLayerNormalizer(choice)) {
    const transform = inputTransform(choice, train.images);
    return { choice: transform.name, transform, front: [layers.flatten({ inputShape })], description: transform.formula };
  }
  const transform = inputTransform('none');
  switch (choice) {
    case 'layer:rescaling':
      return {
        choice,
        transform,
        front: [layers.rescaling({ scale: 1 / 255, inputShape }), layers.flatten()],
        description: 'Rescaling(1/255) layer inside the model, on raw 0–255 pixels',
      };
    case 'layer:normalization': {
      const norm = layers.normalization();
      norm.adapt(tensor(train.images, [train.count, train.height * train.width]));
      return {
        choice,
        transform,
        front: [layers.flatten({ inputShape }), norm],
        description: 'Normalization layer (per-pixel mean and variance adapted on the training set), on raw 0–255 pixels',
      };
    }
    case 'layer:batchnorm':
      return {
        choice,
        transform,
        front: [layers.flatten({ inputShape }), layers.batchNormalization()],
        description: 'BatchNormalization as the first layer, on raw 0–255 pixels',
      };
  }
}
