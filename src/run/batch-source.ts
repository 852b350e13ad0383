/**
 * Where the trainer's batches come from: decoded audio from the worker-thread
 * loader, or pooled backbone features computed once for stages that keep the
 * backbone frozen. Either way the trainer gets device tensors plus the host
 * label arrays (for metrics, without reading tensors back).
 */
import type { Batch, BatchPlan } from '../data/batch.js';
import type { Clip } from '../data/corpus/corpus.js';
import { type BatchLoader, collateTargets } from '../data/index.js';
import type { Task } from '../tasks.js';
import type { DeviceBatch, MultitaskModel } from '../model/multitask-model.js';
import { type Device, noGrad, scope, tensor } from '../torch/index.js';
import { disposeDeviceBatch, targetsToDevice, toDeviceBatch } from './device-batch.js';

/** A batch on the device with its host-side labels. */
export interface SourcedBatch {
  readonly device: DeviceBatch;
  readonly labels: Batch['labels'];
  readonly ageScaled: boolean;
  /** Free the device tensors. */
  dispose(): void;
}

export interface BatchSource {
  batches(plans: readonly BatchPlan[]): AsyncGenerator<SourcedBatch, void, undefined>;
}

/** Audio batches from the loader, moved to the device. */
export class AudioBatchSource implements BatchSource {
  constructor(
    private readonly loader: BatchLoader,
    private readonly device: Device,
    private readonly sampleRate: number,
  ) {}

  async *batches(plans: readonly BatchPlan[]): AsyncGenerator<SourcedBatch, void, undefined> {
    for await (const batch of this.loader.batches(plans)) {
      const device = toDeviceBatch(batch, { device: this.device, sampleRate: this.sampleRate });
      yield { device, labels: batch.labels, ageScaled: batch.ageScaled, dispose: () => disposeDeviceBatch(device) };
    }
  }
}

/**
 * Pooled features of a frozen backbone, computed once per clip (backbone in
 * eval mode, no gradients) and served as batches of features.
 */
export class FeatureBatchSource implements BatchSource {
  private readonly features = new Map<number, Float32Array>();
  private dim = 0;

  constructor(
    private readonly clips: readonly Clip[],
    private readonly tasks: readonly Task[],
    private readonly device: Device,
    private readonly clipSeconds: (index: number) => number,
    private readonly sampleWeights: Float32Array | undefined,
    private readonly scaleAge: boolean,
  ) {}

  /** Encode every clip of `plans` not encoded yet. */
  async fill(model: MultitaskModel, audio: BatchSource, plans: readonly BatchPlan[], autocast: <T>(fn: () => T) => T): Promise<void> {
    const todo = plans
      .map((p) => ({ ...p, clipIndices: p.clipIndices.filter((i) => !this.features.has(i)) }))
      .filter((p) => p.clipIndices.length > 0);
    const wasTraining = model.backbone.training;
    model.backbone.eval();
    try {
      let k = 0;
      for await (const b of audio.batches(todo)) {
        const plan = todo[k++]!;
        const pooled = noGrad(() => scope(() => autocast(() => model.encode(b.device)).float().toArray() as Float32Array));
        b.dispose();
        this.dim = pooled.length / plan.clipIndices.length;
        plan.clipIndices.forEach((clip, row) => this.features.set(clip, pooled.slice(row * this.dim, (row + 1) * this.dim)));
      }
    } finally {
      model.backbone.train(wasTraining);
    }
  }

  /** How many clips have features. */
  get size(): number {
    return this.features.size;
  }

  async *batches(plans: readonly BatchPlan[]): AsyncGenerator<SourcedBatch, void, undefined> {
    for (const plan of plans) {
      const n = plan.clipIndices.length;
      const data = new Float32Array(n * this.dim);
      let seconds = 0;
      plan.clipIndices.forEach((clip, row) => {
        const f = this.features.get(clip);
        if (!f) throw new Error(`no cached features for clip ${this.clips[clip]?.id ?? clip}`);
        data.set(f, row * this.dim);
        seconds += this.clipSeconds(clip);
      });
      const labels = collateTargets(this.clips, plan.clipIndices, this.tasks, this.scaleAge);
      const weights = this.sampleWeights ? Float32Array.from(plan.clipIndices, (i) => this.sampleWeights![i] ?? 1) : undefined;
      const device: DeviceBatch = {
        ids: plan.clipIndices.map((i) => this.clips[i]!.id),
        size: n,
        audioSeconds: seconds,
        // Pinned host memory lets the copy to a GPU run without blocking the host.
        features: tensor(data, { shape: [n, this.dim], device: this.device, pin: this.device !== 'cpu' }),
        targets: targetsToDevice(labels, this.device),
        ...(weights ? { sampleWeights: tensor(weights, { device: this.device, pin: this.device !== 'cpu' }) } : {}),
        ...(plan.task ? { task: plan.task } : {}),
      };
      yield { device, labels, ageScaled: this.scaleAge, dispose: () => disposeDeviceBatch(device) };
    }
  }
}
