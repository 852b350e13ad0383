import { describe, expect, it } from 'vitest';
import { AGE_RANGE, BURST_TYPES, COUNTRIES, CULTURE_COLUMNS, EMOTIONS, SPLITS, burstTypeIndex } from '../../src/tasks.js';
import {
  LABEL_NOISE,
  expectedCultureRatings,
  generateSyntheticLatents,
  resolveSynthOptions,
  type SynthClip,
} from '../../src/synth/index.js';

const emotion = (name: string): number => (EMOTIONS as readonly string[]).indexOf(name);
const type = (name: string): number => burstTypeIndex(name) as number;
const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs: readonly number[]): number => {
  const m = mean(xs);
  return Math.sqrt(mean(xs.map((x) => (x - m) ** 2)));
};

describe('generateSyntheticLatents: corpus structure', () => {
  const corpus = generateSyntheticLatents();

  it('uses the documented defaults', () => {
    expect(corpus.clips).toHaveLength(360);
    expect(corpus.options).toMatchObject({ seed: 2022, minSeconds: 1, maxSeconds: 2.5, hiResFraction: 0.15 });
  });

  it('keeps every speaker inside one split', () => {
    const subjectsBySplit = new Map(SPLITS.map((s) => [s, new Set<string>()]));
    for (const clip of corpus.clips) {
      const speaker = corpus.speakers[clip.speaker];
      expect(speaker?.split).toBe(clip.split);
      subjectsBySplit.get(clip.split)?.add(speaker?.subjectId ?? '');
    }
    const [train, val, test] = SPLITS.map((s) => subjectsBySplit.get(s) ?? new Set<string>());
    for (const id of train ?? []) {
      expect(val?.has(id)).toBe(false);
      expect(test?.has(id)).toBe(false);
    }
    for (const id of val ?? []) expect(test?.has(id)).toBe(false);
    expect(new Set(corpus.speakers.map((s) => s.subjectId)).size).toBe(corpus.speakers.length);
  });

  it('splits clips about 60/20/20 and puts every country in every split', () => {
    const share = (s: string): number => corpus.clips.filter((c) => c.split === s).length / corpus.clips.length;
    expect(share('Train')).toBeCloseTo(0.6, 1);
    expect(share('Val')).toBeCloseTo(0.2, 1);
    expect(share('Test')).toBeCloseTo(0.2, 1);
    for (const split of SPLITS) {
      const countries = new Set(corpus.clips.filter((c) => c.split === split).map((c) => c.labels.country));
      expect(countries.size).toBe(COUNTRIES.length);
    }
  });

  it('honours other split fractions, including an empty split', () => {
    const c = generateSyntheticLatents({ clips: 200, splits: { Train: 0.5, Val: 0.5, Test: 0 } });
    const val = c.clips.filter((x) => x.split === 'Val').length;
    expect(c.clips.some((x) => x.split === 'Test')).toBe(false);
    expect(val / 200).toBeGreaterThan(0.4);
    expect(val / 200).toBeLessThan(0.6);
  });

  it('gives unique increasing bracketed ids and lengths within the bounds', () => {
    let last = 0;
    for (const clip of corpus.clips) {
      expect(clip.id).toBeGreaterThan(last);
      last = clip.id;
      expect(clip.fileId).toBe(`[${clip.id}]`);
      expect(clip.seconds).toBeGreaterThanOrEqual(1);
      expect(clip.seconds).toBeLessThanOrEqual(2.5);
      expect(Number.isInteger(clip.frames)).toBe(true);
      expect(clip.seconds).toBe(clip.frames / 16000);
    }
  });

  it('marks exactly the requested shares of high-resolution and float files', () => {
    expect(corpus.clips.filter((c) => c.hiRes)).toHaveLength(54); // round(0.15 · 360)
    expect(corpus.clips.filter((c) => c.format === 'float32')).toHaveLength(18); // round(0.05 · 360)
    const none = generateSyntheticLatents({ clips: 50, hiResFraction: 0, floatFraction: 0 });
    expect(none.clips.some((c) => c.hiRes || c.format === 'float32')).toBe(false);
  });

  it('is deterministic in the seed', () => {
    const again = generateSyntheticLatents();
    expect(again.clips).toEqual(corpus.clips);
    const other = generateSyntheticLatents({ seed: 2023 });
    expect(other.clips.map((c) => c.labels.high)).not.toEqual(corpus.clips.map((c) => c.labels.high));
  });

  it('rejects invalid options', () => {
    expect(() => resolveSynthOptions({ clips: 2 })).toThrow(RangeError);
    expect(() => resolveSynthOptions({ clips: 10.5 })).toThrow(RangeError);
    expect(() => resolveSynthOptions({ minSeconds: 2, maxSeconds: 1 })).toThrow(/maxSeconds/);
    expect(() => resolveSynthOptions({ hiResFraction: 1.5 })).toThrow(/hiResFraction/);
    expect(() => resolveSynthOptions({ splits: { Train: 0, Val: 0, Test: 0 } })).toThrow(/split/);
    expect(() => resolveSynthOptions({ splits: { Train: -1, Val: 1, Test: 1 } })).toThrow(/split/);
    expect(() => resolveSynthOptions({ seed: 1.5 })).toThrow(/seed/);
  });
});

