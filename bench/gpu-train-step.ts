/**
 * Recipe A's training step on the GPU, vbt against the same step in plain
 * Python PyTorch (bench/gpu_train_step.py: torch.autocast bf16, the same
 * backbone definition) on the same GPU in one run, at three levels of Python:
 * eager as written; eager with scaled_dot_product_attention and
 * AdamW(fused=True); and that model compiled by torch.compile. A level this
 * PyTorch lacks (1.13 has none of the three features) is reported as
 * unavailable with the reason.
 *
 * The step: data2vec-audio (published config, random weights) → masked mean
 * pooling → recipe A heads (high, culture, type, country; clamped outputs;
 * uncertainty weighting) → backward → AdamW, bf16 autocast for forward and
 * loss, fp32 master weights, TF32 on. Batches: `--batch` clips of 1–4 s,
 * length-bucketed as the trainer does, copied host → device every step from
 * pinned memory (vbt: the trainer's toDeviceBatch; Python: pin_memory +
 * non_blocking). No host synchronisation inside a timed block on either side:
 * losses are summed on the device and read once per block.
 *
 * vbt runs the backbone with TorchScript's graph-executor optimisation as the
 * trainer does (`train.jitOptimize`, off by default; --jit-optimize turns it on).
 *
 * Both sides start from the same weights; an fp32 eval-mode loss of the first
 * batch must agree (`sameStep`, for eager and sdpa-fused). For each Python
 * level in turn, blocks of steps alternate between vbt and that level (vbt,
 * Python, vbt, Python, ...); each round gives a ratio of samples/s, and the
 * median of those is the level's ratio, so both see the same GPU clocks and
 * machine load. Diagnostic
 * variants of the Python side (a per-parameter AdamW like LibTorch's, and the
 * TorchScript archive under both graph-executor settings) and a frozen-backbone
 * vbt step (recipe A's stage 1) show where a gap comes from.
 *
 *   npx tsx bench/gpu-train-step.ts [--device cuda] [--config base] [--batch 32]
 *       [--steps 20] [--rounds 3] [--warmup 5] [--precision auto|bf16|fp32] [--out FILE]
 *       [--peers eager,sdpa-fused,compile] [--python PATH] [--jit-optimize] [--no-diagnostics] [--peak-tflops N]
 * (--python: the interpreter of the Python side; default VBT_PYTHON, else the exporter's.)
 * Smoke run on a CPU (its numbers mean nothing; runs every level this PyTorch has):
 *   npx tsx bench/gpu-train-step.ts --device cpu --config tiny --batch 4 --steps 2 --rounds 1 --warmup 1
 * Prints one JSON object (and writes it to --out).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { TrainSchema } from '../src/config/schema.js';
import type { Batch } from '../src/data/batch.js';
import { bucketedBatches } from '../src/data/sampling/length-bucketing.js';
import { TASK_SPECS, type Task } from '../src/tasks.js';
import { Backbone } from '../src/model/backbone.js';
import { buildModel } from '../src/model/build-model.js';
import { type BackboneConfigName, exportBackbone, resolvePython } from '../src/model/exporter.js';
import type { MultitaskModel } from '../src/model/multitask-model.js';
import * as T from '../src/torch/index.js';
import { addonOrigin } from '../src/torch/native.js';
import { disposeDeviceBatch, toDeviceBatch } from '../src/run/device-batch.js';
import { Rng } from '../src/util/rng.js';
import { LR, LineWorker, WEIGHT_DECAY, headSettings, median, recipeAModel, writeBatches } from './recipe-a-step.js';

const { values } = parseArgs({
  options: {
    device: { type: 'string', default: 'cuda' },
    config: { type: 'string', default: 'base' },
    batch: { type: 'string', default: '32' },
    batches: { type: 'string', default: '24' },
    steps: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '5' },
    // auto: bf16 on CUDA; fp32 on the CPU, where torch 1.13's CPU autocast cannot run layer norm in bf16.
    precision: { type: 'string', default: 'auto' },
    'min-seconds': { type: 'string', default: '1' },
    'max-seconds': { type: 'string', default: '4' },
    seed: { type: 'string', default: '0' },
    out: { type: 'string' },
    'no-diagnostics': { type: 'boolean', default: false },
    'peak-tflops': { type: 'string' },
    peers: { type: 'string', default: 'eager,sdpa-fused,compile' },
    python: { type: 'string' },
    // As the trainer: train.jitOptimize, off unless a config turns it on.
    'jit-optimize': { type: 'boolean', default: TrainSchema.shape.jitOptimize.parse(undefined) },
    'corpus-clips': { type: 'string', default: '20000' },
    'val-clips': { type: 'string', default: '20000' },
    'mean-seconds': { type: 'string', default: '2.5' },
  },
});
const device = T.resolveDevice(values.device as T.Device | 'auto');
const onCuda = device.startsWith('cuda');
const configName = values.config as BackboneConfigName;
const batchSize = Number(values.batch);
const distinctBatches = Number(values.batches);
const steps = Number(values.steps);
const rounds = Number(values.rounds);
const warmup = Number(values.warmup);
const precision = values.precision === 'auto' ? (onCuda ? 'bf16' : 'fp32') : values.precision === 'fp32' ? 'fp32' : 'bf16';
const SAMPLE_RATE = 16000;
/** FACTS.md §6: ≈7 GMAC (14 GFLOP) forward per audio second for a base model; training ≈ 3× forward. */
const TRAIN_GFLOP_PER_AUDIO_SECOND: Record<string, number> = { tiny: Number.NaN, base: 42, large: 108 };
const PEERS = ['eager', 'sdpa-fused', 'compile'] as const;
type Peer = (typeof PEERS)[number];
const peers = values.peers.split(',').filter(Boolean) as Peer[];
for (const p of peers) if (!PEERS.includes(p)) throw new Error(`--peers: unknown level '${p}' (known: ${PEERS.join(', ')})`);
/** Levels whose eval-mode loss is compared with vbt's (compile computes the sdpa-fused model). */
const CHECKED: readonly Peer[] = ['eager', 'sdpa-fused'];

