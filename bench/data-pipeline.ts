/**
 * Data pipeline benchmark: audio preprocessing throughput, as multiples of
 * real time (seconds of audio prepared per second of wall time), for 16 kHz
 * mono and 44.1 kHz stereo WAV input, on the first pass (decode, mix down,
 * resample, normalise, write the cache) and on a cached pass (hash the
 * file, read the cache). Single thread; the OS file cache is warm (the
 * clips were just written), so disk speed is not measured.
 *
 * Also: the time per stage of the uncached 44.1 kHz stereo path, and the
 * batch loader's throughput with one worker thread on cached audio.
 *
 * Run: npx tsx bench/data-pipeline.ts   (prints one JSON object)
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { normalizeRmsInPlace } from '../src/audio/loudness.js';
import { AudioPreprocessor } from '../src/audio/preprocessor.js';
import { resamplerFor } from '../src/audio/resampler.js';
import { decodeWavMono } from '../src/audio/wav-decode.js';
import { readManifestCorpus } from '../src/data/corpus/manifest-corpus.js';
import { BatchLoader } from '../src/data/loader/batch-loader.js';
import { planEpoch } from '../src/data/sampling/epoch-plan.js';
import { preprocessedLengths } from '../src/data/sampling/clip-lengths.js';
import { Rng } from '../src/util/rng.js';

/** Audio per condition, in seconds. */
const AUDIO_SECONDS = 240;
/** Timed repetitions per measurement; the median is reported. */
const ROUNDS = 5;

interface Condition {
  readonly name: 'mono16k' | 'stereo44k';
  readonly sampleRate: number;
  readonly channels: number;
}

const CONDITIONS: readonly Condition[] = [
  { name: 'mono16k', sampleRate: 16000, channels: 1 },
  { name: 'stereo44k', sampleRate: 44100, channels: 2 },
];

/** A 16-bit PCM WAV file of interleaved samples. */
function encodePcm16(interleaved: Float32Array, sampleRate: number, channels: number): Uint8Array {
  const dataBytes = interleaved.length * 2;
  const out = new Uint8Array(44 + dataBytes);
  const view = new DataView(out.buffer);
  const ascii = (at: number, text: string): void => {
    for (let i = 0; i < text.length; i++) out[at + i] = text.charCodeAt(i);
  };
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + dataBytes, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, channels, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * channels * 2, true);
  view.setUint16(32, channels * 2, true);
  view.setUint16(34, 16, true);
  ascii(36, 'data');
  view.setUint32(40, dataBytes, true);
  for (let i = 0; i < interleaved.length; i++) {
    view.setInt16(44 + 2 * i, Math.max(-32768, Math.min(32767, Math.round((interleaved[i] as number) * 32767))), true);
  }
  return out;
}

/** Burst-like clips (noisy harmonic tone under an envelope), 0.5–4 s, totalling AUDIO_SECONDS. */
function writeClips(dir: string, condition: Condition): { paths: string[]; seconds: number } {
  mkdirSync(dir, { recursive: true });
  const rng = new Rng(condition.sampleRate + condition.channels);
  const paths: string[] = [];
  let seconds = 0;
  while (seconds < AUDIO_SECONDS) {
    const duration = rng.uniform(0.5, 4);
    const frames = Math.round(duration * condition.sampleRate);
    const f0 = rng.uniform(120, 600);
    const interleaved = new Float32Array(frames * condition.channels);
    for (let i = 0; i < frames; i++) {
      const t = i / condition.sampleRate;
      const envelope = Math.sin((Math.PI * i) / frames);
      const voiced = 0.3 * Math.sin(2 * Math.PI * f0 * t) + 0.1 * Math.sin(4 * Math.PI * f0 * t);
      for (let c = 0; c < condition.channels; c++) interleaved[i * condition.channels + c] = envelope * (voiced + rng.uniform(-0.1, 0.1));
    }
    const path = join(dir, `clip${paths.length}.wav`);
    writeFileSync(path, encodePcm16(interleaved, condition.sampleRate, condition.channels));
    paths.push(path);
    seconds += frames / condition.sampleRate;
  }
  return { paths, seconds };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function timeMs(work: () => void): number {
  const started = performance.now();
  work();
  return performance.now() - started;
}

function round(value: number, digits = 1): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** Uncached and cached real-time factors for one condition. */
function measurePreprocessing(work: string, condition: Condition): { uncached: number; cached: number; clips: number; seconds: number } {
  const { paths, seconds } = writeClips(join(work, condition.name), condition);
  // Warm up the JIT and the shared resampler on a few clips (not timed).
  const warm = new AudioPreprocessor();
  for (const path of paths.slice(0, 5)) warm.loadFile(path);

  const uncached: number[] = [];
  const cached: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const cacheDir = join(work, `cache-${condition.name}-${round}`);
    const first = new AudioPreprocessor({}, cacheDir);
    uncached.push(timeMs(() => paths.forEach((p) => first.loadFile(p))));
    const second = new AudioPreprocessor({}, cacheDir);
    cached.push(timeMs(() => paths.forEach((p) => second.loadFile(p))));
    if (second.stats.cacheHits !== paths.length) throw new Error('cached pass missed the cache');
  }
  return { uncached: (seconds * 1000) / median(uncached), cached: (seconds * 1000) / median(cached), clips: paths.length, seconds };
}

