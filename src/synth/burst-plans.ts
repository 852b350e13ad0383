/**
 * How each burst type is arranged in time: a plan of voiced syllables and
 * noise bursts, each with its pitch path (relative to the clip's centre
 * pitch), vowel formants and envelope. The voice knobs (tempo in particular)
 * stretch the plans; the renderer turns a plan into samples.
 */
import type { Rng } from '../util/rng.js';
import type { VoiceControls } from './voice-controls.js';

/** Formant frequencies F1–F4 in Hz (before the speaker's and accent's scaling). */
export type Formants = readonly [number, number, number, number];

/** One sound event of a burst. */
export interface Segment {
  /** Start time within the clip, seconds. */
  readonly start: number;
  /** Length, seconds. */
  readonly duration: number;
  /** Voiced share of the source, 0 (pure noise: breaths, gasps) to 1 (clean voice). */
  readonly voicing: number;
  /** Relative RMS level of the segment. */
  readonly amplitude: number;
  /** Pitch at the start and the end, as multipliers of the clip's centre pitch (log-interpolated). */
  readonly f0Start: number;
  readonly f0End: number;
  /** Formants at the start and the end (linearly interpolated). */
  readonly formantsStart: Formants;
  readonly formantsEnd: Formants;
  /** Raised-cosine fade in and out, seconds. */
  readonly attack: number;
  readonly release: number;
  /** Multiplier of the clip's jitter and shimmer (creaky or rough phonation). */
  readonly roughness: number;
}

/** Vowel and breath formant targets. */
export const VOWELS = {
  a: [800, 1250, 2600, 3500],
  e: [500, 1800, 2550, 3500],
  o: [520, 900, 2450, 3400],
  u: [340, 820, 2300, 3300],
  i: [310, 2200, 2950, 3700],
  schwa: [560, 1500, 2500, 3450],
  hum: [280, 1100, 2500, 3400],
} as const satisfies Record<string, Formants>;

function scaled(f: Formants, k1: number, k2 = 1): Formants {
  return [f[0] * k1, f[1] * k2, f[2], f[3]];
}

/** A segment with defaults for the fields most plans leave alone. */
function seg(fields: Partial<Segment> & Pick<Segment, 'start' | 'duration' | 'formantsStart'>): Segment {
  return {
    voicing: 0.9,
    amplitude: 1,
    f0Start: 1,
    f0End: 1,
    formantsEnd: fields.formantsStart,
    attack: 0.03,
    release: 0.06,
    roughness: 1,
    ...fields,
  };
}

/** Time span a plan may fill: after a short lead-in, before a short tail. */
interface Span {
  readonly begin: number;
  readonly end: number;
}

const clampN = (x: number, lo: number, hi: number): number => (x < lo ? lo : x > hi ? hi : x);

type Planner = (span: Span, ctl: VoiceControls, rng: Rng) => Segment[];

/** Laugh: a bout of short voiced "ha" syllables at ~4–6 per second, pitch stepping down, often an inhale after. */
const laugh: Planner = (span, ctl, rng) => {
  const rate = clampN(rng.uniform(4, 6) * ctl.tempo, 3, 8.5);
  const length = span.end - span.begin;
  const n = Math.max(2, Math.min(16, Math.floor(length * rate * rng.uniform(0.75, 0.95))));
  const out: Segment[] = [];
  const vowel = rng.next() < 0.7 ? VOWELS.a : VOWELS.e;
  for (let k = 0; k < n; k++) {
    const frac = n === 1 ? 0 : k / (n - 1);
    const step = 1.25 - 0.3 * frac;
    out.push(
      seg({
        start: span.begin + k / rate,
        duration: rng.uniform(0.45, 0.6) / rate,
        voicing: 0.8,
        amplitude: 1 - 0.4 * frac,
        f0Start: step * 1.05,
        f0End: step * 0.95,
        formantsStart: vowel,
        attack: 0.012,
        release: 0.03,
      }),
    );
  }
  const after = span.begin + n / rate;
  if (span.end - after > 0.18) {
    out.push(seg({ start: after, duration: 0.15, voicing: 0.05, amplitude: 0.35, formantsStart: VOWELS.i, attack: 0.03, release: 0.05 }));
  }
  return out;
};

