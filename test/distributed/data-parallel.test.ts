/**
 * Data-parallel training with the real Trainer: 2 CPU processes over Gloo on
 * loopback against one process doing the same work.
 *
 * - after k steps both ranks hold identical parameters, equal (within float
 *   tolerance) to one process that accumulates the gradients of the same
 *   2 batches per step (the same global batch);
 * - validation sharded over the ranks equals the one-pass validation on the
 *   same model (CCC, UAR, loss), and rank 0 logs it;
 * - only rank 0 writes the run folder;
 * - a checkpoint written by 2 processes resumes in 1, at the same place in the epoch;
 * - with dropout on, 2 processes stopped and resumed end bit for bit where an
 *   uninterrupted 2-process run ends (each rank's random state is saved).
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunConfigInput } from '../../src/config/schema.js';
import { freePort } from '../../src/distributed/index.js';
import type { EvaluationResult } from '../../src/run/evaluation.js';
import { writeSyntheticCorpus } from '../../src/synth/index.js';
import { loadSafetensors } from '../../src/torch/index.js';
import { readCheckpoint } from '../../src/run/checkpoint.js';
import { readMetricsLog } from '../../src/run/metrics-log.js';
import { RunDir } from '../../src/run/run-dir.js';
import { tinyBackbone } from '../fixtures/backbones.js';
import { FIXTURES, type Finished, jsonLines, runTs } from './spawn.js';

const root = mkdtempSync(path.join(tmpdir(), 'vbt-dp-'));
const corpusDir = path.join(root, 'corpus');
const script = path.join(FIXTURES, 'dp-trainer.ts');
let backbone: string;
let backboneWithDropout: string;

interface Output {
  rank: number;
  status: string;
  globalStep: number;
  runDir: string;
  steps: { step: number; epoch: number; batchInEpoch: number }[];
  evaluation?: { sharded: EvaluationResult; single: EvaluationResult | null; valBatches: number };
}

beforeAll(async () => {
  // No dropout anywhere: then the runs differ only by where the gradients are summed.
  backbone = await tinyBackbone('data2vec', { hiddenDropout: 0, attentionDropout: 0, activationDropout: 0, featProjDropout: 0, layerdrop: 0 });
  backboneWithDropout = await tinyBackbone('data2vec'); // 0.1 in every dropout layer
  // Written once here, so no rank generates it (rank 0 would anyway, before the others read it).
  writeSyntheticCorpus({ dir: corpusDir, layout: 'avb', seed: 5, clips: 96 });
}, 300_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

function config(name: string, stage: Record<string, unknown>, backbonePath = backbone): RunConfigInput {
  return {
    recipe: 'demo',
    data: { corpus: { kind: 'synthetic', layout: 'avb', clips: 96, seed: 5, dir: corpusDir }, batchSize: 4, evalBatchSize: 5, numWorkers: 0, cacheDir: path.join(root, 'cache') },
    backbone: { path: backbonePath },
    model: { kind: 'avb-mtl', tasks: ['high', 'two', 'type', 'country'], headHidden: 32 },
    train: {
      device: 'cpu',
      precision: 'fp32',
      progress: 'none',
      threads: 1,
      seed: 1,
      stages: [{ name: 'finetune', freeze: 'none', lr: 1e-3, patience: 5, ...stage }] as never,
      monitor: { name: 'score', mode: 'max' },
      logEvery: 1,
    },
    output: { dir: path.join(root, 'runs'), name },
  };
}

function spec(name: string, value: Record<string, unknown>): string {
  const file = path.join(root, `${name}.json`);
  writeFileSync(file, JSON.stringify({ out: path.join(root, name), ...value }));
  return file;
}

/** Run the fixture as `worldSize` ranks of one data-parallel run. */
async function runRanks(specFile: string, worldSize: number): Promise<Output[]> {
  const port = await freePort();
  const runs: Finished[] = await Promise.all(
    Array.from({ length: worldSize }, (_, r) =>
      runTs(script, [specFile], { RANK: String(r), WORLD_SIZE: String(worldSize), MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port) }, 120_000),
    ),
  );
  const outputs = runs.flatMap((r) => jsonLines<Output>(r.stdout));
  expect(outputs, runs.map((r) => r.stderr).join('\n')).toHaveLength(worldSize);
  return outputs.sort((a, b) => a.rank - b.rank);
}

