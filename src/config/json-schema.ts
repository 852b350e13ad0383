/**
 * The run config as JSON Schema, from the zod schema and its descriptions:
 * what `vbt config schema` prints and what editors read to complete and
 * explain a config file (which may name it with `"$schema"`), and the
 * source of the documented TypeScript types (config-types.ts, written by
 * `npm run gen:config`).
 */
import { z } from 'zod';
import { RunConfigSchema } from './schema.js';

/** A JSON Schema node, as far as this project uses them. */
export interface JsonSchema {
  $schema?: string;
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  prefixItems?: JsonSchema[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  description?: string;
  /** A TypeScript type to use where JSON Schema cannot say it exactly (e.g. a template literal). */
  tsType?: string;
  [key: string]: unknown;
}

/**
 * The JSON Schema of a run config: 'input' (what a config file may hold:
 * fields with defaults may be left out; the default) or 'output' (a
 * resolved config, every default filled in). With `forFiles`, a top-level
 * `"$schema"` string is allowed too, so a file can name the schema for its
 * editor (config files may carry it; it is not a config field).
 */
export function runConfigJsonSchema(io: 'input' | 'output' = 'input', options: { forFiles?: boolean } = {}): JsonSchema {
  const schema = z.toJSONSchema(RunConfigSchema, { io, target: 'draft-2020-12' }) as JsonSchema;
  const root = schema.$ref ? schema.$defs?.[schema.$ref.replace('#/$defs/', '')] : schema;
  if (options.forFiles && root) {
    root.properties = {
      $schema: { type: 'string', description: 'The JSON Schema this file follows, for editors (`vbt config schema` prints it).' },
      ...root.properties,
    };
  }
  return schema;
}