/** Scream: one long, loud, high, bright voiced segment with an open vowel. */
const scream: Planner = (span, _ctl, rng) => {
  const length = span.end - span.begin;
  const duration = length * rng.uniform(0.7, 0.95);
  const f0 = rng.uniform(2.3, 2.8);
  return [
    seg({
      start: span.begin,
      duration,
      voicing: 0.97,
      amplitude: 1.6,
      f0Start: f0 * 0.95,
      f0End: f0 * 1.03,
      formantsStart: scaled(VOWELS.a, 1.15),
      attack: 0.04,
      release: 0.12,
      roughness: 1.5,
    }),
  ];
};

/** Gasp: a short inhaled noise with formants rising, sometimes a brief voiced offglide. */
const gasp: Planner = (span, _ctl, rng) => {
  const length = span.end - span.begin;
  const duration = Math.min(length, rng.uniform(0.22, 0.45));
  const start = span.begin + rng.uniform(0, Math.max(0, length - duration - 0.25));
  const out = [
    seg({
      start,
      duration,
      voicing: 0.12,
      amplitude: 0.9,
      f0Start: 1.2,
      f0End: 1.4,
      formantsStart: VOWELS.u,
      formantsEnd: scaled(VOWELS.a, 1.05, 1.4),
      attack: 0.015,
      release: 0.06,
    }),
  ];
  const offStart = start + duration + 0.03;
  if (rng.next() < 0.5 && span.end - offStart > 0.2) {
    out.push(
      seg({
        start: offStart,
        duration: rng.uniform(0.12, 0.2),
        voicing: 0.8,
        amplitude: 0.6,
        f0Start: 1.3,
        f0End: 1.1,
        formantsStart: VOWELS.a,
        formantsEnd: VOWELS.o,
        attack: 0.02,
        release: 0.05,
      }),
    );
  }
  return out;
};

/** Cry: sobs with falling pitch glides, each followed by a short catch of breath. */
const cry: Planner = (span, ctl, rng) => {
  const period = rng.uniform(0.45, 0.7) / ctl.tempo;
  const out: Segment[] = [];
  for (let t = span.begin; t + period * 0.6 <= span.end; t += period) {
    const voiced = period * rng.uniform(0.55, 0.75);
    out.push(
      seg({
        start: t,
        duration: voiced,
        voicing: 0.7,
        amplitude: rng.uniform(0.7, 1.1),
        f0Start: 1.5,
        f0End: 1.0,
        formantsStart: VOWELS.e,
        formantsEnd: VOWELS.a,
        attack: 0.04,
        release: 0.08,
        roughness: 1.5,
      }),
    );
    const breath = period * 0.2;
    if (t + voiced + breath <= span.end) {
      out.push(seg({ start: t + voiced + 0.01, duration: breath, voicing: 0.05, amplitude: 0.4, formantsStart: VOWELS.i, attack: 0.02, release: 0.03 }));
    }
  }
  if (out.length === 0) {
    out.push(seg({ start: span.begin, duration: span.end - span.begin, voicing: 0.7, f0Start: 1.5, f0End: 1.0, formantsStart: VOWELS.e, roughness: 1.5 }));
  }
  return out;
};

/** Grunt: one or two short, low, abrupt, creaky voiced segments. */
const grunt: Planner = (span, _ctl, rng) => {
  const length = span.end - span.begin;
  const count = length > 1.2 && rng.next() < 0.5 ? 2 : 1;
  const out: Segment[] = [];
  for (let k = 0; k < count; k++) {
    const duration = rng.uniform(0.12, 0.3);
    const slot = length / count;
    const start = span.begin + k * slot + rng.uniform(0, Math.max(0, slot - duration));
    out.push(
      seg({
        start,
        duration,
        voicing: 0.92,
        amplitude: 1.1,
        f0Start: 0.72,
        f0End: 0.66,
        formantsStart: scaled(VOWELS.schwa, 0.9, 0.9),
        attack: 0.008,
        release: 0.04,
        roughness: 3,
      }),
    );
  }
  return out;
};

