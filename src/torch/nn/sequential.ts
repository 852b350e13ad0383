/** Layers applied in order, and the two-layer perceptron the task heads use. */
import { scope } from '../scope.js';
import type { Tensor } from '../tensor.js';
import { Dropout, GELU, type Layer, ReLU, Tanh } from './layers.js';
import { Linear, type LinearOptions } from './linear.js';
import { Module } from './module.js';

export class Sequential extends Module implements Layer {
  readonly layers: readonly (Module & Layer)[];

  constructor(...layers: (Module & Layer)[]) {
    super();
    layers.forEach((l, i) => this.registerModule(String(i), l));
    this.layers = layers;
  }

  /** Intermediate results are freed; only the output survives. */
  forward(x: Tensor): Tensor {
    return scope(() => {
      let h = x;
      for (const l of this.layers) h = l.forward(h);
      return h;
    });
  }
}

export type Activation = 'gelu' | 'relu' | 'tanh';

export interface MLPOptions extends LinearOptions {
  activation?: Activation;
  /** Dropout after the activation. */
  dropout?: number;
}

/** Linear(in, hidden) → activation → [dropout] → Linear(hidden, out). */
export class MLP extends Sequential {
  constructor(inFeatures: number, hidden: number, outFeatures: number, opts: MLPOptions = {}) {
    const act = opts.activation ?? 'gelu';
    const layers: (Module & Layer)[] = [
      new Linear(inFeatures, hidden, opts),
      act === 'gelu' ? new GELU() : act === 'relu' ? new ReLU() : new Tanh(),
    ];
    if (opts.dropout) layers.push(new Dropout(opts.dropout));
    layers.push(new Linear(hidden, outFeatures, opts));
    super(...layers);
  }
}
