/**
 * The latent state of one clip: what was voiced (burst type) and felt
 * (emotions, valence, arousal). The audio is rendered from this; the labels
 * are noisy observations of it.
 */
import { EMOTIONS } from '../tasks.js';
import type { Rng } from '../util/rng.js';
import {
  AROUSAL_WEIGHTS,
  LATENT_NOISE,
  TYPE_AROUSAL_OFFSET,
  TYPE_EMOTION_MEANS,
  TYPE_PRIOR,
  VALENCE_WEIGHTS,
} from './model-tables.js';
import { clamp01, logit, sampleCategorical, sigmoid } from './sampling.js';

/** Latent affect and burst of one clip (all in [0, 1] except the type index). */
export interface SynthClipLatent {
  /** Burst type voiced, index into BURST_TYPES. */
  readonly type: number;
  /** Ten emotion intensities in [0, 1], EMOTIONS order. */
  readonly emotions: readonly number[];
  /** Latent valence in [0, 1]. */
  readonly valence: number;
  /** Latent arousal in [0, 1]. */
  readonly arousal: number;
}

/** Emotion intensity around which the valence/arousal weights pivot. */
const EMOTION_PIVOT = 0.3;

/**
 * Draw one clip's latent state: a type from TYPE_PRIOR; emotions scattered in
 * logit space around the type's means (per emotion, plus one offset shared
 * by all ten); valence and arousal as squashed weighted sums of the emotions
 * (arousal also shifted by type), plus a little independent latent noise.
 */
export function sampleClipLatent(rng: Rng): SynthClipLatent {
  const type = sampleCategorical(rng, TYPE_PRIOR);
  const means = TYPE_EMOTION_MEANS[type] as readonly number[];
  const shared = rng.normal(0, LATENT_NOISE.intensityLogit);
  const emotions = EMOTIONS.map((_, e) => {
    const mean = Math.min(0.97, Math.max(0.03, means[e] as number));
    return sigmoid(logit(mean) + shared + rng.normal(0, LATENT_NOISE.emotionLogit));
  });
  let valenceRaw = 0;
  let arousalRaw = TYPE_AROUSAL_OFFSET[type] as number;
  for (let e = 0; e < emotions.length; e++) {
    const centred = (emotions[e] as number) - EMOTION_PIVOT;
    valenceRaw += (VALENCE_WEIGHTS[e] as number) * centred;
    arousalRaw += (AROUSAL_WEIGHTS[e] as number) * centred;
  }
  const valence = clamp01(0.5 + 0.45 * Math.tanh(valenceRaw) + rng.normal(0, LATENT_NOISE.valence));
  const arousal = clamp01(0.5 + 0.45 * Math.tanh(arousalRaw) + rng.normal(0, LATENT_NOISE.arousal));
  return { type, emotions, valence, arousal };
}
