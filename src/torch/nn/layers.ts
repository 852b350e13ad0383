/** Parameter-free layers: activations and dropout. */
import { dropout } from '../functional.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

/** A module whose forward maps one tensor to one tensor. */
export interface Layer {
  forward(x: Tensor): Tensor;
}

export class GELU extends Module implements Layer {
  forward(x: Tensor): Tensor {
    return x.gelu();
  }
}

export class ReLU extends Module implements Layer {
  forward(x: Tensor): Tensor {
    return x.relu();
  }
}

export class Tanh extends Module implements Layer {
  forward(x: Tensor): Tensor {
    return x.tanh();
  }
}

/** Dropout, active in train mode only. */
export class Dropout extends Module implements Layer {
  constructor(readonly p: number) {
    super();
  }
  forward(x: Tensor): Tensor {
    return this.p === 0 ? x : dropout(x, this.p, this.training);
  }
}
