/**
 * `npm run gen:config`: write src/config/config-types.ts (the run config's
 * types with their documentation) from the zod schema's descriptions, and
 * the JSON Schema a config file may name with "$schema"
 * (schema/run-config.schema.json, shipped with the package).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { configTypesSource } from '../src/config/config-types-source.js';
import { runConfigJsonSchema } from '../src/config/json-schema.js';

const root = path.resolve(import.meta.dirname, '..');
writeFileSync(path.join(root, 'src', 'config', 'config-types.ts'), configTypesSource());
mkdirSync(path.join(root, 'schema'), { recursive: true });
writeFileSync(path.join(root, 'schema', 'run-config.schema.json'), `${JSON.stringify(runConfigJsonSchema('input', { forFiles: true }), null, 2)}\n`);
console.log('wrote src/config/config-types.ts and schema/run-config.schema.json');
