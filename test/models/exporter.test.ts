/**
 * The Python backbone exporter: its own test scripts (parity with torchaudio
 * and transformers, synthetic Hugging Face and fairseq round trips, bad
 * sources, train/eval behaviour, safetensors reading), judged here on the
 * numbers they report, and the TypeScript wrapper `exportBackbone` with the
 * `tinyBackbone` fixture.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  BACKBONE_FAMILIES,
  BackboneExportError,
  type BackboneMetadata,
  buildExportArgs,
  exportBackbone,
  packageRoot,
  resolvePython,
} from '../../src/model/exporter.js';
import { backboneCacheDir, tinyBackbone } from '../fixtures/backbones.js';
import { readArchiveMetadata } from './zip-reader.js';

const TESTS_DIR = path.join(packageRoot(), 'models', 'tests');

interface ScriptResult {
  code: number | null;
  json: any;
  stderr: string;
}

/** Runs models/tests/<name>.py with the exporter's interpreter; parses its JSON line. */
async function runScript(name: string, args: string[] = []): Promise<ScriptResult> {
  // (A script that needs an optional package it lacks prints {"skipped": true, "reason"} and exits 3.)
  const python = await resolvePython();
  return new Promise((resolve, reject) => {
    const child = spawn(python, [path.join(TESTS_DIR, name), ...args], { cwd: TESTS_DIR });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      try {
        resolve({ code, json: JSON.parse(line), stderr });
      } catch {
        reject(new Error(`${name} printed no JSON (exit ${code}):\n${stdout}\n${stderr}`));
      }
    });
  });
}

/** Skips the test, after checking the script's skip record, when an optional package is missing. */
function skipIfMissing(ctx: { skip: () => void }, result: ScriptResult, what: string): boolean {
  if (result.code !== 3) return false;
  expect(result.json).toEqual({ ok: false, skipped: true, reason: `skipped: ${what} not installed` });
  ctx.skip();
  return true;
}

