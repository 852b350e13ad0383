/**
 * A clip's audio, from its latent state and speaker: voice knobs, a burst
 * plan, source-filter synthesis of each segment, then the recording channel.
 * Also the file version of it (44.1 kHz stereo for the high-resolution
 * share). Everything is drawn from the clip's own seed, so any clip can be
 * rendered alone, in any order, with identical results.
 */
import { Rng } from '../util/rng.js';
import { planBurst, type Segment } from './burst-plans.js';
import type { SynthClip } from './corpus-latents.js';
import { AUDIO } from './model-tables.js';
import { applyRecordingChannel, type ChannelReport } from './recording-channel.js';
import { renderSegment } from './render-segment.js';
import { deriveSeed, STREAM } from './seeds.js';
import type { SynthSpeaker } from './speakers.js';
import { upsample } from './upsample.js';
import { voiceControls, type VoiceControls } from './voice-controls.js';

/** A rendered clip at the synthesis rate (16 kHz, mono), with what shaped it. */
export interface RenderedClip {
  /** Mono samples at AUDIO.sampleRate, channel noise and gain applied. */
  readonly samples: Float32Array;
  readonly sampleRate: number;
  /** The voice knobs the latent state produced. */
  readonly controls: VoiceControls;
  /** The burst plan that was voiced. */
  readonly segments: readonly Segment[];
  readonly channel: ChannelReport;
}

/** Audio as it will be written to the clip's file. */
export interface ClipFileAudio {
  /** One array per channel (1 or 2). */
  readonly channels: readonly Float32Array[];
  readonly sampleRate: number;
  readonly format: 'pcm16' | 'float32';
}

/** Render one clip at 16 kHz mono. */
export function renderClip(clip: SynthClip, speaker: SynthSpeaker): RenderedClip {
  const rng = new Rng(clip.audioSeed);
  const sampleRate = AUDIO.sampleRate;
  const controls = voiceControls(clip.latent, speaker, rng);
  const segments = planBurst(clip.latent.type, clip.seconds, controls, rng);
  const samples = new Float32Array(clip.frames);
  for (const segment of segments) renderSegment(samples, sampleRate, segment, controls, rng);
  const channel = applyRecordingChannel(samples, sampleRate, controls.level, speaker.device, rng);
  return { samples, sampleRate, controls, segments, channel };
}

/**
 * The audio of a clip's file: the 16 kHz render as is, or upsampled to
 * 44.1 kHz and spread over two channels with slightly different gains (so a
 * reader's mix-down has something to average).
 */
export function clipFileAudio(clip: SynthClip, rendered: RenderedClip): ClipFileAudio {
  if (!clip.hiRes) return { channels: [rendered.samples], sampleRate: rendered.sampleRate, format: clip.format };
  const wide = upsample(rendered.samples, rendered.sampleRate, AUDIO.hiResSampleRate);
  const rng = new Rng(deriveSeed(clip.audioSeed, STREAM.stereo));
  const balance = rng.uniform(-0.15, 0.15);
  const left = new Float32Array(wide.length);
  const right = new Float32Array(wide.length);
  let peak = 0;
  for (let i = 0; i < wide.length; i++) {
    const v = wide[i] as number;
    left[i] = v * (1 + balance);
    right[i] = v * (1 - balance);
    peak = Math.max(peak, Math.abs(left[i] as number), Math.abs(right[i] as number));
  }
  // Interpolation and the balance can push a peak past full scale: pull it back.
  if (peak > 0.999) {
    const g = 0.999 / peak;
    for (let i = 0; i < wide.length; i++) {
      left[i] = (left[i] as number) * g;
      right[i] = (right[i] as number) * g;
    }
  }
  return { channels: [left, right], sampleRate: AUDIO.hiResSampleRate, format: clip.format };
}
