/**
 * Walking the chunks of a RIFF/WAVE file to find its format and where the
 * samples are, without reading the samples. The same walk serves the
 * in-memory decoder and the header-only file probe.
 */
import { WavDecodeError } from './audio-error.js';
import { parseFmtChunk, type WavFormat } from './wav-format.js';

/** Random access to the bytes of a WAV file, in memory or on disk. */
export interface ByteSource {
  /** Total size in bytes. */
  readonly size: number;
  /** Bytes [offset, offset + length), fewer only at the end of the source. */
  read(offset: number, length: number): Uint8Array;
}

/** Where the samples of a WAV file are and how they are stored. */
export interface WavLayout {
  readonly format: WavFormat;
  /** Byte offset of the first sample. */
  readonly dataOffset: number;
  /** Bytes of sample data used: whole frames only. */
  readonly dataBytes: number;
  /** Number of frames (samples per channel). */
  readonly frames: number;
}

/** A ByteSource over bytes already in memory. */
export function memoryByteSource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    read: (offset, length) => bytes.subarray(offset, Math.min(bytes.length, offset + length)),
  };
}

/** A `fmt ` chunk longer than this is not plausible; only its head is read. */
const FMT_READ_LIMIT = 64;

function fourCC(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(bytes[at] ?? 0, bytes[at + 1] ?? 0, bytes[at + 2] ?? 0, bytes[at + 3] ?? 0);
}

function uint32At(bytes: Uint8Array, at: number): number {
  return ((bytes[at] ?? 0) | ((bytes[at + 1] ?? 0) << 8) | ((bytes[at + 2] ?? 0) << 16) | ((bytes[at + 3] ?? 0) << 24)) >>> 0;
}

/**
 * Find the format and the sample data of a WAV file. Unknown chunks are
 * skipped; odd-sized chunks are followed by one pad byte, as RIFF requires.
 * The RIFF size field is not trusted (streaming writers leave it 0 or
 * 0xFFFFFFFF): the walk stops once `fmt ` and `data` are both found, so
 * trailing bytes after them are ignored.
 * @throws WavDecodeError for a non-WAV file, a missing chunk, or a chunk that
 *   claims more bytes than the file holds (truncated file)
 */
export function readWavLayout(source: ByteSource): WavLayout {
  const head = source.read(0, 12);
  if (head.length < 12) throw new WavDecodeError(`file is ${source.size} bytes, too short for a RIFF header`);
  const riff = fourCC(head, 0);
  if (riff === 'RIFX') throw new WavDecodeError('big-endian RIFX files are not supported');
  if (riff === 'RF64') throw new WavDecodeError('RF64 files are not supported');
  if (riff !== 'RIFF' || fourCC(head, 8) !== 'WAVE') throw new WavDecodeError('not a RIFF/WAVE file (bad header)');

  let format: WavFormat | undefined;
  let dataOffset = -1;
  let dataDeclared = 0;
  let offset = 12;
  while (offset + 8 <= source.size && (format === undefined || dataOffset < 0)) {
    const header = source.read(offset, 8);
    const id = fourCC(header, 0);
    const size = uint32At(header, 4);
    const body = offset + 8;
    const remaining = source.size - body;
    if (id === 'fmt ') {
      if (size > remaining) throw new WavDecodeError(`truncated: fmt chunk declares ${size} bytes, ${remaining} remain`);
      format = parseFmtChunk(source.read(body, Math.min(size, FMT_READ_LIMIT)));
    } else if (id === 'data') {
      if (size > remaining) throw new WavDecodeError(`truncated: data chunk declares ${size} bytes, ${remaining} remain`);
      dataOffset = body;
      dataDeclared = size;
    }
    // Every step advances by at least the 8-byte header, so the walk ends.
    offset = body + size + (size & 1);
  }
  if (format === undefined) throw new WavDecodeError('no fmt chunk');
  if (dataOffset < 0) throw new WavDecodeError('no data chunk');
  // A partial frame at the end of the data chunk cannot be decoded: drop it.
  const frames = Math.floor(dataDeclared / format.blockAlign);
  return { format, dataOffset, dataBytes: frames * format.blockAlign, frames };
}
