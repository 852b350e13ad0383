/**
 * safetensors files (the Hugging Face format: an 8-byte little-endian header
 * length, a JSON header of {name: {dtype, shape, data_offsets}}, then the raw
 * little-endian data). Readable by Python's `safetensors` package.
 */
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { DType, Device } from './dtype.js';
import { dtypeSize } from './dtype.js';
import { TorchError } from './errors.js';
import { native } from './native.js';
import { Tensor } from './tensor.js';

const TO_FILE: Record<DType, string> = {
  float64: 'F64',
  float32: 'F32',
  float16: 'F16',
  bfloat16: 'BF16',
  int64: 'I64',
  int32: 'I32',
  int16: 'I16',
  int8: 'I8',
  uint8: 'U8',
  bool: 'BOOL',
};
const FROM_FILE: Record<string, DType> = Object.fromEntries(Object.entries(TO_FILE).map(([k, v]) => [v, k as DType]));

/** Largest header we accept, as the reference implementation does (100 MB). */
const MAX_HEADER = 100_000_000;

/** Serialise tensors (and string metadata) to safetensors bytes. */
export function encodeSafetensors(tensors: Map<string, Tensor> | Record<string, Tensor>, metadata?: Record<string, string>): Buffer {
  const entries = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of entries) {
    if (name === '__metadata__') throw new TorchError("safetensors: '__metadata__' cannot be a tensor name");
    const bytes = native().toBytes(t.handle);
    header[name] = { dtype: TO_FILE[t.dtype], shape: t.shape, data_offsets: [offset, offset + bytes.byteLength] };
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so the data starts 8-byte aligned.
  const padding = (8 - (Buffer.byteLength(json) % 8)) % 8;
  json += ' '.repeat(padding);
  const headerBytes = Buffer.from(json, 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(headerBytes.byteLength));
  return Buffer.concat([prefix, headerBytes, ...chunks]);
}

/** Parse safetensors bytes; `source` names the file in errors. */
export function decodeSafetensors(
  bytes: Uint8Array,
  source = '<buffer>',
  opts: { device?: Device } = {},
): { tensors: Map<string, Tensor>; metadata: Record<string, string> } {
  const fail = (why: string): never => {
    throw new TorchError(`${source}: not a valid safetensors file: ${why}`);
  };
  if (bytes.byteLength < 8) fail('shorter than its 8-byte header length');
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.readBigUInt64LE(0));
  if (headerLength > MAX_HEADER || 8 + headerLength > bytes.byteLength) fail(`header length ${headerLength} exceeds the file`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(view.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, unknown>;
  } catch {
    return fail('the header is not JSON');
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) fail('the header is not a JSON object');
  const dataStart = 8 + headerLength;
  const dataLength = bytes.byteLength - dataStart;
  const metadata: Record<string, string> = {};
  const tensors = new Map<string, Tensor>();
  try {
    for (const [name, value] of Object.entries(header)) {
      if (name === '__metadata__') {
        for (const [k, v] of Object.entries((value ?? {}) as Record<string, unknown>)) metadata[k] = String(v);
        continue;
      }
      const info = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
      const dtype = typeof info?.dtype === 'string' ? FROM_FILE[info.dtype] : undefined;
      if (!dtype) fail(`tensor '${name}' has unsupported dtype ${JSON.stringify(info?.dtype)}`);
      const shape = info.shape;
      if (!Array.isArray(shape) || !shape.every((s) => Number.isInteger(s) && s >= 0)) fail(`tensor '${name}' has an invalid shape`);
      const offsets = info.data_offsets;
      if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o) && o >= 0)) {
        fail(`tensor '${name}' has invalid data_offsets`);
      }
      const [begin, end] = offsets as [number, number];
      const numel = (shape as number[]).reduce((a, b) => a * b, 1);
      if (end < begin || end > dataLength) fail(`tensor '${name}' lies outside the data (${begin}..${end} of ${dataLength} bytes)`);
      if (end - begin !== numel * dtypeSize(dtype as DType)) fail(`tensor '${name}': ${end - begin} bytes do not hold shape [${shape}] of ${dtype}`);
      // Copy into an aligned buffer: the native side reads whole elements.
      const raw = new Uint8Array(end - begin);
      raw.set(bytes.subarray(dataStart + begin, dataStart + end));
      let t = new Tensor(native().fromBytes(raw, shape as number[], dtype as DType));
      if (opts.device && opts.device !== 'cpu') {
        const moved = t.to({ device: opts.device });
        t.dispose();
        t = moved;
      }
      tensors.set(name, t);
    }
  } catch (err) {
    for (const t of tensors.values()) t.dispose();
    throw err;
  }
  return { tensors, metadata };
}

/** Write tensors to a safetensors file atomically (temporary file, fsync, rename). */
export function saveSafetensors(
  file: string,
  tensors: Map<string, Tensor> | Record<string, Tensor>,
  metadata?: Record<string, string>,
): void {
  writeFileAtomic(file, encodeSafetensors(tensors, metadata), { fsync: true });
}

/** Read a safetensors file; errors name the file. */
export function loadSafetensors(file: string, opts: { device?: Device } = {}): { tensors: Map<string, Tensor>; metadata: Record<string, string> } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new TorchError(`cannot read safetensors file ${file}: ${(err as Error).message}`);
  }
  return decodeSafetensors(bytes, file, opts);
}
