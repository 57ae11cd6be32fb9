/**
 * Layers describe the network; they do no arithmetic (the backend does). Each layer knows its config
 * (plain data, Keras' `getConfig`), how it transforms a shape, and how to create its initial weights.
 * Shapes use `null` for the batch dimension, as tfjs prints them.
 */
import type { ActivationName } from '../backend.js';
import type { InitializerName } from '../initializers.js';

export type Shape = (number | null)[];

const counters = new Map<string, number>();
/** tfjs-style unique names: dense_Dense1, dense_Dense2, … */
export function uniqueName(className: string): string {
  const n = (counters.get(className) ?? 0) + 1;
  counters.set(className, n);
  return `${className.toLowerCase()}_${className}${n}`;
}

export interface LayerArgs {
  /** Shape of one input sample, without the batch dimension (only the first layer needs it). */
  inputShape?: number[];
  name?: string;
}

export interface FlattenConfig extends LayerArgs {
  className: 'Flatten';
}

export interface DenseConfig extends LayerArgs {
  className: 'Dense';
  units: number;
  activation: ActivationName;
  useBias: boolean;
  kernelInitializer: InitializerName;
  biasInitializer: InitializerName;
}

export interface RescalingConfig extends LayerArgs {
  className: 'Rescaling';
  scale: number;
  offset: number;
}

export interface NormalizationConfig extends LayerArgs {
  className: 'Normalization';
  axis: number | null;
  /** Given (or adapted) statistics; the adapted ones travel as the layer's weights in weights.bin. */
  mean?: number[];
  variance?: number[];
}

export interface BatchNormalizationConfig extends LayerArgs {
  className: 'BatchNormalization';
  axis: number;
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
}

export interface DropoutConfig extends LayerArgs {
  className: 'Dropout';
  rate: number;
  seed?: number;
}

export type LayerConfig = FlattenConfig | DenseConfig | RescalingConfig | NormalizationConfig | BatchNormalizationConfig | DropoutConfig;

export abstract class Layer {
  readonly name: string;
  readonly inputShape?: number[];
  abstract readonly className: string;

  constructor(args: LayerArgs, className: string) {
    this.name = args.name ?? uniqueName(className);
    this.inputShape = args.inputShape;
  }

  abstract computeOutputShape(input: Shape): Shape;
  /** Number of weight values (trainable and not) for the given input shape. */
  abstract countParams(input: Shape): number;
  /** Number of those that no optimizer updates (batch norm's moving statistics, normalization's). */
  countNonTrainable(_input: Shape): number {
    return 0;
  }
  abstract getConfig(): LayerConfig;
}
