/**
 * Decoding compressed audio with ffmpeg (Debian/Ubuntu package `ffmpeg`;
 * `VBT_FFMPEG` may name another binary). ffmpeg only decodes: it writes the
 * file's own channels at the file's own rate as 32-bit float WAV to a pipe,
 * and the rest of the chain (mix-down, resampling, loudness) is vbt's, as
 * for a WAV file, so a FLAC copy of a WAV file gives identical samples.
 *
 * Input is always a file: bytes in memory are written to a private
 * temporary file first. A pipe would do for most formats, but not alike:
 * MP4 may keep its index at the end, and over a pipe ffmpeg cannot read an
 * MP3's gapless-playback tag, so the same MP3 would decode about a frame
 * longer than from its file.
 *
 * Hardening: the demuxer is forced from the sniffed format (ffmpeg does not
 * guess, so bytes cannot pass for a playlist or another protocol's input),
 * only the `file` protocol is allowed, only the first audio stream is read,
 * and metadata is dropped.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AudioError } from './audio-error.js';
import { AUDIO_FORMAT_NAMES, type AudioFormat } from './audio-formats.js';

/** What to decode: a file on disk, or its bytes in memory. */
export type FfmpegSource = { readonly path: string } | { readonly bytes: Uint8Array };

/** ffmpeg is needed and cannot be started. */
export class DecoderMissingError extends AudioError {
  constructor(format: AudioFormat, file?: string) {
    super(
      `decoding ${AUDIO_FORMAT_NAMES[format]} needs ffmpeg, which is not on the PATH: install it (Debian/Ubuntu: sudo apt-get install ffmpeg) or set VBT_FFMPEG to its path`,
      file,
    );
    this.name = 'DecoderMissingError';
  }
}

/** The ffmpeg binary: VBT_FFMPEG, else `ffmpeg` from the PATH. */
export function ffmpegBinary(): string {
  return process.env.VBT_FFMPEG || 'ffmpeg';
}

const DEMUXERS: { readonly [F in Exclude<AudioFormat, 'wav'>]: string } = {
  flac: 'flac',
  mp3: 'mp3',
  ogg: 'ogg',
  mp4: 'mov',
  aac: 'aac',
  matroska: 'matroska',
  aiff: 'aiff',
};

function inputArgs(format: AudioFormat, input: string): string[] {
  if (format === 'wav') throw new Error('internal: WAV is decoded without ffmpeg');
  return ['-nostdin', '-hide_banner', '-loglevel', 'error', '-protocol_whitelist', 'file', '-f', DEMUXERS[format], '-i', input];
}

/** ffmpeg arguments that decode the first audio stream to float32 WAV on stdout. */
function decodeArgs(format: AudioFormat, input: string, maxSeconds: number | undefined): string[] {
  return [
    ...inputArgs(format, input),
    '-map', '0:a:0', '-vn', '-sn', '-dn', '-map_metadata', '-1', '-fflags', '+bitexact', '-flags:a', '+bitexact',
    ...(maxSeconds !== undefined ? ['-t', String(maxSeconds)] : []),
    '-c:a', 'pcm_f32le', '-f', 'wav', 'pipe:1',
  ];
}

/** The `-i` argument for a file path (the `file:` prefix keeps a colon in a name from reading as a protocol). */
function fileUrl(file: string): string {
  return `file:${path.resolve(file)}`;
}

/**
 * One line saying why ffmpeg failed, from its stderr: its last message,
 * without the input's path (which may be a temporary file's).
 */
function failureReason(format: AudioFormat, stderr: string, status: number | null, signal: string | null, inputPath: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  let last = lines.at(-1) ?? (signal ? `killed by ${signal}` : `exit status ${status}`);
  last = last.split(fileUrl(inputPath)).join('input').split(path.resolve(inputPath)).join('input');
  last = last.replace(/^input: /, '').replace(/^\[[^\]]*\] /, '');
  return `cannot decode ${AUDIO_FORMAT_NAMES[format]}: ${last}`;
}

/**
 * ffmpeg writes a WAV header before it knows the length, with 0xFFFFFFFF
 * for the sizes, and cannot go back over a pipe to fix them. Set the data
 * chunk's size to what actually followed it (in place), so that the WAV
 * reader takes the samples as a complete file.
 */
export function completeStreamedWav(bytes: Uint8Array): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const id = String.fromCharCode(bytes[offset]!, bytes[offset + 1]!, bytes[offset + 2]!, bytes[offset + 3]!);
    const body = offset + 8;
    if (id === 'data') {
      view.setUint32(offset + 4, Math.min(0xfffffffe, bytes.length - body), true);
      view.setUint32(4, Math.min(0xffffffff, bytes.length - 8), true);
      return bytes;
    }
    const size = view.getUint32(offset + 4, true);
    offset = body + size + (size & 1);
  }
  return bytes;
}

const MAX_OUTPUT_BYTES = 2 ** 32;

/**
 * Decode with ffmpeg, blocking (corpus loading and the loader's worker
 * threads work synchronously).
 * @returns a complete float32 WAV file in memory
 * @throws DecoderMissingError without ffmpeg; AudioError naming the file when it cannot be decoded
 */
