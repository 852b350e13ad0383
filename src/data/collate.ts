/**
 * Assembling a Batch from preprocessed clips: padding, lengths, label
 * arrays with masks, sample weights.
 */
import { TASK_SPECS, scaleAge, type Task } from '../tasks.js';
import type { Batch, BatchPlan, ClassificationTargets, ClipSegment, RegressionTargets, TaskTargets } from './batch.js';
import type { Clip } from './corpus/corpus.js';

/** How batches are padded and labelled. */
export interface CollateOptions {
  /** Tasks whose labels go into each batch. */
  readonly tasks: readonly Task[];
  /** Scale age labels to [0, 1] (recipe B) instead of years. Default true. */
  readonly scaleAge?: boolean;
  /** Round the padded length up to a multiple of this (e.g. 320, one backbone frame). Default 1. */
  readonly padToMultiple?: number;
  /** Pad every batch to exactly this many samples; longer clips are cut to it. Default: pad to the longest clip. */
  readonly fixedLength?: number;
  /** Per-clip loss weights, indexed like the clip list. */
  readonly sampleWeights?: Float32Array;
}

/**
 * Build a batch.
 * @param clips the loader's clip list
 * @param plan which clips (indices into `clips`) and, optionally, which segments of them
 * @param waveforms the preprocessed audio of each row: one per planned clip, or one per planned segment
 */
export function collateBatch(
  clips: readonly Clip[],
  plan: BatchPlan,
  waveforms: readonly Float32Array[],
  options: CollateOptions,
): Batch {
  const batchSize = plan.clipIndices.length;
  if (batchSize === 0) throw new RangeError('collateBatch: empty batch plan');
  const rows = plan.segments?.length ?? batchSize;
  if (waveforms.length !== rows) throw new RangeError(`collateBatch: one waveform per planned ${plan.segments ? 'segment' : 'clip'} is needed`);
  const segmentClip = plan.segments ? segmentClips(plan.segments, batchSize) : undefined;
  const multiple = options.padToMultiple ?? 1;
  if (!Number.isInteger(multiple) || multiple < 1) {
    throw new RangeError(`collateBatch: padToMultiple must be a positive integer, got ${multiple}`);
  }

  let length: number;
  if (options.fixedLength !== undefined) {
    if (!Number.isInteger(options.fixedLength) || options.fixedLength < 1) {
      throw new RangeError(`collateBatch: fixedLength must be a positive integer, got ${options.fixedLength}`);
    }
    length = options.fixedLength;
  } else {
    let longest = 0;
    for (const w of waveforms) longest = Math.max(longest, w.length);
    length = Math.max(multiple, Math.ceil(longest / multiple) * multiple);
  }

  const data = new Float32Array(rows * length);
  const lengths = new Int32Array(rows);
  waveforms.forEach((w, row) => {
    const n = Math.min(w.length, length);
    data.set(n === w.length ? w : w.subarray(0, n), row * length);
    lengths[row] = n;
  });

  const batchClips = plan.clipIndices.map((index) => {
    const clip = clips[index];
    if (clip === undefined) throw new RangeError(`collateBatch: clip index ${index} out of range (${clips.length} clips)`);
    return clip;
  });
  const ageScaled = options.scaleAge ?? true;
  const labels: Partial<Record<Task, TaskTargets>> = {};
  for (const task of options.tasks) labels[task] = taskTargets(batchClips, task, ageScaled);

  let sampleWeights: Float32Array | undefined;
  if (options.sampleWeights !== undefined) {
    const all = options.sampleWeights;
    sampleWeights = new Float32Array(batchSize);
    plan.clipIndices.forEach((index, row) => {
      (sampleWeights as Float32Array)[row] = all[index] ?? 1;
    });
  }

  return {
    ids: batchClips.map((c) => c.id),
    waveforms: data,
    batchSize,
    rows,
    length,
    lengths,
    ...(segmentClip === undefined ? {} : { segmentClip }),
    ...(plan.rowsPerPass === undefined ? {} : { rowsPerPass: plan.rowsPerPass }),
    labels,
    ...(sampleWeights === undefined ? {} : { sampleWeights }),
    ...(plan.task === undefined ? {} : { task: plan.task }),
    ageScaled,
  };
}

/**
 * The clip of each segment row, checked: every clip has at least one row.
 * Undefined when row r is simply clip r (no mapping needed).
 */
function segmentClips(segments: readonly ClipSegment[], batchSize: number): Int32Array | undefined {
  const map = Int32Array.from(segments, (s) => s.clip);
  const covered = new Uint8Array(batchSize);
  for (const c of map) {
    if (!(c >= 0 && c < batchSize)) throw new RangeError(`collateBatch: a segment names clip ${c} of a batch of ${batchSize}`);
    covered[c] = 1;
  }
  if (covered.includes(0)) throw new RangeError('collateBatch: every planned clip needs at least one segment');
  const identity = map.length === batchSize && map.every((c, r) => c === r);
  return identity ? undefined : map;
}

/**
 * The label arrays of a batch without its audio (for training on cached
 * features, where no waveform is read).
 */
export function collateTargets(
  clips: readonly Clip[],
  clipIndices: readonly number[],
  tasks: readonly Task[],
  scaleAgeLabels = true,
): Partial<Record<Task, TaskTargets>> {
  const batchClips = clipIndices.map((index) => {
    const clip = clips[index];
    if (clip === undefined) throw new RangeError(`collateTargets: clip index ${index} out of range (${clips.length} clips)`);
    return clip;
  });
  const labels: Partial<Record<Task, TaskTargets>> = {};
  for (const task of tasks) labels[task] = taskTargets(batchClips, task, scaleAgeLabels);
  return labels;
}

function taskTargets(clips: readonly Clip[], task: Task, ageScaled: boolean): TaskTargets {
  const spec = TASK_SPECS[task];
  const mask = new Uint8Array(clips.length);
  if (spec.kind === 'classification') {
    const values = new Int32Array(clips.length);
    clips.forEach((clip, row) => {
      const label = clip.labels[task];
      if (typeof label === 'number') {
        values[row] = label;
        mask[row] = 1;
      }
    });
    const targets: ClassificationTargets = { kind: 'classification', numClasses: spec.size, values, mask };
    return targets;
  }
  const values = new Float32Array(clips.length * spec.size);
  clips.forEach((clip, row) => {
    const label = clip.labels[task];
    if (label === undefined) return;
    if (typeof label === 'number') values[row * spec.size] = task === 'age' && ageScaled ? scaleAge(label) : label;
    else values.set(label, row * spec.size);
    mask[row] = 1;
  });
  const targets: RegressionTargets = { kind: 'regression', size: spec.size, values, mask };
  return targets;
}
