/**
 * Reading a WAV file's header without its samples: enough to know the
 * clip's length (for length-bucketed batching) and to catch unreadable,
 * truncated, malformed or empty files before training starts.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { AudioError, WavDecodeError } from './audio-error.js';
import type { WavFormat } from './wav-format.js';
import { readWavLayout, type ByteSource } from './wav-layout.js';

/** What a WAV header says about its clip. */
export interface WavInfo {
  readonly sampleRate: number;
  readonly channels: number;
  /** Samples per channel. */
  readonly frames: number;
  readonly format: WavFormat;
}

/**
 * Read the header of a WAV file on disk (a few small reads, whatever the
 * file's size).
 * @throws AudioError when the file cannot be opened or read (missing,
 *   a directory, no permission); WavDecodeError when it is not a readable WAV
 */
export function probeWavFile(path: string): WavInfo {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new AudioError(describeFsError(error), path, { cause: error });
  }
  try {
    let size: number;
    try {
      const stats = fstatSync(fd);
      if (!stats.isFile()) throw new AudioError('not a regular file', path);
      size = stats.size;
    } catch (error) {
      if (error instanceof AudioError) throw error;
      throw new AudioError(describeFsError(error), path, { cause: error });
    }
    const source: ByteSource = {
      size,
      read(offset, length) {
        const buffer = new Uint8Array(Math.max(0, Math.min(length, size - offset)));
        let filled = 0;
        while (filled < buffer.length) {
          const n = readSync(fd, buffer, filled, buffer.length - filled, offset + filled);
          if (n === 0) break;
          filled += n;
        }
        return buffer.subarray(0, filled);
      },
    };
    let info: WavInfo;
    try {
      const layout = readWavLayout(source);
      info = { sampleRate: layout.format.sampleRate, channels: layout.format.channels, frames: layout.frames, format: layout.format };
    } catch (error) {
      if (error instanceof WavDecodeError) throw new WavDecodeError(error.reason, path);
      if (error instanceof AudioError) throw error;
      throw new AudioError(describeFsError(error), path, { cause: error });
    }
    return info;
  } finally {
    closeSync(fd);
  }
}

/** A short reason for a file-system error, e.g. "file not found". */
export function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'file not found';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory, not a file';
    default:
      return `cannot read file (${error instanceof Error ? error.message : String(error)})`;
  }
}