async function runSingle(specFile: string): Promise<Output> {
  const run = await runTs(script, [specFile], {}, 120_000);
  const [out] = jsonLines<Output>(run.stdout);
  expect(out, run.stderr).toBeDefined();
  return out!;
}

function parameters(file: string): Map<string, Float32Array> {
  const { tensors } = loadSafetensors(file);
  const out = new Map<string, Float32Array>();
  for (const [name, t] of tensors) {
    out.set(name, t.toArray() as Float32Array);
    t.dispose();
  }
  return out;
}

function maxDifference(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
  let worst = 0;
  for (const [name, x] of a) {
    const y = b.get(name)!;
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
  }
  return worst;
}

describe('data-parallel training over Gloo (2 CPU processes on loopback)', () => {
  const k = 3;

  it('after k steps both ranks hold identical parameters, equal to one process accumulating the same global batch; validation merges exactly', async () => {
    const dpSpec = spec('dp', { config: config('dp', { epochs: 1, maxSteps: k, validateEvery: k }), compareEvaluation: true });
    const singleSpec = spec('single', { config: config('single', { epochs: 1, maxSteps: k, validateEvery: k, accumulate: 2 }) });
    const [[r0, r1], single] = await Promise.all([runRanks(dpSpec, 2), runSingle(singleSpec)]);

    for (const out of [r0!, r1!, single]) expect(out.status).toBe('completed');
    expect(r0!.globalStep).toBe(k);
    expect(single.globalStep).toBe(k);
    // Two ranks consume 2 batches of the plan per step, as one process with accumulate 2.
    expect(r0!.steps.map((s) => s.batchInEpoch)).toEqual([2, 4, 6]);
    expect(single.steps.map((s) => s.batchInEpoch)).toEqual([2, 4, 6]);

    const start0 = parameters(path.join(root, 'dp-rank0-start.safetensors'));
    const start1 = parameters(path.join(root, 'dp-rank1-start.safetensors'));
    expect(maxDifference(start0, start1)).toBe(0); // rank 0's weights were broadcast
    const end0 = parameters(path.join(root, 'dp-rank0-end.safetensors'));
    const end1 = parameters(path.join(root, 'dp-rank1-end.safetensors'));
    expect(maxDifference(end0, end1)).toBe(0); // same averaged gradients, same updates
    expect(maxDifference(start0, end0)).toBeGreaterThan(1e-4); // and training did move them
    const endSingle = parameters(path.join(root, 'single-rank0-end.safetensors'));
    const vsSingle = maxDifference(end0, endSingle);
    console.log(`largest parameter difference, 2 ranks vs 1 process with accumulate 2, after ${k} steps: ${vsSingle.toExponential(2)}`);
    expect(vsSingle).toBeLessThan(2e-5);

    // Sharded validation equals one pass over the whole split, on the same model.
    const { sharded, single: onePass, valBatches } = r0!.evaluation!;
    expect(valBatches).toBeGreaterThan(2);
    expect(onePass).not.toBeNull();
    for (const [task, rep] of Object.entries(onePass!.report.tasks)) {
      expect(sharded.report.tasks[task as 'high']!.value, task).toBeCloseTo(rep!.value, 10);
    }
    expect(sharded.report.tasks.high!.value).not.toBe(0);
    expect(sharded.loss!).toBeCloseTo(onePass!.loss!, 10);
    expect(r1!.evaluation!.sharded.report.tasks.two!.value).toBe(sharded.report.tasks.two!.value); // the same on every rank

    // Rank 0 logged the validation of step k; the single-process run's is the same within float tolerance.
    const val = (dir: string) => readMetricsLog(path.join(dir, 'metrics.jsonl')).filter((r) => r.kind === 'val');
    const [dpVal] = val(r0!.runDir);
    const [singleVal] = val(single.runDir);
    expect(dpVal!.step).toBe(k);
    expect(dpVal!.metrics!.tasks.two!.value).toBeCloseTo(singleVal!.metrics!.tasks.two!.value, 4);
    expect(dpVal!.loss!).toBeCloseTo(singleVal!.loss!, 4);

    // Only rank 0 wrote: one run folder, and rank 1 reports rank 0's.
    expect(r1!.runDir).toBe(r0!.runDir);
    expect(readdirSync(path.join(root, 'runs')).sort()).toEqual(['dp', 'single']);
    expect(existsSync(path.join(r0!.runDir, 'checkpoints', 'last', 'trainer.json'))).toBe(true);
    expect(readMetricsLog(path.join(r0!.runDir, 'metrics.jsonl')).filter((r) => r.kind === 'train')).toHaveLength(k); // one writer
  }, 180_000);

  it('a checkpoint of 2 processes resumes in 1 at the same place in the epoch, with the same weights', async () => {
    const stopAt = 2;
    const twoSpec = spec('two', { config: config('two', { epochs: 2, validateEvery: 'epoch' }), stopAtStep: stopAt });
    const [r0, r1] = await runRanks(twoSpec, 2);
    expect(r0!.status).toBe('stopped');
    expect(r1!.status).toBe('stopped');
    const last = readCheckpoint(RunDir.open(r0!.runDir), 'last')!;
    expect(last.state.globalStep).toBe(stopAt);
    expect(last.state.batchInEpoch).toBe(2 * stopAt); // positions count batches of the whole plan
    expect(last.optimizer).not.toBeNull();

    const one = await runSingle(spec('one', { resume: r0!.runDir }));
    expect(one.status).toBe('completed');
    // The resumed weights are the 2-process run's.
    expect(maxDifference(parameters(path.join(root, 'two-rank0-end.safetensors')), parameters(path.join(root, 'one-rank0-start.safetensors')))).toBe(0);
    // One process goes on with the next batch of the same epoch, one batch per step, to the end of the epoch.
    const epoch0 = one.steps.filter((s) => s.epoch === 0);
    expect(epoch0[0]).toEqual({ step: stopAt + 1, epoch: 0, batchInEpoch: 2 * stopAt + 1 });
    epoch0.forEach((s, i) => expect(s.batchInEpoch).toBe(2 * stopAt + 1 + i));
    expect(epoch0.length).toBeGreaterThanOrEqual(2);
    const epoch1 = one.steps.filter((s) => s.epoch === 1);
    expect(epoch1[0]!.batchInEpoch).toBe(1);
    // A whole epoch has as many batches as the rest of epoch 0 plus the 4 consumed before the stop.
    expect(epoch1.length).toBe(epoch0.length + 2 * stopAt);
  }, 180_000);

  it('with dropout, 2 processes stopped at step 2 and resumed in 2 end bit for bit as an uninterrupted 2-process run', async () => {
    // The ranks draw dropout masks for batches of different shapes, so their
    // generators part ways: each rank must get its own state back (with rank
    // 0's on both, the resumed run ended 4e-3 away).
    const stage = { epochs: 1, validateEvery: 'epoch' };
    const [whole0] = await runRanks(spec('whole', { config: config('whole', stage, backboneWithDropout) }), 2);
    const [cut0] = await runRanks(spec('cut', { config: config('cut', stage, backboneWithDropout), stopAtStep: 2 }), 2);
    expect(cut0!.status).toBe('stopped');
    const last = readCheckpoint(RunDir.open(cut0!.runDir), 'last')!;
    expect(readdirSync(last.dir).filter((f) => f.startsWith('random-state')).sort()).toEqual(['random-state.bin', 'random-state.rank1.bin']);
    expect(last.randomStates[0]).not.toEqual(last.randomStates[1]);
    const [resumed0, resumed1] = await runRanks(spec('resumed', { resume: cut0!.runDir }), 2);
    expect(resumed0!.status).toBe('completed');
    expect(resumed0!.steps[0]!.step).toBe(3);
    expect(resumed0!.globalStep).toBe(whole0!.globalStep);
    expect(resumed1!.globalStep).toBe(whole0!.globalStep);
    const whole = parameters(path.join(root, 'whole-rank0-end.safetensors'));
    expect(maxDifference(whole, parameters(path.join(root, 'resumed-rank0-end.safetensors')))).toBe(0);
    expect(maxDifference(whole, parameters(path.join(root, 'resumed-rank1-end.safetensors')))).toBe(0);
  }, 240_000);
});
