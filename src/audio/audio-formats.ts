/**
 * Which audio formats vbt reads, and telling them apart by their first
 * bytes (never by the file name: an upload has none, and a name can lie).
 *
 * WAV is decoded here (wav-decode.ts). The compressed formats are decoded by
 * ffmpeg (ffmpeg.ts): FLAC, MP3, Ogg (Vorbis, Opus, FLAC), MP4/M4A (AAC,
 * ALAC), raw AAC in ADTS frames, WebM/Matroska (Opus, Vorbis) and AIFF.
 */
import { WavDecodeError } from './audio-error.js';

/** A container vbt recognises. */
export type AudioFormat = 'wav' | 'flac' | 'mp3' | 'ogg' | 'mp4' | 'aac' | 'matroska' | 'aiff';

/** Human names, for messages. */
export const AUDIO_FORMAT_NAMES: { readonly [F in AudioFormat]: string } = {
  wav: 'WAV',
  flac: 'FLAC',
  mp3: 'MP3',
  ogg: 'Ogg (Vorbis/Opus)',
  mp4: 'M4A/MP4 (AAC)',
  aac: 'AAC (ADTS)',
  matroska: 'WebM/Matroska',
  aiff: 'AIFF',
};

/** The formats in one phrase: "WAV, FLAC, MP3, ...". */
export const SUPPORTED_FORMATS_TEXT = 'WAV, FLAC, MP3, Ogg Vorbis/Opus, M4A/AAC, WebM or AIFF';

/**
 * File name extensions taken for audio when a folder is searched (lower
 * case, with the dot). What a file holds is still decided by its bytes.
 */
export const AUDIO_EXTENSIONS: readonly string[] = [
  '.wav', '.wave', '.flac', '.mp3', '.ogg', '.oga', '.opus', '.m4a', '.mp4', '.aac', '.webm', '.mka', '.aif', '.aiff',
];

/**
 * Bytes that are none of the recognised formats. It extends WavDecodeError
 * because such bytes are, among other things, not a WAV file (what the
 * corpus readers always said about them); callers that must tell "not audio
 * we know" from "a broken file of a known format" test for this class.
 */
export class UnsupportedAudioError extends WavDecodeError {
  constructor(reason: string, file?: string) {
    super(reason, file);
    this.name = 'UnsupportedAudioError';
  }
}

function ascii(bytes: Uint8Array, at: number, length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) text += String.fromCharCode(bytes[at + i] ?? 0);
  return text;
}

/** Bytes of an ID3v2 tag at the start (header, body and optional footer), or 0. */
function id3Length(bytes: Uint8Array): number {
  if (bytes.length < 10 || ascii(bytes, 0, 3) !== 'ID3') return 0;
  const size = (((bytes[6] ?? 0) & 0x7f) << 21) | (((bytes[7] ?? 0) & 0x7f) << 14) | (((bytes[8] ?? 0) & 0x7f) << 7) | ((bytes[9] ?? 0) & 0x7f);
  const footer = ((bytes[5] ?? 0) & 0x10) !== 0 ? 10 : 0;
  return 10 + size + footer;
}

/** The format the bytes start with, from their magic numbers; undefined when none is recognised. */
export function sniffAudioFormat(bytes: Uint8Array): AudioFormat | undefined {
  const head = ascii(bytes, 0, 4);
  if ((head === 'RIFF' || head === 'RIFX' || head === 'RF64') && ascii(bytes, 8, 4) === 'WAVE') return 'wav';
  if (head === 'fLaC') return 'flac';
  if (head === 'OggS') return 'ogg';
  if (head === 'FORM' && (ascii(bytes, 8, 4) === 'AIFF' || ascii(bytes, 8, 4) === 'AIFC')) return 'aiff';
  if (ascii(bytes, 4, 4) === 'ftyp') return 'mp4';
  if (bytes[0] === 0x1a && bytes[1] === 0x45 && bytes[2] === 0xdf && bytes[3] === 0xa3) return 'matroska';
  const tag = id3Length(bytes);
  if (tag > 0) {
    // An ID3 tag usually opens an MP3; FLAC and ADTS files sometimes carry one too.
    const rest = bytes.subarray(Math.min(tag, bytes.length));
    const inner = rest.length >= 4 ? sniffAudioFormat(rest) : undefined;
    return inner === 'flac' || inner === 'aac' ? inner : 'mp3';
  }
  const b0 = bytes[0] ?? 0;
  const b1 = bytes[1] ?? 0;
  if (b0 === 0xff && (b1 & 0xf6) === 0xf0) return 'aac'; // ADTS: 12 sync bits, layer 00
  if (b0 === 0xff && (b1 & 0xe0) === 0xe0 && (b1 & 0x06) !== 0) return 'mp3'; // MPEG audio frame: 11 sync bits, layer I-III
  return undefined;
}