describe('generateSyntheticLatents: labels', () => {
  // A large corpus: latents and labels only, no audio, so it is cheap.
  const big = generateSyntheticLatents({ clips: 3000, seed: 5 });
  const clips = big.clips;

  it('keeps every label in range', () => {
    // Collect violations and assert once: 3000 clips × 50 values is too many expect() calls to be quick.
    const bad: string[] = [];
    for (const c of clips) {
      if (c.labels.high.length !== EMOTIONS.length || c.labels.culture.length !== CULTURE_COLUMNS.length) bad.push(`${c.id}: sizes`);
      const unit = [...c.labels.high, ...c.labels.two, ...c.labels.culture, ...c.latent.emotions, c.latent.valence, c.latent.arousal];
      if (unit.some((v) => !(v >= 0 && v <= 1))) bad.push(`${c.id}: value outside [0, 1]`);
      if (!Number.isInteger(c.labels.type) || c.labels.type < 0 || c.labels.type >= BURST_TYPES.length) bad.push(`${c.id}: type`);
      if (!Number.isInteger(c.labels.age) || c.labels.age < AGE_RANGE.min || c.labels.age > AGE_RANGE.max) bad.push(`${c.id}: age`);
      if (c.labels.country !== big.speakers[c.speaker]?.country) bad.push(`${c.id}: country`);
    }
    expect(bad).toEqual([]);
    // Both ends of the age range occur.
    expect(Math.min(...clips.map((c) => c.labels.age))).toBe(AGE_RANGE.min);
    expect(Math.max(...clips.map((c) => c.labels.age))).toBe(AGE_RANGE.max);
  });

  it('ties emotions to burst types and valence/arousal to emotions', () => {
    const of = (t: string, pick: (c: SynthClip) => number): number => mean(clips.filter((c) => c.latent.type === type(t)).map(pick));
    const notOf = (t: string, pick: (c: SynthClip) => number): number => mean(clips.filter((c) => c.latent.type !== type(t)).map(pick));
    const amusement = (c: SynthClip): number => c.latent.emotions[emotion('Amusement')] as number;
    const fear = (c: SynthClip): number => c.latent.emotions[emotion('Fear')] as number;
    const sadness = (c: SynthClip): number => c.latent.emotions[emotion('Sadness')] as number;
    expect(of('Laugh', amusement) - notOf('Laugh', amusement)).toBeGreaterThan(0.4);
    expect(of('Scream', fear) - notOf('Scream', fear)).toBeGreaterThan(0.3);
    expect(of('Cry', sadness) - notOf('Cry', sadness)).toBeGreaterThan(0.4);
    expect(of('Laugh', (c) => c.latent.valence)).toBeGreaterThan(of('Cry', (c) => c.latent.valence) + 0.25);
    expect(of('Scream', (c) => c.latent.arousal)).toBeGreaterThan(of('Groan', (c) => c.latent.arousal) + 0.25);
    // Latent spread inside a type: the audio must carry more than the type.
    expect(std(clips.filter((c) => c.latent.type === type('Laugh')).map(amusement))).toBeGreaterThan(0.1);
  });

  it('adds label noise of the documented size: labels are not a function of the latent state', () => {
    // Residuals where clamping to [0, 1] cannot interfere.
    const mid = (x: number): boolean => x > 0.3 && x < 0.7;
    const highRes: number[] = [];
    const twoRes: number[] = [];
    const cultureRes: number[] = [];
    for (const c of clips) {
      c.latent.emotions.forEach((e, k) => mid(e) && highRes.push((c.labels.high[k] as number) - e));
      if (mid(c.latent.arousal)) twoRes.push(c.labels.two[1] - c.latent.arousal);
      expectedCultureRatings(c.latent.emotions, c.labels.country).forEach(
        (r, k) => mid(r) && cultureRes.push((c.labels.culture[k] as number) - r),
      );
    }
    expect(Math.abs(mean(highRes))).toBeLessThan(0.01);
    expect(std(highRes)).toBeCloseTo(LABEL_NOISE.high, 2);
    expect(std(twoRes)).toBeCloseTo(LABEL_NOISE.two, 2);
    expect(std(cultureRes)).toBeCloseTo(LABEL_NOISE.culture, 2);
    const flipped = clips.filter((c) => c.labels.type !== c.latent.type).length / clips.length;
    expect(flipped).toBeGreaterThan(LABEL_NOISE.typeFlip - 0.02);
    expect(flipped).toBeLessThan(LABEL_NOISE.typeFlip + 0.02);
    const mismatched = big.speakers.filter((s) => s.accentCountry !== s.country).length / big.speakers.length;
    expect(mismatched).toBeGreaterThan(0.02);
    expect(mismatched).toBeLessThan(0.16);
    const ageGap = big.speakers.map((s) => s.vocalAge - s.age);
    expect(std(ageGap)).toBeGreaterThan(LABEL_NOISE.vocalAgeYears * 0.8);
  });

  it('gives each rater country its own transform of the same emotion', () => {
    const x = new Array<number>(EMOTIONS.length).fill(0.5);
    const ratings = expectedCultureRatings(x, 0);
    const awe = ['China_Awe', 'United States_Awe', 'South Africa_Awe', 'Venezuela_Awe'].map((n) => ratings[CULTURE_COLUMNS.indexOf(n)] as number);
    expect(new Set(awe.map((v) => v.toFixed(4))).size).toBe(4);
    // Monotone: a stronger emotion is never rated weaker.
    const curves = Array.from({ length: 21 }, (_, i) => expectedCultureRatings(new Array<number>(EMOTIONS.length).fill(i / 20), 1));
    for (let k = 0; k < CULTURE_COLUMNS.length; k++) {
      const curve = curves.map((r) => r[k] as number);
      expect(curve.every((r, i) => i === 0 || r >= (curve[i - 1] as number))).toBe(true);
      expect(curve[20]).toBeGreaterThan(curve[0] as number);
    }
  });
});
