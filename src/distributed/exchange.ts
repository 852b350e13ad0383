/**
 * Moving plain data (bytes, JSON) between the ranks of a process group, for
 * what is not a tensor: the optimizer state on resume, validation
 * statistics, decisions. Built on broadcast and all-reduce only, so any
 * backend works; the payloads are small next to the gradients.
 */
import type { Device } from '../torch/dtype.js';
import { scope, tensor, zeros } from '../torch/index.js';
import type { ProcessGroup } from '../torch/distributed.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Send `bytes` from `root` to every rank (the others pass anything, usually
 * null). Null on the root arrives as null everywhere.
 */
export function broadcastBytes(group: ProcessGroup, device: Device, bytes: Uint8Array | null, root = 0): Uint8Array | null {
  return scope(() => {
    const mine = group.rank === root;
    const header = tensor(Float64Array.of(mine ? (bytes === null ? -1 : bytes.length) : 0), { dtype: 'float64', device });
    group.broadcast([header], root);
    const length = header.item();
    if (length < 0) return null;
    if (length === 0) return new Uint8Array(0);
    const payload = mine && bytes !== null ? tensor(bytes, { dtype: 'uint8', device }) : zeros([length], { dtype: 'uint8', device });
    group.broadcast([payload], root);
    return mine && bytes !== null ? bytes : (payload.toArray() as Uint8Array);
  });
}

/**
 * Every rank's `bytes`, in rank order, on every rank. Each rank writes its
 * bytes into its own row of a zeroed buffer and the rows are summed: two
 * all-reduces (lengths, then payload) whatever the world size.
 */
export function allGatherBytes(group: ProcessGroup, device: Device, bytes: Uint8Array): Uint8Array[] {
  return scope(() => {
    const world = group.worldSize;
    const lengths = new Float64Array(world);
    lengths[group.rank] = bytes.length;
    const lengthsT = tensor(lengths, { dtype: 'float64', device });
    group.allReduce([lengthsT], 'sum');
    const all = Array.from(lengthsT.toArray() as Float64Array);
    const width = Math.max(1, ...all);
    const rows = new Uint8Array(world * width);
    rows.set(bytes, group.rank * width);
    const payload = tensor(rows, { dtype: 'uint8', device });
    group.allReduce([payload], 'sum');
    const summed = payload.toArray() as Uint8Array;
    return all.map((n, r) => summed.slice(r * width, r * width + n));
  });
}

/** broadcastBytes for a JSON value. */
export function broadcastJson<T>(group: ProcessGroup, device: Device, value: T | null, root = 0): T | null {
  const bytes = broadcastBytes(group, device, group.rank === root && value !== null ? encoder.encode(JSON.stringify(value)) : null, root);
  return bytes === null ? null : (JSON.parse(decoder.decode(bytes)) as T);
}

/** allGatherBytes for JSON values. */
export function allGatherJson<T>(group: ProcessGroup, device: Device, value: T): T[] {
  return allGatherBytes(group, device, encoder.encode(JSON.stringify(value))).map((b) => JSON.parse(decoder.decode(b)) as T);
}

/** Any rank's flag raised makes it raised on every rank (one small all-reduce). */
export function anyRank(group: ProcessGroup, device: Device, flag: boolean): boolean {
  return scope(() => {
    const t = tensor(Float32Array.of(flag ? 1 : 0), { device });
    group.allReduce([t], 'max');
    return t.item() > 0;
  });
}

/** `root`'s flag on every rank. */
export function rootDecides(group: ProcessGroup, device: Device, flag: boolean, root = 0): boolean {
  return scope(() => {
    const t = tensor(Float32Array.of(flag ? 1 : 0), { device });
    group.broadcast([t], root);
    return t.item() > 0;
  });
}
