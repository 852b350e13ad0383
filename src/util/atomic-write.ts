/**
 * Writing that never leaves half a file or folder behind: everything is
 * written under a temporary sibling name (unique per process, thread and
 * call) and renamed into place, which replaces the target in one step on the
 * same file system. A failure removes the temporary; a kill may leave one,
 * always under a name that starts with `.` and contains `.tmp-`
 * (`isTemporaryName`), which later runs may remove.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { threadId } from 'node:worker_threads';

/** A fresh temporary sibling of `target`: `.<name>.tmp-<pid>-<thread>-<random>`. */
export function temporarySibling(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.tmp-${process.pid}-${threadId}-${randomBytes(4).toString('hex')}`);
}

/** Whether a file name is one that temporarySibling makes. */
export function isTemporaryName(name: string): boolean {
  return name.startsWith('.') && name.includes('.tmp-');
}

export interface AtomicWriteOptions {
  /** Flush to disk before the rename (for files whose loss would cost work, e.g. weights). */
  fsync?: boolean;
}

function writeFully(fd: number, bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
}

/** Write `data` (text, bytes, or byte chunks in order) to `file` atomically. */
export function writeFileAtomic(file: string, data: string | Uint8Array | readonly Uint8Array[], options: AtomicWriteOptions = {}): void {
  const tmp = temporarySibling(file);
  const chunks = typeof data === 'string' ? [Buffer.from(data, 'utf8')] : data instanceof Uint8Array ? [data] : data;
  const fd = openSync(tmp, 'w');
  try {
    for (const chunk of chunks) writeFully(fd, chunk);
    if (options.fsync) fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, file);
  } catch (err) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    rmSync(tmp, { force: true });
    throw err;
  }
}

/**
 * Build the folder (or file) `final` under a temporary sibling name and
 * rename it into place, unless `final` exists already (then nothing is
 * built). When several processes race, the first rename wins and the others
 * discard their copy: readers never see a partial `final`.
 */
export async function buildAtomically(final: string, build: (tmp: string) => void | Promise<void>): Promise<void> {
  if (existsSync(final)) return;
  mkdirSync(path.dirname(final), { recursive: true });
  const tmp = temporarySibling(final);
  try {
    await build(tmp);
    if (!existsSync(final)) renameSync(tmp, final);
  } catch (err) {
    // Another process renamed its copy into place first: theirs stands.
    const code = (err as NodeJS.ErrnoException).code;
    if (!((code === 'ENOTEMPTY' || code === 'EEXIST') && existsSync(final))) throw err;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
