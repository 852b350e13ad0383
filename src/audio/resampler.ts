/**
 * Sample-rate conversion by a polyphase windowed-sinc filter.
 *
 * The rate ratio is reduced to up/down = L/M. Output sample n sits at input
 * position n·M/L; its value is the input convolved with a Kaiser-windowed
 * sinc low-pass centred there. The fractional part of that position takes
 * one of L values (the phases), so the filter taps for every phase are
 * computed once, in the constructor; the per-sample work is one dot product
 * of `taps` input samples with one table row.
 *
 * Frequency response (default design), relative to the lower of the two
 * Nyquist frequencies (8 kHz when converting to 16 kHz):
 * - passband up to 0.8 × Nyquist (6.4 kHz): gain 1 within ±0.01 dB;
 * - transition 0.8–1.0 × Nyquist, −6 dB at 0.9 × Nyquist (7.2 kHz);
 *   a 7.5 kHz tone loses about 17 dB at 48 → 16 kHz;
 * - stopband from Nyquist up: at least 80 dB down, so nothing above 8 kHz
 *   aliases into the output band above −80 dB.
 * Each phase's taps are scaled to sum to exactly 1: a constant input gives
 * the same constant output (no DC shift) and no phase-dependent gain ripple.
 * The filter is zero-phase (no delay): output n is aligned with input
 * time n/outputRate. Samples outside the input are taken as zero.
 *
 * The dot products away from the signal's edges run in a WebAssembly SIMD
 * kernel (polyphase-simd-kernel.ts) where available, else in JavaScript;
 * the two agree to float32 rounding.
 */

import { createPolyphaseSimdKernel, type PolyphaseSimdKernel } from './polyphase-simd-kernel.js';

/** Parameters of the anti-aliasing low-pass. */
export interface ResamplerDesign {
  /** Passband edge as a fraction of the lower Nyquist frequency. Default 0.8. */
  readonly passbandEdge: number;
  /** Stopband edge as a fraction of the lower Nyquist frequency. Default 1.0. */
  readonly stopbandEdge: number;
  /** Stopband attenuation in dB, which sets the Kaiser β and the length. Default 80. */
  readonly stopbandAttenuationDb: number;
}

/** The default design; see the module comment for its response. */
export const DEFAULT_RESAMPLER_DESIGN: ResamplerDesign = Object.freeze({
  passbandEdge: 0.8,
  stopbandEdge: 1.0,
  stopbandAttenuationDb: 80,
});

/**
 * Ratios whose reduced numerator L is above this use a table of this many
 * phases and take the nearest one; the timing error (under 1/8192 of a
 * sample) stays below the design's stopband level. Common rates (8, 11.025,
 * 22.05, 24, 32, 44.1, 48, 96 kHz → 16 kHz) have L ≤ 640 and are exact.
 */
const MAX_TABLE_PHASES = 4096;

/** Rates outside this range are rejected: no audio file needs them, and the filter would be huge. */
const MIN_RATE = 1000;
const MAX_RATE = 1_536_000;

/** A resampler from one fixed rate to another; reusable and stateless between calls. */
export class Resampler {
  /** Input frames per second. */
  readonly inputRate: number;
  /** Output frames per second. */
  readonly outputRate: number;
  /** Interpolation factor L of the reduced ratio outputRate/inputRate = L/M. */
  readonly up: number;
  /** Decimation factor M of the reduced ratio. */
  readonly down: number;
  /** Filter taps per output sample (a multiple of 8). */
  readonly taps: number;
  /** Rows in the coefficient table. */
  readonly tableRows: number;
  /** The design used. */
  readonly design: ResamplerDesign;

  /** Coefficients, `tableRows` rows of `taps` values. */
  private readonly table: Float32Array;
  /** For each phase 0..up−1, the offset of its row in `table`. */
  private readonly rowOffsetOfPhase: Int32Array;
  /** The WebAssembly SIMD inner loop, when the runtime has it and it is not disabled. */
  private readonly simdKernel: PolyphaseSimdKernel | undefined;

