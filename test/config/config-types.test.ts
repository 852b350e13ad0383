/**
 * The documented config types (src/config/config-types.ts, generated from the
 * zod schema) are up to date with the schema and are exactly zod's own
 * inferred types; every field is documented; the JSON Schema that config
 * files may name validates every recipe, and editors show a field's
 * description when hovering it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { configTypesSource } from '../../src/config/config-types-source.js';
import type * as Generated from '../../src/config/config-types.js';
import { type JsonSchema, runConfigJsonSchema } from '../../src/config/json-schema.js';
import { resolveConfig } from '../../src/config/load.js';
import { RECIPES } from '../../src/config/recipes/index.js';
import type * as S from '../../src/config/schema.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

// ---- compile time: the generated types are zod's inferred types (mutually assignable).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameOutput: Same<Generated.RunConfig, z.output<typeof S.RunConfigSchema>> = true;
const sameInput: Same<Generated.RunConfigInput, z.input<typeof S.RunConfigSchema>> = true;
const sameStage: Same<Generated.StageConfig, z.output<typeof S.StageSchema>> = true;
const sameCorpus: Same<Generated.CorpusConfigInput, z.input<typeof S.CorpusSchema>> = true;

describe('the documented config types', () => {
  it('are what the generator makes from the schema today (run `npm run gen:config` after changing the schema)', () => {
    expect([sameOutput, sameInput, sameStage, sameCorpus]).toEqual([true, true, true, true]);
    expect(readFileSync(path.join(ROOT, 'src', 'config', 'config-types.ts'), 'utf8')).toBe(configTypesSource());
    expect(JSON.parse(readFileSync(path.join(ROOT, 'schema', 'run-config.schema.json'), 'utf8'))).toEqual(runConfigJsonSchema('input', { forFiles: true }));
  });

  it('document every field', () => {
    const schema = runConfigJsonSchema('output');
    const missing: string[] = [];
    const walk = (node: JsonSchema, at: string): void => {
      for (const [key, prop] of Object.entries(node.properties ?? {})) {
        const described = prop.description ?? (prop.$ref ? schema.$defs?.[prop.$ref.replace('#/$defs/', '')]?.description : undefined);
        if (!described) missing.push(`${at}.${key}`);
        walk(prop, `${at}.${key}`);
      }
      for (const alternative of [...(node.anyOf ?? []), ...(node.oneOf ?? [])]) walk(alternative, at);
      if (node.items) walk(node.items, `${at}[]`);
    };
    for (const [id, def] of Object.entries(schema.$defs ?? {})) {
      if (!def.description) missing.push(id);
      walk(def, id);
    }
    expect(missing).toEqual([]);
  });

  it('the JSON Schema validates every recipe, resolved, and a config file naming it; and catches a mistake', () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    const validate = ajv.compile(runConfigJsonSchema('input', { forFiles: true }));
    for (const recipe of Object.keys(RECIPES)) {
      const config = resolveConfig({ recipe });
      expect(validate(config), `${recipe}: ${ajv.errorsText(validate.errors)}`).toBe(true);
      expect(validate({ $schema: './node_modules/vbt/schema/run-config.schema.json', ...config })).toBe(true);
    }
    const wrong = structuredClone(resolveConfig({ recipe: 'demo' })) as unknown as { train: { stages: { lr: unknown }[] } };
    wrong.train.stages[0]!.lr = 'fast';
    expect(validate(wrong)).toBe(false);
    expect(ajv.errorsText(validate.errors)).toMatch(/stages\/0\/lr/);
  });

  it('an editor hovering a field of a config object shows its description and default', () => {
    const file = path.join(ROOT, 'test', 'config', '__hover__.ts');
    const text = `import type { RunConfigInput } from '../../src/index.js';\nconst c: RunConfigInput = { recipe: 'demo', data: { corpus: { kind: 'synthetic', layout: 'avb' }, maxBatchSeconds: 48 }, model: { kind: 'avb-mtl', tasks: ['high'] }, train: { stages: [], monitor: { name: 'score', mode: 'max' } } };\nvoid c;\n`;
    const host: ts.LanguageServiceHost = {
      getScriptFileNames: () => [file],
      getScriptVersion: () => '1',
      getScriptSnapshot: (f) => ts.ScriptSnapshot.fromString(f === file ? text : ts.sys.readFile(f) ?? ''),
      getCurrentDirectory: () => ROOT,
      getCompilationSettings: () => ({ module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, strict: true }),
      getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
      fileExists: (f) => f === file || ts.sys.fileExists(f),
      readFile: (f) => (f === file ? text : ts.sys.readFile(f)),
    };
    const service = ts.createLanguageService(host);
    const info = service.getQuickInfoAtPosition(file, text.indexOf('maxBatchSeconds'))!;
    const shown = `${ts.displayPartsToString(info.documentation)} ${info.tags?.map((t) => `@${t.name} ${ts.displayPartsToString(t.text)}`).join(' ')}`;
    expect(shown).toMatch(/^Padded audio a batch may hold, in seconds/);
    expect(shown).toContain('@defaultValue `null`');
  });
});
