/**
 * Recipe A's fine-tuning step on the CPU, vbt against an independent plain
 * PyTorch script (bench/finetune_step.py) on the same LibTorch, TorchScript
 * export, weights, batches and thread count, in one run.
 *
 * The step (stage 2 of recipe A): data2vec-audio (trainable, train mode) →
 * masked mean pooling → Linear → GELU → Linear head per task (high, culture,
 * type, country; high and culture clamped to [0, 1]) → CCC losses and
 * class-weighted cross-entropy → learned uncertainty weighting → backward →
 * AdamW (lr 4e-5, weight decay 0.01) → zero grad. vbt's side is the
 * trainer's step (src/train/trainer.ts, runEpoch): the batch becomes tensors
 * (toDeviceBatch), the model's loss, backward, the loss window, the
 * optimizer. The Python side is its own code for pooling, heads, losses and
 * weighting, with torch.optim.AdamW, on the archive loaded by torch.jit.load.
 *
 * Before anything is timed, both sides, in eval mode (no dropout), compute
 * the loss of the same batch and take three steps on the same batches from
 * the same weights: the losses must agree (`sameStep`). Then, for each grid
 * point (batch size × clip length, tiny backbone) and for one base-size
 * point, blocks of steps alternate between the sides (vbt, Python, vbt,
 * Python, ...); each round gives a ratio vbt/Python of ms per step, and the
 * median of those ratios is the point's figure, so that load from other
 * jobs on the machine affects both sides alike. The headline is the median
 * over the grid points.
 *
 *   npx tsx bench/finetune-step.ts [--short] [--batches 1,4,16] [--seconds 1,4,10]
 *       [--rounds 5] [--block-ms 1500] [--warmup 2] [--no-base] [--base-batch 2]
 *       [--base-seconds 1] [--base-rounds 3] [--threads auto|N] [--jit-optimize] [--out FILE]
 *
 * --short: 3 rounds of about 300 ms blocks, one warm-up step, no base point
 * (about a minute on 2 cores). Prints one JSON object (and writes it to --out).
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BackboneSchema, TrainSchema } from '../src/config/schema.js';
import { prepareBackbone } from '../src/run/prepare.js';
import type { Task } from '../src/tasks.js';
import * as T from '../src/torch/index.js';
import { addonOrigin } from '../src/torch/native.js';
import { Rng } from '../src/util/rng.js';
import { findTorchPython } from './python.js';
import {
  type Batch,
  type Block,
  LR,
  LineWorker,
  PHASES,
  type Phases,
  type VbtSide,
  headSettings,
  classWeightsFor,
  loadRecipeA,
  makeBatches,
  median,
  recipeAModel,
  round,
  writeBatches,
} from './recipe-a-step.js';

const { values } = parseArgs({
  options: {
    short: { type: 'boolean', default: false },
    batches: { type: 'string', default: '1,4,16' },
    seconds: { type: 'string', default: '1,4,10' },
    rounds: { type: 'string' },
    'block-ms': { type: 'string' },
    warmup: { type: 'string' },
    'distinct-batches': { type: 'string', default: '2' },
    'no-base': { type: 'boolean' },
    'base-batch': { type: 'string', default: '2' },
    'base-seconds': { type: 'string', default: '1' },
    'base-rounds': { type: 'string', default: '3' },
    threads: { type: 'string', default: 'auto' },
    // As the trainer: train.jitOptimize, off unless a config turns it on.
    'jit-optimize': { type: 'boolean', default: TrainSchema.shape.jitOptimize.parse(undefined) },
    seed: { type: 'string', default: '0' },
    out: { type: 'string' },
  },
});
const short = values.short;
// An empty list (--batches '') leaves the grid out: the base point alone.
const gridBatches = values.batches.split(',').filter(Boolean).map(Number);
const gridSeconds = values.seconds.split(',').filter(Boolean).map(Number);
const rounds = Number(values.rounds ?? (short ? 3 : 5));
const blockMs = Number(values['block-ms'] ?? (short ? 300 : 1500));
const warmup = Number(values.warmup ?? (short ? 1 : 2));
const distinct = Number(values['distinct-batches']);
const withBase = !(values['no-base'] ?? short);
const seed = Number(values.seed);
const threads = T.chooseThreads(values.threads === 'auto' ? 'auto' : Number(values.threads));
const CHECK_STEPS = 3;

/** A model of one size, and the files the Python side needs for it. */
function loadSide(dir: string, size: 'tiny' | 'base', archive: string, classWeights: Partial<Record<Task, Float32Array>>): VbtSide {
  symlinkSync(archive, path.join(dir, `${size}.pt`));
  const side = loadRecipeA(archive, classWeights, seed);
  T.saveSafetensors(path.join(dir, `${size}-heads.safetensors`), side.model.head.stateDict());
  return side;
}

