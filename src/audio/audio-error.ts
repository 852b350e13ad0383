/**
 * Errors raised while reading and preparing audio. The data layer wraps
 * them in a `DataError` that also names the corpus row that referenced the
 * file.
 */

/** A problem with one audio file or buffer (unreadable, empty, unsupported). */
export class AudioError extends Error {
  /** The audio file concerned, when known. */
  readonly file: string | undefined;
  /** What is wrong, without the file name. */
  readonly reason: string;

  /**
   * @param reason what is wrong; the message is `<file>: <reason>` when a file is given
   */
  constructor(reason: string, file?: string, options?: { cause?: unknown }) {
    super(file === undefined ? reason : `${file}: ${reason}`, options);
    this.name = 'AudioError';
    this.file = file;
    this.reason = reason;
  }
}

/**
 * The bytes are not a WAV file this decoder can read: wrong magic, a
 * malformed or unsupported `fmt ` chunk, a missing or truncated chunk.
 * The decoder throws nothing else for any input bytes.
 */
export class WavDecodeError extends AudioError {
  constructor(reason: string, file?: string) {
    super(reason, file);
    this.name = 'WavDecodeError';
  }
}
