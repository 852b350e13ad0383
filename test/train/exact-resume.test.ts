/**
 * Exact resume after a kill: a run whose backbone trains with dropout on is
 * killed (SIGKILL, nothing written after) during its fine-tuning stage,
 * resumed from checkpoints/last in a new process, and must end with the
 * same weights, bit for bit, as the same run left uninterrupted. Dropout
 * draws from LibTorch's random generator, so this holds only if the
 * checkpoint carries the generator's state. Every run is a process of its
 * own (test/train/fixtures/resume-trainer.ts).
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunConfigInput } from '../../src/config/schema.js';
import { type CheckpointKind, RANDOM_STATE_FILE, readCheckpoint } from '../../src/run/checkpoint.js';
import { RunDir } from '../../src/run/run-dir.js';
import type { TrainerState } from '../../src/run/trainer-state.js';
import { writeSyntheticCorpus } from '../../src/synth/index.js';
import * as T from '../../src/torch/index.js';
import { finished, jsonLines, startTs } from '../distributed/spawn.js';
import { tinyBackbone } from '../fixtures/backbones.js';

const FIXTURE = path.join(import.meta.dirname, 'fixtures', 'resume-trainer.ts');
const root = mkdtempSync(path.join(tmpdir(), 'vbt-exact-resume-'));
const corpusDir = path.join(root, 'corpus');
const runsDir = path.join(root, 'runs');
let backbone: string;

beforeAll(async () => {
  // The tiny data2vec with its default dropout (0.1 in every dropout layer).
  backbone = await tinyBackbone('data2vec');
  writeSyntheticCorpus({ dir: corpusDir, layout: 'avb', seed: 5, clips: 160 });
}, 300_000);

function config(name: string): RunConfigInput {
  return {
    recipe: 'demo',
    data: { corpus: { kind: 'synthetic', layout: 'avb', clips: 160, seed: 5, dir: corpusDir }, batchSize: 16, numWorkers: 0, cacheDir: path.join(root, 'cache') },
    backbone: { path: backbone },
    // Dropout in the heads too.
    model: { kind: 'avb-mtl', tasks: ['high', 'two', 'type', 'country'], headHidden: 32, headDropout: 0.2 },
    train: {
      device: 'cpu',
      precision: 'fp32',
      threads: 1,
      seed: 11,
      progress: 'none',
      stages: [
        { name: 'heads', freeze: 'all', lr: 3e-3, epochs: 2, patience: 10, cacheFeatures: true },
        { name: 'finetune', freeze: 'none', lr: 2e-3, epochs: 2, patience: 10, validateEvery: 3, schedule: 'cosine', warmupEpochs: 0.5 },
      ],
      monitor: { name: 'score', mode: 'max' },
      logEvery: 5,
    },
    output: { dir: runsDir, name },
  };
}

interface Spec {
  config?: RunConfigInput;
  resume?: string;
  holdAt?: { stage: number; stepInStage: number };
}

interface Done {
  status: string;
  globalStep: number;
  runDir: string;
  steps: number[];
}

function start(name: string, spec: Spec) {
  const file = path.join(root, `${name}.json`);
  writeFileSync(file, JSON.stringify(spec));
  return startTs(FIXTURE, [file]);
}

function outcome(name: string, run: Awaited<ReturnType<typeof finished>>): Done {
  expect(run.code, `${name} failed:\n${run.stderr}`).toBe(0);
  return jsonLines<Done>(run.stdout).at(-1)!;
}

/** Every weight of a checkpoint as raw bytes: heads.safetensors and the backbone's parameters. */
function weights(runDir: string, kind: CheckpointKind): { state: TrainerState; bytes: Map<string, Buffer> } {
  const ckpt = readCheckpoint(RunDir.open(runDir), kind)!;
  const bytes = new Map<string, Buffer>();
  const raw = (t: T.Tensor) => {
    const a = t.toArray();
    return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  };
  const heads = T.loadSafetensors(ckpt.heads).tensors;
  for (const [k, t] of heads) bytes.set(`head.${k}`, raw(t));
  for (const t of heads.values()) t.dispose();
  expect(ckpt.backbone, `${kind} of ${runDir} has a fine-tuned backbone`).not.toBeNull();
  const bb = T.ScriptModule.load(ckpt.backbone!);
  for (const [k, t] of bb.namedParameters()) bytes.set(`backbone.${k}`, raw(t));
  bb.dispose();
  return { state: ckpt.state, bytes };
}

function expectSameWeights(a: ReturnType<typeof weights>, b: ReturnType<typeof weights>, what: string): void {
  expect([...b.bytes.keys()], what).toEqual([...a.bytes.keys()]);
  const differing = [...a.bytes].filter(([k, v]) => !v.equals(b.bytes.get(k)!)).map(([k]) => k);
  expect(differing, `${what}: tensors that differ from the uninterrupted run`).toEqual([]);
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const t0 = performance.now();
  for (;;) {
    const found = probe();
    if (found !== undefined) return found;
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('resume after a kill', () => {
  it('a run killed while fine-tuning the backbone (dropout on) and resumed ends bit for bit where an uninterrupted run ends', async () => {
    // Both first runs at once: each takes one core (threads: 1).
    const straightRun = finished(start('straight', { config: config('straight') }), 120_000);
    // Stage 2 validates, and writes `last`, every 3 steps: the run is held after step 5 so that steps 4 and 5 are lost.
    const killedChild = start('killed', { config: config('killed'), holdAt: { stage: 1, stepInStage: 5 } });
    let holding = false;
    killedChild.stdout!.on('data', (d: Buffer) => (holding ||= d.toString().includes('"holding"')));
    const killedRun = finished(killedChild, 120_000);

    // Wait for a checkpoint written during stage 2 (not the one at its start), then kill without warning.
    const last = path.join(runsDir, 'killed', 'checkpoints', 'last', 'trainer.json');
    const saved = await until(
      'a checkpoint inside stage 2',
      () => {
        if (!existsSync(last)) return undefined;
        try {
          const state = JSON.parse(readFileSync(last, 'utf8')) as TrainerState;
          return state.stage === 1 && state.stepInStage > 0 ? state : undefined;
        } catch {
          return undefined; // being swapped in
        }
      },
      90_000,
    );
    await until('the run to pass its step 5 of stage 2', () => (holding ? true : undefined), 60_000);
    killedChild.kill('SIGKILL');
    const killed = await killedRun;
    expect(killed.signal).toBe('SIGKILL');
    const killedDir = path.join(runsDir, 'killed');
    const kept = readCheckpoint(RunDir.open(killedDir), 'last')!;
    expect(kept.state).toMatchObject({ stage: 1, stepInStage: 3, globalStep: saved.globalStep, finished: false });
    expect(existsSync(path.join(kept.dir, RANDOM_STATE_FILE))).toBe(true);

    const resumed = outcome('resumed', await finished(start('resumed', { resume: killedDir }), 120_000));
    const straight = outcome('straight', await straightRun);
    expect(resumed.status).toBe('completed');
    expect(straight.status).toBe('completed');
    expect(resumed.steps[0]).toBe(kept.state.globalStep + 1);
    expect(resumed.globalStep).toBe(straight.globalStep);

    for (const kind of ['last', 'best'] as const) {
      const a = weights(straight.runDir, kind);
      const b = weights(resumed.runDir, kind);
      expectSameWeights(a, b, `checkpoints/${kind}`);
      expect(b.state, kind).toEqual(a.state);
    }
  }, 240_000);
});
