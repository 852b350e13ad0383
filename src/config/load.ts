/** Resolving a run config: recipe, then a config file, then flags; validated with field-named errors. */
import { existsSync, readFileSync } from 'node:fs';
import type { z } from 'zod';
import { ConfigError } from './errors.js';
import { deepMerge, setPath } from './merge.js';
import { RECIPES, recipeNames } from './recipes/index.js';
import { type RunConfig, RunConfigSchema } from './schema.js';

export interface ResolveOptions {
  /** Recipe name (default 'demo'). */
  recipe?: string;
  /** A JSON config file laid over the recipe. */
  file?: string;
  /** Overrides as [dotted path, value] pairs, applied last, in order. */
  overrides?: readonly (readonly [string, unknown])[];
}

/** "train.stages.1.lr: expected a number, got a string" for each problem. */
export function formatIssues(error: z.ZodError, source: string): string {
  const lines = error.issues.flatMap((issue) => {
    const where = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
    // A misspelt or unknown field: name its full path.
    if (issue.code === 'unrecognized_keys') return issue.keys.map((k) => `${issue.path.length > 0 ? `${where}.` : ''}${k}: not a config field`);
    return [`${where}: ${issue.message}`];
  });
  if (lines.length === 1) return `invalid config (${source}): ${lines[0]}`;
  return `invalid config (${source}):\n${lines.map((l) => `  ${l}`).join('\n')}`;
}

/** Validate a complete config object (e.g. a run's saved config.json). */
export function validateConfig(raw: unknown, source: string): RunConfig {
  const result = RunConfigSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(formatIssues(result.error, source));
  return result.data;
}

/** Read a JSON config file; errors name the file. */
export function readConfigFile(file: string): Record<string, unknown> {
  if (!existsSync(file)) throw new ConfigError(`config file '${file}' does not exist`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`config file '${file}' is not valid JSON: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`config file '${file}' must hold a JSON object`);
  }
  // "$schema" names the file's JSON Schema for editors (`vbt config schema`); it is not a config field.
  const { $schema, ...values } = parsed as Record<string, unknown>;
  if ($schema !== undefined && typeof $schema !== 'string') throw new ConfigError(`config file '${file}': "$schema" must be a string (the path or URL of the JSON Schema)`);
  return values;
}

/** Build the run config from a recipe, a file and overrides. */
export function resolveConfig(options: ResolveOptions = {}): RunConfig {
  const fileValues = options.file ? readConfigFile(options.file) : {};
  const recipeName = options.recipe ?? (typeof fileValues.recipe === 'string' ? fileValues.recipe : 'demo');
  const recipe = RECIPES[recipeName];
  if (!recipe) throw new ConfigError(`unknown recipe '${recipeName}' (known: ${recipeNames().join(', ')})`);
  let merged = structuredClone(recipe) as unknown as Record<string, unknown>;
  try {
    merged = deepMerge(merged, fileValues);
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`config file '${options.file}': ${err.message}`);
    throw err;
  }
  for (const [path, value] of options.overrides ?? []) setPath(merged, path, value);
  const sources = [`recipe '${recipeName}'`, ...(options.file ? [`file '${options.file}'`] : []), ...(options.overrides?.length ? ['flags'] : [])];
  return validateConfig(merged, sources.join(' + '));
}
