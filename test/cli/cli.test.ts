import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BURST_TYPES, CULTURE_COLUMNS, EMOTIONS } from '../../src/tasks.js';
import { tinyBackbone } from '../fixtures/backbones.js';
import { runCli } from '../fixtures/cli.js';

const work = mkdtempSync(path.join(tmpdir(), 'vbt-cli-'));
let backbone: string;
beforeAll(async () => {
  backbone = await tinyBackbone('hubert');
}, 300_000);

/** The one line of a failed command. */
function errorLine(args: string[]): string {
  const r = runCli(args, { cwd: work });
  expect(r.code, r.stderr).toBe(1);
  const lines = r.stderr.trim().split('\n');
  return lines[lines.length - 1]!;
}

describe('vbt command line', () => {
  it('says what to change for config mistakes and missing paths, in one line', () => {
    expect(errorLine(['train', '--set', 'train.stages.0.lr=fast'])).toBe(
      "vbt: invalid config (recipe 'demo' + flags): train.stages.0.lr: Invalid input: expected number, received string",
    );
    expect(errorLine(['train', '--recipe', 'nope'])).toMatch(/^vbt: unknown recipe 'nope' \(known: .*demo/);
    expect(errorLine(['train', '--data', path.join(work, 'missing'), '--layout', 'avb'])).toMatch(/missing\/data_info.csv: file not found/);
    expect(errorLine(['train', '--backbone', path.join(work, 'none.pt')])).toMatch(/backbone.path '.*none.pt' does not exist \(export a checkpoint with `vbt export`/);
    expect(errorLine(['train', '--set', 'oops'])).toMatch(/--set oops: expected path=value/);
    expect(errorLine(['eval', '--run', work])).toMatch(/is not a vbt run folder \(no config.json\)/);
    expect(existsSync(path.join(work, 'runs'))).toBe(false); // failed starts leave no run folder
    const unknown = runCli(['trian'], { cwd: work });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Did you mean train?/);
  });

  it('shows help with examples for every command', () => {
    for (const cmd of ['train', 'eval', 'predict', 'synth', 'export', 'info']) {
      const r = runCli([cmd, '--help'], { cwd: work });
      expect(r.code, cmd).toBe(0);
      expect(r.stdout, cmd).toMatch(/Examples:/);
    }
  });

  it('synth writes a corpus and refuses to write over it', () => {
    const dir = path.join(work, 'synth');
    const r = runCli(['synth', dir, '--clips', '40', '--seed', '2'], { cwd: work });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/wrote 40 clips .* in the avb layout/);
    expect(existsSync(path.join(dir, 'labels', 'type_info.csv'))).toBe(true);
    expect(runCli(['synth', dir], { cwd: work }).code).toBe(1);
  });

  it('trains, evaluates and writes challenge submission files', () => {
    const corpus = path.join(work, 'corpus');
    expect(runCli(['synth', corpus, '--clips', '80', '--seed', '5'], { cwd: work }).code).toBe(0);
    const train = runCli(
      [
        'train', '--data', corpus, '--layout', 'avb', '--backbone', backbone, '--name', 'r1', '--progress', 'plain',
        '--cache-dir', path.join(work, 'cache'), '--batch-size', '8',
        '--set', 'train.stages.0.epochs=2', '--set', 'train.stages.1.epochs=1', '--set', 'train.stages.1.maxSteps=3',
      ],
      { cwd: work },
    );
    expect(train.code, train.stderr).toBe(0);
    expect(train.stdout).toMatch(/done after \d+ steps/);
    expect(train.stdout).toMatch(/report: +.*runs\/r1\/report.html/);
    const run = path.join(work, 'runs', 'r1');

    const evaluated = runCli(['eval', '--run', run, '--split', 'Val'], { cwd: work });
    expect(evaluated.code, evaluated.stderr).toBe(0);
    expect(evaluated.stdout).toMatch(/high +CCC +-?\d\.\d{3}/);
    expect(existsSync(path.join(run, 'eval-Val-best.json'))).toBe(true);

    const predicted = runCli(['predict', '--run', run], { cwd: work });
    expect(predicted.code, predicted.stderr).toBe(0);
    const dir = path.join(run, 'predictions', 'Test');
    const lines = (f: string) => readFileSync(path.join(dir, f), 'utf8').trim().split('\n');
    const high = lines('avb_high.csv');
    expect(high[0]).toBe(['File_ID', ...EMOTIONS].join(','));
    expect(high[1]).toMatch(/^\[\w+\](,\d\.\d{6}){10}$/);
    expect(lines('avb_culture.csv')[0]).toBe(['File_ID', ...CULTURE_COLUMNS].join(','));
    expect(lines('avb_two.csv')[0]).toBe('File_ID,Valence,Arousal');
    const type = lines('avb_type.csv');
    expect(type[0]).toBe('File_ID,Voc_Type');
    for (const row of type.slice(1)) expect(BURST_TYPES).toContain(row.split(',')[1]);
    expect(lines('predictions.csv').length).toBe(high.length);

    // Machine-readable outcomes: one JSON object on stdout, logs elsewhere.
    const evalJson = runCli(['eval', '--run', run, '--split', 'Val', '--json'], { cwd: work });
    expect(evalJson.code, evalJson.stderr).toBe(0);
    expect(JSON.parse(evalJson.stdout).tasks.high.value).toBeTypeOf('number');
    const predictJson = runCli(['predict', '--run', run, '--split', 'Val', '--json'], { cwd: work });
    expect(predictJson.code, predictJson.stderr).toBe(0);
    const outcome = JSON.parse(predictJson.stdout) as { split: string; clips: number; files: string[]; metrics: { tasks: Record<string, unknown> } };
    expect(outcome.split).toBe('Val');
    expect(outcome.files).toContain(path.join(run, 'predictions', 'Val', 'predictions.csv'));
    expect(Object.keys(outcome.metrics.tasks).length).toBeGreaterThan(0);
  });

  it('info reports the build as JSON', () => {
    const r = runCli(['info', '--json'], { cwd: work });
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout) as { libtorch: string; cudaAvailable: boolean };
    expect(info.libtorch).toMatch(/^\d+\.\d+/);
    expect(typeof info.cudaAvailable).toBe('boolean');
  });
});
