/**
 * Learnability of the synthetic corpus: hand-made acoustic features and the
 * simplest models (ridge regression, nearest centroid, least-squares
 * classification), fitted on Train, must beat the trivial predictors (the
 * Train mean, the majority class) on Val by a clear margin. If the audio
 * stopped carrying the labels, these would fall to chance.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { burstTypeIndex, EMOTIONS } from '../../src/tasks.js';
import { generateSyntheticLatents, renderClip, type SynthSpeaker } from '../../src/synth/index.js';

const FS = 16000;
const FRAME = 400; // 25 ms
const HOP = 160; // 10 ms

/** Log energy (dB) of each frame. */
function frameDb(x: Float32Array): number[] {
  const n = Math.max(1, Math.floor((x.length - FRAME) / HOP) + 1);
  return Array.from({ length: n }, (_, f) => {
    let e = 0;
    for (let i = f * HOP; i < f * HOP + FRAME && i < x.length; i++) e += (x[i] as number) ** 2;
    return 10 * Math.log10(e / FRAME + 1e-12);
  });
}

/** Frames clearly above the background: 3 dB over the 10th percentile and within 25 dB of the loudest. */
function activeFrames(db: number[]): boolean[] {
  const sorted = [...db].sort((a, b) => a - b);
  const floor = sorted[Math.floor(0.1 * sorted.length)] as number;
  const max = sorted[sorted.length - 1] as number;
  const threshold = Math.max(max - 25, floor + 3);
  const active = db.map((d) => d > threshold);
  return active.some(Boolean) ? active : db.map(() => true);
}

/** In-place radix-2 FFT of (re, im), length a power of two. */
function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j] as number, re[i] as number];
      [im[i], im[j]] = [im[j] as number, im[i] as number];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const ang = (-2 * Math.PI) / len;
    for (let i = 0; i < n; i += len) {
      for (let k = 0; k < len / 2; k++) {
        const wr = Math.cos(ang * k);
        const wi = Math.sin(ang * k);
        const a = i + k;
        const b = a + len / 2;
        const xr = (re[b] as number) * wr - (im[b] as number) * wi;
        const xi = (re[b] as number) * wi + (im[b] as number) * wr;
        re[b] = (re[a] as number) - xr;
        im[b] = (im[a] as number) - xi;
        re[a] = (re[a] as number) + xr;
        im[a] = (im[a] as number) + xi;
      }
    }
  }
}

/** Long-term average spectrum over active frames in 16 log-spaced bands (100–7000 Hz), level removed. */
function ltas(x: Float32Array, active: boolean[]): number[] {
  const N = 512;
  const edges = Array.from({ length: 17 }, (_, i) => 100 * Math.pow(70, i / 16));
  const bands = new Array<number>(16).fill(1e-12);
  const re = new Float64Array(N);
  const im = new Float64Array(N);
  for (let f = 0; f < active.length; f += 2) {
    if (!active[f]) continue;
    for (let i = 0; i < N; i++) {
      const v = x[f * HOP + i] ?? 0;
      re[i] = v * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / N));
      im[i] = 0;
    }
    fft(re, im);
    for (let k = 1; k < N / 2; k++) {
      const hz = (k * FS) / N;
      const band = edges.findIndex((e, b) => b < 16 && hz >= e && hz < (edges[b + 1] as number));
      if (band >= 0) bands[band] = (bands[band] as number) + (re[k] as number) ** 2 + (im[k] as number) ** 2;
    }
  }
  const logs = bands.map(Math.log);
  const m = logs.reduce((a, b) => a + b, 0) / logs.length;
  return logs.map((v) => v - m);
}

