/**
 * Recipe A's fine-tuning step as vbt's trainer takes it, timed phase by
 * phase, with what the benchmarks that time it share: random batches and
 * labels, the batches as one safetensors file for a Python peer, and a
 * worker process spoken to one JSON line at a time (bench/finetune-step.ts,
 * bench/alloc-churn.ts).
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { avbMtl } from '../src/config/recipes/avb-mtl.js';
import { AvbMtlModelSchema } from '../src/config/schema.js';
import type { Batch } from '../src/data/batch.js';
import { Backbone } from '../src/model/backbone.js';
import { buildModel } from '../src/model/build-model.js';
import type { MultitaskModel } from '../src/model/multitask-model.js';
import { disposeDeviceBatch, toDeviceBatch } from '../src/run/device-batch.js';
import { TASK_SPECS, type Task } from '../src/tasks.js';
import * as T from '../src/torch/index.js';
import { LossWindow } from '../src/train/loss-window.js';
import type { Rng } from '../src/util/rng.js';

export type { Batch };

export const SAMPLE_RATE = 16000;
/** Recipe A, stage 2. */
export const LR = 4e-5;
export const WEIGHT_DECAY = 0.01;

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
export const round = (x: number, digits = 3): number => Number(x.toFixed(digits));

/** The tasks, heads and losses of recipe A (the avb-mtl recipe's model section). */
export const recipeAModel = () => AvbMtlModelSchema.parse(avbMtl.model);

/** What a Python peer needs to build recipe A's heads (bench/recipe_a_heads.py) and its optimizer, for settings.json. */
export function headSettings(modelConfig: ReturnType<typeof recipeAModel>, tasks: readonly Task[]) {
  return {
    tasks,
    taskKinds: Object.fromEntries(tasks.map((t) => [t, TASK_SPECS[t].kind])),
    taskSizes: Object.fromEntries(tasks.map((t) => [t, TASK_SPECS[t].size])),
    clampedTasks: modelConfig.regressionOutput === 'clamp' ? tasks.filter((t) => t === 'high' || t === 'culture') : [],
    headHidden: modelConfig.headHidden,
    lr: LR,
    weightDecay: WEIGHT_DECAY,
  };
}

/** The phases of a step: the batch to tensors (and back), forward with the losses, backward, the optimizer step. */
export const PHASES = ['batch', 'forward', 'backward', 'optimizer'] as const;
export type Phase = (typeof PHASES)[number];
export type Phases = Record<Phase, { ms: number; faults: number }>;

/** One timed block of one side. */
export interface Block {
  stepMs: number;
  cpuMs: number;
  faultsPerStep: number;
  meanLoss: number;
  /** Per step. */
  phases: Phases;
}

export const minorFaults = (): number => process.resourceUsage().minorPageFault;

/** Wall time and minor page faults of each phase, summed over the steps of a block. */
export class PhaseClock {
  private readonly sums = Object.fromEntries(PHASES.map((p) => [p, { ms: 0, faults: 0 }])) as Phases;
  private t = 0;
  private f = 0;
  start(): void {
    this.t = performance.now();
    this.f = minorFaults();
  }
  lap(phase: Phase): void {
    const t = performance.now();
    const f = minorFaults();
    this.sums[phase].ms += t - this.t;
    this.sums[phase].faults += f - this.f;
    this.t = t;
    this.f = f;
  }
  perStep(n: number): Phases {
    return Object.fromEntries(PHASES.map((p) => [p, { ms: this.sums[p].ms / n, faults: this.sums[p].faults / n }])) as Phases;
  }
}

/** Random class weights for the classification tasks (recipe A keeps class weights). */
export function classWeightsFor(tasks: readonly Task[], rng: Rng): Partial<Record<Task, Float32Array>> {
  const out: Partial<Record<Task, Float32Array>> = {};
  for (const t of tasks) {
    if (TASK_SPECS[t].kind === 'classification') out[t] = Float32Array.from({ length: TASK_SPECS[t].size }, () => rng.uniform(0.5, 2));
  }
  return out;
}

/** `count` batches of `size` clips padded to `seconds`: one clip as long as that, the others 75–100 % of it; random audio and labels. */
export function makeBatches(tasks: readonly Task[], size: number, seconds: number, count: number, rng: Rng): Batch[] {
  const length = Math.round(seconds * SAMPLE_RATE);
  return Array.from({ length: count }, (_, k): Batch => {
    const lengths = Int32Array.from({ length: size }, (_, i) => (i === 0 ? length : Math.round(rng.uniform(0.75, 1) * length)));
    const waveforms = new Float32Array(size * length);
    lengths.forEach((len, r) => {
      for (let i = 0; i < len; i++) waveforms[r * length + i] = rng.uniform(-0.5, 0.5);
    });
    const labels: Batch['labels'] = {};
    for (const task of tasks) {
      const spec = TASK_SPECS[task];
      const mask = new Uint8Array(size).fill(1);
      labels[task] =
        spec.kind === 'regression'
          ? { kind: 'regression', size: spec.size, values: Float32Array.from({ length: size * spec.size }, () => rng.next()), mask }
          : { kind: 'classification', numClasses: spec.size, values: Int32Array.from({ length: size }, () => rng.int(spec.size)), mask };
    }
    return { ids: Array.from(lengths, (_, i) => `b${k}c${i}`), waveforms, batchSize: size, rows: size, length, lengths, labels, ageScaled: true };
  });
}

