/** Creating tensors: from JS data, filled, random, ranges. */
import type { DType, Device } from './dtype.js';
import { TorchError } from './errors.js';
import { type NumericArray, type TensorHandle, native } from './native.js';
import { callRaw } from './op-table.js';
import { Tensor } from './tensor.js';

/** Common creation options. */
export interface CreateOptions<D extends DType = DType> {
  dtype?: D;
  device?: Device;
  requiresGrad?: boolean;
}

/** Nested arrays of numbers, e.g. [[1, 2], [3, 4]]. */
export type NestedNumbers = number | boolean | NestedNumbers[];

function inferShape(data: NestedNumbers): number[] {
  const shape: number[] = [];
  let cur: NestedNumbers = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0] as NestedNumbers;
  }
  return shape;
}

function flatten(data: NestedNumbers, shape: number[], depth: number, out: number[]): void {
  if (depth === shape.length) {
    if (Array.isArray(data)) throw new TorchError('tensor: ragged nested array (sub-arrays differ in depth)');
    out.push(typeof data === 'boolean' ? Number(data) : data);
    return;
  }
  if (!Array.isArray(data) || data.length !== shape[depth]) {
    throw new TorchError(`tensor: ragged nested array (expected ${shape[depth]} elements at depth ${depth})`);
  }
  for (const d of data) flatten(d, shape, depth + 1, out);
}

/**
 * A tensor from JS data. A typed array keeps its element type unless
 * `dtype` says otherwise and needs `shape` for more than one dimension;
 * nested number arrays give float32 unless `dtype` is set.
 */
export function tensor<D extends DType = 'float32'>(
  data: NestedNumbers | NumericArray,
  opts: CreateOptions<D> & { shape?: number[]; pin?: boolean } = {},
): Tensor<D> {
  let array: NumericArray;
  let shape: number[];
  if (ArrayBuffer.isView(data)) {
    array = data;
    shape = opts.shape ?? [data.length];
  } else {
    shape = inferShape(data);
    const flat: number[] = [];
    flatten(data, shape, 0, flat);
    const intTarget = opts.dtype !== undefined && !['float32', 'float64', 'float16', 'bfloat16'].includes(opts.dtype);
    array = intTarget && flat.every((v) => Number.isInteger(v) && Math.abs(v) < 2 ** 31) ? Int32Array.from(flat) : Float64Array.from(flat);
    if (opts.dtype === undefined) array = Float32Array.from(flat);
    if (opts.shape) shape = opts.shape;
  }
  return new Tensor<D>(
    native().fromArray(array, shape, opts.dtype ?? null, opts.device ?? null, opts.requiresGrad ?? false, opts.pin ?? false),
  );
}

/** A scalar (0-dimensional) tensor. */
export function scalar<D extends DType = 'float32'>(value: number, opts: CreateOptions<D> = {}): Tensor<D> {
  return tensor<D>(Float64Array.of(value), { ...opts, dtype: (opts.dtype ?? 'float32') as D, shape: [] });
}

function filled<D extends DType>(qualified: string, shape: number[], opts: CreateOptions<D>, ...extra: (number | null)[]): Tensor<D> {
  const t = new Tensor<D>(
    callRaw(qualified, shape, ...extra, opts.dtype ?? 'float32', null, opts.device ?? null, null) as TensorHandle,
  );
  if (opts.requiresGrad) t.requiresGrad_(true);
  return t;
}

export function zeros<D extends DType = 'float32'>(shape: number[], opts: CreateOptions<D> = {}): Tensor<D> {
  return filled('aten::zeros', shape, opts);
}
export function ones<D extends DType = 'float32'>(shape: number[], opts: CreateOptions<D> = {}): Tensor<D> {
  return filled('aten::ones', shape, opts);
}
export function full<D extends DType = 'float32'>(shape: number[], value: number, opts: CreateOptions<D> = {}): Tensor<D> {
  return filled('aten::full', shape, opts, value);
}
/** Uninitialised memory: fill it before reading. */
export function empty<D extends DType = 'float32'>(shape: number[], opts: CreateOptions<D> = {}): Tensor<D> {
  const t = new Tensor<D>(
    callRaw('aten::empty.memory_format', shape, opts.dtype ?? 'float32', null, opts.device ?? null, null, null) as TensorHandle,
  );
  if (opts.requiresGrad) t.requiresGrad_(true);
  return t;
}
/** Standard normal samples from the global generator (see manualSeed). */
export function randn<D extends DType = 'float32'>(shape: number[], opts: CreateOptions<D> = {}): Tensor<D> {
  return filled('aten::randn', shape, opts);
}
/** Uniform [0, 1) samples from the global generator. */
export function rand<D extends DType = 'float32'>(shape: number[], opts: CreateOptions<D> = {}): Tensor<D> {
  return filled('aten::rand', shape, opts);
}
/** Integers uniform in [low, high). */
export function randint(low: number, high: number, shape: number[], opts: { device?: Device } = {}): Tensor<'int64'> {
  return new Tensor<'int64'>(callRaw('aten::randint.low', low, high, shape, 'int64', null, opts.device ?? null, null) as TensorHandle);
}
/** start, start+step, ... < end (one argument: 0 … end−1). int64 for integer arguments unless dtype says otherwise. */
export function arange<D extends DType = 'int64'>(start: number, end?: number, step = 1, opts: CreateOptions<D> = {}): Tensor<D> {
  const [s, e] = end === undefined ? [0, start] : [start, end];
  return new Tensor<D>(callRaw('aten::arange.start_step', s, e, step, opts.dtype ?? null, null, opts.device ?? null, null) as TensorHandle);
}
/** `steps` evenly spaced values from start to end inclusive. */
export function linspace(start: number, end: number, steps: number, opts: CreateOptions<'float32' | 'float64'> = {}): Tensor<'float32'> {
  return new Tensor<'float32'>(
    callRaw('aten::linspace', start, end, steps, opts.dtype ?? 'float32', null, opts.device ?? null, null) as TensorHandle,
  );
}

/** Zeros shaped like `t` (same dtype and device unless given). */
export function zerosLike<D extends DType>(t: Tensor<D>, opts: CreateOptions = {}): Tensor<D> {
  return t.op('aten::zeros_like', opts.dtype ?? null, null, opts.device ?? null, null, null);
}
export function onesLike<D extends DType>(t: Tensor<D>, opts: CreateOptions = {}): Tensor<D> {
  return t.op('aten::ones_like', opts.dtype ?? null, null, opts.device ?? null, null, null);
}
export function fullLike<D extends DType>(t: Tensor<D>, value: number, opts: CreateOptions = {}): Tensor<D> {
  return t.op('aten::full_like', value, opts.dtype ?? null, null, opts.device ?? null, null, null);
}
export function randnLike<D extends DType>(t: Tensor<D>): Tensor<D> {
  return t.op('aten::randn_like', null, null, null, null, null);
}
