/**
 * No failure leaves a process hanging: whatever goes wrong while a Trainer
 * is created or while it fits (a missing or damaged file, a corpus it cannot
 * use, a callback that throws at any event), the process reports the error
 * and exits, non-zero, at once, with nothing (the batch loader's worker
 * threads above all) keeping it alive. Each case runs in its own child
 * process with a worker-thread loader (data.numWorkers 1), so a leak shows
 * as a process that does not end.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunConfigInput } from '../../src/config/schema.js';
import { writeSyntheticCorpus } from '../../src/synth/index.js';
import { loadSafetensors, saveSafetensors, type Tensor, zeros } from '../../src/torch/index.js';
import type { TrainerCallbacks } from '../../src/train/callbacks.js';
import { Trainer } from '../../src/train/trainer.js';
import { tinyBackbone } from '../fixtures/backbones.js';

const REPO = path.resolve(import.meta.dirname, '..', '..');
const FIXTURE = path.join(import.meta.dirname, 'fixtures', 'trainer-failure.ts');
const CLI = path.join(REPO, 'test', 'fixtures', 'cli-entry.ts');
/** Longest a child may take in all; one that is still running then is killed and counts as hung. */
const HANG_MS = 30_000;
/** Longest a child may stay alive after printing its error. */
const EXIT_AFTER_ERROR_S = 5;

const root = mkdtempSync(path.join(tmpdir(), 'vbt-failures-'));
const corpusDir = path.join(root, 'corpus');
const noValCorpusDir = path.join(root, 'corpus-no-val');
let backbone: string;
/** A run stopped after its first step: checkpoints/last holds heads, backbone, optimizer and trainer state. */
let trainedRun: string;

function config(name: string, overrides: { corpusDir?: string; backbonePath?: string; headHidden?: number } = {}): RunConfigInput {
  return {
    recipe: 'demo',
    data: {
      corpus: { kind: 'synthetic', layout: 'avb', clips: 48, seed: 4, dir: overrides.corpusDir ?? corpusDir },
      batchSize: 8,
      numWorkers: 1,
      cacheDir: path.join(root, 'cache'),
    },
    backbone: { path: overrides.backbonePath ?? backbone },
    model: { kind: 'avb-mtl', tasks: ['high', 'two', 'type', 'country'], headHidden: overrides.headHidden ?? 16 },
    train: {
      device: 'cpu',
      precision: 'fp32',
      progress: 'none',
      threads: 1,
      // Two steps, then the epoch's validation and checkpoints, the final evaluation and the report: every event fires.
      stages: [{ name: 'finetune', freeze: 'none', lr: 1e-3, epochs: 1, maxSteps: 2, patience: 5 }],
      monitor: { name: 'score', mode: 'max' },
      logEvery: 1,
    },
    output: { dir: path.join(root, 'runs'), name },
  };
}

beforeAll(async () => {
  backbone = await tinyBackbone('data2vec');
  writeSyntheticCorpus({ dir: corpusDir, layout: 'avb', seed: 4, clips: 48 });
  // The same corpus with its Val clips moved to Test.
  cpSync(corpusDir, noValCorpusDir, { recursive: true });
  for (const table of ['data_info.csv', ...readdirSync(path.join(noValCorpusDir, 'labels')).map((f) => path.join('labels', f))]) {
    const file = path.join(noValCorpusDir, table);
    if (file.endsWith('.csv')) writeFileSync(file, readFileSync(file, 'utf8').replaceAll(',Val,', ',Test,'));
  }
  const base = config('trained');
  const trainer = await Trainer.create({
    config: { ...base, train: { ...base.train, stages: [{ name: 'finetune', freeze: 'none', lr: 1e-3, epochs: 3, patience: 5 }] } },
    callbacks: [{ onStepEnd: (ctx) => (ctx.globalStep >= 1 ? false : undefined) }],
  });
  try {
    const result = await trainer.fit();
    expect(result.status).toBe('stopped');
    trainedRun = result.runDir;
  } finally {
    await trainer.close();
  }
}, 300_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

let copies = 0;
/** A copy of the trained run to damage. */
function copyRun(): string {
  const dir = path.join(root, 'copies', `run-${copies++}`);
  cpSync(trainedRun, dir, { recursive: true });
  return dir;
}

function lastFile(run: string, name: string): string {
  return path.join(run, 'checkpoints', 'last', name);
}

/** Heads of the right names but other shapes, as a model of another config would have. */
function writeMisshapenHeads(file: string): void {
  const { tensors } = loadSafetensors(file);
  const other = new Map<string, Tensor>();
  for (const [name, t] of tensors) {
    const shape = t.shape.length === 0 ? [2] : [...t.shape.slice(0, -1), t.shape.at(-1)! + 3];
    other.set(name, zeros(shape));
    t.dispose();
  }
  saveSafetensors(file, other);
  for (const t of other.values()) t.dispose();
}

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Seconds from the start to the exit. */
  seconds: number;
  /** Seconds from the start to the first line matching the error pattern. */
  errorAt: number | undefined;
  /** Killed after HANG_MS. */
  hung: boolean;
}

