/**
 * `vbt serve`: a trained run's Predictor behind an HTTP API (node:http).
 *
 *   POST /v1/predict        raw audio body, or multipart/form-data with files; ?window=&hop=&top=&name=
 *   GET  /v1/model          tasks, outputs, classes, backbone, training figures
 *   GET  /v1/openapi.json   OpenAPI 3 description
 *   GET  /healthz           liveness
 *
 * Requests arriving together are predicted in one device batch: that is the
 * Predictor's batching (a window of a few ms, a maximum batch). Limits give
 * a JSON error with a 4xx or 503 status, never a crash: body size (413),
 * audio duration (413), unsupported audio (415), undecodable or too short
 * audio (422), an empty body or bad parameters (400), more requests in
 * progress than allowed or a server shutting down (503, with Retry-After).
 * `close()` stops accepting, lets the requests in progress finish, then
 * resolves.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { AudioError } from '../audio/audio-error.js';
import { UnsupportedAudioError } from '../audio/audio-formats.js';
import { AudioTooLongError } from '../audio/decode-audio.js';
import { DecoderMissingError } from '../audio/ffmpeg.js';
import { packageRoot } from '../model/exporter.js';
import { releaseHostMemory } from '../torch/index.js';
import { type PredictionLine, float32Replacer } from '../predict/prediction-outputs.js';
import type { PredictInput, PredictOptions, PredictionResult, Predictor } from '../predict/predictor.js';
import { MultipartError, multipartBoundary, parseMultipart } from './multipart.js';
import { openApiDocument } from './openapi.js';

export interface ServeOptions {
  /** Interface to listen on. Default 127.0.0.1 (this machine only). */
  readonly host?: string;
  /** Port; 0 picks a free one. Default 8080. */
  readonly port?: number;
  /** Largest request body in bytes. Default 20 MiB. */
  readonly maxBodyBytes?: number;
  /** Longest audio per file in seconds. Default 600. */
  readonly maxAudioSeconds?: number;
  /** Predict requests in progress at once; more are answered 503. Default 64. */
  readonly maxInFlight?: number;
  /** Give up on a request (headers and body) after this long. Default 120 s. */
  readonly requestTimeoutMs?: number;
  /**
   * Once no request has been in progress for this long, hand the host
   * memory cache's free blocks back to the system (releaseHostMemory), so
   * that an idle server does not keep the peak of its last burst. Default 1 s.
   */
  readonly idleReleaseMs?: number;
  /** Where lines go (start-up, errors, and with `logRequests` one line per request). Default stderr. */
  readonly log?: (line: string) => void;
  readonly logRequests?: boolean;
}

export interface ModelServer {
  /** http://host:port */
  readonly url: string;
  readonly server: http.Server;
  /** Predict requests in progress. */
  inFlight(): number;
  /** Stop accepting requests, finish those in progress, close every connection. Idempotent. */
  close(): Promise<void>;
}

/** An answer other than 200, with its JSON error body. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** The status of a failed prediction. */
export function statusOf(error: unknown): number {
  if (error instanceof HttpError) return error.status;
  if (error instanceof AudioTooLongError) return 413;
  if (error instanceof UnsupportedAudioError || error instanceof DecoderMissingError) return 415;
  if (error instanceof AudioError) return 422;
  if (error instanceof RangeError) return 400;
  return 500;
}

function version(): string {
  try {
    return (JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = `${JSON.stringify(body, float32Replacer)}\n`;
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store', ...headers });
  res.end(text);
}

function sendError(res: http.ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { error: message, status }, headers);
}

/** A number query parameter, or undefined; anything else is a 400. */
function numberParameter(url: URL, name: string, integer = false): number | undefined {
  const text = url.searchParams.get(name);
  if (text === null || text === '') return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new HttpError(400, `query parameter ${name}=${text}: expected a positive ${integer ? 'integer' : 'number'}`);
  }
  return value;
}

/** Read a body up to `limit` bytes; over it, the rest is read and dropped and the result is null. */
function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (tooLarge) return;
      if (total > limit) {
        tooLarge = true;
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? null : Buffer.concat(chunks)));
    req.on('error', reject);
    req.on('aborted', () => reject(new HttpError(400, 'the request was aborted')));
  });
}