interface PointResult {
  batch: number;
  seconds: number;
  stepsPerBlock: number;
  rounds: number;
  ratio: number;
  ratios: number[];
  vbt: SideSummary;
  python: SideSummary;
}

interface SideSummary {
  stepMs: number;
  cpuMs: number;
  faultsPerStep: number;
  /** Medians over the blocks, per step: ms and minor page faults of each phase. */
  phases: Phases;
}

function summary(blocks: Block[]): SideSummary {
  return {
    stepMs: round(median(blocks.map((b) => b.stepMs)), 2),
    cpuMs: round(median(blocks.map((b) => b.cpuMs)), 2),
    faultsPerStep: Math.round(median(blocks.map((b) => b.faultsPerStep))),
    phases: Object.fromEntries(
      PHASES.map((p) => [p, { ms: round(median(blocks.map((b) => b.phases[p].ms)), 2), faults: Math.round(median(blocks.map((b) => b.phases[p].faults))) }]),
    ) as Phases,
  };
}

/** Warm up both sides on a grid point's batches, then alternate timed blocks. */
async function timePoint(
  vbt: VbtSide,
  py: LineWorker,
  file: string,
  batches: Batch[],
  point: { batch: number; seconds: number },
  opts: { rounds: number; warmup: number; blockMs: number },
): Promise<PointResult> {
  vbt.setBatches(batches);
  await py.ask(`data ${file}`);
  const warmVbt = vbt.block(opts.warmup);
  const warmPy = (await py.ask(`steps ${opts.warmup}`)) as unknown as Block;
  const n = Math.max(1, Math.round(opts.blockMs / Math.max(warmVbt.stepMs, warmPy.stepMs)));
  const ours: Block[] = [];
  const theirs: Block[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < opts.rounds; r++) {
    const a = vbt.block(n);
    const b = (await py.ask(`steps ${n}`)) as unknown as Block;
    if (!Number.isFinite(a.meanLoss) || !Number.isFinite(b.meanLoss)) throw new Error(`the loss became non-finite at batch ${point.batch} × ${point.seconds} s`);
    ours.push(a);
    theirs.push(b);
    ratios.push(a.stepMs / b.stepMs);
  }
  const result: PointResult = {
    ...point,
    stepsPerBlock: n,
    rounds: opts.rounds,
    ratio: round(median(ratios)),
    ratios: ratios.map((r) => round(r)),
    vbt: summary(ours),
    python: summary(theirs),
  };
  console.error(
    `finetune-step: batch ${point.batch} × ${point.seconds} s: vbt ${result.vbt.stepMs} ms, Python ${result.python.stepMs} ms, ratio ${result.ratio} ` +
      `(faults/step ${result.vbt.faultsPerStep} vs ${result.python.faultsPerStep})`,
  );
  return result;
}