/** At most two children at a time: each loads LibTorch and trains. */
const queue: (() => void)[] = [];
let running = 0;
async function slot<T>(run: () => Promise<T>): Promise<T> {
  if (running >= 2) await new Promise<void>((resolve) => queue.push(resolve));
  running++;
  try {
    return await run();
  } finally {
    running--;
    queue.shift()?.();
  }
}

/** Run `node --import tsx <entry> ...args` and watch for the line of `errorLine`. */
function runChild(entry: string, args: readonly string[], errorLine: RegExp): Promise<Outcome> {
  return slot(
    () =>
      new Promise<Outcome>((resolve) => {
        const t0 = performance.now();
        const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', entry, ...args], {
          cwd: REPO,
          env: { ...process.env, FORCE_COLOR: '0' },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        let errorAt: number | undefined;
        let hung = false;
        child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr!.on('data', (d: Buffer) => {
          stderr += d.toString();
          if (errorAt === undefined && errorLine.test(stderr)) errorAt = (performance.now() - t0) / 1000;
        });
        const timer = setTimeout(() => {
          hung = true;
          child.kill('SIGKILL');
        }, HANG_MS);
        child.on('close', (code, signal) => {
          clearTimeout(timer);
          resolve({ code, signal, stdout, stderr, seconds: (performance.now() - t0) / 1000, errorAt, hung });
        });
      }),
  );
}

/** Run the fixture on `spec` (a new run's config, or a run folder to resume, and the event to fail at). */
function runFixture(name: string, spec: { config?: RunConfigInput; resume?: string; failAt?: keyof TrainerCallbacks }): Promise<Outcome> {
  const file = path.join(root, `${name}.json`);
  writeFileSync(file, JSON.stringify(spec));
  return runChild(FIXTURE, [file], /^failed: /m);
}

/** The child failed with `message`, printed its error once, and exited promptly after it. */
function expectPromptFailure(label: string, o: Outcome, message: RegExp): void {
  const context = `${label}:\n${o.stderr}`;
  expect(o.hung, `${label} was still running after ${HANG_MS / 1000} s: ${context}`).toBe(false);
  // Exit code 13 without the error: the process ran out of work while still awaiting a promise (e.g. a close() that never settled).
  expect(o.errorAt, `${label} exited (code ${o.code}) without reporting its error: ${context}`).toBeDefined();
  const lingered = o.seconds - o.errorAt!;
  const errors = o.stderr.split('\n').filter((l) => /^(failed|vbt): /.test(l));
  console.log(`${label}: error after ${o.errorAt!.toFixed(1)} s, exit ${lingered.toFixed(2)} s later (code ${o.code}): ${errors[0]}`);
  expect(o.code, context).toBe(1);
  expect(lingered, context).toBeLessThan(EXIT_AFTER_ERROR_S);
  expect(o.stderr, context).not.toMatch(/still alive/);
  expect(errors, context).toHaveLength(1);
  expect(errors[0], context).toMatch(message);
  // One line, not a stack trace.
  expect(o.stderr, context).not.toMatch(/^\s+at /m);
}

