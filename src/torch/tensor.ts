/**
 * The typed Tensor: a handle to a LibTorch tensor with explicit lifetime
 * (see scope.ts) and the methods losses, heads and metrics need. Every method
 * returns a new tensor (registered with the current scope) unless its name
 * ends in `_`, in which case it modifies this tensor in place and returns it.
 */
import { inspect } from 'node:util';
import type { ArrayFor, DType, Device } from './dtype.js';
import { TorchError } from './errors.js';
import { type NativeArg, type NativeResult, type TensorHandle, native } from './native.js';
import { callRaw } from './op-table.js';
import { setTensorCheck, track, untrack } from './scope.js';
import { recordCreation, recordDisposal } from './trace.js';

/** Something that can stand where a tensor operand is expected. */
export type Operand = Tensor | number;

/** Options of `Tensor.to`. */
export interface ToOptions<D extends DType> {
  dtype?: D;
  device?: Device;
  /** Copy even if nothing changes. */
  copy?: boolean;
  /** Asynchronous host-to-device copy from pinned memory. */
  nonBlocking?: boolean;
}

export class Tensor<D extends DType = DType> implements Disposable {
  #handle: TensorHandle | null;
  #meta: [string, string, boolean, ...number[]] | undefined;

  /** @internal Use the creation functions (tensor, zeros, ...) instead. */
  constructor(handle: TensorHandle) {
    this.#handle = handle;
    track(this);
    recordCreation(this);
  }