describe('python exporter scripts', () => {
  it('matches torchaudio on wav2vec2 and HuBERT (tiny, variants, base) and the data2vec stack', async (ctx) => {
    const result = await runScript('parity_torchaudio.py', ['--configs', 'tiny,base']);
    if (skipIfMissing(ctx, result, 'torchaudio')) return;
    const { code, json } = result;
    const cases = json.cases as any[];
    const keys = cases.map((c) => `${c.family}/${c.config}/${c.variant}`);
    expect(keys).toEqual(
      expect.arrayContaining([
        'wav2vec2/tiny/named',
        'wav2vec2/tiny/layer-norm-conv+pre-ln',
        'hubert/tiny/named',
        'hubert/tiny/group-norm-conv+post-ln',
        'wav2vec2/base/named',
        'hubert/base/named',
        'data2vec/tiny/named',
        'data2vec/base/named',
      ]),
    );
    for (const c of cases) {
      expect(c.max_abs_diff, `${c.family} ${c.config} ${c.variant}`).toBeLessThanOrEqual(1e-4);
      expect(c.frame_lengths_equal).toBe(true);
      expect(c.frame_lengths).toEqual(c.reference_frame_lengths);
      // Outputs are not trivially zero: the comparison means something.
      expect(c.output_mean_abs).toBeGreaterThan(0.1);
      if (c.config === 'tiny') expect(c.scripted_vs_eager_max_abs_diff).toBeLessThanOrEqual(1e-6);
    }
    expect(cases.find((c) => c.config === 'tiny' && c.variant === 'named').frame_lengths).toEqual([49, 34, 16, 1]);
    expect(json.ok).toBe(true);
    expect(code).toBe(0);
  }, 600_000);

  it('matches transformers where it is installed, and says clearly when it is not', async (ctx) => {
    const result = await runScript('parity_transformers.py', ['--configs', 'tiny']);
    if (skipIfMissing(ctx, result, 'transformers')) return;
    const { code, json } = result;
    const families = new Set((json.cases as any[]).map((c) => c.family));
    expect([...families].sort()).toEqual(['data2vec', 'hubert', 'wav2vec2']);
    for (const c of json.cases as any[]) {
      expect(c.error, `${c.family} ${c.variant}`).toBeUndefined();
      expect(c.max_abs_diff).toBeLessThanOrEqual(1e-4);
      expect(c.frame_lengths_equal).toBe(true);
      // masked_spec_embed is imported (time masking in training), so nothing of the bare model is dropped.
      expect(c.dropped_keys).toEqual([]);
    }
    expect(code).toBe(0);
  }, 600_000);

  it("masks time as transformers does where it is installed: the same spans get the learned vector, masks drawn alike", async (ctx) => {
    const result = await runScript('parity_time_masking.py', ['--draws', '1000']);
    if (skipIfMissing(ctx, result, 'transformers')) return;
    const { code, json } = result;
    expect((json.cases as any[]).map((c) => c.family).sort()).toEqual(['data2vec', 'hubert', 'wav2vec2']);
    for (const c of json.cases as any[]) {
      expect(c.error, c.family).toBeUndefined();
      expect(c.settings).toEqual([0.3, 4, 2]);
      expect(c.max_abs_diff, c.family).toBeLessThanOrEqual(1e-4);
      expect(c.masked_frames.reduce((a: number, b: number) => a + b, 0), c.family).toBeGreaterThan(0);
      for (const row of c.distribution) expect(row.agree, `${c.family} ${JSON.stringify(row)}`).toBe(true);
      expect(c.short_rows_never_masked).toBe(true);
    }
    expect(code).toBe(0);
  }, 600_000);

  it('round-trips synthetic Hugging Face folders (safetensors and .bin, bare and CTC)', async () => {
    const { code, json } = await runScript('roundtrip_hf.py');
    const cases = json.cases as any[];
    expect(new Set(cases.map((c) => c.format))).toEqual(new Set(['safetensors', 'safetensors-sharded', 'bin']));
    expect(new Set(cases.map((c) => c.head))).toEqual(new Set(['none', 'ctc', 'pretraining', 'classification']));
    expect(new Set(cases.map((c) => c.family))).toEqual(new Set(BACKBONE_FAMILIES));
    expect(cases.some((c) => c.head === 'ctc')).toBe(true);
    expect(new Set(cases.map((c) => c.weight_norm))).toEqual(new Set(['legacy', 'parametrizations', 'plain']));
    for (const c of cases) {
      const label = `${c.family} ${c.head} ${c.format}`;
      expect(c.exit_code, label).toBe(0);
      expect(c.exported_vs_eager_max_abs_diff, label).toBeLessThanOrEqual(1e-6);
      // The independent torchaudio check runs wherever torchaudio is installed (the project's setup installs it).
      if (json.torchaudio !== null) expect(c.exported_vs_torchaudio_max_abs_diff, label).toBeLessThanOrEqual(1e-4);
      expect(c.frame_lengths, label).toEqual([49, 27, 10]);
      for (const [check, passed] of Object.entries(c.checks)) expect(passed, `${label}: ${check}`).toBe(true);
    }
    expect(code).toBe(0);
  }, 300_000);

  it('round-trips synthetic fairseq checkpoints, consuming every key', async (ctx) => {
    const result = await runScript('roundtrip_fairseq.py');
    if (skipIfMissing(ctx, result, 'torchaudio')) return;
    const { code, json } = result;
    const cases = json.cases as any[];
    expect(cases.some((c) => c.settings === 'args' && c.legacy_layout)).toBe(true);
    expect(cases.some((c) => c.fine_tuned)).toBe(true);
    expect(new Set(cases.map((c) => c.family))).toEqual(new Set(['wav2vec2', 'hubert']));
    for (const c of cases) {
      const label = `${c.family} fine_tuned=${c.fine_tuned} ${c.settings}`;
      expect(c.exit_code, label).toBe(0);
      expect(c.max_abs_diff, label).toBeLessThanOrEqual(1e-4);
      expect(c.loaded, label).toBeGreaterThan(40);
      for (const [check, passed] of Object.entries(c.checks)) expect(passed, `${label}: ${check}`).toBe(true);
    }
    expect(code).toBe(0);
  }, 300_000);

  it('rejects bad sources with one clear error naming the culprit', async () => {
    const { code, json } = await runScript('bad_sources.py');
    const byName = new Map((json.cases as any[]).map((c) => [c.name, c]));
    for (const c of json.cases as any[]) expect(c.passed, `${c.name}: ${c.message ?? c.crash}`).toBe(true);
    expect(byName.get('unknown key').message).toContain('wav2vec2.encoder.mystery.weight');
    expect(byName.get('missing key').message).toContain('encoder.layers.1.final_layer_norm.bias');
    expect(byName.get('shape mismatch').message).toContain('[64, 31] (expected [64, 32])');
    const many = byName.get('many unknown keys are listed ten at most, with a count').message as string;
    expect(many).toContain('(and 5 more)');
    expect(many.match(/wav2vec2\.extra\.k\d\d/g)).toHaveLength(10);
    expect(byName.get('config.json that is not JSON').error_class).toBe('SourceError');
    expect(byName.get('missing folder').error_kind).toBe('source_error');
    expect(byName.get('unknown family (CLI)').exit_code).toBe(2);
    expect(byName.get('a code-running pickle payload in fairseq settings is not run').payload_ran).toBe(false);
    expect(code).toBe(0);
  }, 300_000);

  it('drops out in train mode only, layer-drops in train mode only, and trains end to end', async () => {
    const { code, json } = await runScript('train_eval.py');
    for (const family of json.families as any[]) {
      const n = family.numbers;
      expect(n.eval_repeat_max_diff, family.family).toBe(0);
      expect(n.train_repeat_max_diff, family.family).toBeGreaterThan(1e-3);
      expect(n.no_dropout_train_vs_eval_max_diff).toBeLessThanOrEqual(1e-6);
      expect(n.layerdrop1_train_vs_no_layers_max_diff).toBeLessThanOrEqual(1e-6);
      expect(n.layerdrop1_eval_vs_no_layers_max_diff).toBeGreaterThan(1e-3);
      expect(n.layerdrop05_distinct_outputs_of_30).toBeGreaterThanOrEqual(3);
      expect(n.parameters_without_finite_grad).toEqual([]);
      expect(n.parameters_with_zero_grad).toEqual([]);
      expect(n.output_lengths).toEqual([0, 0, 1, 1, 2, 49, 49, 62]);
      for (const [check, passed] of Object.entries(family.checks)) expect(passed, `${family.family}: ${check}`).toBe(true);
    }
    expect(json.padding).toEqual({ hubert_is_padding_invariant: true, wav2vec2_group_norm_sees_padding: true });
    expect(code).toBe(0);
  }, 300_000);

  it('reads safetensors as the format defines it', async () => {
    const { code, json } = await runScript('safetensors_format.py');
    for (const group of ['golden', 'bad_files'] as const) {
      for (const [check, passed] of Object.entries(json.checks[group])) expect(passed, `${group}: ${check}`).toBe(true);
    }
    expect(json.checks.round_trip.writer_reader).toBe(true);
    expect(code).toBe(0);
  }, 120_000);
});

