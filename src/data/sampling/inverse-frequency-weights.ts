/**
 * Inverse-frequency weights computed on the training split: class weights
 * for the classification losses (recipe A's default) and per-clip sample
 * weights inverse to the speaker's country (recipe A's "+SW" variant).
 *
 * Both use the "balanced" form w = N / (K · n): N labelled clips, K classes
 * that occur, n clips of the class. The weights average to 1 over the
 * training clips. A class that never occurs in training gets the neutral
 * weight 1 (there is nothing to balance it against).
 */
import { TASK_SPECS } from '../../tasks.js';
import type { Clip } from '../corpus/corpus.js';

/** A classification task. */
export type ClassificationTask = 'type' | 'country';

/** Clips per class of `task` among `indices`. */
export function classCounts(clips: readonly Clip[], indices: readonly number[], task: ClassificationTask): Int32Array {
  const counts = new Int32Array(TASK_SPECS[task].size);
  for (const index of indices) {
    const label = clips[index]?.labels[task];
    if (label !== undefined) counts[label] = (counts[label] as number) + 1;
  }
  return counts;
}

/**
 * Class weights for a weighted cross-entropy, index-aligned with the
 * task's classes.
 * @param indices the training clips
 */
export function inverseFrequencyClassWeights(
  clips: readonly Clip[],
  indices: readonly number[],
  task: ClassificationTask,
): Float32Array {
  return balancedWeights(classCounts(clips, indices, task));
}

/**
 * One weight per clip of the whole list (indexed like `clips`), inverse to
 * the frequency of the clip's country in the training clips. Clips without
 * a country label get 1.
 * @param trainIndices the training clips the frequencies come from
 */
export function inverseCountrySampleWeights(clips: readonly Clip[], trainIndices: readonly number[]): Float32Array {
  const perCountry = balancedWeights(classCounts(clips, trainIndices, 'country'));
  return Float32Array.from(clips, (clip) => (clip.labels.country === undefined ? 1 : (perCountry[clip.labels.country] ?? 1)));
}

function balancedWeights(counts: Int32Array): Float32Array {
  let total = 0;
  let present = 0;
  for (const n of counts) {
    total += n;
    if (n > 0) present++;
  }
  return Float32Array.from(counts, (n) => (n > 0 ? total / (present * n) : 1));
}