/** Dense bf16 tensor-core peak of known GPUs, in TFLOP/s (vendor data sheets). */
function peakTflops(name: string): { tflops: number; source: string } | null {
  if (values['peak-tflops']) return { tflops: Number(values['peak-tflops']), source: '--peak-tflops' };
  const table: [RegExp, number, string][] = [
    [/H200/i, 989, 'H200 SXM bf16 dense'],
    [/H100.*PCIe/i, 756, 'H100 PCIe bf16 dense'],
    [/H100.*NVL/i, 835, 'H100 NVL bf16 dense'],
    [/H100/i, 989, 'H100 SXM bf16 dense'],
    [/A100/i, 312, 'A100 bf16 dense'],
    [/A40/i, 149.7, 'A40 bf16 dense'],
    [/L40S/i, 362, 'L40S bf16 dense'],
  ];
  const hit = table.find(([re]) => re.test(name));
  return hit ? { tflops: hit[1], source: hit[2] } : null;
}

/** Random audio and labels for bucketed batches of 1–4 s clips (what matters here is their shapes). */
function makeBatches(tasks: readonly Task[]): { batches: Batch[]; padding: number } {
  const rng = new Rng(Number(values.seed));
  const n = batchSize * distinctBatches;
  const lo = Number(values['min-seconds']) * SAMPLE_RATE;
  const hi = Number(values['max-seconds']) * SAMPLE_RATE;
  const lengths = Int32Array.from({ length: n }, () => Math.round(rng.uniform(lo, hi)));
  const plans = bucketedBatches(
    Array.from({ length: n }, (_, i) => i),
    lengths,
    { batchSize, rng, batchesPerBucket: distinctBatches, dropLast: true },
  );
  let real = 0;
  let padded = 0;
  const batches = plans.map((plan, k): Batch => {
    const rows = plan.map((i) => lengths[i]!);
    const t = Math.max(...rows);
    const waveforms = new Float32Array(rows.length * t);
    rows.forEach((len, r) => {
      for (let i = 0; i < len; i++) waveforms[r * t + i] = rng.uniform(-0.1, 0.1);
      real += len;
    });
    padded += rows.length * t;
    const labels: Batch['labels'] = {};
    for (const task of tasks) {
      const spec = TASK_SPECS[task];
      const mask = new Uint8Array(rows.length).fill(1);
      labels[task] =
        spec.kind === 'regression'
          ? { kind: 'regression', size: spec.size, values: Float32Array.from({ length: rows.length * spec.size }, () => rng.next()), mask }
          : { kind: 'classification', numClasses: spec.size, values: Int32Array.from({ length: rows.length }, () => rng.int(spec.size)), mask };
    }
    return { ids: plan.map((i) => `b${k}c${i}`), waveforms, batchSize: rows.length, rows: rows.length, length: t, lengths: Int32Array.from(rows), labels, ageScaled: true };
  });
  return { batches, padding: (padded - real) / padded };
}

