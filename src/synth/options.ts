/**
 * Options of the synthetic corpus generator, their defaults and validation.
 */
import type { Split } from '../tasks.js';

/** Fractions of clips per split; they are normalised to sum to 1. */
export type SplitFractions = { readonly [S in Split]: number };

/** What to generate: everything but the output folder and layout. */
export interface SynthGenerationOptions {
  /** Corpus seed: equal seeds give byte-identical corpora. Default 2022. */
  readonly seed?: number;
  /** Number of clips. Default 360. */
  readonly clips?: number;
  /** Shortest clip in seconds. Default 1. */
  readonly minSeconds?: number;
  /** Longest clip in seconds. Default 2.5. */
  readonly maxSeconds?: number;
  /** Share of clips written at 44.1 kHz stereo (rounded to whole clips). Default 0.15. */
  readonly hiResFraction?: number;
  /** Share of clips written as 32-bit float rather than 16-bit PCM (rounded to whole clips). Default 0.05. */
  readonly floatFraction?: number;
  /** Clip shares of Train/Val/Test, split by speaker. Default 0.6/0.2/0.2. */
  readonly splits?: SplitFractions;
  /** Mean number of clips per speaker. Default 6. */
  readonly clipsPerSpeaker?: number;
}

/** Options with every default filled in. */
export type ResolvedSynthOptions = { readonly [K in keyof SynthGenerationOptions]-?: NonNullable<SynthGenerationOptions[K]> };

/**
 * Defaults sized for the CPU demo: 360 clips of 1–2.5 s is about 10 minutes
 * of audio, of which about 6 minutes train; a width-64 backbone passes over
 * that in seconds per epoch on two cores, so a dozen epochs fit in about a
 * minute, while every split still holds dozens of clips per type and country.
 */
export const SYNTH_DEFAULTS: ResolvedSynthOptions = {
  seed: 2022,
  clips: 360,
  minSeconds: 1,
  maxSeconds: 2.5,
  hiResFraction: 0.15,
  floatFraction: 0.05,
  splits: { Train: 0.6, Val: 0.2, Test: 0.2 },
  clipsPerSpeaker: 6,
};

/**
 * Fill in defaults and check ranges.
 * @throws RangeError naming the offending option.
 */
export function resolveSynthOptions(options: SynthGenerationOptions = {}): ResolvedSynthOptions {
  const o: ResolvedSynthOptions = {
    seed: options.seed ?? SYNTH_DEFAULTS.seed,
    clips: options.clips ?? SYNTH_DEFAULTS.clips,
    minSeconds: options.minSeconds ?? SYNTH_DEFAULTS.minSeconds,
    maxSeconds: options.maxSeconds ?? SYNTH_DEFAULTS.maxSeconds,
    hiResFraction: options.hiResFraction ?? SYNTH_DEFAULTS.hiResFraction,
    floatFraction: options.floatFraction ?? SYNTH_DEFAULTS.floatFraction,
    splits: options.splits ?? SYNTH_DEFAULTS.splits,
    clipsPerSpeaker: options.clipsPerSpeaker ?? SYNTH_DEFAULTS.clipsPerSpeaker,
  };
  if (!Number.isInteger(o.seed)) throw new RangeError(`synth: seed must be an integer, got ${o.seed}`);
  if (!Number.isInteger(o.clips) || o.clips < 3) throw new RangeError(`synth: clips must be an integer >= 3, got ${o.clips}`);
  if (!(o.minSeconds >= 0.3)) throw new RangeError(`synth: minSeconds must be >= 0.3, got ${o.minSeconds}`);
  if (!(o.maxSeconds >= o.minSeconds) || !(o.maxSeconds <= 60)) {
    throw new RangeError(`synth: maxSeconds must be in [minSeconds, 60], got ${o.maxSeconds}`);
  }
  for (const key of ['hiResFraction', 'floatFraction'] as const) {
    const v = o[key];
    if (!(v >= 0 && v <= 1)) throw new RangeError(`synth: ${key} must be in [0, 1], got ${v}`);
  }
  if (!(o.clipsPerSpeaker >= 1)) throw new RangeError(`synth: clipsPerSpeaker must be >= 1, got ${o.clipsPerSpeaker}`);
  const { Train, Val, Test } = o.splits;
  for (const [name, v] of Object.entries({ Train, Val, Test })) {
    if (!(v >= 0) || !Number.isFinite(v)) throw new RangeError(`synth: split fraction ${name} must be >= 0, got ${v}`);
  }
  const total = Train + Val + Test;
  if (!(total > 0)) throw new RangeError('synth: split fractions must not all be 0');
  const used = [Train, Val, Test].filter((v) => v > 0).length;
  if (o.clips < used) throw new RangeError(`synth: ${o.clips} clips cannot fill ${used} splits`);
  return { ...o, splits: { Train: Train / total, Val: Val / total, Test: Test / total } };
}
