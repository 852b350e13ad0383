/**
 * Config paths from flags and files reach config fields only: segments that
 * would reach an object's prototype, and keys the schema does not know, are
 * one-line errors naming the path, and nothing outside the config changes.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { resolveConfig } from '../../src/config/load.js';
import { flagOverrides } from '../../src/cli/config-flags.js';

function error(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('config paths', () => {
  it.each(['__proto__.polluted', 'constructor.prototype.polluted', 'train.__proto__.polluted', 'data.prototype', 'train.stages.0.constructor'])(
    '--set %s=1 is refused on one line naming the path, and no object changes',
    (dotted) => {
      const e = error(() => resolveConfig({ overrides: [[dotted, 1]] }));
      expect(e.message).toMatch(new RegExp(`^--set ${dotted.replace(/\./g, '\\.')}: '(__proto__|constructor|prototype)' is not a config field$`));
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.prototype).not.toHaveProperty('polluted');
    },
  );

  it('refuses such keys inside a JSON value and in a config file', () => {
    const value = JSON.parse('{"__proto__": {"polluted": true}}') as unknown;
    expect(error(() => resolveConfig({ overrides: [['train.monitor', value]] })).message).toBe("--set train.monitor.__proto__: '__proto__' is not a config field");
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'vbt-config-')), 'run.json');
    writeFileSync(file, '{"train": {"__proto__": {"polluted": 1}}}');
    expect(error(() => resolveConfig({ file })).message).toBe(`config file '${file}': train.__proto__: '__proto__' is not a config field`);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('the CLI flag path gives the same one-line error', () => {
    const overrides = flagOverrides({ set: ['__proto__.x=1'] }, 'synthetic', 2);
    expect(error(() => resolveConfig({ overrides })).message).toBe("--set __proto__.x: '__proto__' is not a config field");
  });

  it('names the full path of a field the schema does not know', () => {
    expect(error(() => resolveConfig({ overrides: [['train.stages.0.learningRate', 1]] })).message).toBe(
      "invalid config (recipe 'demo' + flags): train.stages.0.learningRate: not a config field",
    );
    expect(error(() => resolveConfig({ overrides: [['nonsense', 1]] })).message).toBe("invalid config (recipe 'demo' + flags): nonsense: not a config field");
  });
});