interface BlockResult {
  stepMs: number;
  samples: number;
  audioSeconds: number;
  seconds: number;
  meanLoss: number;
}

/** vbt's side: the model, its optimizer and a timed block of steps. */
class VbtSide {
  private next = 0;
  private readonly lossSum = T.keep(T.zeros([], { device }));
  readonly optimizer: T.AdamW;

  constructor(
    readonly model: MultitaskModel,
    private readonly batches: Batch[],
  ) {
    // As the trainer groups them: heads, and the backbone's trainable part (none when frozen).
    const groups: T.ParamGroup[] = [{ name: 'heads', params: model.head.parameters(), lr: LR, weightDecay: WEIGHT_DECAY }];
    const backboneParams = model.backbone.trainableParameters();
    if (backboneParams.length > 0) groups.push({ name: 'backbone', params: backboneParams, lr: LR, weightDecay: WEIGHT_DECAY });
    this.optimizer = new T.AdamW(groups);
  }

  private autocast<R>(fn: () => R): R {
    return precision === 'bf16' ? T.withAutocast(onCuda ? 'cuda' : 'cpu', 'bfloat16', fn) : fn();
  }

  /** One step, as the trainer takes it; nothing in it waits for the device. */
  step(): Batch {
    const batch = this.batches[this.next++ % this.batches.length]!;
    T.scope(() => {
      this.optimizer.zeroGrad();
      const db = toDeviceBatch(batch, { device, sampleRate: SAMPLE_RATE });
      const out = this.autocast(() => this.model.loss(db));
      out.loss.backward();
      this.optimizer.step();
      T.noGrad(() => this.lossSum.add_(out.loss.detach().float()));
      disposeDeviceBatch(db);
    });
    return batch;
  }

  block(n: number): BlockResult {
    T.synchronize();
    const before = this.lossSum.item();
    let samples = 0;
    let audio = 0;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const b = this.step();
      samples += b.batchSize;
      for (const l of b.lengths) audio += l / SAMPLE_RATE;
    }
    T.synchronize();
    const seconds = (performance.now() - t0) / 1000;
    return { stepMs: (seconds * 1000) / n, samples, audioSeconds: audio, seconds, meanLoss: (this.lossSum.item() - before) / n };
  }

  /** fp32, eval mode, TF32 off: the loss of batch 0, to compare with the Python side. */
  checkLoss(): number {
    this.model.backbone.eval();
    this.model.head.eval();
    if (onCuda) T.setAllowTF32(false);
    const value = T.noGrad(() =>
      T.scope(() => {
        const db = toDeviceBatch(this.batches[0]!, { device, sampleRate: SAMPLE_RATE });
        return this.model.loss(db).loss.item();
      }),
    );
    if (onCuda) T.setAllowTF32(true);
    this.model.backbone.train(true);
    this.model.head.train(true);
    return value;
  }
}