/** Groan: one long, low, dark voiced segment with slow fades and falling pitch. */
const groan: Planner = (span, _ctl, rng) => {
  const length = span.end - span.begin;
  return [
    seg({
      start: span.begin,
      duration: length * rng.uniform(0.65, 0.92),
      voicing: 0.88,
      amplitude: 1,
      f0Start: 0.82,
      f0End: 0.7,
      formantsStart: VOWELS.o,
      formantsEnd: VOWELS.u,
      attack: 0.15,
      release: 0.25,
      roughness: 1.5,
    }),
  ];
};

/** Pant: repeated breathy noise bursts, exhale and inhale in turn, at ~2.5–3.5 per second. */
const pant: Planner = (span, ctl, rng) => {
  const rate = clampN(rng.uniform(2.4, 3.4) * ctl.tempo, 1.8, 5.5);
  const length = span.end - span.begin;
  const n = Math.max(2, Math.floor(length * rate));
  const out: Segment[] = [];
  for (let k = 0; k < n; k++) {
    const exhale = k % 2 === 0;
    out.push(
      seg({
        start: span.begin + k / rate,
        duration: rng.uniform(0.45, 0.6) / rate,
        voicing: 0.08,
        amplitude: exhale ? 1 : 0.7,
        formantsStart: exhale ? VOWELS.a : VOWELS.i,
        attack: 0.02,
        release: 0.05,
      }),
    );
  }
  return out;
};

/** Other: two or three mixed sounds: a hum, an "oh", an "ah", a breath. */
const other: Planner = (span, _ctl, rng) => {
  const count = 2 + rng.int(2);
  const out: Segment[] = [];
  let t = span.begin;
  for (let k = 0; k < count; k++) {
    const kind = rng.int(4);
    const duration = kind === 0 ? rng.uniform(0.3, 0.6) : rng.uniform(0.2, 0.4);
    if (t + duration > span.end) break;
    if (kind === 0) out.push(seg({ start: t, duration, voicing: 0.92, amplitude: 0.7, formantsStart: VOWELS.hum }));
    else if (kind === 1) out.push(seg({ start: t, duration, f0Start: 1.2, f0End: 0.95, formantsStart: VOWELS.o }));
    else if (kind === 2) out.push(seg({ start: t, duration, f0Start: 1.1, f0End: 1.0, formantsStart: VOWELS.a }));
    else out.push(seg({ start: t, duration, voicing: 0.05, amplitude: 0.5, formantsStart: VOWELS.schwa }));
    t += duration + rng.uniform(0.05, 0.25);
  }
  if (out.length === 0) {
    out.push(seg({ start: span.begin, duration: Math.min(0.3, span.end - span.begin), formantsStart: VOWELS.schwa }));
  }
  return out;
};

/** Planners in BURST_TYPES order: Gasp, Laugh, Cry, Scream, Grunt, Groan, Pant, Other. */
const PLANNERS: readonly Planner[] = [gasp, laugh, cry, scream, grunt, groan, pant, other];

/**
 * Plan the segments of one burst of `type` (index into BURST_TYPES) in a
 * clip of `seconds`. Every segment lies inside the clip.
 */
export function planBurst(type: number, seconds: number, ctl: VoiceControls, rng: Rng): Segment[] {
  const planner = PLANNERS[type];
  if (planner === undefined) throw new RangeError(`planBurst: unknown burst type ${type}`);
  const begin = rng.uniform(0.04, 0.2);
  const end = seconds - rng.uniform(0.05, 0.15);
  const segments = planner({ begin, end: Math.max(begin + 0.2, end) }, ctl, rng);
  return segments
    .map((s) => ({ ...s, duration: Math.min(s.duration, seconds - s.start) }))
    .filter((s) => s.duration > 0.02);
}
