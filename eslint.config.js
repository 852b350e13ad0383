// `npm run lint`. A small rule set on purpose: mistakes tsc does not catch
// (promises dropped or passed where nothing waits for them) and the layering
// of src/ (eslint-rules/layers.js). Formatting and style are left alone.
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';
import localRules from './eslint-rules/layers.js';

/**
 * JavaScript files, which tsconfig.json does not hold: type-checked in a
 * default project (more than 8 files there needs the option's explicit limit).
 */
const LOOSE_FILES = ['eslint.config.js', 'eslint-rules/*.js', 'scripts/*.mjs', 'scripts/*.cjs', 'bin/*.js'];

export default defineConfig(
  {
    ignores: ['dist/**', 'build/**', 'runs/**', 'prebuilds/**', 'models/**', 'node_modules/**', '.vbt-cache/**', '.cache/**', '.gpu/**', 'tmp/**', 'test/.fixtures/**'],
  },
  {
    files: ['**/*.ts', '**/*.js', '**/*.mjs', '**/*.cjs'],
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: {
        projectService: { allowDefaultProject: LOOSE_FILES, maximumDefaultProjectFileMatchCount_THIS_WILL_SLOW_DOWN_LINTING: 20 },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { '@typescript-eslint': tseslint.plugin, vbt: localRules },
    rules: {
      // A promise nobody awaits loses its rejection (an unhandled rejection
      // ends the process) and its ordering; `void` marks the deliberate ones.
      '@typescript-eslint/no-floating-promises': 'error',
      // A promise where a value or a void callback is expected (`if (p)`,
      // `emitter.on('x', async () => ...)`): its rejection goes nowhere.
      '@typescript-eslint/no-misused-promises': 'error',
      // `await` of something that is not a promise is a misunderstanding of the API.
      '@typescript-eslint/await-thenable': 'error',
      // `return promise` inside try/catch/finally or a `using` scope leaves
      // before the promise settles: its rejection skips the catch, and the
      // finally (or the disposal) runs while it is still pending.
      '@typescript-eslint/return-await': ['error', 'error-handling-correctness-only'],
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: { 'vbt/layers': 'error' },
  },
);
