/**
 * An on-disk cache of preprocessed clips, so that a second epoch or a
 * second run decodes and resamples nothing.
 *
 * Entries are keyed by a hash of the source file's bytes and of the
 * preprocessing fingerprint: editing a file, or changing a setting, misses.
 * Each entry is one file, `<dir>/<key[0..2]>/<key>.f32`:
 *
 *   bytes 0..3   magic "VBTA"
 *   bytes 4..7   format version (uint32 LE, currently 1)
 *   bytes 8..11  sample rate (uint32 LE)
 *   bytes 12..15 number of samples n (uint32 LE)
 *   bytes 16..   n float32 LE samples
 *
 * Writes go to a temporary file in the same folder, then are renamed over
 * the final name (atomic on POSIX), so concurrent workers and killed runs
 * never leave a half-written entry that a reader could take for whole.
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';

const MAGIC = [0x56, 0x42, 0x54, 0x41]; // "VBTA"
const VERSION = 1;
const HEADER_BYTES = 16;

/** A clip read back from the cache. */
export interface CachedClip {
  readonly sampleRate: number;
  readonly samples: Float32Array;
}

/** The preprocessed-audio cache in one folder. */
export class AudioCache {
  /** The cache folder. */
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  /** The cache key of a source file's bytes under a preprocessing fingerprint. */
  static key(sourceBytes: Uint8Array, fingerprint: string): string {
    return createHash('sha256').update(fingerprint).update('\0').update(sourceBytes).digest('hex');
  }

  /** Path of the entry for a key. */
  entryPath(key: string): string {
    return join(this.dir, key.slice(0, 2), `${key}.f32`);
  }

  /**
   * Read an entry. A missing, short or malformed entry is a miss (and is
   * rewritten by the next `put`), never an error.
   * @returns samples in a freshly allocated buffer of their own (safe to transfer)
   */
  get(key: string): CachedClip | undefined {
    let fd: number;
    try {
      fd = openSync(this.entryPath(key), 'r');
    } catch {
      return undefined;
    }
    try {
      const size = fstatSync(fd).size;
      if (size < HEADER_BYTES || (size - HEADER_BYTES) % 4 !== 0) return undefined;
      const header = new Uint8Array(HEADER_BYTES);
      if (readFully(fd, header, 0) !== HEADER_BYTES) return undefined;
      for (let i = 0; i < MAGIC.length; i++) if (header[i] !== MAGIC[i]) return undefined;
      const view = new DataView(header.buffer);
      if (view.getUint32(4, true) !== VERSION) return undefined;
      const sampleRate = view.getUint32(8, true);
      const count = view.getUint32(12, true);
      if (count * 4 !== size - HEADER_BYTES) return undefined;
      const samples = new Float32Array(count);
      const bytes = new Uint8Array(samples.buffer);
      if (readFully(fd, bytes, HEADER_BYTES) !== bytes.length) return undefined;
      if (!LITTLE_ENDIAN) swapFloat32Bytes(bytes);
      return { sampleRate, samples };
    } catch {
      return undefined;
    } finally {
      closeSync(fd);
    }
  }

  /** Store an entry atomically (temporary file, then rename). */
  put(key: string, sampleRate: number, samples: Float32Array): void {
    mkdirSync(join(this.dir, key.slice(0, 2)), { recursive: true });
    const header = new Uint8Array(HEADER_BYTES);
    header.set(MAGIC, 0);
    const view = new DataView(header.buffer);
    view.setUint32(4, VERSION, true);
    view.setUint32(8, sampleRate, true);
    view.setUint32(12, samples.length, true);
    let body = new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
    if (!LITTLE_ENDIAN) {
      body = body.slice();
      swapFloat32Bytes(body);
    }
    writeFileAtomic(this.entryPath(key), [header, body]);
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function readFully(fd: number, target: Uint8Array, position: number): number {
  let filled = 0;
  while (filled < target.length) {
    const n = readSync(fd, target, filled, target.length - filled, position + filled);
    if (n === 0) break;
    filled += n;
  }
  return filled;
}

function swapFloat32Bytes(bytes: Uint8Array): void {
  for (let i = 0; i + 3 < bytes.length; i += 4) {
    const a = bytes[i] as number;
    const b = bytes[i + 1] as number;
    bytes[i] = bytes[i + 3] as number;
    bytes[i + 1] = bytes[i + 2] as number;
    bytes[i + 2] = b;
    bytes[i + 3] = a;
  }
}
