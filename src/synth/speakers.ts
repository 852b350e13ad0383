/**
 * Synthetic speakers: who they are (the labels: subject id, country, age)
 * and how they sound (base pitch, vocal-tract scaling, accent colouring).
 */
import { AGE_RANGE, COUNTRIES, type Split } from '../tasks.js';
import { Rng } from '../util/rng.js';
import { AGE_BY_COUNTRY, COUNTRY_PRIOR, LABEL_NOISE } from './model-tables.js';
import { sampleSpeakerDevice, type DeviceProfile } from './devices.js';
import { sampleCategorical } from './sampling.js';

/** One synthetic speaker. */
export interface SynthSpeaker {
  /** Index in the corpus's speaker list. */
  readonly index: number;
  /** `Subject_ID` as written in the CSVs, e.g. `S0007`. */
  readonly subjectId: string;
  /** Labelled country, index into COUNTRIES. */
  readonly country: number;
  /**
   * Country whose colouring the voice carries (index into COUNTRIES); equals
   * `country` except for a LABEL_NOISE.accentMismatch share of speakers.
   */
  readonly accentCountry: number;
  /** Labelled age in whole years, within AGE_RANGE. */
  readonly age: number;
  /** The age the voice sounds like, in years (labelled age plus noise). */
  readonly vocalAge: number;
  /** Base pitch in Hz (lower and higher voice groups, ~115 and ~210 Hz). */
  readonly basePitch: number;
  /** Vocal-tract scaling of all formants (about 0.85–1.2; higher voices have shorter tracts). */
  readonly tractScale: number;
  /** Speaker's own strength of the country pitch-contour shape (multiplier around 1). */
  readonly accentStrength: number;
  /** The device the speaker records on (frequency response; often their country's typical one). */
  readonly device: DeviceProfile;
  /** Split the speaker belongs to (speakers never span splits). */
  split: Split;
}

/**
 * Draw `count` speakers. Their split is set to `Train` here and assigned
 * later by {@link assignSpeakerSplits}.
 */
export function sampleSpeakers(count: number, seed: number): SynthSpeaker[] {
  const rng = new Rng(seed);
  const speakers: SynthSpeaker[] = [];
  for (let index = 0; index < count; index++) {
    const country = sampleCategorical(rng, COUNTRY_PRIOR);
    const accentCountry =
      rng.next() < LABEL_NOISE.accentMismatch ? (country + 1 + rng.int(COUNTRIES.length - 1)) % COUNTRIES.length : country;
    const age = clamp(Math.round(rng.normal(AGE_BY_COUNTRY.mean[country] as number, AGE_BY_COUNTRY.sd)), AGE_RANGE.min, AGE_RANGE.max);
    const vocalAge = clamp(age + rng.normal(0, LABEL_NOISE.vocalAgeYears), 16, 45);
    const highVoice = rng.next() < 0.5;
    const basePitch = (highVoice ? 210 : 115) * Math.exp(rng.normal(0, 0.12));
    const tractScale = clamp((highVoice ? 1.08 : 0.93) * Math.exp(rng.normal(0, 0.04)), 0.82, 1.22);
    const accentStrength = rng.uniform(0.6, 1.4);
    const device = sampleSpeakerDevice(country, rng);
    speakers.push({
      index,
      subjectId: `S${String(index + 1).padStart(4, '0')}`,
      country,
      accentCountry,
      age,
      vocalAge,
      basePitch,
      tractScale,
      accentStrength,
      device,
      split: 'Train',
    });
  }
  return speakers;
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}
