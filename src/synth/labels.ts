/**
 * Observed labels: noisy readings of a clip's latent state and its speaker,
 * with the noise levels of LABEL_NOISE.
 */
import { BURST_TYPES } from '../tasks.js';
import type { Rng } from '../util/rng.js';
import type { SynthClipLatent } from './clip-latent.js';
import { expectedCultureRatings } from './culture.js';
import { LABEL_NOISE } from './model-tables.js';
import { clamp01 } from './sampling.js';
import type { SynthSpeaker } from './speakers.js';

/** Every label a synthetic clip carries (the layouts write the ones they hold). */
export interface SynthClipLabels {
  /** Ten emotion ratings in [0, 1], EMOTIONS order. */
  readonly high: readonly number[];
  /** Valence and arousal ratings in [0, 1]. */
  readonly two: readonly [number, number];
  /** Forty culture ratings in [0, 1], CULTURE_COLUMNS order. */
  readonly culture: readonly number[];
  /** Labelled burst type, index into BURST_TYPES. */
  readonly type: number;
  /** Labelled speaker country, index into COUNTRIES. */
  readonly country: number;
  /** Labelled speaker age in years. */
  readonly age: number;
}

/** Draw the observed labels of a clip. */
export function observeLabels(latent: SynthClipLatent, speaker: SynthSpeaker, rng: Rng): SynthClipLabels {
  const high = latent.emotions.map((e) => clamp01(e + rng.normal(0, LABEL_NOISE.high)));
  const two: [number, number] = [
    clamp01(latent.valence + rng.normal(0, LABEL_NOISE.two)),
    clamp01(latent.arousal + rng.normal(0, LABEL_NOISE.two)),
  ];
  const culture = expectedCultureRatings(latent.emotions, speaker.country).map((r) =>
    clamp01(r + rng.normal(0, LABEL_NOISE.culture)),
  );
  // An annotator confusion replaces the type with any other type.
  const type =
    rng.next() < LABEL_NOISE.typeFlip ? (latent.type + 1 + rng.int(BURST_TYPES.length - 1)) % BURST_TYPES.length : latent.type;
  return { high, two, culture, type, country: speaker.country, age: speaker.age };
}