/** Start serving a Predictor. Resolves once listening. */
export async function startServer(predictor: Predictor, options: ServeOptions = {}): Promise<ModelServer> {
  const log = options.log ?? ((line: string) => console.error(line));
  const maxBodyBytes = options.maxBodyBytes ?? 20 * 2 ** 20;
  const maxAudioSeconds = options.maxAudioSeconds ?? 600;
  const maxInFlight = options.maxInFlight ?? 64;
  for (const [name, value] of [['maxBodyBytes', maxBodyBytes], ['maxAudioSeconds', maxAudioSeconds], ['maxInFlight', maxInFlight]] as const) {
    if (!(value > 0)) throw new RangeError(`${name} must be positive, got ${value}`);
  }
  const limitsText = { maxBodyMiB: maxBodyBytes / 2 ** 20, maxAudioSeconds, maxInFlight };
  const openapi = openApiDocument(predictor.tasks, { maxBodyBytes, maxAudioSeconds, maxInFlight }, version());
  let inFlight = 0;
  let draining = false;
  let idleWaiters: (() => void)[] = [];
  const idleReleaseMs = options.idleReleaseMs ?? 1000;
  let idleRelease: NodeJS.Timeout | undefined;

  const predict = async (req: http.IncomingMessage, url: URL, arrived: () => void): Promise<{ results: PredictionLine[] }> => {
    const options: PredictOptions = {
      maxAudioSeconds,
      ...optional('window', numberParameter(url, 'window')),
      ...optional('hop', numberParameter(url, 'hop')),
      ...optional('top', numberParameter(url, 'top', true)),
    };
    if (options.hop !== undefined && options.window === undefined) throw new HttpError(400, 'query parameter hop needs window');
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBodyBytes) {
      throw new HttpError(413, `request body of ${declared} bytes is over the limit of ${maxBodyBytes} bytes`);
    }
    const body = await readBody(req, maxBodyBytes);
    if (body === null) throw new HttpError(413, `request body is over the limit of ${maxBodyBytes} bytes`);
    if (body.length === 0) throw new HttpError(400, 'empty body: send an audio file, or a multipart/form-data form with audio files');
    const contentType = req.headers['content-type'] ?? '';
    let inputs: PredictInput[];
    if (/^multipart\/form-data/i.test(contentType)) {
      const boundary = multipartBoundary(contentType);
      if (boundary === undefined) throw new HttpError(400, 'multipart/form-data without a boundary');
      let parts;
      try {
        parts = parseMultipart(body, boundary);
      } catch (error) {
        if (error instanceof MultipartError) throw new HttpError(400, error.message);
        throw error;
      }
      const files = parts.filter((p) => p.filename !== undefined);
      if (files.length === 0) throw new HttpError(400, 'the form holds no file: send audio files as file parts (curl -F file=@clip.wav)');
      inputs = files.map((p, i) => {
        if (p.data.length === 0) throw new HttpError(400, `${p.filename || `file ${i + 1}`}: empty file`);
        return { bytes: p.data, name: p.filename || `file ${i + 1}` };
      });
    } else {
      const name = url.searchParams.get('name');
      inputs = [name !== null ? { bytes: body, name } : { bytes: body }];
    }
    const pending = inputs.map((input) => predictor.predict(input, options));
    arrived();
    const settled = await Promise.allSettled(pending);
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    const results: PredictionLine[] = [];
    for (const s of settled as PromiseFulfilledResult<PredictionResult>[]) {
      for (const w of s.value.windows) results.push({ file: s.value.file, start: w.start, end: w.end, outputs: w.outputs });
    }
    return { results };
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = url.pathname;
    res.on('finish', () => {
      if (options.logRequests) log(`${req.method} ${route} ${res.statusCode} ${(performance.now() - started).toFixed(1)} ms`);
    });
    const drop = () => {
      // Answer at once, read and drop what the client still sends, and close the connection after.
      req.resume();
      return { Connection: 'close' };
    };
    if (draining) {
      sendError(res, 503, 'the server is shutting down', { ...drop(), 'Retry-After': '1' });
      return;
    }
    const allow = (method: string): boolean => {
      if (req.method === method || (method === 'GET' && req.method === 'HEAD')) return true;
      sendError(res, 405, `${req.method} is not allowed on ${route} (use ${method})`, { ...drop(), Allow: method });
      return false;
    };
    switch (route) {
      case '/healthz':
        if (allow('GET')) sendJson(res, 200, { status: 'ok', inFlight, batches: { ...predictor.batchStats }, rssBytes: process.memoryUsage.rss() });
        return;
      case '/v1/model':
        if (allow('GET')) sendJson(res, 200, { ...predictor.info(), limits: limitsText, maxBatch: predictor.maxBatch });
        return;
      case '/v1/openapi.json':
        if (allow('GET')) sendJson(res, 200, openapi);
        return;
      case '/v1/predict':
        break;
      default:
        sendError(res, 404, `no such endpoint: ${route} (see /v1/openapi.json)`, drop());
        return;
    }
    if (!allow('POST')) return;
    if (inFlight >= maxInFlight) {
      sendError(res, 503, `busy: ${inFlight} requests in progress (limit ${maxInFlight}); retry later`, { ...drop(), 'Retry-After': '1' });
      return;
    }
    inFlight++;
    clearTimeout(idleRelease);
    // The batcher waits its window for this request while its body is read.
    const arrived = predictor.incoming();
    try {
      sendJson(res, 200, await predict(req, url, arrived));
    } catch (error) {
      const status = statusOf(error);
      const message = error instanceof Error ? error.message : String(error);
      if (status >= 500) log(`vbt serve: ${req.method} ${route}: ${error instanceof Error && error.stack ? error.stack : message}`);
      const headers = error instanceof HttpError ? error.headers : {};
      // A body left unread (413 from Content-Length) is dropped, and the connection closed after the answer.
      sendError(res, status, status >= 500 ? `internal error: ${message}` : message, req.complete ? headers : { ...headers, ...drop() });
    } finally {
      arrived();
      inFlight--;
      if (inFlight === 0) {
        idleRelease = setTimeout(releaseHostMemory, idleReleaseMs);
        idleRelease.unref();
        const waiters = idleWaiters;
        idleWaiters = [];
        for (const w of waiters) w();
      }
    }
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      log(`vbt serve: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      if (!res.headersSent) sendError(res, 500, 'internal error');
      else res.destroy();
    });
  });
  server.requestTimeout = options.requestTimeoutMs ?? 120_000;
  server.headersTimeout = Math.min(60_000, server.requestTimeout);
  server.keepAliveTimeout = 5_000;
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8080, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inFlight > 0) await new Promise<void>((resolve) => idleWaiters.push(resolve));
      server.closeIdleConnections();
      // Connections still open (a client that never finished a request) get a few seconds.
      const force = setTimeout(() => server.closeAllConnections(), 5_000);
      force.unref();
      await closed;
      clearTimeout(force);
    })();
    return closing;
  };
  return { url, server, inFlight: () => inFlight, close };
}

function optional<K extends string>(key: K, value: number | undefined): { [P in K]?: number } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: number };
}
