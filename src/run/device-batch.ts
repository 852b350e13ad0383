/** Moving a data-pipeline Batch (typed arrays) onto the device as tensors. */
import type { Batch } from '../data/batch.js';
import type { Task } from '../tasks.js';
import type { DeviceBatch, DeviceTargets } from '../model/multitask-model.js';
import { type Device, type Tensor, tensor } from '../torch/index.js';

export interface ToDeviceOptions {
  device: Device;
  sampleRate: number;
  /** Pooled features instead of audio (cached frozen-backbone stages). */
  features?: Tensor;
}

/** Labels on the device: float32 [B, k] or int64 [B] values, bool [B] masks. */
export function targetsToDevice(labels: Batch['labels'], device: Device): Partial<Record<Task, DeviceTargets>> {
  const pin = device !== 'cpu';
  const targets: Partial<Record<Task, DeviceTargets>> = {};
  for (const [task, t] of Object.entries(labels) as [Task, NonNullable<Batch['labels'][Task]>][]) {
    const n = t.mask.length;
    const values =
      t.kind === 'regression'
        ? tensor(t.values, { shape: [n, t.size], device, pin })
        : tensor(t.values, { shape: [n], dtype: 'int64', device, pin });
    targets[task] = { kind: t.kind, values, mask: tensor(t.mask, { shape: [n], dtype: 'bool', device, pin }) };
  }
  return targets;
}

/** [B, R] weights of each clip's rows: a row's length over its clip's total length (see DeviceBatch.segmentWeights). */
export function segmentWeightMatrix(segmentClip: Int32Array, lengths: Int32Array, clips: number): Float32Array {
  const totals = new Float64Array(clips);
  segmentClip.forEach((c, r) => (totals[c]! += lengths[r]!));
  const rows = segmentClip.length;
  const weights = new Float32Array(clips * rows);
  segmentClip.forEach((c, r) => (weights[c * rows + r] = totals[c]! > 0 ? lengths[r]! / totals[c]! : 0));
  return weights;
}

/** The tensors of a batch; dispose them with disposeDeviceBatch (or create inside a scope). */
export function toDeviceBatch(batch: Batch, options: ToDeviceOptions): DeviceBatch {
  const { device } = options;
  const pin = device !== 'cpu';
  let samples = 0;
  for (const l of batch.lengths) samples += l;
  const segments = batch.segmentClip;
  return {
    ids: batch.ids,
    size: batch.batchSize,
    audioSeconds: samples / options.sampleRate,
    ...(options.features
      ? { features: options.features }
      : {
          waveforms: tensor(batch.waveforms, { shape: [batch.rows, batch.length], device, pin }),
          lengths: tensor(batch.lengths, { shape: [batch.rows], dtype: 'int64', device, pin }),
          ...(segments
            ? { segmentWeights: tensor(segmentWeightMatrix(segments, batch.lengths, batch.batchSize), { shape: [batch.batchSize, batch.rows], device, pin }) }
            : {}),
          ...(batch.rowsPerPass !== undefined ? { rowsPerPass: batch.rowsPerPass } : {}),
        }),
    targets: targetsToDevice(batch.labels, device),
    ...(batch.sampleWeights ? { sampleWeights: tensor(batch.sampleWeights, { device, pin }) } : {}),
    ...(batch.task ? { task: batch.task } : {}),
  };
}

/** Free every tensor of a device batch. */
export function disposeDeviceBatch(batch: DeviceBatch): void {
  batch.waveforms?.dispose();
  batch.lengths?.dispose();
  batch.segmentWeights?.dispose();
  batch.features?.dispose();
  batch.sampleWeights?.dispose();
  for (const t of Object.values(batch.targets)) {
    t?.values.dispose();
    t?.mask.dispose();
  }
}
