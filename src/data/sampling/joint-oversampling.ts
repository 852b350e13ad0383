/**
 * Oversampling of rare regions of the joint label distribution (recipe B's
 * optional variant; it hurt in the Burst2Vec paper, so it is off by default).
 *
 * What is binned: each clip falls in the bin (age band, country, dominant
 * emotion), where the age band is 5 years wide from AGE_RANGE.min (20–24,
 * 25–29, 30–34, 35–39), the country is the class index and the dominant
 * emotion is the arg-max of the ten `high` intensities. A missing label is
 * its own value ("-"), so unlabelled clips form their own bins.
 *
 * What is oversampled: every bin smaller than the target size (by default
 * the median size of the non-empty bins) gets extra draws, with
 * replacement, up to the target, but never more than `maxFactor` times its
 * own size (so a one-clip bin is not repeated hundreds of times). Bins at or
 * above the target are left as they are.
 */
import type { Rng } from '../../util/rng.js';
import { AGE_RANGE } from '../../tasks.js';
import type { Clip } from '../corpus/corpus.js';

/** Options of {@link oversampleJointBins}. */
export interface JointOversamplingOptions {
  readonly rng: Rng;
  /** Width of an age band in years. Default 5. */
  readonly ageBandYears?: number;
  /** Quantile of the non-empty bin sizes used as the target size. Default 0.5 (median). */
  readonly targetQuantile?: number;
  /** A bin grows to at most this many times its size. Default 4. */
  readonly maxFactor?: number;
}

/** One bin's counts, for reports. */
export interface JointBin {
  /** `age band|country|emotion`, e.g. `20-24|2|7`; `-` marks a missing label. */
  readonly key: string;
  /** Clips in the bin before oversampling. */
  readonly count: number;
  /** Extra draws added. */
  readonly added: number;
}

/** Result of {@link oversampleJointBins}. */
export interface JointOversampling {
  /** The input indices followed by the extra draws (repeats of input indices). */
  readonly indices: number[];
  /** Every non-empty bin, largest first. */
  readonly bins: JointBin[];
  /** The target bin size used. */
  readonly targetSize: number;
}

/** The joint bin of a clip (see the module comment). */
export function jointBinKey(clip: Clip, ageBandYears = 5): string {
  const { age, country, high } = clip.labels;
  let band = '-';
  if (age !== undefined) {
    const lower = AGE_RANGE.min + Math.floor((age - AGE_RANGE.min) / ageBandYears) * ageBandYears;
    band = `${lower}-${lower + ageBandYears - 1}`;
  }
  let emotion = '-';
  if (high !== undefined && high.length > 0) {
    let best = 0;
    for (let i = 1; i < high.length; i++) if ((high[i] as number) > (high[best] as number)) best = i;
    emotion = String(best);
  }
  return `${band}|${country ?? '-'}|${emotion}`;
}

/**
 * Oversample the rare joint bins among `indices`.
 * @param indices the clips to balance (e.g. the training split)
 */
export function oversampleJointBins(
  clips: readonly Clip[],
  indices: readonly number[],
  options: JointOversamplingOptions,
): JointOversampling {
  const quantile = options.targetQuantile ?? 0.5;
  const maxFactor = options.maxFactor ?? 4;
  if (!(quantile >= 0 && quantile <= 1)) throw new RangeError(`targetQuantile must be in [0, 1], got ${quantile}`);
  if (!(maxFactor >= 1)) throw new RangeError(`maxFactor must be ≥ 1, got ${maxFactor}`);
  const members = new Map<string, number[]>();
  for (const index of indices) {
    const clip = clips[index];
    if (clip === undefined) throw new RangeError(`clip index ${index} out of range`);
    const key = jointBinKey(clip, options.ageBandYears);
    let list = members.get(key);
    if (list === undefined) members.set(key, (list = []));
    list.push(index);
  }
  const sizes = [...members.values()].map((m) => m.length).sort((a, b) => a - b);
  const targetSize = sizes.length === 0 ? 0 : (sizes[Math.round(quantile * (sizes.length - 1))] as number);

  const result = [...indices];
  const bins: JointBin[] = [];
  // Sorted keys make the draws independent of Map insertion order.
  for (const key of [...members.keys()].sort()) {
    const list = members.get(key) as number[];
    const wanted = Math.min(targetSize, Math.floor(list.length * maxFactor));
    const added = Math.max(0, wanted - list.length);
    for (let k = 0; k < added; k++) result.push(list[options.rng.int(list.length)] as number);
    bins.push({ key, count: list.length, added });
  }
  bins.sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : 1));
  return { indices: result, bins, targetSize };
}