  /**
   * @param design the anti-aliasing filter (default: see the module comment)
   * @param options `useSimd: false` forces the JavaScript inner loop (for comparison)
   */
  constructor(
    inputRate: number,
    outputRate: number,
    design: ResamplerDesign = DEFAULT_RESAMPLER_DESIGN,
    options: { readonly useSimd?: boolean } = {},
  ) {
    for (const [name, rate] of [['inputRate', inputRate], ['outputRate', outputRate]] as const) {
      if (!Number.isInteger(rate) || rate < MIN_RATE || rate > MAX_RATE) {
        throw new RangeError(`Resampler: ${name} must be an integer in [${MIN_RATE}, ${MAX_RATE}] Hz, got ${rate}`);
      }
    }
    const { passbandEdge, stopbandEdge, stopbandAttenuationDb } = design;
    if (!(passbandEdge > 0 && passbandEdge < stopbandEdge && stopbandEdge <= 1.5 && stopbandAttenuationDb > 20)) {
      throw new RangeError('Resampler: invalid design (need 0 < passbandEdge < stopbandEdge ≤ 1.5, attenuation > 20 dB)');
    }
    this.inputRate = inputRate;
    this.outputRate = outputRate;
    this.design = design;
    const divisor = gcd(inputRate, outputRate);
    this.up = outputRate / divisor;
    this.down = inputRate / divisor;

    // Everything below is in units of input samples.
    const lowerNyquist = Math.min(inputRate, outputRate) / 2;
    const transitionWidth = ((stopbandEdge - passbandEdge) * lowerNyquist) / inputRate; // cycles per input sample
    const cutoff = (((passbandEdge + stopbandEdge) / 2) * lowerNyquist) / inputRate; // −6 dB point, cycles per sample
    const kaiserLength = (stopbandAttenuationDb - 7.95) / (14.36 * transitionWidth) + 1;
    this.taps = Math.max(8, Math.ceil(kaiserLength / 8) * 8);
    const beta = kaiserBeta(stopbandAttenuationDb);

    const exact = this.up <= MAX_TABLE_PHASES;
    const phaseDenominator = exact ? this.up : MAX_TABLE_PHASES;
    // The approximate table has one extra row for a fraction of exactly 1.
    this.tableRows = exact ? this.up : MAX_TABLE_PHASES + 1;
    this.table = buildTable(this.tableRows, phaseDenominator, this.taps, cutoff, beta);
    this.rowOffsetOfPhase = new Int32Array(this.up);
    for (let phase = 0; phase < this.up; phase++) {
      const row = exact ? phase : Math.round((phase * MAX_TABLE_PHASES) / this.up);
      this.rowOffsetOfPhase[phase] = row * this.taps;
    }
    this.simdKernel =
      options.useSimd === false
        ? undefined
        : createPolyphaseSimdKernel(this.table, this.rowOffsetOfPhase, this.taps, this.up, this.down);
  }

  /** Number of output samples for an input of `inputLength` samples: ⌈inputLength·L/M⌉. */
  outputLength(inputLength: number): number {
    return Math.ceil((inputLength * this.up) / this.down);
  }

  /** Whether the SIMD (WebAssembly) kernel computes the interior. */
  get usesSimd(): boolean {
    return this.simdKernel !== undefined;
  }

  /**
   * Resample one signal.
   * @returns a new array of `outputLength(input.length)` samples
   */
  process(input: Float32Array): Float32Array {
    const inputLength = input.length;
    const outputLength = this.outputLength(inputLength);
    const output = new Float32Array(outputLength);
    const { up, down, taps } = this;
    const lead = taps / 2 - 1;
    // Output n reads input [start, start + taps) with start = ⌊n·M/L⌋ − lead.
    // The interior [first, end) reads only samples inside the input.
    const first = Math.min(outputLength, Math.ceil((lead * up) / down));
    const end = Math.max(first, Math.min(outputLength, Math.ceil(((inputLength - taps + lead + 1) * up) / down)));
    this.edges(input, output, 0, first);
    if (end > first) {
      const firstStart = Math.floor((first * down) / up) - lead;
      const firstPhase = (first * down) % up;
      if (this.simdKernel !== undefined) this.simdKernel.run(input, output, first, end - first, firstStart, firstPhase);
      else this.interior(input, output, first, end, firstStart, firstPhase);
    }
    this.edges(input, output, end, outputLength);
    return output;
  }

  /** Outputs [from, to) whose taps may fall outside the input (taken as zero). */
  private edges(input: Float32Array, output: Float32Array, from: number, to: number): void {
    const { table, rowOffsetOfPhase, taps, up, down } = this;
    const lead = taps / 2 - 1;
    for (let n = from; n < to; n++) {
      const start = Math.floor((n * down) / up) - lead;
      const row = rowOffsetOfPhase[(n * down) % up] as number;
      const firstTap = Math.max(0, -start);
      const lastTap = Math.min(taps, input.length - start);
      let sum = 0;
      for (let k = firstTap; k < lastTap; k++) sum += (table[row + k] as number) * (input[start + k] as number);
      output[n] = sum;
    }
  }

