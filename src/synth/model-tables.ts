/**
 * The constants of the synthetic corpus's generative model: class priors,
 * how emotions follow burst types, how valence and arousal follow emotions,
 * and every noise level. Gathered here so the README, the tests and the code
 * speak of the same numbers. Orders follow `src/data/schema.ts`.
 */
import { BURST_TYPES, COUNTRIES, EMOTIONS } from '../tasks.js';

/** Prior probability of each burst type (BURST_TYPES order); deliberately unbalanced. */
export const TYPE_PRIOR: readonly number[] = [0.13, 0.22, 0.1, 0.1, 0.11, 0.1, 0.1, 0.14];

/** Prior probability of each speaker country (COUNTRIES order: China, South Africa, United States, Venezuela). */
export const COUNTRY_PRIOR: readonly number[] = [0.22, 0.2, 0.34, 0.24];

/**
 * Speakers' ages by country (COUNTRIES order): a normal around the mean,
 * rounded and kept within AGE_RANGE (20–39). As in the ExVo corpus (paper B,
 * Sec. 2 and Fig. 1), most speakers are under 27.5 and those from China,
 * South Africa and Venezuela are younger than those from the United
 * States: an age–country bias a multitask model can exploit.
 */
export const AGE_BY_COUNTRY = {
  mean: [23, 24, 33, 23.5] as readonly number[],
  sd: 3.5,
} as const;

/**
 * Mean emotion intensity of each burst type, rows in BURST_TYPES order,
 * columns in EMOTIONS order (Awe, Excitement, Amusement, Awkwardness, Fear,
 * Horror, Distress, Triumph, Sadness, Surprise). A clip's emotions scatter
 * around its type's row (see LATENT_NOISE).
 */
export const TYPE_EMOTION_MEANS: readonly (readonly number[])[] = [
  /* Gasp   */ [0.45, 0.3, 0.1, 0.2, 0.45, 0.35, 0.25, 0.1, 0.1, 0.75],
  /* Laugh  */ [0.1, 0.5, 0.85, 0.3, 0.05, 0.05, 0.05, 0.3, 0.05, 0.2],
  /* Cry    */ [0.05, 0.05, 0.05, 0.15, 0.25, 0.2, 0.65, 0.05, 0.85, 0.1],
  /* Scream */ [0.1, 0.4, 0.1, 0.05, 0.75, 0.7, 0.6, 0.35, 0.1, 0.45],
  /* Grunt  */ [0.05, 0.15, 0.1, 0.4, 0.1, 0.1, 0.35, 0.25, 0.15, 0.1],
  /* Groan  */ [0.1, 0.05, 0.05, 0.35, 0.1, 0.15, 0.5, 0.05, 0.45, 0.05],
  /* Pant   */ [0.15, 0.45, 0.1, 0.2, 0.35, 0.25, 0.4, 0.3, 0.1, 0.2],
  /* Other  */ [0.35, 0.3, 0.25, 0.35, 0.2, 0.2, 0.25, 0.2, 0.2, 0.3],
];

/** Weight of each emotion (EMOTIONS order) in latent valence: pleasant emotions raise it. */
export const VALENCE_WEIGHTS: readonly number[] = [0.8, 1.0, 1.3, -0.4, -1.0, -1.1, -1.0, 1.0, -1.1, 0.1];

/** Weight of each emotion (EMOTIONS order) in latent arousal. */
export const AROUSAL_WEIGHTS: readonly number[] = [0.0, 1.2, 0.6, -0.2, 1.0, 0.9, 0.6, 1.0, -0.6, 0.8];

/** Arousal offset of each burst type (BURST_TYPES order): screams and pants are aroused, groans are not. */
export const TYPE_AROUSAL_OFFSET: readonly number[] = [0.2, 0.1, 0.0, 0.6, 0.0, -0.4, 0.3, 0.0];

