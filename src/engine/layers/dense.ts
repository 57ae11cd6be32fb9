import { NormlabError } from '../../errors.js';
import type { ActivationName } from '../backend.js';
import { ACTIVATIONS } from '../math/activations.js';
import { INITIALIZERS, type InitializerName } from '../initializers.js';
import { Layer, type DenseConfig, type LayerArgs, type Shape } from './layer.js';

export interface DenseArgs extends LayerArgs {
  units: number;
  activation?: ActivationName;
  useBias?: boolean;
  kernelInitializer?: InitializerName;
  biasInitializer?: InitializerName;
}

/**
 * Dense: y = activation(x · kernel + bias), kernel [inputSize, units]. Like tfjs, applied to an input of
 * rank > 2 it acts on the last axis only; normlab can describe such a model (so `summary()` shows what
 * went wrong) but refuses to train it, with an error pointing at the missing Flatten.
 */
export class Dense extends Layer {
  readonly className = 'Dense';
  readonly units: number;
  readonly activation: ActivationName;
  readonly useBias: boolean;
  readonly kernelInitializer: InitializerName;
  readonly biasInitializer: InitializerName;

  constructor(args: DenseArgs) {
    super(args, 'Dense');
    if (!args || !Number.isInteger(args.units) || args.units < 1) {
      throw new NormlabError(
        'config',
        `layers.dense needs a positive whole number of units, got ${JSON.stringify(args?.units)}`,
        'e.g. layers.dense({units: 128, activation: "relu"})',
      );
    }
    const activation = (args.activation ?? 'linear') as ActivationName;
    if (!ACTIVATIONS.includes(activation)) {
      throw new NormlabError('config', `unknown activation '${String(args.activation)}'`, `use one of ${ACTIVATIONS.join(', ')}`);
    }
    for (const init of [args.kernelInitializer, args.biasInitializer]) {
      if (init !== undefined && !INITIALIZERS.includes(init)) {
        throw new NormlabError('config', `unknown initializer '${String(init)}'`, `use one of ${INITIALIZERS.join(', ')}`);
      }
    }
    this.units = args.units;
    this.activation = activation;
    this.useBias = args.useBias ?? true;
    this.kernelInitializer = args.kernelInitializer ?? 'glorotUniform';
    this.biasInitializer = args.biasInitializer ?? 'zeros';
  }

  computeOutputShape(input: Shape): Shape {
    return [...input.slice(0, -1), this.units];
  }

  countParams(input: Shape): number {
    const inputSize = input[input.length - 1] ?? 0;
    return inputSize * this.units + (this.useBias ? this.units : 0);
  }

  getConfig(): DenseConfig {
    return {
      className: 'Dense',
      name: this.name,
      inputShape: this.inputShape,
      units: this.units,
      activation: this.activation,
      useBias: this.useBias,
      kernelInitializer: this.kernelInitializer,
      biasInitializer: this.biasInitializer,
    };
  }
}
