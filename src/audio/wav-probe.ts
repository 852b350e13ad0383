/**
 * Reading a WAV file's header without its samples: enough to know the
 * clip's length (for length-bucketed batching) and to catch unreadable,
 * truncated, malformed or empty files before training starts.
 */
import { WavDecodeError } from './audio-error.js';
import { readBytesAt, withRegularFile } from './file-reads.js';
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
  return withRegularFile(path, (fd, size) => {
    const source: ByteSource = { size, read: (offset, length) => readBytesAt(fd, offset, Math.min(length, size - offset)) };
    try {
      const layout = readWavLayout(source);
      return { sampleRate: layout.format.sampleRate, channels: layout.format.channels, frames: layout.frames, format: layout.format };
    } catch (error) {
      // The layout reader knows no file name: the same reason, naming this one.
      if (error instanceof WavDecodeError) throw new WavDecodeError(error.reason, path);
      throw error;
    }
  });
}