type Throughput = { stepMs: number; samplesPerSec: number; audioSecondsPerSec: number };

/** One Python level's result, or why it could not run here. */
type PeerResult =
  | ({ available: true; peakMemoryGiB: number | null; ratio: number; ratios: number[]; warmupSeconds: number; compiled?: Record<string, unknown> } & Throughput)
  | { available: false; reason: string };

function throughput(blocks: BlockResult[]): Throughput {
  const perBlock = blocks.map((b) => ({ stepMs: b.stepMs, sps: b.samples / b.seconds, aps: b.audioSeconds / b.seconds }));
  return {
    stepMs: median(perBlock.map((b) => b.stepMs)),
    samplesPerSec: median(perBlock.map((b) => b.sps)),
    audioSecondsPerSec: median(perBlock.map((b) => b.aps)),
  };
}

async function main(): Promise<void> {
  if (onCuda) T.setAllowTF32(true);
  T.setJitOptimization(values['jit-optimize']);
  T.manualSeed(Number(values.seed));
  const python = process.env.VBT_PYTHON ?? (await resolvePython());
  // The peers' interpreter may be another PyTorch than the exporter's (e.g. a 2.x venv beside a 1.13 LibTorch).
  const peerPython = values.python ?? python;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vbt-gpu-bench-'));
  try {
    const t0 = performance.now();
    const backbonePath = path.join(dir, 'backbone.pt');
    await exportBackbone({ family: 'data2vec', config: configName, source: { kind: 'random', seed: Number(values.seed) }, out: backbonePath, python });
    const exportSeconds = (performance.now() - t0) / 1000;

    const modelConfig = recipeAModel();
    const backbone = Backbone.load(backbonePath, { device });
    // No class weights: the Python reference's cross-entropy is unweighted (weights change values, not cost).
    const model = buildModel(modelConfig, backbone, { device });
    backbone.freeze('none').train(true);
    model.head.train(true);
    const tasks = model.tasks;
    const { batches, padding } = makeBatches(tasks);
    writeBatches(path.join(dir, 'batches.safetensors'), batches);
    T.saveSafetensors(path.join(dir, 'heads.safetensors'), model.head.stateDict());
    writeFileSync(
      path.join(dir, 'settings.json'),
      JSON.stringify({
        family: 'data2vec',
        config: configName,
        hiddenSize: backbone.hiddenSize,
        ...headSettings(modelConfig, tasks),
        batches: batches.length,
      }),
    );

    const vbt = new VbtSide(model, batches);
    // The Python side, kept running so that blocks can alternate.
    const py = new LineWorker(peerPython, [path.join(import.meta.dirname, 'gpu_train_step.py'), dir, device, precision], 'the Python side');
    const ready = await py.read();

    // Same model, same weights, same batch: the fp32 losses must agree before anything is timed.
    const vbtCheck = vbt.checkLoss();
    const sameStep: Record<string, unknown> = {};
    for (const peer of peers.filter((p) => CHECKED.includes(p))) {
      const reply = await py.ask(`check ${peer}`);
      if (reply.available !== true) continue;
      const pyCheck = reply.loss as number;
      const relDiff = Math.abs(vbtCheck - pyCheck) / Math.max(1e-12, Math.abs(pyCheck));
      sameStep[peer] = { vbtLoss: vbtCheck, pythonLoss: pyCheck, relDiff, ok: relDiff < 1e-3 };
    }

    vbt.block(warmup);
    if (onCuda) T.resetPeakMemory();
    const vbtBlocks: BlockResult[] = [];
    const levels: Partial<Record<Peer, PeerResult>> = {};
    for (const peer of peers) {
      const setup = await py.ask(`setup ${peer}`);
      if (setup.available !== true) {
        levels[peer] = { available: false, reason: String(setup.reason) };
        console.error(`gpu-train-step: Python ${peer}: unavailable: ${String(setup.reason)}`);
        continue;
      }
      // torch.compile compiles when it meets new shapes (up to its recompile limit): warm up over every distinct batch once.
      const warmStart = performance.now();
      await py.ask(`steps ${peer === 'compile' ? Math.max(warmup, batches.length) : warmup}`);
      const warmupSeconds = (performance.now() - warmStart) / 1000;
      const compiled = peer === 'compile' ? await py.ask('compiled') : undefined;
      await py.ask('peak');
      const ours: BlockResult[] = [];
      const theirs: BlockResult[] = [];
      for (let r = 0; r < rounds; r++) {
        ours.push(vbt.block(steps));
        theirs.push((await py.ask(`steps ${steps}`)) as unknown as BlockResult);
      }
      const peak = (await py.ask('peak')).peakBytes as number | null;
      const ratios = ours.map((o, i) => o.samples / o.seconds / (theirs[i]!.samples / theirs[i]!.seconds));
      vbtBlocks.push(...ours);
      levels[peer] = {
        available: true,
        ...throughput(theirs),
        peakMemoryGiB: peak === null ? null : peak / 2 ** 30,
        ratio: median(ratios),
        ratios,
        warmupSeconds,
        ...(compiled ? { compiled } : {}),
      };
    }
    const vbtPeak = onCuda ? T.cudaMemory().peakAllocated : null;

    // Diagnostics: where a gap between the two comes from.
    const diagnostics: Record<string, unknown> = {};
    if (!values['no-diagnostics']) {
      for (const variant of ['eager-loop', 'jit', 'jit-noopt']) {
        const setup = await py.ask(`setup ${variant}`);
        if (setup.available !== true) {
          diagnostics[`python-${variant}`] = { available: false, reason: setup.reason };
          continue;
        }
        await py.ask(`steps ${warmup}`);
        const blocks: BlockResult[] = [];
        for (let r = 0; r < Math.max(1, Math.min(rounds, 2)); r++) blocks.push((await py.ask(`steps ${steps}`)) as unknown as BlockResult);
        diagnostics[`python-${variant}`] = throughput(blocks);
      }
      // Recipe A stage 1: backbone frozen (eval mode, no backward through it), heads trained.
      backbone.freeze('all').eval();
      const frozen = new VbtSide(model, batches);
      frozen.block(warmup);
      const frozenBlocks: BlockResult[] = [];
      for (let r = 0; r < rounds; r++) frozenBlocks.push(frozen.block(steps));
      diagnostics['vbt-frozen-backbone'] = throughput(frozenBlocks);
      frozen.optimizer.dispose();
      backbone.freeze('none').train(true);
    }
    py.close();

    if (vbtBlocks.length === 0) throw new Error(`no Python level could run here (${peers.join(', ')}): nothing to compare with`);
    const ours = throughput(vbtBlocks);
    const eager = levels.eager?.available ? levels.eager : undefined;
    const info = T.buildInfo();
    const gpuName = onCuda ? (info.devices[Number(device.split(':')[1] ?? 0)]?.name ?? 'unknown GPU') : null;
    const peak = gpuName ? peakTflops(gpuName) : null;
    const gflop = TRAIN_GFLOP_PER_AUDIO_SECOND[configName] ?? Number.NaN;
    const mfu = (aps: number) => (peak && Number.isFinite(gflop) ? (aps * gflop * 1e9) / (peak.tflops * 1e12) : null);

    // Recipe A on an ExVo-sized corpus: 30 epochs with the backbone frozen, then 30 fine-tuning, validating every epoch.
    const trainAudio = Number(values['corpus-clips']) * Number(values['mean-seconds']);
    const valAudio = Number(values['val-clips']) * Number(values['mean-seconds']);
    const frozenAps = (diagnostics['vbt-frozen-backbone'] as { audioSecondsPerSec: number } | undefined)?.audioSecondsPerSec;
    // Forward only ≈ 1/3 of a training step's work: validation runs at about 3× the training throughput.
    const forwardAps = ours.audioSecondsPerSec * 3;
    const hours = (audio: number, aps: number) => audio / aps / 3600;
    const stage1 = frozenAps ? 30 * hours(trainAudio, frozenAps) : 30 * hours(trainAudio, forwardAps);
    const stage2 = 30 * hours(trainAudio, ours.audioSecondsPerSec);
    const validation = 60 * hours(valAudio, forwardAps);
    const projection = {
      assumptions:
        `${values['corpus-clips']} training and ${values['val-clips']} validation clips of ${values['mean-seconds']} s mean; ` +
        '30 epochs with the backbone frozen (measured frozen-backbone step, or 3× the training throughput), 30 fine-tuning epochs at the measured ' +
        'throughput, one validation pass per epoch at 3× the training throughput (forward only); no early stopping; data loading overlapped',
      stage1Hours: stage1,
      stage1CachedFeaturesHours: hours(trainAudio + valAudio, forwardAps),
      stage2Hours: stage2,
      validationHours: validation,
      totalHours: stage1 + stage2 + validation,
      paperA40Hours: '5–6.5',
    };

    const result = {
      bench: 'gpu-train-step',
      device: { kind: device, name: gpuName ?? os.cpus()[0]?.model ?? 'cpu', cudaRuntime: info.cudaRuntime ?? null, cudnn: info.cudnn ?? null },
      machine: { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.availableParallelism(), node: process.version },
      libtorch: info.torchVersion,
      addon: addonOrigin().kind,
      pythonTorch: ready.torch,
      model: `data2vec-audio ${configName} (published config, random weights) + recipe A heads (${tasks.join(', ')}), AdamW lr ${LR}`,
      batch: {
        size: batchSize,
        clipSeconds: [Number(values['min-seconds']), Number(values['max-seconds'])],
        distinctBatches: batches.length,
        bucketed: true,
        paddingFraction: padding,
        meanClipSeconds: batches.reduce((s, b) => s + b.lengths.reduce((a, l) => a + l, 0), 0) / SAMPLE_RATE / (batches.length * batchSize),
      },
      precision: precision === 'bf16' ? 'bf16 autocast (forward and loss), fp32 master weights, TF32 on' : 'fp32',
      method: `${rounds} alternating rounds of ${steps} steps per side after ${warmup} warm-up steps; medians; host sync only at block ends`,
      jitOptimize: values['jit-optimize'],
      sameStep,
      vbt: { ...ours, peakMemoryGiB: vbtPeak === null ? null : vbtPeak / 2 ** 30, mfu: mfu(ours.audioSecondsPerSec) },
      // Each level: throughput, peak memory, and ratio = median over its rounds of vbt samples/s ÷ its samples/s.
      python: Object.fromEntries(
        Object.entries(levels).map(([k, v]) => [k, v.available ? { ...v, mfu: mfu(v.audioSecondsPerSec) } : v]),
      ),
      ratios: Object.fromEntries(Object.entries(levels).map(([k, v]) => [k, v.available ? v.ratio : null])),
      ratio: eager?.ratio ?? null,
      mfuBasis: { trainGflopPerAudioSecond: gflop, peakTflops: peak?.tflops ?? null, peakSource: peak?.source ?? null },
      diagnostics,
      projection,
      exportSeconds,
      goal: {
        ratio: '>= 1.0 against eager Python',
        mfu: '>= 0.25',
        met: (eager?.ratio ?? 0) >= 1 && (mfu(ours.audioSecondsPerSec) ?? 0) >= 0.25,
      },
    };
    const json = JSON.stringify(result, null, 2);
    if (values.out) {
      mkdirSync(path.dirname(path.resolve(values.out)), { recursive: true });
      writeFileSync(values.out, `${json}\n`);
    }
    console.log(json);
    vbt.optimizer.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
