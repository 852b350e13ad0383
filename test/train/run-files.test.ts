/**
 * A run's own files: --skip-bad lists every left-out row in skipped.csv;
 * damaged run files are errors naming the file and the field; a resumed
 * run clears what an interrupted write left behind.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunConfigInput } from '../../src/config/schema.js';
import { RecordingProgress } from '../../src/report/progress.js';
import { Trainer } from '../../src/train/trainer.js';
import { writeClip, writeCsv } from '../data/corpus-fixtures.js';
import { tinyBackbone } from '../fixtures/backbones.js';

const root = mkdtempSync(path.join(tmpdir(), 'vbt-run-files-'));
let backbone: string;

beforeAll(async () => {
  backbone = await tinyBackbone('data2vec');
  // 12 good clips, a row whose audio is missing, one with a label out of range, one with an unknown split.
  const rows: (string | number)[][] = [];
  for (let i = 0; i < 12; i++) {
    writeClip(path.join(root, 'corpus', `c${i}.wav`), 12_000 + i * 500, 16000, 1, i);
    rows.push([`c${i}.wav`, i % 4 === 0 ? 'Val' : 'Train', (i % 5) / 4, (i % 3) / 2]);
  }
  rows.push(['missing.wav', 'Train', 0.5, 0.5], ['c1.wav', 'Train', 7, 0.5], ['c2.wav', 'Someday', 0.5, 0.5]);
  writeCsv(path.join(root, 'corpus', 'list.csv'), ['path', 'split', 'Valence', 'Arousal'], rows);
}, 300_000);

function config(name: string, skipBad: boolean): RunConfigInput {
  return {
    recipe: 'demo',
    data: { corpus: { kind: 'manifest', path: path.join(root, 'corpus', 'list.csv') }, skipBad, batchSize: 4, numWorkers: 0, cacheDir: path.join(root, 'cache') },
    backbone: { path: backbone },
    model: { kind: 'avb-mtl', tasks: ['two'], headHidden: 8 },
    train: {
      device: 'cpu',
      precision: 'fp32',
      progress: 'none',
      stages: [{ name: 'finetune', freeze: 'none', lr: 1e-3, epochs: 2, patience: 5 }],
      monitor: { name: 'val/loss', mode: 'min' },
    },
    output: { dir: path.join(root, 'runs'), name },
  };
}

describe('run files', () => {
  it('--skip-bad writes skipped.csv with the file, row and reason of every left-out row, and says where it is', async () => {
    const progress = new RecordingProgress();
    const trainer = await Trainer.create({ config: config('skip', true), progress });
    try {
      await trainer.fit();
    } finally {
      await trainer.close();
    }
    const file = path.join(root, 'runs', 'skip', 'skipped.csv');
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('file,row,column,id,audio_file,reason');
    const list = path.join(root, 'corpus', 'list.csv');
    expect(lines.slice(1).sort()).toEqual([
      `${list},14,path,missing.wav,${path.join(root, 'corpus', 'missing.wav')},file not found`,
      `${list},15,Valence,c1.wav,,"value 7 is outside [0, 1]"`,
      `${list},16,split,c2.wav,,"unknown split 'Someday' (expected Train, Val, Test)"`,
    ]);
    const logs = progress.calls.filter((c) => c.method === 'log').map((c) => (c as { line: string }).line);
    expect(logs).toContain(`skipped 3 bad rows (--skip-bad): each with its reason in ${file}`);
  }, 120_000);

  it('a nonsense or damaged trainer.json stops a resume with the file and the field named', async () => {
    const run = path.join(root, 'runs', 'skip');
    const state = path.join(run, 'checkpoints', 'last', 'trainer.json');
    const good = readFileSync(state, 'utf8');
    try {
      writeFileSync(state, JSON.stringify({ ...JSON.parse(good), stage: 'two', epoch: -1 }));
      await expect(Trainer.create({ resume: run })).rejects.toThrow(new RegExp(`^invalid file \\(${state}\\): stage: [^\\n]*; epoch: [^\\n]*$`));
      writeFileSync(state, '{"version": 1, "stage"');
      await expect(Trainer.create({ resume: run })).rejects.toThrow(`${state} is not valid JSON`);
    } finally {
      writeFileSync(state, good);
    }
  }, 60_000);

  it('a damaged config.json is an error naming it', async () => {
    const run = path.join(root, 'runs', 'skip');
    const file = path.join(run, 'config.json');
    const good = readFileSync(file, 'utf8');
    try {
      writeFileSync(file, good.slice(0, 40));
      await expect(Trainer.create({ resume: run })).rejects.toThrow(`${file} is not valid JSON`);
      writeFileSync(file, JSON.stringify({ ...JSON.parse(good), train: { ...JSON.parse(good).train, logEvery: 'often' } }));
      await expect(Trainer.create({ resume: run })).rejects.toThrow(`invalid config (${file}): train.logEvery:`);
    } finally {
      writeFileSync(file, good);
    }
  }, 60_000);

  it('a resumed run removes the temporaries an interrupted write left, and keeps its checkpoints', async () => {
    // A run stopped after one step, so it can be resumed.
    const trainer = await Trainer.create({ config: config('temporaries', true), callbacks: [{ onStepEnd: () => false }] });
    let run: string;
    try {
      run = (await trainer.fit()).runDir;
    } finally {
      await trainer.close();
    }
    const leftovers = [
      path.join(run, 'checkpoints', '.tmp-4242-deadbeef-0'),
      path.join(run, 'checkpoints', `.old-last-cafe0001`),
      path.join(run, '.final-metrics.json.tmp-4242-0-abcd'),
      path.join(run, '.report.html.tmp-4242-0-abcd'),
    ];
    mkdirSync(leftovers[0]!);
    writeFileSync(path.join(leftovers[0]!, 'heads.safetensors'), 'half');
    mkdirSync(leftovers[1]!);
    writeFileSync(leftovers[2]!, '{');
    writeFileSync(leftovers[3]!, '<html');
    const resumed = await Trainer.create({ resume: run });
    try {
      for (const f of leftovers) expect(existsSync(f), f).toBe(false);
      expect(existsSync(path.join(run, 'checkpoints', 'last', 'trainer.json'))).toBe(true);
      expect((await resumed.fit()).status).toBe('completed');
    } finally {
      await resumed.close();
    }
  }, 120_000);
});
