import { Layer, type FlattenConfig, type LayerArgs, type Shape } from './layer.js';

/** Flatten: [batch, d1, d2, …] → [batch, d1·d2·…]. Reshapes only; the backend never sees it. */
export class Flatten extends Layer {
  readonly className = 'Flatten';

  constructor(args: LayerArgs = {}) {
    super(args, 'Flatten');
  }

  computeOutputShape(input: Shape): Shape {
    const rest = input.slice(1);
    return [input[0], rest.some((d) => d === null) ? null : (rest as number[]).reduce((p, d) => p * d, 1)];
  }

  countParams(): number {
    return 0;
  }

  getConfig(): FlattenConfig {
    return { className: 'Flatten', name: this.name, inputShape: this.inputShape };
  }
}