  /** @internal The native handle; throws after dispose(). */
  get handle(): TensorHandle {
    if (this.#handle === null) throw new TorchError('tensor was used after dispose()');
    return this.#handle;
  }

  /** @internal Forget cached dtype/device/shape after the data was replaced in place (setData, module.to). */
  refreshMeta(): void {
    this.#meta = undefined;
  }

  /**
   * Replace this tensor's data with `src`'s (device and dtype may change)
   * while keeping its identity, so optimizers and modules holding it follow.
   */
  setData(src: Tensor): this {
    native().setData(this.handle, src.handle);
    this.#meta = undefined;
    return this;
  }

  private meta(): [string, string, boolean, ...number[]] {
    this.#meta ??= native().meta(this.handle);
    return this.#meta;
  }

  /** Sizes of each dimension. */
  get shape(): number[] {
    return this.meta().slice(3) as number[];
  }
  /** Number of dimensions. */
  get ndim(): number {
    return this.meta().length - 3;
  }
  /** Element type. */
  get dtype(): D {
    return this.meta()[0] as D;
  }
  /** Where the data lives. */
  get device(): Device {
    return this.meta()[1] as Device;
  }
  /** Number of elements. */
  get numel(): number {
    let n = 1;
    for (const s of this.shape) n *= s;
    return n;
  }
  /** True once dispose() was called. */
  get disposed(): boolean {
    return this.#handle === null;
  }

  /** Whether autograd records operations on this tensor. */
  get requiresGrad(): boolean {
    return native().meta(this.handle)[2];
  }
  set requiresGrad(flag: boolean) {
    native().setRequiresGrad(this.handle, flag);
  }
  /** Set requiresGrad (leaf tensors only) and return this. */
  requiresGrad_(flag = true): this {
    native().setRequiresGrad(this.handle, flag);
    return this;
  }
  /** True for tensors created by the user rather than by an operation that autograd recorded. */
  get isLeaf(): boolean {
    return native().isLeaf(this.handle);
  }
  /** The accumulated gradient (a new handle on it), or null. */
  get grad(): Tensor<D> | null {
    const g = native().grad(this.handle);
    return g === null ? null : new Tensor<D>(g);
  }
  set grad(g: Tensor | null) {
    native().setGrad(this.handle, g === null ? null : g.handle);
  }

  /** Free the native memory now. Idempotent; later uses throw. */
  dispose(): void {
    if (this.#handle === null) return;
    native().dispose(this.#handle);
    this.#handle = null;
    untrack(this);
    recordDisposal(this);
  }
  [Symbol.dispose](): void {
    this.dispose();
  }

  // ---- data out -------------------------------------------------------------

  /** Copy the elements out (row-major). float16/bfloat16 come back as float32, bool as uint8. */
  toArray(): ArrayFor<D> {
    return native().toArray(this.handle) as ArrayFor<D>;
  }
  /** Copy the elements out as plain numbers. */
  toNumbers(): number[] {
    const a = native().toArray(this.handle);
    return a instanceof BigInt64Array ? Array.from(a, Number) : Array.from(a as ArrayLike<number>);
  }
  /** The value of a one-element tensor. */
  item(): number {
    return native().item(this.handle);
  }

  // ---- conversion -----------------------------------------------------------

  /** Convert dtype and/or move to a device. Returns this tensor's data unchanged if nothing changes (unless copy). */
  to<E extends DType = D>(target: E | Device | ToOptions<E>): Tensor<E> {
    const opts: ToOptions<E> =
      typeof target === 'string'
        ? target === 'cpu' || target.startsWith('cuda')
          ? { device: target as Device }
          : { dtype: target as E }
        : target;
    return this.op('aten::to.dtype_layout', opts.dtype ?? null, null, opts.device ?? null, null, opts.nonBlocking ?? false, opts.copy ?? false);
  }
  float(): Tensor<'float32'> {
    return this.to('float32');
  }
  double(): Tensor<'float64'> {
    return this.to('float64');
  }
  long(): Tensor<'int64'> {
    return this.to('int64');
  }
  int(): Tensor<'int32'> {
    return this.to('int32');
  }
  bool(): Tensor<'bool'> {
    return this.to('bool');
  }
  cpu(): Tensor<D> {
    return this.to<D>({ device: 'cpu' });
  }
  /** A copy that does not share memory. */
  clone(): Tensor<D> {
    return this.op('aten::clone');
  }
  /** The same data, cut from the autograd graph. */
  detach(): Tensor<D> {
    return this.op('aten::detach');
  }
  contiguous(): Tensor<D> {
    return this.op('aten::contiguous');
  }

  // ---- elementwise ----------------------------------------------------------

  /** this + alpha·other */
  add(other: Operand, alpha = 1): Tensor<D> {
    return typeof other === 'number' ? this.op('aten::add.Scalar', other, alpha) : this.op('aten::add.Tensor', other.handle, alpha);
  }
  /** this − alpha·other */
  sub(other: Operand, alpha = 1): Tensor<D> {
    return typeof other === 'number' ? this.op('aten::sub.Scalar', other, alpha) : this.op('aten::sub.Tensor', other.handle, alpha);
  }
  mul(other: Operand): Tensor<D> {
    return typeof other === 'number' ? this.op('aten::mul.Scalar', other) : this.op('aten::mul.Tensor', other.handle);
  }
  /** True division (integer inputs give a float result). */
  div(other: Operand): Tensor<D> {
    return typeof other === 'number' ? this.op('aten::div.Scalar', other) : this.op('aten::div.Tensor', other.handle);
  }
  /** other − this (handy for 1 − x). */
  rsub(other: number): Tensor<D> {
    return this.op('aten::rsub.Scalar', other, 1);
  }
  pow(exponent: Operand): Tensor<D> {
    return typeof exponent === 'number'
      ? this.op('aten::pow.Tensor_Scalar', exponent)
      : this.op('aten::pow.Tensor_Tensor', exponent.handle);
  }
  neg(): Tensor<D> {
    return this.op('aten::neg');
  }
  abs(): Tensor<D> {
    return this.op('aten::abs');
  }
  exp(): Tensor<D> {
    return this.op('aten::exp');
  }
  log(): Tensor<D> {
    return this.op('aten::log');
  }
  log1p(): Tensor<D> {
    return this.op('aten::log1p');
  }
  sqrt(): Tensor<D> {
    return this.op('aten::sqrt');
  }
  rsqrt(): Tensor<D> {
    return this.op('aten::rsqrt');
  }
  square(): Tensor<D> {
    return this.op('aten::square');
  }
  reciprocal(): Tensor<D> {
    return this.op('aten::reciprocal');
  }
  sign(): Tensor<D> {
    return this.op('aten::sign');
  }
  floor(): Tensor<D> {
    return this.op('aten::floor');
  }
  round(): Tensor<D> {
    return this.op('aten::round');
  }
  sigmoid(): Tensor<D> {
    return this.op('aten::sigmoid');
  }
  tanh(): Tensor<D> {
    return this.op('aten::tanh');
  }
  relu(): Tensor<D> {
    return this.op('aten::relu');
  }
  /** Gaussian error linear unit; 'tanh' selects the tanh approximation. */
  gelu(approximate: 'none' | 'tanh' = 'none'): Tensor<D> {
    return this.op('aten::gelu', approximate);
  }
  /** Limit values to [min, max]; either bound may be omitted (null). */
  clamp(min: number | null, max: number | null = null): Tensor<D> {
    if (min === null && max === null) throw new TorchError('clamp: give at least one of min and max');
    return this.op('aten::clamp', min, max);
  }
  maximum(other: Tensor): Tensor<D> {
    return this.op('aten::maximum', other.handle);
  }
  minimum(other: Tensor): Tensor<D> {
    return this.op('aten::minimum', other.handle);
  }

  // ---- comparisons ----------------------------------------------------------

  eq(other: Operand): Tensor<'bool'> {
    return this.cmp('eq', other);
  }
  ne(other: Operand): Tensor<'bool'> {
    return this.cmp('ne', other);
  }
  lt(other: Operand): Tensor<'bool'> {
    return this.cmp('lt', other);
  }
  le(other: Operand): Tensor<'bool'> {
    return this.cmp('le', other);
  }
  gt(other: Operand): Tensor<'bool'> {
    return this.cmp('gt', other);
  }
  ge(other: Operand): Tensor<'bool'> {
    return this.cmp('ge', other);
  }
  logicalNot(): Tensor<'bool'> {
    return this.op('aten::logical_not');
  }
  logicalAnd(other: Tensor): Tensor<'bool'> {
    return this.op('aten::logical_and', other.handle);
  }
  logicalOr(other: Tensor): Tensor<'bool'> {
    return this.op('aten::logical_or', other.handle);
  }
  isnan(): Tensor<'bool'> {
    return this.op('aten::isnan');
  }
  isfinite(): Tensor<'bool'> {
    return this.op('aten::isfinite');
  }
  /** True if any element is non-zero. */
  any(): Tensor<'bool'> {
    return this.op('aten::any');
  }
  /** True if every element is non-zero. */
  all(): Tensor<'bool'> {
    return this.op('aten::all');
  }

  // ---- reductions -----------------------------------------------------------

  /** Sum of all elements, or over `dim`. */
  sum(dim?: number | number[], keepdim = false): Tensor<D> {
    return dim === undefined ? this.op('aten::sum') : this.op('aten::sum.dim_IntList', dim, keepdim);
  }
  /** Mean of all elements, or over `dim`. */
  mean(dim?: number | number[], keepdim = false): Tensor<D> {
    return dim === undefined ? this.op('aten::mean') : this.op('aten::mean.dim', dim, keepdim);
  }
  /** Variance; `correction` 1 (default) divides by n−1, 0 by n. */
  var(dim?: number | number[], opts: { correction?: number; keepdim?: boolean } = {}): Tensor<D> {
    return this.op('aten::var.correction', dim ?? null, opts.correction ?? 1, opts.keepdim ?? false);
  }
  /** Standard deviation; `correction` as in var(). */
  std(dim?: number | number[], opts: { correction?: number; keepdim?: boolean } = {}): Tensor<D> {
    return this.op('aten::std.correction', dim ?? null, opts.correction ?? 1, opts.keepdim ?? false);
  }
  /** Largest element. */
  max(): Tensor<D> {
    return this.op('aten::max');
  }
  /** Smallest element. */
  min(): Tensor<D> {
    return this.op('aten::min');
  }
  /** Largest elements along `dim` and where they are. */
  maxDim(dim: number, keepdim = false): { values: Tensor<D>; indices: Tensor<'int64'> } {
    const [values, indices] = this.opMany('aten::max.dim', dim, keepdim);
    return { values: values as Tensor<D>, indices: indices as Tensor<'int64'> };
  }
  /** Smallest elements along `dim` and where they are. */
  minDim(dim: number, keepdim = false): { values: Tensor<D>; indices: Tensor<'int64'> } {
    const [values, indices] = this.opMany('aten::min.dim', dim, keepdim);
    return { values: values as Tensor<D>, indices: indices as Tensor<'int64'> };
  }
  amax(dim: number | number[], keepdim = false): Tensor<D> {
    return this.op('aten::amax', dim, keepdim);
  }
  amin(dim: number | number[], keepdim = false): Tensor<D> {
    return this.op('aten::amin', dim, keepdim);
  }
  /** Index of the largest element (flattened), or along `dim`. */
  argmax(dim?: number, keepdim = false): Tensor<'int64'> {
    return this.op('aten::argmax', dim ?? null, keepdim);
  }
  argmin(dim?: number, keepdim = false): Tensor<'int64'> {
    return this.op('aten::argmin', dim ?? null, keepdim);
  }
  logsumexp(dim: number | number[], keepdim = false): Tensor<D> {
    return this.op('aten::logsumexp', dim, keepdim);
  }
  softmax(dim: number): Tensor<D> {
    return this.op('aten::softmax.int', dim);
  }
  logSoftmax(dim: number): Tensor<D> {
    return this.op('aten::log_softmax.int', dim);
  }

  // ---- linear algebra -------------------------------------------------------

  matmul(other: Tensor): Tensor<D> {
    return this.op('aten::matmul', other.handle);
  }
  /** Transpose of a matrix (≤ 2-D). */
  t(): Tensor<D> {
    return this.op('aten::t');
  }

  // ---- shape ----------------------------------------------------------------

  /** Same data, new shape (one size may be −1). */
  reshape(shape: number[]): Tensor<D> {
    return this.op('aten::reshape', shape);
  }
  /** A view with a new shape; the tensor must be contiguous enough. */
  view(shape: number[]): Tensor<D> {
    return this.op('aten::view', shape);
  }
  flatten(startDim = 0, endDim = -1): Tensor<D> {
    return this.op('aten::flatten.using_ints', startDim, endDim);
  }
  transpose(dim0: number, dim1: number): Tensor<D> {
    return this.op('aten::transpose.int', dim0, dim1);
  }
  permute(dims: number[]): Tensor<D> {
    return this.op('aten::permute', dims);
  }
  /** Drop size-1 dimensions (all, or only `dim`). */
  squeeze(dim?: number): Tensor<D> {
    return dim === undefined ? this.op('aten::squeeze') : this.op('aten::squeeze.dim', dim);
  }
  unsqueeze(dim: number): Tensor<D> {
    return this.op('aten::unsqueeze', dim);
  }
  /** Broadcast size-1 dimensions to `shape` (−1 keeps a size), without copying. */
  expand(shape: number[]): Tensor<D> {
    return this.op('aten::expand', shape);
  }
  /** Tile the tensor `repeats[i]` times along each dimension. */
  repeat(repeats: number[]): Tensor<D> {
    return this.op('aten::repeat', repeats);
  }

  // ---- indexing -------------------------------------------------------------

  /** `length` elements along `dim` from `start` (a view). */
  narrow(dim: number, start: number, length: number): Tensor<D> {
    return this.op('aten::narrow', dim, start, length);
  }
  /** The slice at `index` along `dim`, which disappears (a view). */
  select(dim: number, index: number): Tensor<D> {
    return this.op('aten::select.int', dim, index);
  }
  /** Elements start, start+step, ... < end along `dim` (a view). */
  slice(dim: number, start: number | null = null, end: number | null = null, step = 1): Tensor<D> {
    return this.op('aten::slice.Tensor', dim, start, end, step);
  }
  /** Rows (along `dim`) picked by an int64 index tensor. */
  indexSelect(dim: number, index: Tensor): Tensor<D> {
    return this.op('aten::index_select', dim, index.handle);
  }
  /** out[i][j] = this[i][index[i][j]] for dim 1 (and likewise for other dims). */
  gather(dim: number, index: Tensor): Tensor<D> {
    return this.op('aten::gather', dim, index.handle);
  }
  /** Elements where `mask` is true replaced by `value`. */
  maskedFill(mask: Tensor, value: number): Tensor<D> {
    return this.op('aten::masked_fill.Scalar', mask.handle, value);
  }

  // ---- in place (for parameter updates and initialisation, under noGrad) ----

  copy_(src: Tensor): this {
    return this.inPlace('aten::copy_', src.handle);
  }
  zero_(): this {
    return this.inPlace('aten::zero_');
  }
  fill_(value: number): this {
    return this.inPlace('aten::fill_.Scalar', value);
  }
  add_(other: Operand, alpha = 1): this {
    return typeof other === 'number' ? this.inPlace('aten::add_.Scalar', other, alpha) : this.inPlace('aten::add_.Tensor', other.handle, alpha);
  }
  mul_(other: Operand): this {
    return typeof other === 'number' ? this.inPlace('aten::mul_.Scalar', other) : this.inPlace('aten::mul_.Tensor', other.handle);
  }
  clamp_(min: number | null, max: number | null = null): this {
    return this.inPlace('aten::clamp_', min, max);
  }
  /** Fill with U(low, high) samples from the global generator. */
  uniform_(low = 0, high = 1): this {
    return this.inPlace('aten::uniform_', low, high);
  }
  /** Fill with N(mean, std²) samples from the global generator. */
  normal_(mean = 0, std = 1): this {
    return this.inPlace('aten::normal_', mean, std);
  }

  // ---- autograd -------------------------------------------------------------

  /**
   * Accumulate gradients of this tensor into the leaves that require grad.
   * A non-scalar tensor needs `grad` (the gradient with respect to itself).
   */
  backward(grad?: Tensor, opts: { retainGraph?: boolean } = {}): void {
    native().backward(this.handle, grad ? grad.handle : null, opts.retainGraph ?? false);
  }

  // ---- plumbing -------------------------------------------------------------

  /** @internal Call an operator with this tensor first; wrap a tensor result. */
  op<E extends DType = D>(qualified: string, ...args: NativeArg[]): Tensor<E> {
    return new Tensor<E>(callRaw(qualified, this.handle, ...args) as TensorHandle);
  }

  private opMany(qualified: string, ...args: NativeArg[]): Tensor[] {
    return (callRaw(qualified, this.handle, ...args) as TensorHandle[]).map((h) => new Tensor(h));
  }

  private inPlace(qualified: string, ...args: NativeArg[]): this {
    callRaw(qualified, this.handle, ...args);
    return this;
  }

  private cmp(name: string, other: Operand): Tensor<'bool'> {
    return typeof other === 'number' ? this.op(`aten::${name}.Scalar`, other) : this.op(`aten::${name}.Tensor`, other.handle);
  }

  /** Short description; values are shown for small tensors. */
  toString(): string {
    if (this.#handle === null) return 'Tensor(disposed)';
    const head = `Tensor(${this.dtype}, [${this.shape.join(', ')}], ${this.device}`;
    if (this.numel > 16) return `${head})`;
    return `${head}, [${this.toNumbers().map((v) => Number(v.toPrecision(6))).join(', ')}])`;
  }
  [inspect.custom](): string {
    return this.toString();
  }
}

/** True if `x` is a Tensor. */
export function isTensor(x: unknown): x is Tensor {
  return x instanceof Tensor;
}
setTensorCheck(isTensor);

/** @internal Wrap native results: handles become Tensors, arrays and objects are walked. */
export function wrapResult(r: NativeResult): unknown {
  if (r === null || r === undefined || typeof r !== 'object') return r;
  if (Array.isArray(r)) return r.map(wrapResult);
  if (native().isTensor(r)) return new Tensor(r as TensorHandle);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) out[k] = wrapResult(v);
  return out;
}

/** @internal Unwrap arguments: Tensors become handles, arrays and plain objects are walked. */
export function toNativeArg(x: unknown): NativeArg {
  if (x instanceof Tensor) return x.handle;
  if (Array.isArray(x)) return x.map(toNativeArg);
  if (x !== null && typeof x === 'object') {
    const out: Record<string, NativeArg> = {};
    for (const [k, v] of Object.entries(x)) out[k] = toNativeArg(v);
    return out;
  }
  return x as NativeArg;
}
