/**
 * The audio files named on a command line: files as given, folders searched
 * recursively for audio by extension (AUDIO_EXTENSIONS), in a stable order.
 */
import { readdirSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { AUDIO_EXTENSIONS } from '../audio/audio-formats.js';
import { describeFsError } from '../audio/file-reads.js';

/** A named path that gave no audio file. */
export interface InputProblem {
  readonly path: string;
  readonly reason: string;
}

export interface ExpandedInputs {
  /** Audio files, each once, in the order of the arguments (a folder's files sorted by path). */
  readonly files: string[];
  readonly problems: InputProblem[];
}

function isAudioName(name: string): boolean {
  return AUDIO_EXTENSIONS.includes(path.extname(name).toLowerCase());
}

/**
 * Expand files and folders. A file named directly is taken whatever its
 * extension (its bytes decide the format); a folder contributes the files
 * under it whose extension is an audio one. Symbolic links are followed,
 * each folder at most once.
 */
export function expandAudioInputs(args: readonly string[]): ExpandedInputs {
  const files: string[] = [];
  const problems: InputProblem[] = [];
  const seenFiles = new Set<string>();
  const add = (file: string) => {
    let real: string;
    try {
      real = realpathSync(file);
    } catch {
      real = path.resolve(file);
    }
    if (seenFiles.has(real)) return;
    seenFiles.add(real);
    files.push(file);
  };
  for (const arg of args) {
    let stats;
    try {
      stats = statSync(arg);
    } catch (error) {
      problems.push({ path: arg, reason: describeFsError(error) });
      continue;
    }
    if (stats.isFile()) {
      add(arg);
      continue;
    }
    if (!stats.isDirectory()) {
      problems.push({ path: arg, reason: 'not a regular file or folder' });
      continue;
    }
    const found: string[] = [];
    const seenDirs = new Set<string>();
    const walk = (dir: string) => {
      let real: string;
      try {
        real = realpathSync(dir);
      } catch (error) {
        problems.push({ path: dir, reason: describeFsError(error) });
        return;
      }
      if (seenDirs.has(real)) return;
      seenDirs.add(real);
      let names: string[];
      try {
        names = readdirSync(dir).sort();
      } catch (error) {
        problems.push({ path: dir, reason: describeFsError(error) });
        return;
      }
      for (const name of names) {
        const child = path.join(dir, name);
        let childStats;
        try {
          childStats = statSync(child);
        } catch {
          continue; // a dangling link
        }
        if (childStats.isDirectory()) walk(child);
        else if (childStats.isFile() && isAudioName(name)) found.push(child);
      }
    };
    walk(arg);
    if (found.length === 0) problems.push({ path: arg, reason: `no audio files (${AUDIO_EXTENSIONS.join(' ')}) in this folder` });
    for (const f of found) add(f);
  }
  return { files, problems };
}
