/**
 * The states of LibTorch's default random generators (the CPU one and one per
 * CUDA device): what dropout and every other random op without an explicit
 * generator draw from. Saving them and setting them back makes the draws
 * after that point repeat exactly (checkpoints save them so that a resumed
 * run continues as an uninterrupted one would).
 *
 * `encodeRandomState` / `decodeRandomState` turn a state into bytes and back:
 *   8 bytes  magic "VBTRNG\0\x01" (format version 1)
 *   u32 LE   length of the CPU state, then its bytes
 *   u32 LE   number of CUDA states, then for each: u32 LE length and bytes
 */
import { TorchError } from './errors.js';
import { native } from './native.js';

export interface RandomState {
  /** The default CPU generator's state. */
  cpu: Uint8Array;
  /** Each CUDA device's default generator state, by device index (empty without CUDA). */
  cuda: Uint8Array[];
}

/** A copy of the default generators' states. */
export function randomState(): RandomState {
  const { cpu, cuda } = native().rngState();
  return { cpu, cuda };
}

/**
 * Set the default generators' states: the CPU one, and `cuda[i]` on CUDA
 * device i (devices past the list keep theirs). A state of the wrong size,
 * or one for a CUDA device this build or machine lacks, is a TorchError, and
 * then no generator is changed.
 */
export function setRandomState(state: RandomState): void {
  native().setRngState({ cpu: state.cpu, cuda: state.cuda });
}

const MAGIC = Uint8Array.from([0x56, 0x42, 0x54, 0x52, 0x4e, 0x47, 0x00, 0x01]); // "VBTRNG\0\x01"

/** The state as bytes (see the format above). */
export function encodeRandomState(state: RandomState): Uint8Array {
  const size = MAGIC.length + (4 + state.cpu.length) + 4 + state.cuda.reduce((n, c) => n + 4 + c.length, 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  let at = MAGIC.length;
  const put = (bytes: Uint8Array) => {
    view.setUint32(at, bytes.length, true);
    out.set(bytes, at + 4);
    at += 4 + bytes.length;
  };
  put(state.cpu);
  view.setUint32(at, state.cuda.length, true);
  at += 4;
  for (const c of state.cuda) put(c);
  return out;
}

/** Read bytes written by encodeRandomState; anything else is a TorchError. */
export function decodeRandomState(bytes: Uint8Array): RandomState {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < MAGIC.length || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new TorchError('not a random-generator state written by vbt (wrong header)');
  }
  let at = MAGIC.length;
  const u32 = (what: string): number => {
    if (at + 4 > bytes.length) throw new TorchError(`random-generator state truncated (at the ${what})`);
    const v = view.getUint32(at, true);
    at += 4;
    return v;
  };
  const take = (what: string): Uint8Array => {
    const n = u32(`length of the ${what}`);
    if (at + n > bytes.length) throw new TorchError(`random-generator state truncated (in the ${what})`);
    const out = bytes.slice(at, at + n);
    at += n;
    return out;
  };
  const cpu = take('CPU state');
  const count = u32('number of CUDA states');
  const cuda: Uint8Array[] = [];
  for (let i = 0; i < count; i++) cuda.push(take(`state of CUDA device ${i}`));
  if (at !== bytes.length) throw new TorchError(`random-generator state has ${bytes.length - at} bytes past its end`);
  return { cpu, cuda };
}
