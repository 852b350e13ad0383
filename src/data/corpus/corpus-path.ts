/**
 * Resolving audio paths named by corpus files, so that a CSV or manifest
 * cannot make the reader open files outside the corpus folder.
 */
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { DataError, type DataErrorLocation } from '../data-error.js';

/**
 * Resolve `path` against `root`. A relative path must stay inside `root`
 * (after `..` segments are resolved); an absolute path is accepted only when
 * `allowAbsolutePaths` is set. Symbolic links inside the folder are the
 * corpus owner's choice and are followed.
 * @throws DataError at `location` when the path escapes or is absolute and not allowed
 */
export function resolveCorpusPath(
  root: string,
  path: string,
  allowAbsolutePaths: boolean,
  location: DataErrorLocation,
): string {
  if (path.includes('\0')) throw new DataError(location, 'path contains a NUL character');
  if (isAbsolute(path)) {
    if (!allowAbsolutePaths) {
      throw new DataError(location, `absolute path '${path}' not allowed (set allowAbsolutePaths to accept it)`);
    }
    return resolve(path);
  }
  const absoluteRoot = resolve(root);
  const resolved = resolve(absoluteRoot, path);
  const inside = relative(absoluteRoot, resolved);
  if (inside === '' || inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) {
    throw new DataError(location, `path '${path}' resolves outside the corpus folder ${absoluteRoot}`);
  }
  return resolved;
}