describe('exportBackbone', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'vbt-export-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const family of BACKBONE_FAMILIES) {
    it(`exports the tiny ${family} config with its metadata`, async () => {
      const out = path.join(dir, `${family}-tiny.pt`);
      const started = performance.now();
      const summary = await exportBackbone({ family, config: 'tiny', source: { kind: 'random', seed: 1 }, out });
      const wallSeconds = (performance.now() - started) / 1000;
      expect(summary.out).toBe(path.resolve(out));
      expect(statSync(out).size).toBeGreaterThan(100_000);
      const metadata = readArchiveMetadata(out) as BackboneMetadata;
      expect(metadata).toEqual(summary.metadata);
      expect(metadata).toMatchObject({
        format: 'vbt-backbone',
        family,
        config: 'tiny',
        hidden_size: 64,
        num_layers: 2,
        num_heads: 4,
        frame_rate: 50,
        sample_rate: 16000,
        receptive_field: 400,
        feature_encoder_prefix: 'feature_extractor.',
        stable_layer_norm: family === 'hubert',
        feat_extract_norm: family === 'wav2vec2' ? 'group' : 'layer',
      });
      expect(metadata.source).toContain('seed 1');
      expect(metadata.parameter_count).toBeGreaterThan(100_000);
      expect(metadata.feature_encoder_parameter_count).toBeGreaterThan(10_000);
      expect(metadata.feature_encoder_parameter_count).toBeLessThan(metadata.parameter_count);
      expect(metadata.exporter_version).toMatch(/^\d+\.\d+\.\d+$/);
      // A tiny export takes seconds (interpreter start-up included).
      expect(wallSeconds).toBeLessThan(30);
      console.log(`tiny ${family}: exporter ${summary.seconds.toFixed(2)} s, with start-up ${wallSeconds.toFixed(2)} s`);
    }, 120_000);
  }

  it('passes dropout overrides through to the archive', async () => {
    const out = path.join(dir, 'overrides.pt');
    const summary = await exportBackbone({
      family: 'data2vec',
      config: 'tiny',
      source: { kind: 'random' },
      out,
      dropout: { hiddenDropout: 0, layerdrop: 0.25, attentionDropout: 0.05 },
    });
    expect(summary.metadata.dropout).toEqual({
      hidden_dropout: 0,
      attention_dropout: 0.05,
      activation_dropout: 0.1,
      feat_proj_dropout: 0,
      layerdrop: 0.25,
    });
  }, 120_000);

  it('reports the exporter error kind and message', async () => {
    const missing = path.join(dir, 'no-such-model');
    const failure = exportBackbone({ family: 'hubert', source: { kind: 'huggingface', dir: missing }, out: path.join(dir, 'x.pt') });
    await expect(failure).rejects.toBeInstanceOf(BackboneExportError);
    await expect(failure).rejects.toMatchObject({ kind: 'source_error', exitCode: 2 });
    await expect(failure).rejects.toThrow(missing);
    expect(existsSync(path.join(dir, 'x.pt'))).toBe(false);
  }, 120_000);

  it('never overwrites an existing archive unless asked', async () => {
    const out = path.join(dir, 'keep.pt');
    writeFileSync(out, 'keep');
    await expect(exportBackbone({ family: 'wav2vec2', config: 'tiny', source: { kind: 'random' }, out })).rejects.toMatchObject({
      kind: 'output_exists',
    });
    const summary = await exportBackbone({ family: 'wav2vec2', config: 'tiny', source: { kind: 'random' }, out, overwrite: true });
    expect(summary.metadata.family).toBe('wav2vec2');
  }, 120_000);

  it('builds the CLI arguments', () => {
    expect(buildExportArgs({ family: 'data2vec', source: { kind: 'huggingface', dir: '/m' }, out: 'o.pt' })).toEqual([
      '--family', 'data2vec', '--hf', '/m', '--out', 'o.pt',
    ]);
    expect(
      buildExportArgs({ family: 'hubert', config: 'large', source: { kind: 'fairseq', file: 'c.pt' }, out: 'o.pt', overwrite: true, dropout: { layerdrop: 0 } }),
    ).toEqual(['--family', 'hubert', '--config', 'large', '--fairseq', 'c.pt', '--out', 'o.pt', '--overwrite', '--layerdrop', '0']);
    expect(buildExportArgs({ family: 'wav2vec2', config: 'tiny', source: { kind: 'random', seed: 4 }, out: 'o.pt' })).toEqual([
      '--family', 'wav2vec2', '--config', 'tiny', '--random', '--seed', '4', '--out', 'o.pt',
    ]);
    expect(() => buildExportArgs({ family: 'wav2vec2', source: { kind: 'random' }, out: 'o.pt' })).toThrow(/named config/);
    expect(() =>
      buildExportArgs({ family: 'wav2vec2', config: 'tiny', source: { kind: 'random' }, out: 'o.pt', dropout: { hiddenDropout: 1.5 } }),
    ).toThrow(/\[0, 1\]/);
  });

  it('tells the user to install torch when the interpreter lacks it', async () => {
    const fake = path.join(dir, 'python-without-torch');
    writeFileSync(fake, '#!/bin/sh\nexit 1\n');
    chmodSync(fake, 0o755);
    const failure = resolvePython({ VBT_PYTHON: fake });
    await expect(failure).rejects.toMatchObject({ kind: 'no_python' });
    await expect(failure).rejects.toThrow(/VBT_PYTHON=.*cannot import torch.*apt-get install python3-torch/);
  }, 60_000);
});

describe('tinyBackbone fixture', () => {
  it('exports each family once into the test cache and reuses it', async () => {
    const cache = await backboneCacheDir();
    expect(cache).toContain(path.join('node_modules', '.cache', 'vbt-test', 'backbones'));
    for (const family of BACKBONE_FAMILIES) {
      const file = await tinyBackbone(family);
      expect(path.dirname(file)).toBe(cache);
      expect((readArchiveMetadata(file) as BackboneMetadata).family).toBe(family);
      // reused, not exported again: the same file, untouched
      const before = statSync(file);
      expect(await tinyBackbone(family)).toBe(file);
      const after = statSync(file);
      expect([after.ino, after.mtimeMs, after.size]).toEqual([before.ino, before.mtimeMs, before.size]);
    }
    const overridden = await tinyBackbone('hubert', { layerdrop: 0 });
    expect(overridden).not.toBe(await tinyBackbone('hubert'));
    expect((readArchiveMetadata(overridden) as BackboneMetadata).dropout.layerdrop).toBe(0);
  }, 300_000);
});