/** Prosodic and voice-quality features of a 16 kHz clip. */
function prosody(x: Float32Array, db: number[], active: boolean[]): number[] {
  const nActive = active.filter(Boolean).length;
  let runs = 0;
  for (let f = 0; f < active.length; f++) if (active[f] && (f === 0 || !active[f - 1])) runs++;
  // Pitch by autocorrelation on a 2:1 decimated copy (8 kHz; 60–1000 Hz).
  const dec = new Float32Array(Math.floor(x.length / 2)).map((_, i) => ((x[2 * i] as number) + (x[2 * i + 1] as number)) / 2);
  let zcr = 0;
  let hf = 0;
  let periodicity = 0;
  const pitch: number[] = [];
  const when: number[] = [];
  for (let f = 0; f < active.length; f++) {
    if (!active[f]) continue;
    let z = 0;
    let e = 0;
    let d = 0;
    for (let i = f * HOP + 1; i < f * HOP + FRAME && i < x.length; i++) {
      const a = x[i] as number;
      const b = x[i - 1] as number;
      if (a >= 0 !== b >= 0) z++;
      e += a * a;
      d += (a - b) ** 2;
    }
    zcr += z / FRAME;
    hf += Math.log10((d + 1e-12) / (e + 1e-12));
    const s0 = Math.floor((f * HOP) / 2);
    let r0 = 0;
    for (let i = s0; i < s0 + 200 && i < dec.length; i++) r0 += (dec[i] as number) ** 2;
    let best = 0;
    let bestLag = 0;
    for (let lag = 8; lag <= 133; lag++) {
      let r = 0;
      let rl = 0;
      for (let i = s0; i < s0 + 200 && i + lag < dec.length; i++) {
        r += (dec[i] as number) * (dec[i + lag] as number);
        rl += (dec[i + lag] as number) ** 2;
      }
      const c = r / Math.sqrt(r0 * rl + 1e-20);
      if (c > best) {
        best = c;
        bestLag = lag;
      }
    }
    periodicity += best;
    if (best > 0.5) {
      pitch.push(Math.log(8000 / bestLag));
      when.push(f);
    }
  }
  const sorted = [...pitch].sort((a, b) => a - b);
  const q = (p: number): number => (sorted.length ? (sorted[Math.floor(p * (sorted.length - 1))] as number) : 0);
  let slope = 0;
  let wobble = 0;
  if (pitch.length > 2) {
    const mt = when.reduce((a, b) => a + b, 0) / when.length;
    const mp = pitch.reduce((a, b) => a + b, 0) / pitch.length;
    let num = 0;
    let den = 0;
    pitch.forEach((p, i) => {
      num += ((when[i] as number) - mt) * (p - mp);
      den += ((when[i] as number) - mt) ** 2;
    });
    slope = den > 0 ? (num / den) * 100 : 0;
    for (let i = 1; i < pitch.length; i++) wobble += Math.abs((pitch[i] as number) - (pitch[i - 1] as number));
    wobble /= pitch.length - 1;
  }
  const activeDb = db.filter((_, f) => active[f]);
  const meanDb = activeDb.reduce((a, b) => a + b, 0) / activeDb.length;
  const sdDb = Math.sqrt(activeDb.reduce((a, b) => a + (b - meanDb) ** 2, 0) / activeDb.length);
  const seconds = x.length / FS;
  return [
    nActive / active.length,
    runs / seconds,
    (nActive * HOP) / FS / Math.max(1, runs),
    zcr / nActive,
    hf / nActive,
    pitch.length / nActive,
    q(0.5),
    q(0.9) - q(0.1),
    slope,
    wobble,
    sdDb,
    periodicity / nActive,
    seconds,
  ];
}

/** Standardise columns with Train statistics; prepend a bias column. */
function standardise(rows: number[][], train: number[]): number[][] {
  const d = (rows[0] as number[]).length;
  const mu = Array.from({ length: d }, (_, j) => train.reduce((a, i) => a + (rows[i] as number[])[j]!, 0) / train.length);
  const sd = Array.from(
    { length: d },
    (_, j) => Math.sqrt(train.reduce((a, i) => a + ((rows[i] as number[])[j]! - mu[j]!) ** 2, 0) / train.length) || 1,
  );
  return rows.map((r) => [1, ...r.map((v, j) => (v - mu[j]!) / sd[j]!)]);
}

