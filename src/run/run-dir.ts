/**
 * A run folder: runs/<name>/ with config.json, metrics.jsonl, checkpoints/,
 * predictions/ and report.html. Never silently overwritten.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../config/errors.js';

/** Write a file atomically: a temporary sibling, then rename. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

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

  readJson(name: string): unknown {
    return JSON.parse(readFileSync(this.file(name), 'utf8'));
  }
}
