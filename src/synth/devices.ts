/**
 * Recording devices. Crowd-sourced corpora are recorded on whatever each
 * participant owns, and what people own differs by country; so the device's
 * frequency response is a real (if unwelcome) country cue. Each country has
 * a typical device here; a speaker records on it with probability
 * DEVICE_TYPICAL_SHARE, otherwise on any of the four, and every speaker's
 * unit differs a little from the nominal response.
 */
import type { Rng } from '../util/rng.js';
import type { BiquadSpec } from './biquad.js';

/** A device's nominal response and the country it is typical of. */
export interface DeviceProfile {
  readonly name: string;
  readonly sections: readonly BiquadSpec[];
}

/** Share of speakers who record on their country's typical device. */
export const DEVICE_TYPICAL_SHARE = 0.7;

/** Device profiles, indexed like COUNTRIES: the typical device of China, South Africa, United States, Venezuela. */
export const DEVICE_PROFILES: readonly DeviceProfile[] = [
  {
    name: 'headset',
    sections: [
      { kind: 'highpass', frequency: 300, q: 0.707 },
      { kind: 'peaking', frequency: 2500, q: 1, gainDb: 6 },
    ],
  },
  {
    name: 'phone',
    sections: [
      { kind: 'highpass', frequency: 200, q: 0.707 },
      { kind: 'lowpass', frequency: 3800, q: 0.707 },
    ],
  },
  {
    name: 'laptop',
    sections: [
      { kind: 'highpass', frequency: 100, q: 0.707 },
      { kind: 'peaking', frequency: 1000, q: 0.7, gainDb: -6 },
      { kind: 'peaking', frequency: 5000, q: 0.8, gainDb: 4 },
    ],
  },
  {
    name: 'webcam',
    sections: [
      { kind: 'highpass', frequency: 80, q: 0.707 },
      { kind: 'peaking', frequency: 600, q: 1, gainDb: 7 },
      { kind: 'lowpass', frequency: 6000, q: 0.707 },
    ],
  },
];

/**
 * Pick a speaker's device and perturb it: frequencies by up to ±10%, gains
 * by up to ±2 dB.
 * @param country the speaker's labelled country (index into COUNTRIES).
 */
export function sampleSpeakerDevice(country: number, rng: Rng): DeviceProfile {
  const index = rng.next() < DEVICE_TYPICAL_SHARE ? country : rng.int(DEVICE_PROFILES.length);
  const nominal = DEVICE_PROFILES[index] as DeviceProfile;
  return {
    name: nominal.name,
    sections: nominal.sections.map((s) => {
      const frequency = s.frequency * rng.uniform(0.9, 1.1);
      return s.kind === 'peaking' ? { ...s, frequency, gainDb: s.gainDb + rng.uniform(-2, 2) } : { ...s, frequency };
    }),
  };
}