/** The batches in one safetensors file for the Python side: b<i>.waveforms, b<i>.lengths, b<i>.<task>. */
export function writeBatches(file: string, batches: Batch[]): void {
  const tensors: Record<string, T.Tensor> = {};
  batches.forEach((b, i) => {
    tensors[`b${i}.waveforms`] = T.tensor(b.waveforms, { shape: [b.rows, b.length] });
    tensors[`b${i}.lengths`] = T.tensor(b.lengths, { dtype: 'int64' });
    for (const [task, t] of Object.entries(b.labels) as [Task, NonNullable<Batch['labels'][Task]>][]) {
      tensors[`b${i}.${task}`] =
        t.kind === 'regression' ? T.tensor(t.values, { shape: [b.batchSize, t.size] }) : T.tensor(t.values, { dtype: 'int64' });
    }
  });
  T.saveSafetensors(file, tensors);
  for (const t of Object.values(tensors)) t.dispose();
}

/** vbt's side: the model, its optimizer (grouped as the trainer groups them) and the trainer's step. */
export class VbtSide {
  private batches: Batch[] = [];
  private next = 0;
  readonly optimizer: T.AdamW;
  readonly baseLrs: number[];

  constructor(readonly model: MultitaskModel) {
    const groups: T.ParamGroup[] = [{ name: 'heads', params: model.head.parameters(), lr: LR }];
    groups.push({ name: 'backbone', params: model.backbone.trainableParameters(), lr: LR });
    this.optimizer = new T.AdamW(groups, { weightDecay: WEIGHT_DECAY });
    this.baseLrs = groups.map((g) => g.lr!);
  }

  setBatches(batches: Batch[]): void {
    this.batches = batches;
    this.next = 0;
  }

  /** One step as runEpoch takes it (accumulate 1, no gradient clipping), its phases timed into `clock`. */
  private step(batch: Batch, window: LossWindow, clock: PhaseClock): void {
    clock.start();
    this.baseLrs.forEach((lr, g) => this.optimizer.setLr(lr, g));
    const db = toDeviceBatch(batch, { device: 'cpu', sampleRate: SAMPLE_RATE });
    try {
      const logs = T.scope(() => {
        clock.lap('batch');
        const out = this.model.loss(db);
        clock.lap('forward');
        out.loss.backward();
        return { loss: out.loss.detach(), taskLosses: out.taskLosses };
      });
      // Backward includes freeing the forward's tensors at the end of the scope.
      clock.lap('backward');
      window.add(logs.loss, logs.taskLosses, db.size, db.audioSeconds);
    } finally {
      disposeDeviceBatch(db);
    }
    clock.lap('batch');
    this.optimizer.step();
    this.optimizer.zeroGrad();
    clock.lap('optimizer');
  }

  block(n: number): Block {
    using window = new LossWindow();
    const clock = new PhaseClock();
    const f0 = minorFaults();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) this.step(this.batches[this.next++ % this.batches.length]!, window, clock);
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(c0);
    const faults = minorFaults() - f0;
    return { stepMs: ms / n, cpuMs: (cpu.user + cpu.system) / 1000 / n, faultsPerStep: faults / n, meanLoss: window.read().loss, phases: clock.perStep(n) };
  }

  /** Eval mode (no dropout): the no-grad loss of batch 0, then the losses of `n` steps. */
  check(n: number): { evalLoss: number; stepLosses: number[] } {
    this.model.backbone.eval();
    this.model.head.eval();
    const evalLoss = T.noGrad(() =>
      T.scope(() => {
        const db = toDeviceBatch(this.batches[0]!, { device: 'cpu', sampleRate: SAMPLE_RATE });
        try {
          return this.model.loss(db).loss.item();
        } finally {
          disposeDeviceBatch(db);
        }
      }),
    );
    const stepLosses: number[] = [];
    for (let i = 0; i < n; i++) {
      using window = new LossWindow();
      this.step(this.batches[i % this.batches.length]!, window, new PhaseClock());
      stepLosses.push(window.read().loss);
    }
    this.model.backbone.train(true);
    this.model.head.train(true);
    return { evalLoss, stepLosses };
  }

  dispose(): void {
    this.optimizer.dispose();
    this.model.dispose();
  }
}

/** Recipe A's model on a TorchScript export, seeded, backbone trainable, train mode. */
export function loadRecipeA(archive: string, classWeights: Partial<Record<Task, Float32Array>>, seed: number): VbtSide {
  T.manualSeed(seed);
  const backbone = Backbone.load(archive);
  const model = buildModel(recipeAModel(), backbone, { classWeights });
  backbone.freeze('none').train(true);
  model.head.train(true);
  return new VbtSide(model);
}

/** A process kept running so that its blocks can alternate with ours: one command line in, one JSON line out. */
export class LineWorker {
  private readonly lines: AsyncIterator<string>;
  private readonly proc;
  constructor(
    command: string,
    args: string[],
    private readonly label: string,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.proc = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'], env });
    this.lines = createInterface({ input: this.proc.stdout })[Symbol.asyncIterator]();
  }
  get pid(): number {
    return this.proc.pid!;
  }
  async read(): Promise<Record<string, unknown>> {
    const r = await this.lines.next();
    if (r.done) throw new Error(`${this.label} exited early (see its output above)`);
    const reply = JSON.parse(r.value) as Record<string, unknown>;
    if (typeof reply.error === 'string') throw new Error(`${this.label} failed: ${reply.error}`);
    return reply;
  }
  async ask(cmd: string): Promise<Record<string, unknown>> {
    this.proc.stdin.write(`${cmd}\n`);
    return this.read();
  }
  close(): void {
    this.proc.stdin.end();
  }
}
