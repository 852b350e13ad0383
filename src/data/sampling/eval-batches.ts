/**
 * Batches for evaluation and prediction: every clip once, in a fixed order
 * grouped by length (less padding). A clip longer than the maximum row
 * length is covered whole by equal windows no longer than it (their pooled
 * features are averaged by the model); a batch holds at most `batchSize`
 * rows and, when bounded, `maxBatchLength` padded samples, except a single
 * clip with more windows than that, which then makes a batch of its own
 * whose rows the backbone takes a few at a time (`rowsPerPass`).
 */
import type { BatchPlan, ClipSegment } from '../batch.js';

export interface EvalBatchOptions {
  /** Longest row in samples; longer clips are split into windows. Default: whole clips. */
  readonly maxLength?: number;
  /** Padded samples a batch may hold (rows × longest row). Default: no bound besides batchSize. */
  readonly maxBatchLength?: number;
}

/** Window boundaries of a clip of `length` samples: ⌈length / maxLength⌉ windows of (nearly) equal length. */
export function clipWindows(length: number, maxLength: number): { start: number; length: number }[] {
  if (!Number.isInteger(maxLength) || maxLength < 1) throw new RangeError(`maxLength must be a positive integer, got ${maxLength}`);
  const n = Math.max(1, Math.ceil(length / maxLength));
  const windows: { start: number; length: number }[] = [];
  for (let k = 0; k < n; k++) {
    const start = Math.round((k * length) / n);
    const end = Math.round(((k + 1) * length) / n);
    windows.push({ start, length: end - start });
  }
  return windows;
}

export function lengthSortedBatches(indices: readonly number[], lengths: ArrayLike<number>, batchSize: number, options: EvalBatchOptions = {}): BatchPlan[] {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  const { maxLength, maxBatchLength } = options;
  // Ties keep the clips' own order, so the plan is the same on every run.
  const order = [...indices].sort((a, b) => (lengths[a] ?? 0) - (lengths[b] ?? 0) || a - b);
  const plans: BatchPlan[] = [];
  let clips: number[] = [];
  let segments: ClipSegment[] = [];
  let longest = 0;
  let windowed = false;
  const close = () => {
    if (clips.length === 0) return;
    const fits = maxBatchLength === undefined ? batchSize : Math.max(1, Math.min(batchSize, Math.floor(maxBatchLength / Math.max(1, longest))));
    plans.push({
      clipIndices: clips,
      ...(windowed ? { segments } : {}),
      ...(fits < segments.length ? { rowsPerPass: fits } : {}),
    });
    clips = [];
    segments = [];
    longest = 0;
    windowed = false;
  };
  for (const index of order) {
    const n = lengths[index] ?? 0;
    const windows = maxLength !== undefined && n > maxLength ? clipWindows(n, maxLength) : [{ start: 0, length: n }];
    const rowLength = Math.max(...windows.map((w) => w.length));
    const wider = Math.max(longest, rowLength);
    const rows = segments.length + windows.length;
    if (clips.length > 0 && (rows > batchSize || (maxBatchLength !== undefined && rows * wider > maxBatchLength))) close();
    const clip = clips.length;
    clips.push(index);
    for (const w of windows) segments.push({ clip, start: w.start, length: w.length });
    longest = Math.max(longest, rowLength);
    windowed ||= windows.length > 1;
  }
  close();
  return plans;
}
