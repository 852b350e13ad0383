/** Element types and devices, as string literal types. */

export const DTYPES = ['float32', 'float64', 'float16', 'bfloat16', 'int64', 'int32', 'int16', 'int8', 'uint8', 'bool'] as const;
/** A tensor element type. */
export type DType = (typeof DTYPES)[number];
export type FloatDType = 'float32' | 'float64' | 'float16' | 'bfloat16';
export type IntDType = 'int64' | 'int32' | 'int16' | 'int8' | 'uint8';

/** A device: the CPU, the current CUDA device, or a numbered one. */
export type Device = 'cpu' | 'cuda' | `cuda:${number}`;

/** The typed array `toArray()` returns for each dtype. */
export type ArrayFor<D extends DType> = D extends 'float64'
  ? Float64Array
  : D extends 'int64'
    ? BigInt64Array
    : D extends 'int32'
      ? Int32Array
      : D extends 'int16'
        ? Int16Array
        : D extends 'int8'
          ? Int8Array
          : D extends 'uint8' | 'bool'
            ? Uint8Array
            : Float32Array;

export function isFloatDType(d: DType): d is FloatDType {
  return d === 'float32' || d === 'float64' || d === 'float16' || d === 'bfloat16';
}

/** Validate a device string (throws on anything but cpu, cuda, cuda:N). */
export function parseDevice(d: string): Device {
  if (d === 'cpu' || d === 'cuda' || /^cuda:\d+$/.test(d)) return d as Device;
  throw new TypeError(`invalid device '${d}' (expected 'cpu', 'cuda' or 'cuda:N')`);
}

/** Bytes per element. */
export function dtypeSize(d: DType): number {
  switch (d) {
    case 'float64':
    case 'int64':
      return 8;
    case 'float32':
    case 'int32':
      return 4;
    case 'float16':
    case 'bfloat16':
    case 'int16':
      return 2;
    default:
      return 1;
  }
}