describe('vbt train --resume with a damaged checkpoints/last/heads.safetensors', () => {
  const cases: [string, (file: string) => void, RegExp][] = [
    ['truncated', (file) => truncateSync(file, Math.floor(statSync(file).size / 2)), /heads\.safetensors/],
    ['garbage', (file) => writeFileSync(file, Buffer.from('this is not a safetensors file, nor anything else'.repeat(20))), /heads\.safetensors/],
    ['of other shapes (another model config)', writeMisshapenHeads, /heads\.safetensors does not fit this run's model/],
  ];
  for (const [kind, damage, message] of cases) {
    it(`${kind}: exits non-zero within ${EXIT_AFTER_ERROR_S} s of the error, with one line naming the file`, async () => {
      const run = copyRun();
      const heads = lastFile(run, 'heads.safetensors');
      damage(heads);
      const o = await runChild(CLI, ['train', '--resume', run, '--progress', 'none'], /^vbt: /m);
      expectPromptFailure(`vbt train --resume, heads ${kind}`, o, message);
      expect(o.stderr).toContain(heads);
      expect(o.seconds).toBeLessThan(HANG_MS / 1000);
      // Nothing but the error on stderr.
      expect(o.stderr.trim().split('\n'), o.stderr).toHaveLength(1);
    }, 60_000);
  }
});

describe.concurrent('a failure at any point of Trainer.create or fit ends the process at once', () => {
  // Events in the order they first fire; each throws in its own run.
  const hooks: (keyof TrainerCallbacks)[] = [
    'onTrainStart',
    'onStageStart',
    'onEpochStart',
    'onStepStart',
    'onStepEnd',
    'onValidation',
    'onCheckpoint',
    'onEpochEnd',
    'onStageEnd',
    'onTrainEnd',
  ];
  for (const hook of hooks) {
    it(`a callback throwing in ${hook}`, async () => {
      const o = await runFixture(`hook-${hook}`, { config: config(`hook-${hook}`), failAt: hook });
      expectPromptFailure(hook, o, new RegExp(`injected failure in ${hook}`));
    }, 60_000);
  }

  it('control: without a failure the same run completes and exits', async () => {
    const o = await runFixture('control', { config: config('control') });
    expect(o.hung, o.stderr).toBe(false);
    expect(o.code, o.stderr).toBe(0);
    expect(JSON.parse(o.stdout.trim().split('\n').at(-1)!)).toEqual({ status: 'completed', globalStep: 2 });
  }, 60_000);

  it('a missing backbone file', async () => {
    const missing = path.join(root, 'no-such-backbone.pt');
    const o = await runFixture('no-backbone', { config: config('no-backbone', { backbonePath: missing }) });
    expectPromptFailure('missing backbone', o, /no-such-backbone\.pt/);
  }, 60_000);

  it('a corpus without Val clips', async () => {
    const o = await runFixture('no-val', { config: config('no-val', { corpusDir: noValCorpusDir }) });
    expectPromptFailure('no Val clips', o, /has no Val clips/);
  }, 60_000);

  it('a corrupt config.json on resume', async () => {
    const run = copyRun();
    writeFileSync(path.join(run, 'config.json'), '{ "recipe": "demo", ');
    const o = await runFixture('bad-config', { resume: run });
    expectPromptFailure('corrupt config.json', o, /config\.json/);
  }, 60_000);

  it('a corrupt trainer.json on resume', async () => {
    const run = copyRun();
    writeFileSync(lastFile(run, 'trainer.json'), '{ "globalStep": "many" }');
    const o = await runFixture('bad-trainer-json', { resume: run });
    expectPromptFailure('corrupt trainer.json', o, /trainer\.json/);
  }, 60_000);

  it('a heads file of another model config on resume, through the Trainer API', async () => {
    const run = copyRun();
    writeMisshapenHeads(lastFile(run, 'heads.safetensors'));
    const o = await runFixture('bad-heads', { resume: run });
    expectPromptFailure('misshapen heads', o, /heads\.safetensors does not fit this run's model/);
  }, 60_000);

  it('a corrupt backbone.pt in the checkpoint on resume', async () => {
    const run = copyRun();
    expect(existsSync(lastFile(run, 'backbone.pt'))).toBe(true);
    writeFileSync(lastFile(run, 'backbone.pt'), 'not a TorchScript archive');
    const o = await runFixture('bad-backbone', { resume: run });
    expectPromptFailure('corrupt backbone.pt', o, /backbone\.pt/);
  }, 60_000);

  it('a corrupt random-state.bin on resume, where checkpoints save one', async (ctx) => {
    const run = copyRun();
    const file = lastFile(run, 'random-state.bin');
    if (!existsSync(file)) ctx.skip();
    writeFileSync(file, Buffer.alloc(16, 3));
    const o = await runFixture('bad-random-state', { resume: run });
    expectPromptFailure('corrupt random-state.bin', o, /random-state\.bin/);
  }, 60_000);

  it('a corrupt optimizer.bin on resume (fails in fit, once the loader runs)', async () => {
    const run = copyRun();
    expect(existsSync(lastFile(run, 'optimizer.bin'))).toBe(true);
    writeFileSync(lastFile(run, 'optimizer.bin'), Buffer.alloc(64, 7));
    const o = await runFixture('bad-optimizer', { resume: run });
    expectPromptFailure('corrupt optimizer.bin', o, /./);
  }, 60_000);
});
