/**
 * A cascade of two-pole resonators, one per formant: the vocal tract as the
 * classic source-filter model draws it. Coefficients can be changed between
 * samples (the caller retunes them every few milliseconds for gliding
 * formants) without resetting the state.
 */

/** Number of formants modelled. */
export const FORMANT_COUNT = 4;

/** A cascade of FORMANT_COUNT resonators with unit gain at 0 Hz. */
export class FormantCascade {
  private readonly b0 = new Float64Array(FORMANT_COUNT);
  private readonly a1 = new Float64Array(FORMANT_COUNT);
  private readonly a2 = new Float64Array(FORMANT_COUNT);
  private readonly y1 = new Float64Array(FORMANT_COUNT);
  private readonly y2 = new Float64Array(FORMANT_COUNT);

  /** @param sampleRate samples per second the filter runs at. */
  constructor(private readonly sampleRate: number) {}

  /**
   * Set one resonator's centre frequency and bandwidth (Hz). The frequency is
   * kept below 0.45 of the sample rate so the poles stay meaningful.
   */
  tune(k: number, frequency: number, bandwidth: number): void {
    const f = Math.min(frequency, 0.45 * this.sampleRate);
    const r = Math.exp((-Math.PI * bandwidth) / this.sampleRate);
    const a1 = -2 * r * Math.cos((2 * Math.PI * f) / this.sampleRate);
    const a2 = r * r;
    this.a1[k] = a1;
    this.a2[k] = a2;
    this.b0[k] = 1 + a1 + a2; // unit gain at 0 Hz, so levels do not explode as formants move
  }

  /** Filter one sample through the whole cascade. */
  process(x: number): number {
    let v = x;
    for (let k = 0; k < FORMANT_COUNT; k++) {
      const y = (this.b0[k] as number) * v - (this.a1[k] as number) * (this.y1[k] as number) - (this.a2[k] as number) * (this.y2[k] as number);
      this.y2[k] = this.y1[k] as number;
      this.y1[k] = y;
      v = y;
    }
    return v;
  }
}
