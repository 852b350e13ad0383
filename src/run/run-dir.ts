/**
 * A run folder: runs/<name>/ with config.json, metrics.jsonl, checkpoints/,
 * predictions/ and report.html. Never silently overwritten.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { ConfigError } from '../config/errors.js';
import { formatIssues, validateConfig } from '../config/load.js';
import type { RunConfig } from '../config/schema.js';
import { isTemporaryName, writeFileAtomic } from '../util/atomic-write.js';

export class RunDir {
  private constructor(readonly path: string) {}

  /** Throw (naming the fix) unless a new run folder may be created there; returns its path. */
  static checkAvailable(parent: string, name: string, opts: { overwrite?: boolean } = {}): string {
    if (name.includes('/') || name.includes('\\') || name === '.' || name === '..' || name === '') {
      throw new ConfigError(`output.name '${name}' must be a plain folder name`);
    }
    const dir = path.resolve(parent, name);
    if (existsSync(dir) && readdirSync(dir).length > 0 && !opts.overwrite) {
      throw new ConfigError(`run folder ${dir} already exists: pick another --name, continue it with --resume ${dir}, or replace it with --overwrite`);
    }
    return dir;
  }

  /** A new run folder. An existing non-empty one is an error unless `overwrite`. */
  static create(parent: string, name: string, opts: { overwrite?: boolean } = {}): RunDir {
    const dir = RunDir.checkAvailable(parent, name, opts);
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    return new RunDir(dir);
  }

  /** An existing run folder (for resume, eval, predict). */
  static open(dir: string): RunDir {
    const abs = path.resolve(dir);
    if (!existsSync(path.join(abs, 'config.json'))) {
      throw new ConfigError(`${abs} is not a vbt run folder (no config.json); give the folder that \`vbt train\` wrote`);
    }
    return new RunDir(abs);
  }

  get name(): string {
    return path.basename(this.path);
  }

  file(name: string): string {
    return path.join(this.path, name);
  }

  get checkpoints(): string {
    return path.join(this.path, 'checkpoints');
  }

  get predictions(): string {
    return path.join(this.path, 'predictions');
  }

  writeJson(name: string, value: unknown): void {
    writeFileAtomic(this.file(name), `${JSON.stringify(value, null, 2)}\n`);
  }

  /** A JSON file of the run, parsed; errors name the file. */
  readJson(name: string): unknown {
    return readJsonFile(this.file(name));
  }

  /**
   * Remove what an interrupted write left behind: temporary files and
   * folders (atomic writes, checkpoint swaps) in the run folder and in
   * checkpoints/. A checkpoint's `.old-<kind>-*` folder stays while
   * checkpoints/<kind> is missing (it is then the checkpoint; see readCheckpoint).
   */
  removeTemporaries(): string[] {
    const removed: string[] = [];
    for (const dir of [this.path, this.checkpoints]) {
      if (!existsSync(dir)) continue;
      for (const name of readdirSync(dir)) {
        const old = /^\.old-(best|last)-/.exec(name);
        const stale = isTemporaryName(name) || /^\.tmp-/.test(name) || (old !== null && existsSync(path.join(dir, old[1]!)));
        if (!stale) continue;
        rmSync(path.join(dir, name), { recursive: true, force: true });
        removed.push(path.join(dir, name));
      }
    }
    return removed;
  }

  /** The run's config.json, validated; errors name the file and the field. */
  readConfig(): RunConfig {
    return validateConfig(this.readJson('config.json'), this.file('config.json'));
  }
}

/** Read and parse a JSON file; a missing or malformed file is a ConfigError naming it. */
export function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${file} is not valid JSON (${(err as Error).message}): the file is damaged; restore it or start the run again`);
  }
}

/** Read a JSON file and validate it; errors name the file and the field. */
export function readValidatedJson<S extends z.ZodType>(file: string, schema: S): z.infer<S> {
  const result = schema.safeParse(readJsonFile(file));
  // One line, whatever the number of problems: `invalid file (<path>): a: …; b: …`.
  if (!result.success) throw new ConfigError(formatIssues(result.error, file).replace(/^invalid config/, 'invalid file').replace(/:\n {2}/, ': ').replace(/\n {2}/g, '; '));
  return result.data;
}
