/**
 * Messages between the batch loader and its worker threads, and how errors
 * cross the thread boundary (structured clone keeps only message and name,
 * so DataError's location fields are carried explicitly).
 */
import type { Batch, BatchPlan } from '../batch.js';
import type { Clip } from '../corpus/corpus.js';
import { DataError } from '../data-error.js';
import type { BatchProducerOptions } from './batch-producer.js';

/** What a worker is started with. */
export interface BatchWorkerData {
  readonly clips: readonly Clip[];
  readonly options: BatchProducerOptions;
}

/** Loader → worker. */
export interface BatchRequest {
  readonly type: 'batch';
  readonly id: number;
  readonly plan: BatchPlan;
}

/** Worker → loader. */
export type BatchResponse =
  | { readonly type: 'batch'; readonly id: number; readonly batch: Batch }
  | { readonly type: 'error'; readonly id: number; readonly error: SerializedError };

/** An error as sent between threads. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  readonly dataError?: {
    readonly file: string;
    readonly row?: number;
    readonly column?: string;
    readonly audioPath?: string;
    readonly reason: string;
  };
}

/** Flatten an error for postMessage. */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof DataError) {
    return {
      name: error.name,
      message: error.message,
      ...(error.stack === undefined ? {} : { stack: error.stack }),
      dataError: {
        file: error.file,
        reason: error.reason,
        ...(error.row === undefined ? {} : { row: error.row }),
        ...(error.column === undefined ? {} : { column: error.column }),
        ...(error.audioPath === undefined ? {} : { audioPath: error.audioPath }),
      },
    };
  }
  if (error instanceof Error) {
    return { name: error.name, message: error.message, ...(error.stack === undefined ? {} : { stack: error.stack }) };
  }
  return { name: 'Error', message: String(error) };
}

/** Rebuild an error sent by a worker: a DataError stays a DataError. */
export function deserializeError(serialized: SerializedError): Error {
  if (serialized.dataError !== undefined) {
    const { reason, ...location } = serialized.dataError;
    const error = new DataError(location, reason);
    if (serialized.stack !== undefined) error.stack = serialized.stack;
    return error;
  }
  const error = new Error(serialized.message);
  error.name = serialized.name;
  if (serialized.stack !== undefined) error.stack = serialized.stack;
  return error;
}