/** Ridge regression (λ = 1, bias unpenalised) by Gauss-Jordan on the normal equations; returns weights per target. */
function ridge(Z: number[][], train: number[], targets: number[][]): number[][] {
  const p = (Z[0] as number[]).length;
  const k = (targets[0] as number[]).length;
  const A = Array.from({ length: p }, () => new Array<number>(p + k).fill(0));
  for (const i of train) {
    const z = Z[i] as number[];
    const t = targets[i] as number[];
    for (let a = 0; a < p; a++) {
      const row = A[a] as number[];
      for (let b = 0; b < p; b++) row[b] = row[b]! + z[a]! * z[b]!;
      for (let c = 0; c < k; c++) row[p + c] = row[p + c]! + z[a]! * t[c]!;
    }
  }
  for (let a = 1; a < p; a++) (A[a] as number[])[a]! += 1;
  for (let c = 0; c < p; c++) {
    let piv = c;
    for (let r = c + 1; r < p; r++) if (Math.abs(A[r]![c]!) > Math.abs(A[piv]![c]!)) piv = r;
    [A[c], A[piv]] = [A[piv] as number[], A[c] as number[]];
    for (let r = 0; r < p; r++) {
      if (r === c) continue;
      const f = A[r]![c]! / A[c]![c]!;
      for (let m = c; m < p + k; m++) A[r]![m]! -= f * A[c]![m]!;
    }
  }
  return Array.from({ length: k }, (_, c) => Array.from({ length: p }, (_, a) => A[a]![p + c]! / A[a]![a]!));
}

const dot = (a: number[], b: number[]): number => a.reduce((s, v, i) => s + v * b[i]!, 0);
const mean = (a: number[]): number => a.reduce((s, v) => s + v, 0) / a.length;

/** Concordance correlation coefficient (population statistics). */
function ccc(pred: number[], truth: number[]): number {
  const mp = mean(pred);
  const mt = mean(truth);
  let vp = 0;
  let vt = 0;
  let cov = 0;
  pred.forEach((p, i) => {
    vp += (p - mp) ** 2;
    vt += (truth[i]! - mt) ** 2;
    cov += (p - mp) * (truth[i]! - mt);
  });
  const n = pred.length;
  return (2 * cov) / (vp + vt + n * (mp - mt) ** 2);
}

/** Unweighted average recall over classes present in `truth`. */
function uar(pred: number[], truth: number[]): number {
  const classes = [...new Set(truth)];
  return mean(classes.map((c) => {
    const idx = truth.map((t, i) => (t === c ? i : -1)).filter((i) => i >= 0);
    return idx.filter((i) => pred[i] === c).length / idx.length;
  }));
}

