/**
 * From latent affect and speaker to the knobs of the voice: this file is the
 * map of "what drives what" in the synthetic audio. Each knob is a simple
 * function of arousal, valence, a few emotions, the speaker's vocal age and
 * accent, plus a little per-clip randomness (so the audio is not a
 * deterministic function of the labels either).
 */
import type { Rng } from '../util/rng.js';
import { ACCENTS, ACCENT_CONTOUR_DEPTH, type Accent } from './accent.js';
import { AGE_CUES } from './model-tables.js';
import type { SynthClipLatent } from './clip-latent.js';
import type { SynthSpeaker } from './speakers.js';

/** Knobs of the voice for one clip. */
export interface VoiceControls {
  /** Centre pitch of voiced sound in Hz (before type-specific multipliers). */
  readonly f0: number;
  /** Log-f0 change over each voiced segment (positive: rising). */
  readonly glide: number;
  /** Log-f0 jump at voiced onsets, decaying within ~60 ms (surprise). */
  readonly onsetJump: number;
  /** Tremolo (slow pitch wobble) depth in log-f0 units and rate in Hz (fear, horror). */
  readonly tremoloDepth: number;
  readonly tremoloRate: number;
  /** Relative std of the period-to-period pitch perturbation (age, distress, horror). */
  readonly jitter: number;
  /** Relative std of the period-to-period amplitude perturbation. */
  readonly shimmer: number;
  /** Share of noise in the voice source, 0–1 (awe, sadness, age; less with arousal). */
  readonly breathiness: number;
  /** One-pole low-pass coefficient on the source: 0 bright .. 0.9 dark (less with arousal). */
  readonly tilt: number;
  /** Glottal open quotient (longer open phase: softer, breathier voice). */
  readonly openQuotient: number;
  /** Multiplier of every formant: speaker's tract, lowered with vocal age, and a smile-like raise with valence. */
  readonly formantScale: number;
  /** Accent whose formant shift and contour shape the voice carries. */
  readonly accent: Accent;
  /** Log-f0 depth of the accent contour (speaker strength times the model depth). */
  readonly accentDepth: number;
  /** Multiplier of syllable and burst rates (arousal, amusement; awkwardness slows). */
  readonly tempo: number;
  /** Relative loudness of the burst (arousal, triumph); sets its height above the noise floor. */
  readonly level: number;
  /** Depth of a laughter-like 5 Hz amplitude pulsing inside voiced segments (amusement). */
  readonly pulsing: number;
  /** Normalised vocal age in [0, 1] over 20–39 years (used for creak in some bursts). */
  readonly age01: number;
}

/** Emotion indices in EMOTIONS order, named for readability. */
const E = {
  awe: 0,
  excitement: 1,
  amusement: 2,
  awkwardness: 3,
  fear: 4,
  horror: 5,
  distress: 6,
  triumph: 7,
  sadness: 8,
  surprise: 9,
} as const;

/** Derive the voice knobs of one clip. */
export function voiceControls(latent: SynthClipLatent, speaker: SynthSpeaker, rng: Rng): VoiceControls {
  const em = (k: number): number => latent.emotions[k] as number;
  const a = latent.arousal - 0.5;
  const v = latent.valence - 0.5;
  const age01 = Math.min(1, Math.max(0, (speaker.vocalAge - 20) / 19));
  const accent = ACCENTS[speaker.accentCountry] as Accent;

  const f0 =
    speaker.basePitch *
    Math.exp(0.55 * a + 0.15 * em(E.excitement) + 0.12 * em(E.fear) - 0.12 * em(E.sadness) - AGE_CUES.logPitch * age01 + rng.normal(0, 0.05));
  const glide = 0.3 * v - 0.3 * em(E.sadness) + 0.1 * em(E.surprise) + rng.normal(0, 0.04);
  const breathiness = clampRange(
    0.1 + 0.3 * em(E.awe) + 0.2 * em(E.sadness) + AGE_CUES.breathiness * age01 - 0.2 * a + rng.normal(0, 0.04),
    0.02,
    0.85,
  );
  const tilt = clampRange(0.45 - 0.7 * a - 0.15 * em(E.triumph) + AGE_CUES.tilt * age01 + rng.normal(0, 0.04), 0.02, 0.92);
  return {
    f0,
    glide,
    onsetJump: 0.35 * em(E.surprise),
    tremoloDepth: 0.06 * (em(E.fear) + em(E.horror)) / 2,
    tremoloRate: rng.uniform(5, 7.5),
    jitter: 0.004 + 0.045 * age01 + 0.02 * em(E.distress) + 0.012 * em(E.horror),
    shimmer: 0.03 + 0.1 * em(E.distress) + 0.15 * age01,
    breathiness,
    tilt,
    openQuotient: clampRange(0.55 + 0.2 * breathiness - 0.12 * em(E.triumph), 0.35, 0.8),
    formantScale: speaker.tractScale * (1 - AGE_CUES.formantSpread * (age01 - 0.5)) * (1 + 0.08 * v) * Math.exp(rng.normal(0, 0.015)),
    accent,
    accentDepth: ACCENT_CONTOUR_DEPTH * speaker.accentStrength,
    tempo: Math.exp(0.6 * a + 0.25 * em(E.amusement) - 0.25 * em(E.awkwardness) - AGE_CUES.logTempo * age01 + rng.normal(0, 0.06)),
    level: Math.exp(0.9 * a + 0.3 * em(E.triumph) - 0.3 * em(E.awkwardness)),
    pulsing: 0.6 * em(E.amusement),
    age01,
  };
}

function clampRange(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}