export function ffmpegDecodeSync(format: AudioFormat, source: FfmpegSource, file?: string): Uint8Array {
  if ('bytes' in source) {
    const dir = mkdtempSync(path.join(tmpdir(), 'vbt-decode-'));
    try {
      const temporary = path.join(dir, 'input');
      writeFileSync(temporary, source.bytes, { mode: 0o600 });
      return ffmpegDecodeSync(format, { path: temporary }, file);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const r = spawnSync(ffmpegBinary(), decodeArgs(format, fileUrl(source.path), undefined), {
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: MAX_OUTPUT_BYTES,
    windowsHide: true,
  });
  if (r.error) {
    if ((r.error as NodeJS.ErrnoException).code === 'ENOENT') throw new DecoderMissingError(format, file);
    throw new AudioError(`cannot decode ${AUDIO_FORMAT_NAMES[format]}: ${r.error.message}`, file, { cause: r.error });
  }
  if (r.status !== 0) throw new AudioError(failureReason(format, r.stderr.toString('utf8'), r.status, r.signal, source.path), file);
  return completeStreamedWav(new Uint8Array(r.stdout.buffer, r.stdout.byteOffset, r.stdout.byteLength));
}

export interface FfmpegDecodeOptions {
  /** Decode at most this many seconds (ffmpeg stops there); the caller compares the length it gets. */
  readonly maxSeconds?: number;
  /** Give up (and kill ffmpeg) after this long. Default 120 s. */
  readonly timeoutMs?: number;
}

/**
 * Decode with ffmpeg without blocking: ffmpeg runs as a child process while
 * the event loop goes on.
 * @returns a complete float32 WAV file in memory
 * @throws as ffmpegDecodeSync
 */
export async function ffmpegDecode(format: AudioFormat, source: FfmpegSource, file?: string, options: FfmpegDecodeOptions = {}): Promise<Uint8Array> {
  if ('bytes' in source) {
    const dir = await mkdtemp(path.join(tmpdir(), 'vbt-decode-'));
    try {
      const temporary = path.join(dir, 'input');
      await writeFile(temporary, source.bytes, { mode: 0o600 });
      return await ffmpegDecode(format, { path: temporary }, file, options);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  const input = fileUrl(source.path);
  return new Promise<Uint8Array>((resolve, reject) => {
    const child = spawn(ffmpegBinary(), decodeArgs(format, input, options.maxSeconds), {
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
    const chunks: Buffer[] = [];
    let stderr = '';
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      child.kill('SIGKILL');
      reject(new AudioError(`cannot decode ${AUDIO_FORMAT_NAMES[format]}: ffmpeg took longer than ${Math.round((options.timeoutMs ?? 120_000) / 1000)} s`, file));
    }, options.timeoutMs ?? 120_000);
    timer.unref();
    child.stdout!.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-4096);
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(error.code === 'ENOENT' ? new DecoderMissingError(format, file) : new AudioError(`cannot decode ${AUDIO_FORMAT_NAMES[format]}: ${error.message}`, file, { cause: error }));
    });
    child.on('close', (status, signal) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (status !== 0) {
        reject(new AudioError(failureReason(format, stderr, status, signal, source.path), file));
        return;
      }
      const out = Buffer.concat(chunks);
      resolve(completeStreamedWav(new Uint8Array(out.buffer, out.byteOffset, out.byteLength)));
    });
  });
}

/** What ffmpeg's decode of a file gives, known without keeping its samples. */
export interface FfmpegProbe {
  readonly sampleRate: number;
  readonly channels: number;
  /** Decoded samples per channel: exactly what a decode yields (container durations are only estimates for MP3, AAC and Opus). */
  readonly frames: number;
}

/**
 * Length, rate and channels of a file's first audio stream, by decoding it
 * to per-packet checksums (ffmpeg's `framecrc` output: one short line per
 * packet, never the samples themselves).
 */
export function ffmpegProbeSync(format: AudioFormat, file: string): FfmpegProbe {
  const args = [...inputArgs(format, fileUrl(file)), '-map', '0:a:0', '-vn', '-sn', '-dn', '-c:a', 'pcm_u8', '-f', 'framecrc', 'pipe:1'];
  const r = spawnSync(ffmpegBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 * 2 ** 20, encoding: 'utf8', windowsHide: true });
  if (r.error) {
    if ((r.error as NodeJS.ErrnoException).code === 'ENOENT') throw new DecoderMissingError(format, file);
    throw new AudioError(`cannot decode ${AUDIO_FORMAT_NAMES[format]}: ${r.error.message}`, file, { cause: r.error });
  }
  if (r.status !== 0) throw new AudioError(failureReason(format, r.stderr, r.status, r.signal, file), file);
  let sampleRate = 0;
  let channels = 0;
  let bytes = 0;
  for (const line of r.stdout.split('\n')) {
    if (line.startsWith('#sample_rate')) sampleRate = Number(line.split(':')[1]);
    if (line.startsWith('#') || line.trim() === '') continue;
    // stream, dts, pts, duration, size, checksum
    const fields = line.split(',').map((f) => f.trim());
    const duration = Number(fields[3]);
    const size = Number(fields[4]);
    if (!Number.isFinite(size)) continue;
    if (channels === 0 && duration > 0) channels = Math.round(size / duration);
    bytes += size;
  }
  if (!(sampleRate > 0)) throw new AudioError(`cannot decode ${AUDIO_FORMAT_NAMES[format]}: ffmpeg reported no sample rate`, file);
  return { sampleRate, channels: Math.max(channels, 1), frames: channels > 0 ? Math.floor(bytes / channels) : 0 };
}

let versionLine: string | undefined;

/**
 * ffmpeg's version line ("ffmpeg version 5.1.6-0+deb12u1 ..."), read once
 * per process: the preprocessed-audio cache keys decoded files by it too,
 * so a different decoder never serves another's samples.
 */
export function ffmpegVersion(): string {
  if (versionLine === undefined) {
    const r = spawnSync(ffmpegBinary(), ['-hide_banner', '-version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], windowsHide: true });
    versionLine = r.status === 0 ? (r.stdout.split('\n')[0] ?? '').trim() : 'ffmpeg unavailable';
  }
  return versionLine;
}