describe('synthetic corpus learnability', () => {
  // Rendered in memory at 16 kHz (the written files hold the same audio; see synth-layout.test.ts).
  const corpus = generateSyntheticLatents({ seed: 11, clips: 400, splits: { Train: 0.7, Val: 0.3, Test: 0 } });
  const train = corpus.clips.flatMap((c, i) => (c.split === 'Train' ? [i] : []));
  const val = corpus.clips.flatMap((c, i) => (c.split === 'Val' ? [i] : []));
  const labels = corpus.clips.map((c) => c.labels);
  const spectral: number[][] = [];
  let Z: number[][] = [];
  beforeAll(() => {
    const prosodic: number[][] = [];
    for (const clip of corpus.clips) {
      const { samples } = renderClip(clip, corpus.speakers[clip.speaker] as SynthSpeaker);
      const db = frameDb(samples);
      const active = activeFrames(db);
      prosodic.push(prosody(samples, db, active));
      spectral.push(ltas(samples, active));
    }
    Z = standardise(prosodic.map((p, i) => [...p, ...(spectral[i] as number[])]), train);
  });

  /** Val CCC and R² (1 − MSE / MSE of the Train mean) of ridge regression for each target. */
  function regress(targets: number[][]): { ccc: number; r2: number }[] {
    const weights = ridge(Z, train, targets);
    return weights.map((w, k) => {
      const pred = val.map((i) => dot(Z[i] as number[], w));
      const truth = val.map((i) => targets[i]![k]!);
      const trainMean = mean(train.map((i) => targets[i]![k]!));
      const mse = mean(pred.map((p, j) => (p - truth[j]!) ** 2));
      const mseTrivial = mean(truth.map((t) => (t - trainMean) ** 2));
      return { ccc: ccc(pred, truth), r2: 1 - mse / mseTrivial };
    });
  }

  it('has speaker-disjoint Train and Val of useful size', () => {
    expect(train.length).toBeGreaterThan(240);
    expect(val.length).toBeGreaterThan(90);
  });

  it('carries arousal and valence: ridge regression explains a third of the variance or more', () => {
    const [valence, arousal] = regress(labels.map((l) => [...l.two]));
    // Trivial predictor (Train mean): CCC 0, R² ≤ 0.
    expect(arousal!.r2).toBeGreaterThan(0.35);
    expect(arousal!.ccc).toBeGreaterThan(0.55);
    expect(valence!.r2).toBeGreaterThan(0.3);
    expect(valence!.ccc).toBeGreaterThan(0.5);
  });

  it('carries emotions: amusement, fear, sadness and surprise beat the Train mean clearly', () => {
    const names = ['Amusement', 'Fear', 'Sadness', 'Surprise'];
    const idx = names.map((n) => (EMOTIONS as readonly string[]).indexOf(n));
    const results = regress(labels.map((l) => idx.map((k) => l.high[k]!)));
    const [amusement, fear, sadness, surprise] = results;
    expect(amusement!.ccc).toBeGreaterThan(0.6);
    expect(fear!.ccc).toBeGreaterThan(0.4);
    expect(sadness!.ccc).toBeGreaterThan(0.4);
    expect(surprise!.ccc).toBeGreaterThan(0.3);
    for (const r of results) expect(r.r2).toBeGreaterThan(0.15);
  });

  it('carries burst type: nearest centroid reaches a UAR far above the majority class', () => {
    const types = labels.map((l) => l.type);
    const d = (Z[0] as number[]).length;
    const centroids = Array.from({ length: 8 }, (_, t) => {
      const members = train.filter((i) => types[i] === t);
      return Array.from({ length: d }, (_, j) => mean(members.map((i) => Z[i]![j]!)));
    });
    const pred = val.map((i) => {
      let best = 0;
      let bestDist = Infinity;
      centroids.forEach((c, t) => {
        const dist = c.reduce((s, v, j) => s + (v - Z[i]![j]!) ** 2, 0);
        if (dist < bestDist) {
          bestDist = dist;
          best = t;
        }
      });
      return best;
    });
    const truth = val.map((i) => types[i]!);
    // Majority class: UAR 1/8. Label noise flips 8% of types, so ~0.92 is the ceiling.
    expect(uar(pred, truth)).toBeGreaterThan(0.55);
    expect(uar(val.map(() => burstTypeIndex('Laugh') as number), truth)).toBeCloseTo(1 / 8, 5);
  });

  it('carries age: ridge regression on the voice beats the Train median by half a year or more', () => {
    const ages = labels.map((l) => l.age);
    const s = train.map((i) => ages[i]!).sort((a, b) => a - b);
    const median = s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
    const mae = (pred: number[]) => mean(val.map((i, j) => Math.abs(pred[j]! - ages[i]!)));
    const [w] = ridge(Z, train, ages.map((a) => [a]));
    // Trivial predictor: the Train median, the best constant for MAE.
    expect(mae(val.map((i) => dot(Z[i] as number[], w!)))).toBeLessThan(mae(val.map(() => median)) - 0.5);
  });

  it('carries country: a linear classifier on the average spectrum beats chance', () => {
    const countries = labels.map((l) => l.country);
    const Zs = standardise(spectral, train);
    const weights = ridge(Zs, train, countries.map((c) => [0, 1, 2, 3].map((k) => (k === c ? 1 : 0))));
    const pred = val.map((i) => {
      const scores = weights.map((w) => dot(Zs[i] as number[], w));
      return scores.indexOf(Math.max(...scores));
    });
    // Chance (and the majority class): UAR 0.25.
    expect(uar(pred, val.map((i) => countries[i]!))).toBeGreaterThan(0.4);
  });
});