  /** The interior in JavaScript, where WebAssembly SIMD is unavailable. */
  private interior(
    input: Float32Array,
    output: Float32Array,
    first: number,
    end: number,
    firstStart: number,
    firstPhase: number,
  ): void {
    const { table, rowOffsetOfPhase, taps, up } = this;
    const wholeStep = Math.floor(this.down / up);
    const fractionStep = this.down % up;
    let start = firstStart;
    let phase = firstPhase;
    for (let n = first; n < end; n++) {
      const row = rowOffsetOfPhase[phase] as number;
      // Four running sums shorten the floating-point dependency chain.
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let k = 0; k < taps; k += 4) {
        const i = start + k;
        const c = row + k;
        s0 += (table[c] as number) * (input[i] as number);
        s1 += (table[c + 1] as number) * (input[i + 1] as number);
        s2 += (table[c + 2] as number) * (input[i + 2] as number);
        s3 += (table[c + 3] as number) * (input[i + 3] as number);
      }
      output[n] = s0 + s1 + s2 + s3;
      start += wholeStep;
      phase += fractionStep;
      if (phase >= up) {
        phase -= up;
        start += 1;
      }
    }
  }
}

/**
 * Resample with a shared Resampler per rate pair (building the table costs
 * more than converting a short clip). Returns `input` itself when the rates
 * are equal.
 */
export function resample(input: Float32Array, inputRate: number, outputRate: number): Float32Array {
  if (inputRate === outputRate) return input;
  return resamplerFor(inputRate, outputRate).process(input);
}

const sharedResamplers = new Map<string, Resampler>();

/** The shared default-design Resampler for a rate pair. */
export function resamplerFor(inputRate: number, outputRate: number): Resampler {
  const key = `${inputRate}>${outputRate}`;
  let resampler = sharedResamplers.get(key);
  if (resampler === undefined) {
    resampler = new Resampler(inputRate, outputRate);
    sharedResamplers.set(key, resampler);
  }
  return resampler;
}

/**
 * Output length of {@link resample} for an input of `inputLength` samples,
 * without building a filter.
 */
export function resampledLength(inputLength: number, inputRate: number, outputRate: number): number {
  if (inputRate === outputRate) return inputLength;
  const divisor = gcd(inputRate, outputRate);
  return Math.ceil((inputLength * (outputRate / divisor)) / (inputRate / divisor));
}

function buildTable(rows: number, phaseDenominator: number, taps: number, cutoff: number, beta: number): Float32Array {
  const table = new Float32Array(rows * taps);
  const half = taps / 2;
  const besselBeta = besselI0(beta);
  const row = new Float64Array(taps);
  for (let r = 0; r < rows; r++) {
    const fraction = r / phaseDenominator;
    let total = 0;
    for (let k = 0; k < taps; k++) {
      // Distance from the output position to input sample (start + k).
      const t = fraction + (half - 1) - k;
      const x = t / half;
      const window = Math.abs(x) >= 1 ? 0 : besselI0(beta * Math.sqrt(1 - x * x)) / besselBeta;
      const value = 2 * cutoff * sinc(2 * cutoff * t) * window;
      row[k] = value;
      total += value;
    }
    for (let k = 0; k < taps; k++) table[r * taps + k] = (row[k] as number) / total;
  }
  return table;
}

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = Math.PI * x;
  return Math.sin(px) / px;
}

/** Kaiser's β for a stopband attenuation in dB. */
function kaiserBeta(attenuationDb: number): number {
  if (attenuationDb > 50) return 0.1102 * (attenuationDb - 8.7);
  if (attenuationDb >= 21) return 0.5842 * (attenuationDb - 21) ** 0.4 + 0.07886 * (attenuationDb - 21);
  return 0;
}

/** Modified Bessel function of the first kind, order 0 (power series). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const quarterSquare = (x * x) / 4;
  for (let k = 1; k < 200; k++) {
    term *= quarterSquare / (k * k);
    sum += term;
    if (term < sum * 1e-16) break;
  }
  return sum;
}

function gcd(a: number, b: number): number {
  while (b !== 0) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}
