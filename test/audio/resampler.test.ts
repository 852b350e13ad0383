import { describe, expect, it } from 'vitest';
import { polyphaseKernelModuleBytes } from '../../src/audio/polyphase-simd-kernel.js';
import { Resampler, resample, resampledLength, resamplerFor } from '../../src/audio/resampler.js';
import { Rng } from '../../src/util/rng.js';
import { sine } from './wav-builders.js';

/** RMS gain in dB of a unit-amplitude tone after resampling, edges (filter warm-up) excluded. */
function toneGainDb(resampler: Resampler, frequency: number): number {
  const input = sine(frequency, resampler.inputRate, resampler.inputRate, 1); // 1 s
  const output = resampler.process(input);
  const skip = resampler.taps * 2;
  let sum = 0;
  for (let i = skip; i < output.length - skip; i++) sum += (output[i] as number) ** 2;
  const rms = Math.sqrt(sum / (output.length - 2 * skip));
  return 20 * Math.log10(rms / Math.SQRT1_2);
}

describe('Resampler frequency response (to 16 kHz)', () => {
  for (const inputRate of [44100, 48000, 22050, 32000]) {
    const resampler = new Resampler(inputRate, 16000);

    it(`${inputRate} Hz: passband tones keep unit gain (±0.02 dB)`, () => {
      for (const f of [50, 440, 1000, 3000, 5000, 6000, 6400]) {
        expect(Math.abs(toneGainDb(resampler, f)), `${f} Hz`).toBeLessThan(0.02);
      }
    });

    it(`${inputRate} Hz: tones above the output Nyquist are attenuated by ≥ 75 dB (no aliasing)`, () => {
      for (const f of [8000, 8500, 9000, 10000, 12000, 15000]) {
        if (f >= inputRate / 2) continue;
        expect(toneGainDb(resampler, f), `${f} Hz`).toBeLessThan(-75);
      }
    });
  }

  it('a 1 kHz tone survives 44.1 → 16 kHz with near-unit gain', () => {
    expect(Math.abs(toneGainDb(new Resampler(44100, 16000), 1000))).toBeLessThan(0.01);
  });

  it('a 7.5 kHz tone at 48 kHz is attenuated (transition band 6.4–8 kHz)', () => {
    const gain = toneGainDb(new Resampler(48000, 16000), 7500);
    expect(gain).toBeLessThan(-12);
    expect(gain).toBeGreaterThan(-30); // still in the transition band, not the stopband
  });

  it('is −6 dB at the cutoff, 0.9 × Nyquist = 7.2 kHz', () => {
    expect(toneGainDb(new Resampler(48000, 16000), 7200)).toBeCloseTo(-6.02, 1);
  });

  it('upsampling 8 → 16 kHz keeps the passband and rejects the image of a 3 kHz tone', () => {
    const resampler = new Resampler(8000, 16000);
    expect(Math.abs(toneGainDb(resampler, 1000))).toBeLessThan(0.02);
    // The image of 3 kHz would appear at 8 − 3 = 5 kHz: project the output on it.
    const output = resampler.process(sine(3000, 8000, 8000, 1));
    let re = 0;
    let im = 0;
    for (let n = 100; n < output.length - 100; n++) {
      re += (output[n] as number) * Math.cos((2 * Math.PI * 5000 * n) / 16000);
      im += (output[n] as number) * Math.sin((2 * Math.PI * 5000 * n) / 16000);
    }
    const imageAmplitude = (2 * Math.hypot(re, im)) / (output.length - 200);
    expect(20 * Math.log10(imageAmplitude)).toBeLessThan(-75);
  });
});

