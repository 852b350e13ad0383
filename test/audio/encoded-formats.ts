/**
 * Test audio in every supported format, made at test time with ffmpeg from
 * synthetic WAV files (no binary audio lives in the repository).
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { encodeWav } from '../../src/audio/wav-encode.js';

/** Each format: file extension and ffmpeg output arguments. */
export const ENCODINGS = {
  flac: { ext: '.flac', args: ['-c:a', 'flac'] },
  mp3: { ext: '.mp3', args: ['-c:a', 'libmp3lame', '-b:a', '128k'] },
  ogg: { ext: '.ogg', args: ['-c:a', 'libvorbis', '-q:a', '5'] },
  opus: { ext: '.opus', args: ['-c:a', 'libopus', '-b:a', '96k'] },
  m4a: { ext: '.m4a', args: ['-c:a', 'aac', '-b:a', '128k'] },
  aac: { ext: '.aac', args: ['-c:a', 'aac', '-b:a', '128k', '-f', 'adts'] },
  webm: { ext: '.webm', args: ['-c:a', 'libopus', '-b:a', '96k', '-f', 'webm'] },
  aiff: { ext: '.aiff', args: ['-f', 'aiff'] },
} as const;
export type Encoding = keyof typeof ENCODINGS;
export const ENCODING_NAMES = Object.keys(ENCODINGS) as Encoding[];

/** Whether ffmpeg runs here. */
export function haveFfmpeg(): boolean {
  return spawnSync('ffmpeg', ['-hide_banner', '-version'], { stdio: 'ignore' }).status === 0;
}

/**
 * A vocal-burst-like test signal: a gliding harmonic tone with a noise
 * burst and an amplitude envelope, `channels` channels (slightly different),
 * deterministic.
 */
export function testSignal(seconds: number, sampleRate: number, channels = 1, seed = 1): Float32Array[] {
  const n = Math.round(seconds * sampleRate);
  let state = seed >>> 0 || 1;
  const noise = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return ((state >>> 0) / 4294967296) * 2 - 1;
  };
  const out: Float32Array[] = [];
  for (let c = 0; c < channels; c++) out.push(new Float32Array(n));
  let phase = 0;
  for (let i = 0; i < n; i++) {
    const t = i / sampleRate;
    const f0 = 180 + 120 * Math.sin(2 * Math.PI * 0.7 * t + seed);
    phase += (2 * Math.PI * f0) / sampleRate;
    const envelope = 0.5 * (1 - Math.cos(2 * Math.PI * Math.min(1, t / Math.max(seconds, 1e-3))));
    const voiced = 0.4 * Math.sin(phase) + 0.2 * Math.sin(2 * phase) + 0.1 * Math.sin(3 * phase);
    const burst = t > seconds * 0.3 && t < seconds * 0.45 ? 0.15 * noise() : 0.01 * noise();
    for (let c = 0; c < channels; c++) out[c]![i] = envelope * (voiced * (1 - 0.2 * c) + burst);
  }
  return out;
}

/** Write a 16-bit WAV file of the test signal; returns its path. */
export function writeTestWav(file: string, seconds: number, sampleRate = 16000, channels = 1, seed = 1): string {
  writeFileSync(file, encodeWav(testSignal(seconds, sampleRate, channels, seed), sampleRate, { format: 'pcm16' }));
  return file;
}

/** Encode a WAV file into `format` next to `out` (or at `out` when it has the extension); returns the path. */
export function encodeAs(wav: string, format: Encoding, out?: string): string {
  const { ext, args } = ENCODINGS[format];
  const target = out ?? path.join(path.dirname(wav), `${path.basename(wav, path.extname(wav))}${ext}`);
  const r = spawnSync('ffmpeg', ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', '-i', wav, ...args, target], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ffmpeg could not write ${target}: ${r.stderr}`);
  return target;
}
