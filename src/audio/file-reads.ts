/**
 * Reading audio files piecewise (a header, the first bytes) with errors
 * that name the file: what cannot be opened or read becomes an AudioError
 * with a short reason, and the descriptor is always closed.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { AudioError } from './audio-error.js';

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

/**
 * Run `body` on the open regular file `path` (its descriptor and size),
 * closing it after. AudioErrors from `body` pass through; any other error
 * (opening, a directory, a failed read) becomes an AudioError naming `path`.
 */
export function withRegularFile<R>(path: string, body: (fd: number, size: number) => R): R {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new AudioError(describeFsError(error), path, { cause: error });
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new AudioError('not a regular file', path);
    return body(fd, stats.size);
  } catch (error) {
    if (error instanceof AudioError) throw error;
    throw new AudioError(describeFsError(error), path, { cause: error });
  } finally {
    closeSync(fd);
  }
}

/** Up to `length` bytes of `fd` from `offset` (fewer at the end of the file). */
export function readBytesAt(fd: number, offset: number, length: number): Uint8Array {
  const buffer = new Uint8Array(Math.max(0, length));
  let filled = 0;
  while (filled < buffer.length) {
    const n = readSync(fd, buffer, filled, buffer.length - filled, offset + filled);
    if (n === 0) break;
    filled += n;
  }
  return buffer.subarray(0, filled);
}