describe('Resampler time-domain behaviour', () => {
  it('keeps a constant signal constant (no DC shift), away from the edges', () => {
    for (const rate of [44100, 48000, 22050, 8000, 11025]) {
      const resampler = new Resampler(rate, 16000);
      const output = resampler.process(new Float32Array(rate).fill(0.3));
      let worst = 0;
      for (let i = resampler.taps; i < output.length - resampler.taps; i++) worst = Math.max(worst, Math.abs((output[i] as number) - 0.3));
      expect(worst, `${rate} Hz`).toBeLessThan(1e-6);
    }
  });

  it('adds no delay: a 1 kHz tone matches the ideal tone sampled at 16 kHz', () => {
    const output = new Resampler(44100, 16000).process(sine(1000, 44100, 44100, 0.8, 0.3));
    const ideal = sine(1000, 16000, 16000, 0.8, 0.3);
    let worst = 0;
    for (let i = 200; i < 15800; i++) worst = Math.max(worst, Math.abs((output[i] as number) - (ideal[i] as number)));
    expect(worst).toBeLessThan(1e-3);
  });

  it('produces ⌈n·L/M⌉ samples and agrees with resampledLength', () => {
    const resampler = new Resampler(44100, 16000);
    expect(resampler.up).toBe(160);
    expect(resampler.down).toBe(441);
    for (const n of [1, 2, 3, 440, 441, 442, 44100, 12345]) {
      const out = resampler.process(new Float32Array(n));
      expect(out.length).toBe(Math.ceil((n * 160) / 441));
      expect(resampledLength(n, 44100, 16000)).toBe(out.length);
    }
    expect(resampler.process(new Float32Array(0)).length).toBe(0);
  });

  it('handles a ratio with many phases (44101 Hz) through the nearest-phase table', () => {
    const resampler = new Resampler(44101, 16000);
    expect(resampler.up).toBeGreaterThan(4096);
    expect(resampler.tableRows).toBe(4097);
    expect(Math.abs(toneGainDb(resampler, 1000))).toBeLessThan(0.02);
    expect(toneGainDb(resampler, 10000)).toBeLessThan(-75);
  });

  it('returns the input itself when the rates are equal, and shares resamplers per rate pair', () => {
    const x = new Float32Array([1, 2, 3]);
    expect(resample(x, 16000, 16000)).toBe(x);
    expect(resamplerFor(48000, 16000)).toBe(resamplerFor(48000, 16000));
  });

  it('rejects rates it cannot serve', () => {
    expect(() => new Resampler(0, 16000)).toThrow(RangeError);
    expect(() => new Resampler(44100.5, 16000)).toThrow(RangeError);
    expect(() => new Resampler(500, 16000)).toThrow(/inputRate/);
  });
});

describe('Resampler inner loops', () => {
  it('runs the WebAssembly SIMD kernel on Node (the module validates)', () => {
    const wasm = (globalThis as { WebAssembly?: { validate(bytes: Uint8Array): boolean } }).WebAssembly;
    expect(wasm?.validate(polyphaseKernelModuleBytes())).toBe(true);
    expect(new Resampler(44100, 16000).usesSimd).toBe(true);
    expect(new Resampler(44100, 16000, undefined, { useSimd: false }).usesSimd).toBe(false);
  });

  it('SIMD and JavaScript loops agree to float32 rounding, for every rate and length', () => {
    const rng = new Rng(11);
    for (const rate of [8000, 22050, 44100, 48000, 96000, 44101]) {
      const simd = new Resampler(rate, 16000);
      const plain = new Resampler(rate, 16000, undefined, { useSimd: false });
      for (const length of [0, 1, 7, simd.taps - 1, simd.taps + 3, 5 * simd.taps + 1, rate + 13]) {
        const input = Float32Array.from({ length }, () => rng.uniform(-1, 1));
        const a = simd.process(input);
        const b = plain.process(input);
        expect(a.length).toBe(b.length);
        let worst = 0;
        for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
        expect(worst, `${rate} Hz, ${length} samples`).toBeLessThan(1e-6);
      }
    }
  });

  it('SIMD and JavaScript agree on a clip longer than one kernel chunk (65536 outputs)', () => {
    const rng = new Rng(12);
    const input = Float32Array.from({ length: 44100 * 9 + 5 }, () => rng.uniform(-1, 1));
    const a = new Resampler(44100, 16000).process(input);
    const b = new Resampler(44100, 16000, undefined, { useSimd: false }).process(input);
    expect(a.length).toBeGreaterThan(2 * 65536);
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
    expect(worst).toBeLessThan(1e-6);
  });

  it('the JavaScript loop alone meets the response too', () => {
    const plain = new Resampler(44100, 16000, undefined, { useSimd: false });
    expect(Math.abs(toneGainDb(plain, 1000))).toBeLessThan(0.02);
    expect(toneGainDb(plain, 10000)).toBeLessThan(-75);
  });
});
