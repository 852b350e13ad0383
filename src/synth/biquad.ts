/**
 * Second-order IIR sections (the "Audio EQ Cookbook" designs by R. Bristow-
 * Johnson) for the recording-device colouring: high-pass, low-pass and
 * peaking equaliser, run in place over a buffer.
 */

/** Normalised coefficients of one section (a0 = 1). */
export interface Biquad {
  readonly b0: number;
  readonly b1: number;
  readonly b2: number;
  readonly a1: number;
  readonly a2: number;
}

/** A filter design request. Frequencies in Hz, gain in dB. */
export type BiquadSpec =
  | { readonly kind: 'highpass' | 'lowpass'; readonly frequency: number; readonly q: number }
  | { readonly kind: 'peaking'; readonly frequency: number; readonly q: number; readonly gainDb: number };

/** Design one section at `sampleRate`. The frequency is kept below 0.45 of the rate. */
export function designBiquad(spec: BiquadSpec, sampleRate: number): Biquad {
  const w0 = (2 * Math.PI * Math.min(spec.frequency, 0.45 * sampleRate)) / sampleRate;
  const cos = Math.cos(w0);
  const alpha = Math.sin(w0) / (2 * spec.q);
  let b0: number, b1: number, b2: number, a0: number, a1: number, a2: number;
  if (spec.kind === 'peaking') {
    const A = Math.pow(10, spec.gainDb / 40);
    b0 = 1 + alpha * A;
    b1 = -2 * cos;
    b2 = 1 - alpha * A;
    a0 = 1 + alpha / A;
    a1 = -2 * cos;
    a2 = 1 - alpha / A;
  } else if (spec.kind === 'lowpass') {
    b0 = (1 - cos) / 2;
    b1 = 1 - cos;
    b2 = b0;
    a0 = 1 + alpha;
    a1 = -2 * cos;
    a2 = 1 - alpha;
  } else {
    b0 = (1 + cos) / 2;
    b1 = -(1 + cos);
    b2 = b0;
    a0 = 1 + alpha;
    a1 = -2 * cos;
    a2 = 1 - alpha;
  }
  return { b0: b0 / a0, b1: b1 / a0, b2: b2 / a0, a1: a1 / a0, a2: a2 / a0 };
}

/** Run one section over `x` in place (direct form I, zero initial state). */
export function applyBiquad(x: Float32Array, f: Biquad): void {
  let x1 = 0;
  let x2 = 0;
  let y1 = 0;
  let y2 = 0;
  for (let i = 0; i < x.length; i++) {
    const x0 = x[i] as number;
    const y0 = f.b0 * x0 + f.b1 * x1 + f.b2 * x2 - f.a1 * y1 - f.a2 * y2;
    x2 = x1;
    x1 = x0;
    y2 = y1;
    y1 = y0;
    x[i] = y0;
  }
}