/** Milliseconds per second of audio for each stage of the uncached 44.1 kHz stereo path. */
function measureStages(work: string): Record<string, number> {
  const dir = join(work, 'stereo44k');
  const condition = CONDITIONS[1] as Condition;
  const paths = Array.from({ length: 20 }, (_, i) => join(dir, `clip${i}.wav`));
  const files = paths.map((p) => readFileSync(p));
  // 16-bit stereo: 4 bytes per frame after the 44-byte header.
  const audioSeconds = files.reduce((s, f) => s + (f.length - 44) / 4 / condition.sampleRate, 0);
  const resampler = resamplerFor(condition.sampleRate, 16000);
  const totals = { read: 0, hash: 0, decodeToMono: 0, resample: 0, normalize: 0 };
  for (let round = 0; round < ROUNDS; round++) {
    totals.read += timeMs(() => paths.forEach((p) => readFileSync(p)));
    totals.hash += timeMs(() => files.forEach((f) => createHash('sha256').update(f).digest('hex')));
    let mono: Float32Array[] = [];
    totals.decodeToMono += timeMs(() => {
      mono = files.map((f) => decodeWavMono(f).samples);
    });
    let resampled: Float32Array[] = [];
    totals.resample += timeMs(() => {
      resampled = mono.map((m) => resampler.process(m));
    });
    totals.normalize += timeMs(() => resampled.forEach((r) => normalizeRmsInPlace(r, { targetDbfs: -3 })));
  }
  return Object.fromEntries(Object.entries(totals).map(([stage, ms]) => [stage, round(ms / ROUNDS / audioSeconds, 3)]));
}

/** Batches per second and real-time factor of the worker loader (one worker) on cached 16 kHz clips. */
async function measureLoader(work: string, clipCount: number): Promise<Record<string, number>> {
  const dir = join(work, 'mono16k');
  const paths = Array.from({ length: clipCount }, (_, i) => `clip${i}.wav`);
  writeFileSync(join(dir, 'manifest.csv'), ['path,split', ...paths.map((p) => `${p},Train`)].join('\n'));
  const corpus = readManifestCorpus(join(dir, 'manifest.csv'));
  const lengths = preprocessedLengths(corpus.clips);
  const seconds = lengths.reduce((s, n) => s + n, 0) / 16000;
  const cacheDir = join(work, 'cache-loader');
  const plan = planEpoch({ clips: corpus.clips, indices: corpus.clips.map((_, i) => i), batchSize: 16, seed: 1, epoch: 0, lengths });
  const loader = new BatchLoader({ clips: corpus.clips, tasks: [], cacheDir, numWorkers: 1, prefetch: 4 });
  try {
    for await (const _batch of loader.batches(plan)) {
      // First pass fills the cache.
    }
    const times: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const started = performance.now();
      for await (const _batch of loader.batches(plan)) {
        // Consume only: measures how fast the pool delivers.
      }
      times.push(performance.now() - started);
    }
    const ms = median(times);
    return { batches: plan.length, batchesPerSecond: round((plan.length * 1000) / ms), realtimeFactor: round((seconds * 1000) / ms) };
  } finally {
    await loader.close();
  }
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'vbt-bench-data-'));
  try {
    const results: Record<string, { uncached: number; cached: number }> = {};
    const audioSeconds: Record<string, number> = {};
    const clips: Record<string, number> = {};
    for (const condition of CONDITIONS) {
      const measured = measurePreprocessing(work, condition);
      results[condition.name] = { uncached: round(measured.uncached), cached: round(measured.cached) };
      audioSeconds[condition.name] = round(measured.seconds);
      clips[condition.name] = measured.clips;
    }
    const stages = measureStages(work);
    const loader = await measureLoader(work, clips.mono16k as number);
    const mono = results.mono16k as { uncached: number; cached: number };
    const stereo = results.stereo44k as { uncached: number; cached: number };
    const goals = {
      cachedAtLeast: 1000,
      stereo44kUncachedAtLeast: 300,
      met: Math.min(mono.cached, stereo.cached) >= 1000 && stereo.uncached >= 300,
    };
    const output = {
      bench: 'data-pipeline',
      unit: 'x real time (audio seconds per wall second), single thread, median of rounds',
      machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version },
      audioSeconds,
      clips,
      rounds: ROUNDS,
      realtimeFactor: results,
      goals,
      stereo44kUncachedStageMsPerAudioSecond: stages,
      loaderOneWorkerCached16k: loader,
    };
    process.stdout.write(`${JSON.stringify(output)}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
