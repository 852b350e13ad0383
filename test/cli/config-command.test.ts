/**
 * `vbt config schema` prints the JSON Schema a config file may name with
 * "$schema"; `vbt config show` prints what `vbt train` with the same
 * arguments would run; a config file naming its schema is accepted;
 * `vbt --version` prints the package's version.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/load.js';
import { runCli } from '../fixtures/cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'vbt-config-cli-'));

describe('vbt config', () => {
  it('show prints the resolved config of a recipe, a file and flags', () => {
    const file = path.join(dir, 'run.json');
    writeFileSync(file, JSON.stringify({ $schema: './vbt-config.schema.json', recipe: 'avb-mtl', data: { batchSize: 24 } }));
    const r = runCli(['config', 'show', '--config', file, '--set', 'train.stages.1.lr=1e-5', '--seed', '7']);
    expect(r.code, r.stderr).toBe(0);
    const shown = JSON.parse(r.stdout);
    expect(shown).toEqual(resolveConfig({ file, overrides: [['train.stages.1.lr', 1e-5], ['train.seed', 7]] }));
    expect(shown.data.batchSize).toBe(24);
    expect(shown).not.toHaveProperty('$schema');
  });

  it('schema prints a JSON Schema that accepts a file naming it and rejects a wrong field', () => {
    const r = runCli(['config', 'schema']);
    expect(r.code, r.stderr).toBe(0);
    const validate = new Ajv2020({ strict: false }).compile(JSON.parse(r.stdout));
    expect(validate({ $schema: './vbt-config.schema.json', ...resolveConfig({ recipe: 'exvo-burst2vec' }) })).toBe(true);
    expect(validate({ ...resolveConfig({}), train: { ...resolveConfig({}).train, threads: 0 } })).toBe(false);
    expect(JSON.stringify(JSON.parse(r.stdout))).toContain('Padded audio a batch may hold');
  });

  it('a wrong "$schema" value is one line naming the file', () => {
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ $schema: 42 }));
    const r = runCli(['config', 'show', '--config', file]);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim()).toBe(`vbt: config file '${file}': "$schema" must be a string (the path or URL of the JSON Schema)`);
  });

  it('--version prints the package version', () => {
    const r = runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(path.resolve(import.meta.dirname, '..', '..', 'package.json'), 'utf8')).version);
  });
});