/**
 * Randomness inside the latent world (it shapes both audio and labels, so a
 * model can learn it): how far a clip's emotions stray from its type's
 * means, and how much of valence/arousal the emotions do not explain.
 */
export const LATENT_NOISE = {
  /** Std of each emotion's logit around its type mean. */
  emotionLogit: 0.9,
  /** Std of a per-clip logit offset shared by all ten emotions (overall intensity). */
  intensityLogit: 0.5,
  /** Std of latent valence beyond what the emotions explain (0–1 scale). */
  valence: 0.05,
  /** Std of latent arousal beyond what the emotions and type explain (0–1 scale). */
  arousal: 0.06,
} as const;

/**
 * Label noise: how observed labels differ from the latent values that drive
 * the audio. No model can remove it; it bounds every metric.
 */
export const LABEL_NOISE = {
  /** Std of Gaussian noise on each "high" emotion rating (then clamped to [0, 1]). */
  high: 0.08,
  /** Std of Gaussian noise on the Valence and Arousal labels (then clamped to [0, 1]). */
  two: 0.06,
  /** Std of Gaussian noise on each culture rating (fewer raters per country: noisier). */
  culture: 0.1,
  /** Probability that a clip's type label names a different type (uniformly chosen) from the one voiced. */
  typeFlip: 0.08,
  /** Probability that a speaker's voice carries another country's colouring than the labelled country. */
  accentMismatch: 0.08,
  /** Std in years of the difference between the age that shapes the voice and the labelled age. */
  vocalAgeYears: 2,
} as const;

/**
 * How the speaker's vocal age (normalised to [0, 1] over 20–39 years,
 * `age01`) shapes every clip of that speaker: older voices are lower,
 * breathier, darker and have lower, more closely spaced formants (a longer
 * vocal tract). Each cue also depends on affect (see voice-controls.ts), so
 * age is heard over the whole of a speaker's clips rather than in any one.
 */
export const AGE_CUES = {
  /** Log-f0 lowered by this much from 20 to 39 years (e^−0.4 ≈ 0.67: a third lower). */
  logPitch: 0.4,
  /** Noise share of the voice source raised by this much from 20 to 39 years. */
  breathiness: 0.4,
  /** Source low-pass coefficient raised by this much from 20 to 39 years (darker). */
  tilt: 0.5,
  /** Formants scaled by 1 − formantSpread·(age01 − 0.5): ±15% around the speaker's own. */
  formantSpread: 0.3,
  /** Log-tempo (syllable and burst rates) lowered by this much from 20 to 39 years (older: slower). */
  logTempo: 0.2,
} as const;

/** Recording-channel ranges: background noise and the final gain. */
export const CHANNEL = {
  /** Signal-to-noise ratio range in dB before the loudness adjustment of CHANNEL.levelSnrDb. */
  snrDb: [15, 35] as const,
  /** dB of SNR added per dB of burst level: louder bursts stand further above the noise floor. */
  levelSnrDb: 1,
  /** Peak level range of a written clip in dBFS. */
  peakDbfs: [-20, -1] as const,
} as const;

/** Rate and format of the generated audio. */
export const AUDIO = {
  /** Rate the audio is synthesised at, and written at for most clips. */
  sampleRate: 16000,
  /** Rate of the high-resolution stereo copies. */
  hiResSampleRate: 44100,
} as const;

// Sanity of the tables at load time: a wrong edit fails loudly, not subtly.
if (TYPE_PRIOR.length !== BURST_TYPES.length || TYPE_EMOTION_MEANS.length !== BURST_TYPES.length) {
  throw new Error('synth model tables: one row per burst type expected');
}
if (COUNTRY_PRIOR.length !== COUNTRIES.length) throw new Error('synth model tables: one prior per country expected');
for (const row of [...TYPE_EMOTION_MEANS, VALENCE_WEIGHTS, AROUSAL_WEIGHTS]) {
  if (row.length !== EMOTIONS.length) throw new Error('synth model tables: one column per emotion expected');
}