async function main(): Promise<void> {
  T.setNumThreads(threads.threads);
  T.setJitOptimization(values['jit-optimize']);
  const python = findTorchPython();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vbt-finetune-bench-'));
  const log = (line: string) => console.error(`finetune-step: ${line}`);
  try {
    const tinyArchive = await prepareBackbone(BackboneSchema.parse({ family: 'data2vec', config: 'tiny', seed }), null, log);
    const baseArchive = withBase
      ? await prepareBackbone(BackboneSchema.parse({ family: 'data2vec', config: 'base', seed }), null, log)
      : null;
    const rng = new Rng(seed);
    const modelConfig = recipeAModel();
    const tasks = [...new Set(modelConfig.tasks)];
    const classWeights = classWeightsFor(tasks, rng);
    const cw: Record<string, T.Tensor> = {};
    for (const [t, w] of Object.entries(classWeights)) cw[t] = T.tensor(w);
    T.saveSafetensors(path.join(dir, 'class-weights.safetensors'), cw);
    for (const t of Object.values(cw)) t.dispose();

    let vbt = loadSide(dir, 'tiny', tinyArchive, classWeights);
    writeFileSync(
      path.join(dir, 'settings.json'),
      JSON.stringify({
        ...headSettings(modelConfig, tasks),
        threads: threads.threads,
        jitOptimize: values['jit-optimize'],
      }),
    );
    const py = new LineWorker(python, [path.join(import.meta.dirname, 'finetune_step.py'), dir], 'the Python side');
    const ready = await py.read();
    await py.ask(`load tiny ${vbt.model.backbone.hiddenSize}`);

    // The same step on both sides: eval mode (no dropout), same weights, same batches.
    const checkBatches = makeBatches(tasks, 4, 1, CHECK_STEPS, rng);
    writeBatches(path.join(dir, 'check.safetensors'), checkBatches);
    vbt.setBatches(checkBatches);
    await py.ask('data check.safetensors');
    const ours = vbt.check(CHECK_STEPS);
    const theirs = (await py.ask(`check ${CHECK_STEPS}`)) as { evalLoss: number; stepLosses: number[] };
    const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1e-12, Math.abs(b));
    const maxRelDiff = Math.max(rel(ours.evalLoss, theirs.evalLoss), ...ours.stepLosses.map((l, i) => rel(l, theirs.stepLosses[i]!)));
    const sameStep = { vbt: ours, python: theirs, maxRelDiff, ok: maxRelDiff < 1e-4 };
    if (!sameStep.ok) console.error(`finetune-step: WARNING: the two sides disagree: ${JSON.stringify(sameStep)}`);
    T.manualSeed(seed);
    await py.ask(`seed ${seed}`);

    const grid: PointResult[] = [];
    for (const b of gridBatches) {
      for (const s of gridSeconds) {
        const file = `grid-${b}x${s}.safetensors`;
        const batches = makeBatches(tasks, b, s, distinct, rng);
        writeBatches(path.join(dir, file), batches);
        grid.push(await timePoint(vbt, py, file, batches, { batch: b, seconds: s }, { rounds, warmup, blockMs }));
      }
    }

    let base: PointResult | null = null;
    if (baseArchive) {
      vbt.dispose();
      // The base model starts from an empty host memory cache, as in a fresh process.
      T.releaseHostMemory();
      vbt = loadSide(dir, 'base', baseArchive, classWeights);
      await py.ask(`load base ${vbt.model.backbone.hiddenSize}`);
      const file = 'base.safetensors';
      const point = { batch: Number(values['base-batch']), seconds: Number(values['base-seconds']) };
      const batches = makeBatches(tasks, point.batch, point.seconds, distinct, rng);
      writeBatches(path.join(dir, file), batches);
      // A base step takes seconds: one step per block.
      base = await timePoint(vbt, py, file, batches, point, { rounds: Number(values['base-rounds']), warmup: 1, blockMs: 0 });
    }
    const pyRss = (await py.ask('rss')).peakRssMb as number;
    py.close();
    vbt.dispose();

    const gridRatio = grid.length > 0 ? median(grid.map((p) => p.ratio)) : Number.NaN;
    const result = {
      bench: 'finetune-step',
      machine: { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.availableParallelism(), loadAverage: os.loadavg().map((l) => round(l, 2)), node: process.version },
      libtorch: T.buildInfo().torchVersion,
      pythonTorch: ready.torch,
      addon: addonOrigin().kind,
      blas: T.blasInUse().name,
      threads: { count: threads.threads, source: threads.source, python: ready.threads },
      jitOptimize: values['jit-optimize'],
      hostMemory: T.hostMemory(),
      model: `data2vec-audio tiny (and base for the base point), random weights, + recipe A heads (${tasks.join(', ')}), CCC / class-weighted CE, uncertainty weighting, AdamW lr ${LR}`,
      method:
        `${rounds} alternating rounds (vbt, Python, vbt, ...) per grid point of about ${blockMs} ms blocks after ${warmup} warm-up steps; ` +
        `${distinct} distinct batches per point (one clip of the full length, the others 75–100 % of it); ratio = median over rounds of vbt ms / Python ms per step; headline = median over grid points`,
      sameStep,
      ratio: round(gridRatio),
      grid,
      base,
      peakRssMb: { vbt: Math.round(process.resourceUsage().maxRSS / 1024), python: Math.round(pyRss) },
      goal: { ratio: '<= 1.0 (median over the grid)', met: gridRatio <= 1.0 },
    };
    const json = JSON.stringify(result, null, 2);
    if (values.out) {
      mkdirSync(path.dirname(path.resolve(values.out)), { recursive: true });
      writeFileSync(values.out, `${json}\n`);
    }
    console.log(json);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
