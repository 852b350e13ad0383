import { describe, expect, it } from 'vitest';
import { burstTypeIndex } from '../../src/tasks.js';
import { DEVICE_PROFILES } from '../../src/synth/devices.js';
import { generateSyntheticLatents, renderClip, type SynthClip, type SynthSpeaker } from '../../src/synth/index.js';
import { upsample } from '../../src/synth/upsample.js';
import { voiceControls } from '../../src/synth/voice-controls.js';
import { Rng } from '../../src/util/rng.js';

describe('upsample', () => {
  it('reproduces a band-limited sine at 44.1 kHz', () => {
    const x = new Float32Array(1600).map((_, i) => Math.sin((2 * Math.PI * 1000 * i) / 16000 + 0.3));
    const y = upsample(x, 16000, 44100);
    expect(y.length).toBe(4410);
    let worst = 0;
    // Away from the edges, where the kernel sees zeros beyond the signal.
    for (let m = 200; m < 4200; m++) {
      const expected = Math.sin((2 * Math.PI * 1000 * m) / 44100 + 0.3);
      worst = Math.max(worst, Math.abs((y[m] as number) - expected));
    }
    expect(worst).toBeLessThan(2e-3);
  });

  it('passes input samples through where the grids meet', () => {
    const rng = new Rng(3);
    const x = new Float32Array(800).map(() => rng.uniform(-1, 1));
    const y = upsample(x, 16000, 44100);
    for (let j = 0; j * 160 < x.length; j++) expect(y[441 * j]).toBeCloseTo(x[160 * j] as number, 6);
  });

  it('refuses to downsample', () => {
    expect(() => upsample(new Float32Array(10), 44100, 16000)).toThrow(RangeError);
  });
});

describe('voiceControls: what drives what', () => {
  const corpus = generateSyntheticLatents({ clips: 40, seed: 9 });
  const clip = corpus.clips[0] as SynthClip;
  const speaker = corpus.speakers[clip.speaker] as SynthSpeaker;
  const at = (arousal: number, valence = 0.5, age = speaker.vocalAge) =>
    voiceControls({ ...clip.latent, arousal, valence }, { ...speaker, vocalAge: age }, new Rng(1));

  it('raises pitch, tempo and brightness with arousal', () => {
    const calm = at(0.2);
    const aroused = at(0.8);
    expect(aroused.f0).toBeGreaterThan(calm.f0 * 1.3);
    expect(aroused.tempo).toBeGreaterThan(calm.tempo * 1.3);
    expect(aroused.tilt).toBeLessThan(calm.tilt);
    expect(aroused.level).toBeGreaterThan(calm.level);
  });

  it('bends the pitch glide up and raises formants with valence', () => {
    expect(at(0.5, 0.9).glide).toBeGreaterThan(at(0.5, 0.1).glide + 0.2);
    expect(at(0.5, 0.9).formantScale).toBeGreaterThan(at(0.5, 0.1).formantScale);
  });

  it('makes older voices rougher, breathier and lower', () => {
    const young = at(0.5, 0.5, 20);
    const old = at(0.5, 0.5, 39);
    expect(old.jitter).toBeGreaterThan(young.jitter);
    expect(old.breathiness).toBeGreaterThan(young.breathiness);
    expect(old.f0).toBeLessThan(young.f0);
  });
});

describe('renderClip', () => {
  const corpus = generateSyntheticLatents({ clips: 64, seed: 4 });
  const speakerOf = (c: SynthClip): SynthSpeaker => corpus.speakers[c.speaker] as SynthSpeaker;

  it('renders finite audio of the clip length, peak within the gain range', () => {
    for (const clip of corpus.clips) {
      const r = renderClip(clip, speakerOf(clip));
      expect(r.samples.length).toBe(clip.frames);
      let peak = 0;
      for (const v of r.samples) {
        if (!Number.isFinite(v)) throw new Error(`clip ${clip.id}: non-finite sample`);
        peak = Math.max(peak, Math.abs(v));
      }
      expect(20 * Math.log10(peak)).toBeCloseTo(r.channel.peakDbfs, 3);
      expect(r.channel.peakDbfs).toBeGreaterThanOrEqual(-20);
      expect(r.channel.peakDbfs).toBeLessThanOrEqual(-1);
      for (const s of r.segments) {
        expect(s.start).toBeGreaterThanOrEqual(0);
        expect(s.start + s.duration).toBeLessThanOrEqual(clip.seconds + 1e-9);
      }
    }
  });

  it('depends only on the clip: same result alone or after others', () => {
    const clip = corpus.clips[10] as SynthClip;
    const first = renderClip(clip, speakerOf(clip)).samples;
    for (const other of corpus.clips.slice(0, 5)) renderClip(other, speakerOf(other));
    expect(renderClip(clip, speakerOf(clip)).samples).toEqual(first);
    const next = corpus.clips[11] as SynthClip;
    expect(renderClip(next, speakerOf(next)).samples).not.toEqual(first);
  });

  it('arranges bursts by type: laughs are many short syllables, screams one long high sound', () => {
    const big = generateSyntheticLatents({ clips: 300, seed: 8 });
    const stats = (typeName: string) => {
      const t = burstTypeIndex(typeName);
      const picked = big.clips.filter((c) => c.latent.type === t).slice(0, 12);
      const plans = picked.map((c) => renderClip(c, big.speakers[c.speaker] as SynthSpeaker).segments);
      const voicedF0 = plans.flatMap((p) => p.filter((s) => s.voicing > 0.5).map((s) => s.f0Start));
      return {
        segments: plans.reduce((a, p) => a + p.length, 0) / plans.length,
        longest: Math.max(...plans.flatMap((p) => p.map((s) => s.duration))),
        f0: voicedF0.reduce((a, b) => a + b, 0) / Math.max(1, voicedF0.length),
        voicing: plans.flatMap((p) => p.map((s) => s.voicing)).reduce((a, b) => a + b, 0) / plans.flat().length,
      };
    };
    const laugh = stats('Laugh');
    const scream = stats('Scream');
    const pant = stats('Pant');
    const groan = stats('Groan');
    expect(laugh.segments).toBeGreaterThan(4);
    expect(scream.segments).toBe(1);
    expect(scream.f0).toBeGreaterThan(2 * groan.f0);
    expect(groan.longest).toBeGreaterThan(0.5);
    expect(pant.voicing).toBeLessThan(0.2);
  });

  it('colours the sound by the recording device (a phone cuts the highs)', () => {
    const clip = corpus.clips.find((c) => c.latent.type === burstTypeIndex('Scream')) ?? (corpus.clips[0] as SynthClip);
    const base = speakerOf(clip);
    const highShare = (device: number): number => {
      const x = renderClip(clip, { ...base, device: DEVICE_PROFILES[device] as (typeof DEVICE_PROFILES)[number] }).samples;
      // Energy of the second difference (a crude high-pass) over plain energy.
      let hi = 0;
      let all = 0;
      for (let i = 2; i < x.length; i++) {
        hi += ((x[i] as number) - 2 * (x[i - 1] as number) + (x[i - 2] as number)) ** 2;
        all += (x[i] as number) ** 2;
      }
      return hi / all;
    };
    const phone = DEVICE_PROFILES.findIndex((d) => d.name === 'phone');
    const laptop = DEVICE_PROFILES.findIndex((d) => d.name === 'laptop');
    expect(highShare(phone)).toBeLessThan(0.5 * highShare(laptop));
  });
});
