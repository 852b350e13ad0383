/**
 * The recording channel: background noise at a random signal-to-noise ratio
 * (louder bursts stand further above it), the speaker's device response, and
 * a random overall gain, so that neither absolute level nor a clean
 * background gives the labels away.
 */
import type { Rng } from '../util/rng.js';
import { applyBiquad, designBiquad } from './biquad.js';
import type { DeviceProfile } from './devices.js';
import { CHANNEL } from './model-tables.js';

/** What the channel did to a clip (kept for inspection and tests). */
export interface ChannelReport {
  /** Signal-to-noise ratio in dB, signal measured over its active frames. */
  readonly snrDb: number;
  /** Peak level of the result in dBFS. */
  readonly peakDbfs: number;
}

/** Frame length (samples) used to find the active part of the clip. */
const FRAME = 320;

/**
 * Add background noise, colour by the device and apply the gain, in place.
 * @param level the burst's relative loudness (VoiceControls.level).
 * @param sampleRate rate of `x`.
 */
export function applyRecordingChannel(
  x: Float32Array,
  sampleRate: number,
  level: number,
  device: DeviceProfile,
  rng: Rng,
): ChannelReport {
  const signalRms = activeRms(x);
  const snrDb = rng.uniform(CHANNEL.snrDb[0], CHANNEL.snrDb[1]) + CHANNEL.levelSnrDb * 20 * Math.log10(level);
  const noiseRms = signalRms * Math.pow(10, -snrDb / 20);
  // Coloured noise: white through a one-pole low-pass of random strength,
  // rescaled by its known variance ratio (1 - c) / (1 + c) to unit RMS.
  const c = rng.uniform(0, 0.95);
  const scale = noiseRms * Math.sqrt((1 + c) / (1 - c));
  let state = 0;
  for (let i = 0; i < x.length; i++) {
    const white = (rng.next() - 0.5) * 3.4641016;
    state = (1 - c) * white + c * state;
    x[i] = (x[i] as number) + scale * state;
  }
  // The device hears voice and room alike.
  for (const section of device.sections) applyBiquad(x, designBiquad(section, sampleRate));
  let peak = 0;
  for (let i = 0; i < x.length; i++) peak = Math.max(peak, Math.abs(x[i] as number));
  const peakDbfs = rng.uniform(CHANNEL.peakDbfs[0], CHANNEL.peakDbfs[1]);
  if (peak > 0) {
    const gain = Math.pow(10, peakDbfs / 20) / peak;
    for (let i = 0; i < x.length; i++) x[i] = (x[i] as number) * gain;
  }
  return { snrDb, peakDbfs };
}

/** RMS over the frames holding at least 1% of the loudest frame's energy. */
function activeRms(x: Float32Array): number {
  const energies: number[] = [];
  for (let start = 0; start < x.length; start += FRAME) {
    const end = Math.min(x.length, start + FRAME);
    let e = 0;
    for (let i = start; i < end; i++) e += (x[i] as number) ** 2;
    energies.push(e / (end - start));
  }
  const max = Math.max(0, ...energies);
  const active = energies.filter((e) => e >= 0.01 * max);
  if (active.length === 0 || max === 0) return 0;
  return Math.sqrt(active.reduce((a, b) => a + b, 0) / active.length);
}
