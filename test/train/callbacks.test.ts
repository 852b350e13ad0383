/**
 * Trainer events: awaited one after another, in order; StepInfo.loss is
 * filled on logging steps; a rejecting async callback fails fit() instead
 * of escaping as an unhandled rejection.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunConfigInput } from '../../src/config/schema.js';
import type { StepInfo } from '../../src/train/callbacks.js';
import { Trainer } from '../../src/train/trainer.js';
import { tinyBackbone } from '../fixtures/backbones.js';

const root = mkdtempSync(path.join(tmpdir(), 'vbt-callbacks-'));
let backbone: string;

beforeAll(async () => {
  backbone = await tinyBackbone('data2vec');
}, 300_000);

function config(name: string): RunConfigInput {
  return {
    recipe: 'demo',
    data: { corpus: { kind: 'synthetic', layout: 'avb', clips: 120, seed: 5, dir: path.join(root, 'corpus') }, batchSize: 16, numWorkers: 0, cacheDir: path.join(root, 'cache') },
    backbone: { path: backbone },
    model: { kind: 'avb-mtl', tasks: ['high', 'type'], headHidden: 16 },
    train: {
      device: 'cpu',
      precision: 'fp32',
      progress: 'none',
      // 120 clips, about 84 in Train: 6 batches of 16 per epoch; logs every 4 steps and at each epoch's end.
      stages: [{ name: 'heads', freeze: 'all', lr: 1e-3, epochs: 2, patience: 5 }],
      monitor: { name: 'val/loss', mode: 'min' },
      logEvery: 4,
    },
    output: { dir: path.join(root, 'runs'), name },
  };
}

describe('Trainer callbacks', () => {
  it('fills StepInfo.loss (and the log record) on logging steps only', async () => {
    const steps: { stepInStage: number; info: StepInfo }[] = [];
    const trainer = await Trainer.create({
      config: config('loss'),
      callbacks: [{ onStepEnd: (ctx, info) => void steps.push({ stepInStage: ctx.stepInStage, info }) }],
    });
    try {
      await trainer.fit();
    } finally {
      await trainer.close();
    }
    const perEpoch = steps.length / 2;
    expect(Number.isInteger(perEpoch)).toBe(true);
    for (const { stepInStage, info } of steps) {
      const logging = stepInStage % 4 === 0 || stepInStage % perEpoch === 0;
      if (logging) {
        expect(info.loss, `step ${stepInStage}`).toBeTypeOf('number');
        expect(Number.isFinite(info.loss)).toBe(true);
        expect(info.record?.loss).toBe(info.loss);
        expect(info.record?.step).toBe(stepInStage);
      } else {
        expect(info.loss, `step ${stepInStage}`).toBeNull();
        expect(info.record).toBeNull();
      }
    }
    expect(steps.filter((s) => s.info.loss !== null).length).toBeGreaterThanOrEqual(3);
  }, 120_000);

  it('awaits each async callback before the next event, in the order given', async () => {
    const events: string[] = [];
    const slow = (name: string) => async () => {
      events.push(`${name}:start`);
      await new Promise((resolve) => setTimeout(resolve, 20));
      events.push(`${name}:end`);
    };
    const trainer = await Trainer.create({
      config: config('order'),
      callbacks: [
        { onCheckpoint: slow('a.checkpoint'), onValidation: slow('a.validation') },
        { onCheckpoint: slow('b.checkpoint'), onEpochEnd: slow('b.epoch') },
      ],
    });
    try {
      await trainer.fit();
    } finally {
      await trainer.close();
    }
    // Every start is directly followed by its own end: no event began while another was running.
    for (let i = 0; i < events.length; i += 2) {
      expect(events[i + 1], events.join(' ')).toBe(events[i]!.replace(':start', ':end'));
    }
    // One epoch: validation, then its checkpoint (a before b), then the epoch's end.
    expect(events.slice(0, 8)).toEqual([
      'a.validation:start',
      'a.validation:end',
      'a.checkpoint:start',
      'a.checkpoint:end',
      'b.checkpoint:start',
      'b.checkpoint:end',
      'b.epoch:start',
      'b.epoch:end',
    ]);
  }, 120_000);

  it('a rejecting async onCheckpoint fails fit() with its error', async () => {
    const trainer = await Trainer.create({
      config: config('reject'),
      callbacks: [
        {
          onCheckpoint: async () => {
            await new Promise((resolve) => setTimeout(resolve, 5));
            throw new Error('upload of the checkpoint failed');
          },
        },
      ],
    });
    try {
      await expect(trainer.fit()).rejects.toThrow('upload of the checkpoint failed');
    } finally {
      await trainer.close();
    }
  }, 120_000);
});
