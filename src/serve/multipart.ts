/**
 * A `multipart/form-data` body held in memory (RFC 7578), split into its
 * parts: the files of an upload form or of `curl -F file=@a.wav`.
 */

/** One part of a form. */
export interface FormPart {
  /** The form field's name. */
  readonly name: string | undefined;
  /** The uploaded file's name; undefined for a plain field. */
  readonly filename: string | undefined;
  readonly contentType: string | undefined;
  readonly data: Uint8Array;
}

/** A body that is not well-formed multipart (a 400). */
export class MultipartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MultipartError';
  }
}

/** The boundary parameter of a multipart Content-Type, or undefined when it has none. */
export function multipartBoundary(contentType: string): string | undefined {
  const match = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  return boundary !== undefined && boundary.length >= 1 && boundary.length <= 200 ? boundary : undefined;
}

/** A header parameter (`name="x"`, `filename="a.wav"`), unquoted. */
function parameter(header: string, key: string): string | undefined {
  const pattern = new RegExp(`;\\s*${key}=(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]+))`, 'i');
  const match = pattern.exec(header);
  if (!match) return undefined;
  return match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : match[2];
}

/** Index of `needle` in `haystack` from `from`, or −1. */
function indexOf(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  return Buffer.from(haystack.buffer, haystack.byteOffset, haystack.byteLength).indexOf(needle, from);
}

const CRLF = new Uint8Array([13, 10]);
const HEADER_END = new Uint8Array([13, 10, 13, 10]);

/**
 * Split a multipart body into its parts (the parts' data are views into `body`).
 * @throws MultipartError for a body that does not follow the format
 */
export function parseMultipart(body: Uint8Array, boundary: string): FormPart[] {
  const dash = new TextEncoder().encode(`--${boundary}`);
  const delimiter = new TextEncoder().encode(`\r\n--${boundary}`);
  let position = indexOf(body, dash, 0);
  if (position < 0) throw new MultipartError('multipart body without its boundary');
  position += dash.length;
  const parts: FormPart[] = [];
  for (;;) {
    // After a boundary: "--" ends the body, CRLF starts a part.
    if (body[position] === 45 && body[position + 1] === 45) return parts;
    const lineEnd = indexOf(body, CRLF, position);
    if (lineEnd < 0) throw new MultipartError('multipart body ends inside a boundary line');
    const headersStart = lineEnd + 2;
    const headersEnd = indexOf(body, HEADER_END, headersStart);
    const empty = body[headersStart] === 13 && body[headersStart + 1] === 10;
    if (!empty && headersEnd < 0) throw new MultipartError('a multipart part has no end of headers');
    const dataStart = empty ? headersStart + 2 : headersEnd + 4;
    const headerText = empty ? '' : new TextDecoder().decode(body.subarray(headersStart, headersEnd));
    const dataEnd = indexOf(body, delimiter, dataStart);
    if (dataEnd < 0) throw new MultipartError('a multipart part is not closed by the boundary');
    let disposition: string | undefined;
    let contentType: string | undefined;
    for (const line of headerText.split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      const key = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (key === 'content-disposition') disposition = value;
      if (key === 'content-type') contentType = value;
    }
    parts.push({
      name: disposition !== undefined ? parameter(disposition, 'name') : undefined,
      filename: disposition !== undefined ? parameter(disposition, 'filename') : undefined,
      contentType,
      data: body.subarray(dataStart, dataEnd),
    });
    position = dataEnd + delimiter.length;
    if (parts.length > 1000) throw new MultipartError('more than 1000 parts in a multipart body');
  }
}
