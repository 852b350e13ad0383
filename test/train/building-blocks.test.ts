import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/load.js';
import * as T from '../../src/torch/index.js';
import { type TrainerState, readCheckpoint, writeCheckpoint } from '../../src/run/checkpoint.js';
import { EarlyStopping } from '../../src/train/early-stopping.js';
import { checkMonitorName, monitorValue } from '../../src/train/monitor.js';
import { RunDir } from '../../src/run/run-dir.js';
import { lrFactor } from '../../src/train/schedule.js';

describe('learning-rate schedules', () => {
  it('warm up linearly from 0, then follow cosine or linear decay to 0', () => {
    const spec = { kind: 'cosine' as const, totalSteps: 110, warmupSteps: 10 };
    expect(lrFactor(0, spec)).toBe(0);
    expect(lrFactor(5, spec)).toBe(0.5);
    expect(lrFactor(10, spec)).toBe(1);
    // half-way through the decay: 0.5·(1 + cos(π/2)) = 0.5
    expect(lrFactor(60, spec)).toBeCloseTo(0.5, 12);
    // a quarter: 0.5·(1 + cos(π/4))
    expect(lrFactor(35, spec)).toBeCloseTo(0.5 * (1 + Math.SQRT1_2), 12);
    expect(lrFactor(110, spec)).toBeCloseTo(0, 12);
    expect(lrFactor(500, spec)).toBeCloseTo(0, 12);
    expect(lrFactor(60, { ...spec, kind: 'linear' })).toBeCloseTo(0.5, 12);
    expect(lrFactor(60, { ...spec, kind: 'constant' })).toBe(1);
    expect(lrFactor(3, { kind: 'constant', totalSteps: 10, warmupSteps: 0 })).toBe(1);
  });
});

describe('early stopping', () => {
  it('counts validations without an improvement larger than minDelta', () => {
    const es = new EarlyStopping({ mode: 'min', patience: 2, minDelta: 0.01 });
    expect(es.update(1.0)).toEqual({ improved: true, stop: false });
    expect(es.update(0.995)).toEqual({ improved: false, stop: false }); // not by more than 0.01
    expect(es.update(0.9)).toEqual({ improved: true, stop: false });
    expect(es.update(0.95)).toEqual({ improved: false, stop: false });
    expect(es.update(Number.NaN)).toEqual({ improved: false, stop: true });
    expect(es.best).toBe(0.9);
    const max = new EarlyStopping({ mode: 'max', patience: 1, minDelta: 0 }, { best: 0.5, bad: 0 });
    expect(max.update(0.6).improved).toBe(true);
    expect(max.update(0.6)).toEqual({ improved: false, stop: true });
  });
});

describe('monitor values', () => {
  const report = {
    cccVariant: 'population',
    tasks: { high: { value: 0.6 }, type: { value: 0.4 }, age: { value: 4 } },
    empty: [],
    exvo: { smtl: 0.3 },
    avb: {},
  } as never;
  it('computes the documented quantities', () => {
    expect(monitorValue('val/loss', { report, loss: 1.5, taskLosses: {} })).toBe(1.5);
    expect(monitorValue('score', { report, loss: null, taskLosses: {} })).toBeCloseTo((0.6 + 0.4 + 1 / 4) / 3, 12);
    expect(monitorValue('exvo/smtl', { report, loss: null, taskLosses: {} })).toBe(0.3);
    expect(monitorValue('type', { report, loss: null, taskLosses: {} })).toBe(0.4);
    expect(Number.isNaN(monitorValue('val/loss', { report, loss: null, taskLosses: {} }))).toBe(true);
    expect(checkMonitorName('high')).toBeUndefined();
    expect(checkMonitorName('accuracy')).toMatch(/train.monitor.name 'accuracy' is not one of/);
  });
});

