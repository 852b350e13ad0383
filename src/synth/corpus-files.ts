/**
 * Small file-system helpers for the corpus writers.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Write `data` to `dir/relative`, creating folders as needed. */
export function writeCorpusFile(dir: string, relative: string, data: string | Buffer): void {
  const target = path.join(dir, relative);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, data);
}

/**
 * Make sure `dir` can receive a corpus: create it if missing; refuse a
 * non-empty folder unless `overwrite`.
 * @throws Error when `dir` is a file, or is non-empty and `overwrite` is not set.
 */
export function prepareCorpusFolder(dir: string, overwrite: boolean): void {
  if (fs.existsSync(dir)) {
    if (!fs.statSync(dir).isDirectory()) throw new Error(`synthetic corpus: ${dir} exists and is not a folder`);
    if (!overwrite && fs.readdirSync(dir).length > 0) {
      throw new Error(`synthetic corpus: ${dir} is not empty; pass overwrite to write into it anyway`);
    }
  } else {
    fs.mkdirSync(dir, { recursive: true });
  }
}
