/** Autograd helpers: grad mode, functional gradients, gradient reversal, clipping. */
import type { DType } from './dtype.js';
import { native } from './native.js';
import { Tensor } from './tensor.js';

/** Run `fn` without recording operations for autograd (grad mode is restored after). */
export function noGrad<T>(fn: () => T): T {
  const previous = native().setGradEnabled(false);
  try {
    return fn();
  } finally {
    native().setGradEnabled(previous);
  }
}

/** Run `fn` with autograd recording on, even inside noGrad. */
export function enableGrad<T>(fn: () => T): T {
  const previous = native().setGradEnabled(true);
  try {
    return fn();
  } finally {
    native().setGradEnabled(previous);
  }
}

/** Whether autograd records operations now. */
export function isGradEnabled(): boolean {
  return native().gradEnabled();
}

/**
 * Gradient reversal layer: the identity in the forward pass; in the backward
 * pass the gradient is multiplied by −factor. Whatever lies before it is
 * trained to increase the loss that lies after it.
 */
export function gradReverse<D extends DType>(x: Tensor<D>, factor = 1): Tensor<D> {
  return new Tensor<D>(native().gradReverse(x.handle, factor));
}

/**
 * Gradients of `outputs` with respect to `inputs` (torch.autograd.grad),
 * without accumulating into `.grad`. An input that does not influence the
 * outputs gets null.
 */
export function grad(
  outputs: Tensor | Tensor[],
  inputs: Tensor[],
  opts: { gradOutputs?: Tensor[]; retainGraph?: boolean; createGraph?: boolean } = {},
): (Tensor | null)[] {
  const outs = Array.isArray(outputs) ? outputs : [outputs];
  const result = native().autogradGrad(
    outs.map((t) => t.handle),
    inputs.map((t) => t.handle),
    opts.gradOutputs ? opts.gradOutputs.map((t) => t.handle) : null,
    opts.retainGraph,
    opts.createGraph ?? false,
  );
  return result.map((h) => (h === null ? null : new Tensor(h)));
}

/**
 * Scale the gradients of `params` in place so their joint norm is at most
 * `maxNorm`; returns the norm before clipping.
 */
export function clipGradNorm(params: Tensor[], maxNorm: number, normType = 2): number {
  return native().clipGradNorm(params.map((p) => p.handle), maxNorm, normType);
}

/**
 * As clipGradNorm, but the norm before clipping comes back as a 0-dim tensor
 * on the gradients' device: nothing waits for a GPU (use in training steps).
 */
export function clipGradNormTensor(params: Tensor[], maxNorm: number, normType = 2): Tensor {
  return new Tensor(native().clipGradNormTensor(params.map((p) => p.handle), maxNorm, normType));
}

/** Number of native tensors alive (created and not yet freed); for leak checks. */
export function liveTensors(): number {
  return native().liveTensors();
}
