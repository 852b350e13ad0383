import { readdirSync } from 'node:fs';
import path from 'node:path';
import { RuleTester } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import { LAYERS, layersRule } from '../../eslint-rules/layers.js';

// RuleTester makes its own describe/it blocks through these.
RuleTester.describe = describe;
RuleTester.it = it;
RuleTester.itOnly = it.only;

const root = path.resolve(import.meta.dirname, '..', '..');
/** A file under the real src/ (it need not exist: the rule only resolves paths). */
const src = (file: string): string => path.join(root, 'src', file);

const tester = new RuleTester({
  languageOptions: { parser: tseslint.parser, ecmaVersion: 2022, sourceType: 'module' },
});

tester.run('vbt/layers', layersRule, {
  valid: [
    // Downward: data sits above train.
    { filename: src('train/trainer.ts'), code: "import { BatchLoader } from '../data/loader/batch-loader.js';" },
    { filename: src('data/corpus/corpus.ts'), code: "import { Rng } from '../../util/rng.js';\nimport { TASK_SPECS } from '../../tasks.js';" },
    // Same folder, however deep.
    { filename: src('data/x.ts'), code: "import { y } from './sampling/y.js';\nexport * from './corpus/index.js';" },
    { filename: src('data/corpus/x.ts'), code: "import { y } from '../loader/y.js';" },
    // The package entry may import anything.
    { filename: src('index.ts'), code: "export * from './cli/main.js';\nexport * from './util/rng.js';" },
    // Packages, and files outside src/, are not layers.
    { filename: src('data/x.ts'), code: "import path from 'node:path';\nimport { z } from 'zod';" },
    { filename: path.join(root, 'test/data/x.test.ts'), code: "import { Trainer } from '../../src/train/trainer.js';" },
    // A dynamic import whose specifier is computed cannot be checked.
    { filename: src('data/x.ts'), code: 'export const load = (p: string) => import(p);' },
  ],
  invalid: [
    {
      // Upward: data may not reach into train.
      filename: src('data/x.ts'),
      code: "import { Trainer } from '../train/trainer.js';",
      errors: [{ messageId: 'upward', data: { from: 'data', to: 'train', order: LAYERS.join(' → ') } }],
    },
    {
      // Every way of naming a module: type imports, re-exports, import(), import types.
      filename: src('torch/x.ts'),
      code: [
        "import type { Batch } from '../data/batch.js';",
        "export { main } from '../cli/main.js';",
        "export * from '../model/index.js';",
        "export const later = () => import('../run/prepare.js');",
        "export type Entry = typeof import('../index.js');",
        "export const later2 = () => import(`../train/index.js`);",
      ].join('\n'),
      errors: ['data', 'cli', 'model', 'run', 'index', 'train'].map((to) => ({ messageId: 'upward' as const, data: { from: 'torch', to, order: LAYERS.join(' → ') } })),
    },
    {
      // A folder of src/ the order does not name.
      filename: src('train/x.ts'),
      code: "import { helper } from '../helpers/helper.js';",
      errors: [{ messageId: 'unknownTarget', data: { to: 'helpers', order: LAYERS.join(' → ') } }],
    },
    {
      // A top-level file of src/ the order does not name.
      filename: src('cli/x.ts'),
      code: "import { version } from '../version.js';",
      errors: [{ messageId: 'unknownTarget', data: { to: 'version', order: LAYERS.join(' → ') } }],
    },
    {
      // A file in a folder the order does not name is reported once, whatever it imports.
      filename: src('helpers/x.ts'),
      code: "import { Rng } from '../util/rng.js';\nimport { y } from './y.js';",
      errors: [{ messageId: 'unknownImporter', data: { from: 'helpers', order: LAYERS.join(' → ') } }],
    },
  ],
});

describe('the layer order', () => {
  it('names every top-level folder and file of src/, once each', () => {
    const units = readdirSync(path.join(root, 'src'), { withFileTypes: true })
      .filter((e) => e.isDirectory() || e.name.endsWith('.ts'))
      .map((e) => e.name.replace(/\.ts$/, ''));
    expect(new Set(LAYERS).size).toBe(LAYERS.length);
    expect(units.filter((u) => !LAYERS.includes(u))).toEqual([]);
    expect(LAYERS.at(-1)).toBe('index');
  });
});
