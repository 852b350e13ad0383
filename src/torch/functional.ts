/**
 * Functions over several tensors and the neural-network functionals (as in
 * torch.nn.functional): linear, dropout, layer norm, losses.
 */
import type { DType } from './dtype.js';
import { TorchError } from './errors.js';
import type { TensorHandle } from './native.js';
import { callRaw } from './op-table.js';
import { Tensor } from './tensor.js';

/** Join tensors along an existing dimension. */
export function cat<D extends DType>(tensors: Tensor<D>[], dim = 0): Tensor<D> {
  if (tensors.length === 0) throw new TorchError('cat: needs at least one tensor');
  return new Tensor<D>(callRaw('aten::cat', tensors.map((t) => t.handle), dim) as TensorHandle);
}

/** Join tensors along a new dimension. */
export function stack<D extends DType>(tensors: Tensor<D>[], dim = 0): Tensor<D> {
  if (tensors.length === 0) throw new TorchError('stack: needs at least one tensor');
  return new Tensor<D>(callRaw('aten::stack', tensors.map((t) => t.handle), dim) as TensorHandle);
}

/** Elementwise `condition ? a : b`. */
export function where<D extends DType>(condition: Tensor, a: Tensor<D>, b: Tensor<D>): Tensor<D> {
  return new Tensor<D>(callRaw('aten::where.self', condition.handle, a.handle, b.handle) as TensorHandle);
}

/** y = x·Wᵀ + b, with W [out, in]. */
export function linear<D extends DType>(x: Tensor<D>, weight: Tensor, bias?: Tensor | null): Tensor<D> {
  return x.op('aten::linear', weight.handle, bias ? bias.handle : null);
}

/** Zero elements with probability p and scale the rest by 1/(1−p), when `training`. */
export function dropout<D extends DType>(x: Tensor<D>, p: number, training: boolean): Tensor<D> {
  if (!(p >= 0 && p < 1)) throw new TorchError(`dropout: p must lie in [0, 1), got ${p}`);
  return x.op('aten::dropout', p, training);
}

/** Layer normalisation over the trailing dimensions `normalizedShape`. */
export function layerNorm<D extends DType>(
  x: Tensor<D>,
  normalizedShape: number[],
  weight?: Tensor | null,
  bias?: Tensor | null,
  eps = 1e-5,
): Tensor<D> {
  return x.op('aten::layer_norm', normalizedShape, weight ? weight.handle : null, bias ? bias.handle : null, eps, true);
}

/** How a loss reduces over elements. */
export type Reduction = 'none' | 'mean' | 'sum';
const REDUCTION: Record<Reduction, number> = { none: 0, mean: 1, sum: 2 };

/** Options of crossEntropy. */
export interface CrossEntropyOptions {
  /** Per-class weights [C] (e.g. inverse class frequencies). */
  weight?: Tensor | null;
  reduction?: Reduction;
  /** Targets equal to this index contribute nothing. */
  ignoreIndex?: number;
  /** Mix the one-hot target with the uniform distribution by this amount. */
  labelSmoothing?: number;
}

/**
 * Cross-entropy between logits [N, C] and int64 class targets [N], as
 * torch.nn.functional.cross_entropy: with class weights, the 'mean'
 * reduction divides by the sum of the targets' weights.
 */
export function crossEntropy<D extends DType>(logits: Tensor<D>, target: Tensor, opts: CrossEntropyOptions = {}): Tensor<D> {
  const smoothing = opts.labelSmoothing ?? 0;
  if (!(smoothing >= 0 && smoothing <= 1)) throw new TorchError(`crossEntropy: labelSmoothing must lie in [0, 1], got ${smoothing}`);
  return logits.op(
    'aten::cross_entropy_loss',
    target.handle,
    opts.weight ? opts.weight.handle : null,
    REDUCTION[opts.reduction ?? 'mean'],
    opts.ignoreIndex ?? -100,
    smoothing,
  );
}

/** Mean squared error. */
export function mseLoss<D extends DType>(input: Tensor<D>, target: Tensor, reduction: Reduction = 'mean'): Tensor<D> {
  return input.op('aten::mse_loss', target.handle, REDUCTION[reduction]);
}

/** Mean absolute error. */
export function l1Loss<D extends DType>(input: Tensor<D>, target: Tensor, reduction: Reduction = 'mean'): Tensor<D> {
  return input.op('aten::l1_loss', target.handle, REDUCTION[reduction]);
}

/** One-hot int64 encoding of class indices, [..., numClasses]. */
export function oneHot(indices: Tensor, numClasses: number): Tensor<'int64'> {
  return indices.op('aten::one_hot', numClasses);
}
