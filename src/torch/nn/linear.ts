/** Fully connected layer y = x·Wᵀ + b with PyTorch's default initialisation. */
import { noGrad } from '../autograd.js';
import { empty } from '../creation.js';
import type { Device } from '../dtype.js';
import { TorchError } from '../errors.js';
import { linear } from '../functional.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

export interface LinearOptions {
  bias?: boolean;
  device?: Device;
}

export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  /**
   * W [out, in] and b [out] ~ U(−1/√in, 1/√in), which is what PyTorch's
   * kaiming_uniform_(a=√5) default gives.
   */
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    opts: LinearOptions = {},
  ) {
    super();
    if (!Number.isInteger(inFeatures) || inFeatures < 1 || !Number.isInteger(outFeatures) || outFeatures < 1) {
      throw new TorchError(`Linear: sizes must be positive integers, got ${inFeatures} → ${outFeatures}`);
    }
    const bound = 1 / Math.sqrt(inFeatures);
    const device = opts.device ?? 'cpu';
    this.weight = this.registerParameter('weight', noGrad(() => empty([outFeatures, inFeatures], { device }).uniform_(-bound, bound)));
    this.bias = opts.bias === false ? null : this.registerParameter('bias', noGrad(() => empty([outFeatures], { device }).uniform_(-bound, bound)));
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}
