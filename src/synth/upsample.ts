/**
 * Band-limited upsampling by a rational factor (e.g. 16 kHz → 44.1 kHz) with
 * a Blackman-windowed sinc kernel. The kernel's cutoff is the input's
 * Nyquist frequency, so samples that fall on the input grid are reproduced
 * exactly and the images above it are suppressed by the window.
 */

/** Half the kernel length in input samples: 16 gives a steep enough edge for audio at this level of care. */
const HALF_WIDTH = 16;

/**
 * Resample `x` from `fromRate` to a higher `toRate`.
 * @returns round(x.length · toRate / fromRate) samples.
 * @throws RangeError unless both rates are positive integers and toRate >= fromRate.
 */
export function upsample(x: Float32Array, fromRate: number, toRate: number): Float32Array {
  if (!Number.isInteger(fromRate) || !Number.isInteger(toRate) || fromRate <= 0 || toRate < fromRate) {
    throw new RangeError(`upsample: need integer rates with toRate >= fromRate, got ${fromRate} → ${toRate}`);
  }
  const g = gcd(fromRate, toRate);
  // `up` output samples span exactly `down` input samples (441 and 160 for 16 → 44.1 kHz).
  const up = toRate / g;
  const down = fromRate / g;
  const kernel = kernelTable(up);
  const taps = 2 * HALF_WIDTH;
  const outLength = Math.round((x.length * toRate) / fromRate);
  const y = new Float32Array(outLength);
  for (let m = 0; m < outLength; m++) {
    const position = m * down; // in units of 1/up input samples
    const base = Math.floor(position / up);
    const phase = position - base * up;
    const row = phase * taps;
    let acc = 0;
    // Taps k = base - HALF_WIDTH + 1 ... base + HALF_WIDTH.
    const first = base - HALF_WIDTH + 1;
    const jFrom = Math.max(0, -first);
    const jTo = Math.min(taps, x.length - first);
    for (let j = jFrom; j < jTo; j++) acc += (kernel[row + j] as number) * (x[first + j] as number);
    y[m] = acc;
  }
  return y;
}

/** Kernel weights for every fractional phase p/up, taps in input order. */
function kernelTable(up: number): Float64Array {
  const taps = 2 * HALF_WIDTH;
  const table = new Float64Array(up * taps);
  for (let p = 0; p < up; p++) {
    const frac = p / up;
    for (let j = 0; j < taps; j++) {
      const d = frac + HALF_WIDTH - 1 - j; // distance from the output position to tap j
      table[p * taps + j] = sinc(d) * blackman(d / HALF_WIDTH);
    }
  }
  return table;
}

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = Math.PI * x;
  return Math.sin(px) / px;
}

/** Blackman window on [-1, 1], zero outside. */
function blackman(u: number): number {
  if (u <= -1 || u >= 1) return 0;
  return 0.42 + 0.5 * Math.cos(Math.PI * u) + 0.08 * Math.cos(2 * Math.PI * u);
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}