describe('checkpoints and run folders', () => {
  const state: TrainerState = {
    version: 1, stage: 0, epoch: 1, batchInEpoch: 3, stepInStage: 7, globalStep: 7,
    earlyStopping: { best: 0.5, bad: 1 }, best: null, stageBest: [], backboneTrained: false, stageDone: false, finished: false,
  };

  it('writes best and last atomically (hard-linked, no temporary folder left) and reads them back', () => {
    const run = RunDir.create(mkdtempSync(path.join(tmpdir(), 'vbt-ckpt-')), 'r');
    const w = T.tensor([1, 2, 3]);
    writeCheckpoint(run, ['last', 'best'], { heads: new Map([['w', w]]), backbone: null, optimizer: new Uint8Array([9, 8]), state });
    expect(readdirSync(run.checkpoints).sort()).toEqual(['best', 'last']);
    const best = readCheckpoint(run, 'best')!;
    expect(best.state).toEqual(state);
    expect(best.backbone).toBeNull();
    expect([...best.optimizer!]).toEqual([9, 8]);
    expect(T.loadSafetensors(best.heads).tensors.get('w')!.toNumbers()).toEqual([1, 2, 3]);
    // A second write replaces the first.
    writeCheckpoint(run, ['last'], { heads: new Map([['w', T.tensor([4, 5, 6])]]), backbone: null, optimizer: null, state: { ...state, globalStep: 8 } });
    expect(readCheckpoint(run, 'last')!.state.globalStep).toBe(8);
    expect(readCheckpoint(run, 'last')!.optimizer).toBeNull();
    expect(readCheckpoint(run, 'best')!.state.globalStep).toBe(7);
  });

  it('survives a kill between the two renames of a swap', () => {
    const run = RunDir.create(mkdtempSync(path.join(tmpdir(), 'vbt-ckpt-')), 'r');
    writeCheckpoint(run, ['last'], { heads: new Map([['w', T.tensor([1])]]), backbone: null, optimizer: null, state });
    // The state a crash after "rename last → .old-last-x" and before "rename tmp → last" leaves.
    renameSync(path.join(run.checkpoints, 'last'), path.join(run.checkpoints, '.old-last-dead'));
    mkdirSync(path.join(run.checkpoints, '.tmp-123-abc-0'));
    expect(readCheckpoint(run, 'last')!.state.globalStep).toBe(7);
    expect(readCheckpoint(run, 'best')).toBeNull();
  });

  it('never reuses a run folder silently', () => {
    const parent = mkdtempSync(path.join(tmpdir(), 'vbt-runs-'));
    const run = RunDir.create(parent, 'x');
    writeFileSync(run.file('metrics.jsonl'), '{}\n');
    expect(() => RunDir.create(parent, 'x')).toThrow(/already exists/);
    expect(existsSync(run.file('metrics.jsonl'))).toBe(true);
    const again = RunDir.create(parent, 'x', { overwrite: true });
    expect(existsSync(again.file('metrics.jsonl'))).toBe(false);
    expect(() => RunDir.create(parent, '../escape')).toThrow(/plain folder name/);
    expect(() => RunDir.open(parent)).toThrow(/not a vbt run folder/);
  });
});

describe('config resolution', () => {
  it('layers recipe, file and overrides, and names the field of every mistake', () => {
    const c = resolveConfig({ recipe: 'avb-mtl', overrides: [['train.stages.1.lr', 1e-5], ['data.batchSize', 24]] });
    expect(c.train.stages[1]!.lr).toBe(1e-5);
    expect(c.train.stages[0]!.lr).toBe(1e-3);
    expect(c.data.batchSize).toBe(24);
    expect(c.model.kind).toBe('avb-mtl');
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'vbt-cfg-')), 'c.json');
    writeFileSync(file, JSON.stringify({ recipe: 'demo', train: { seed: 7, monitor: { name: 'val/loss', mode: 'min' } } }));
    const d = resolveConfig({ file });
    expect(d.recipe).toBe('demo');
    expect(d.train.seed).toBe(7);
    expect(d.train.stages.length).toBe(2);
    expect(() => resolveConfig({ overrides: [['train.stages.0.lr', 'fast']] })).toThrow(/train.stages.0.lr: Invalid input: expected number/);
    expect(() => resolveConfig({ overrides: [['model.intermediate', '9/9']] })).toThrow(/model.intermediate: Invalid option/);
    expect(() => resolveConfig({ overrides: [['train.stages.5.lr', 1]] })).toThrow(/'5' is not an index of train.stages/);
    expect(() => resolveConfig({ overrides: [['data.bogus', 1]] })).toThrow(/data\.bogus: not a config field/);
    writeFileSync(file, '{not json');
    expect(() => resolveConfig({ file })).toThrow(/is not valid JSON/);
    expect(() => resolveConfig({ recipe: 'nope' })).toThrow(/unknown recipe 'nope' \(known: /);
  });
});

describe('loss window', () => {
  it('averages device-side sums only when read, and reuses its tensors', async () => {
    const { LossWindow } = await import('../../src/train/loss-window.js');
    const before = T.liveTensors();
    const w = new LossWindow();
    w.add(T.scalar(2), { high: T.scalar(1), type: T.scalar(4) }, 8, 10);
    // It owns one running sum per name (loss, high, type) and nothing else.
    expect(T.liveTensors()).toBe(before + 3);
    w.add(T.scalar(4), { high: T.scalar(3) }, 8, 10, { adversarial: T.scalar(0.5) });
    const live = T.liveTensors();
    expect(live).toBe(before + 4);
    // One read back from the device for the whole log line, whatever the number of losses.
    const reads = { item: 0, toArray: 0 };
    const { item, toArray } = T.Tensor.prototype;
    T.Tensor.prototype.item = function (this: T.Tensor) {
      reads.item++;
      return item.call(this);
    };
    T.Tensor.prototype.toArray = function (this: T.Tensor) {
      reads.toArray++;
      return toArray.call(this);
    } as typeof toArray;
    let s;
    try {
      s = w.read();
    } finally {
      T.Tensor.prototype.item = item;
      T.Tensor.prototype.toArray = toArray;
    }
    expect(reads).toEqual({ item: 0, toArray: 1 });
    expect(s.extra).toEqual({ adversarial: 0.5 });
    expect(s.loss).toBe(3);
    expect(s.taskLosses).toEqual({ high: 2, type: 4 });
    expect(s.batches).toBe(2);
    expect(w.empty).toBe(true);
    w.add(T.scalar(1), { high: T.scalar(1) }, 8, 10);
    expect(T.liveTensors()).toBe(live);
    expect(w.read()).toMatchObject({ loss: 1, taskLosses: { high: 1 } });
    w.dispose();
    expect(T.liveTensors()).toBe(before);
  });
});
