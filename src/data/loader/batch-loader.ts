/**
 * The prefetching batch loader: batches are decoded, preprocessed and
 * padded in a pool of worker threads, several batches ahead of the
 * consumer, so that a training loop whose step blocks the main thread (a
 * synchronous native call) finds the next batch ready.
 *
 * Requests are posted to the workers as soon as a batch enters the
 * prefetch window; a worker works through its queue while the main thread
 * is busy, and the finished batches wait in the main thread's message queue
 * until it next yields. Batch buffers are transferred, never copied.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { type PreprocessOptions, resolvePreprocessSettings } from '../../audio/preprocess-settings.js';
import type { Task } from '../../tasks.js';
import type { Batch, BatchPlan } from '../batch.js';
import type { Clip } from '../corpus/corpus.js';
import { BatchProducer, type BatchProducerOptions } from './batch-producer.js';
import { spawnBatchWorker } from './spawn-batch-worker.js';
import { deserializeError, type BatchRequest, type BatchResponse } from './worker-protocol.js';

/** Options of {@link BatchLoader}. */
export interface BatchLoaderOptions {
  /** The clips that batch plans index into. */
  readonly clips: readonly Clip[];
  /** Tasks whose labels go into each batch. */
  readonly tasks: readonly Task[];
  /**
   * Audio preprocessing (defaults: 16 kHz mono, −3 dBFS RMS, no crop). With
   * maxSeconds, a clip planned without segments is cut to that length from
   * its start; plans with segments (random crops, windows) read those parts.
   */
  readonly preprocess?: PreprocessOptions;
  /** Folder of the preprocessed-audio cache. Default: no cache. */
  readonly cacheDir?: string;
  /**
   * Worker threads. 0 builds batches inline on the calling thread, one at a
   * time (no prefetching). Default: available cores − 1 (at least 1, at most 4),
   * leaving a core for the training step.
   */
  readonly numWorkers?: number;
  /** Batches requested ahead of the one being consumed. Default 2 per worker, at least 2. */
  readonly prefetch?: number;
  /** Scale age labels to [0, 1]. Default true. */
  readonly scaleAge?: boolean;
  /** Round padded lengths up to a multiple of this. Default 1. */
  readonly padToMultiple?: number;
  /** Pad every batch to exactly this many samples (longer clips are cut). */
  readonly fixedLength?: number;
  /** Per-clip loss weights indexed like `clips` (e.g. inverseCountrySampleWeights). */
  readonly sampleWeights?: Float32Array;
}

/** Thrown to consumers waiting on batches when the loader is closed. */
export class LoaderClosedError extends Error {
  constructor() {
    super('the batch loader was closed');
    this.name = 'LoaderClosedError';
  }
}

interface PendingJob {
  readonly resolve: (batch: Batch) => void;
  readonly reject: (error: Error) => void;
}

/** One worker and the jobs it owes. */
class WorkerSlot {
  readonly jobs = new Map<number, PendingJob>();
  exited = false;

  constructor(readonly worker: Worker) {
    // An idle worker must not keep the process alive.
    worker.unref();
  }

  add(id: number, job: PendingJob): void {
    if (this.jobs.size === 0) this.worker.ref();
    this.jobs.set(id, job);
  }

  take(id: number): PendingJob | undefined {
    const job = this.jobs.get(id);
    // A batch nobody waits for any more (one still arriving after close())
    // changes nothing: unref() here would undo the ref that terminate() holds
    // until the worker has exited, and the process could end with close()
    // never settled.
    if (job === undefined) return undefined;
    this.jobs.delete(id);
    if (this.jobs.size === 0 && !this.exited) this.worker.unref();
    return job;
  }

  failAll(error: Error): void {
    for (const id of [...this.jobs.keys()]) this.take(id)?.reject(error);
  }
}

/** Builds batches from plans in worker threads (or inline) and iterates over them in plan order. */
export class BatchLoader implements AsyncDisposable {
  /** Number of worker threads (0 = inline). */
  readonly numWorkers: number;
  /** Batches requested ahead of the one being consumed. */
  readonly prefetch: number;

  private readonly slots: WorkerSlot[] = [];
  private readonly inline: BatchProducer | undefined;
  private nextJobId = 0;
  private closed = false;
  private closing: Promise<void> | undefined;
  /** Set when a worker died: the pool cannot be trusted after that. */
  private failure: Error | undefined;

  constructor(options: BatchLoaderOptions) {
    const numWorkers = options.numWorkers ?? Math.min(4, Math.max(1, availableParallelism() - 1));
    if (!Number.isInteger(numWorkers) || numWorkers < 0) throw new RangeError(`numWorkers must be an integer ≥ 0, got ${numWorkers}`);
    const prefetch = options.prefetch ?? Math.max(2, 2 * numWorkers);
    if (!Number.isInteger(prefetch) || prefetch < 0) throw new RangeError(`prefetch must be an integer ≥ 0, got ${prefetch}`);
    this.numWorkers = numWorkers;
    this.prefetch = prefetch;

    // Segments (crops, windows) are cut by the producer from whole clips; maxSeconds bounds clips planned without segments.
    const { maxSeconds, ...whole } = options.preprocess ?? {};
    const maxLength = maxSeconds === undefined ? undefined : resolvePreprocessSettings(options.preprocess).maxSamples;
    const producerOptions: BatchProducerOptions = {
      preprocess: whole,
      ...(maxLength === undefined ? {} : { maxLength }),
      ...(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }),
      collate: {
        tasks: options.tasks,
        ...(options.scaleAge === undefined ? {} : { scaleAge: options.scaleAge }),
        ...(options.padToMultiple === undefined ? {} : { padToMultiple: options.padToMultiple }),
        ...(options.fixedLength === undefined ? {} : { fixedLength: options.fixedLength }),
        ...(options.sampleWeights === undefined ? {} : { sampleWeights: options.sampleWeights }),
      },
    };
    if (numWorkers === 0) {
      this.inline = new BatchProducer(options.clips, producerOptions);
      return;
    }
    for (let i = 0; i < numWorkers; i++) {
      this.slots.push(this.startWorker(spawnBatchWorker({ clips: options.clips, options: producerOptions })));
    }
  }

  /**
   * Iterate over the batches of a plan, in plan order. Up to `prefetch`
   * batches after the current one are being built meanwhile. Leaving the
   * loop early is fine: batches still in flight are discarded. After
   * close(), the next step throws LoaderClosedError.
   * @throws DataError from the first batch that fails, naming the audio file and its corpus row
   */
  async *batches(plan: readonly BatchPlan[]): AsyncGenerator<Batch, void, undefined> {
    if (this.inline !== undefined) {
      for (const batchPlan of plan) {
        if (this.closed) throw new LoaderClosedError();
        yield this.inline.produce(batchPlan);
      }
      return;
    }
    const pending: (Promise<Batch> | undefined)[] = [];
    let requested = 0;
    for (let i = 0; i < plan.length; i++) {
      if (this.closed) throw new LoaderClosedError();
      while (requested < plan.length && requested <= i + this.prefetch) {
        const promise = this.submit(plan[requested] as BatchPlan);
        // Failures are reported when the consumer reaches that batch, not as unhandled rejections.
        promise.catch(() => undefined);
        pending.push(promise);
        requested++;
      }
      const batch = await (pending[i] as Promise<Batch>);
      pending[i] = undefined;
      yield batch;
    }
  }

  /** Build one batch (in a worker, or inline). */
  load(plan: BatchPlan): Promise<Batch> {
    if (this.inline !== undefined) {
      if (this.closed) return Promise.reject(new LoaderClosedError());
      try {
        return Promise.resolve(this.inline.produce(plan));
      } catch (error) {
        return Promise.reject(error as Error);
      }
    }
    return this.submit(plan);
  }

  /**
   * Stop the workers. Batches still awaited reject with LoaderClosedError.
   * Idempotent; resolves when every worker has exited.
   */
  close(): Promise<void> {
    if (this.closing === undefined) {
      this.closed = true;
      const error = new LoaderClosedError();
      for (const slot of this.slots) slot.failAll(error);
      this.closing = Promise.all(this.slots.map((slot) => slot.worker.terminate())).then(() => undefined);
    }
    return this.closing;
  }

  /** Same as close(), for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private submit(plan: BatchPlan): Promise<Batch> {
    if (this.closed) return Promise.reject(new LoaderClosedError());
    if (this.failure !== undefined) return Promise.reject(this.failure);
    // The least busy worker; ties go to the first.
    let slot = this.slots[0] as WorkerSlot;
    for (const candidate of this.slots) if (candidate.jobs.size < slot.jobs.size) slot = candidate;
    const id = this.nextJobId++;
    return new Promise<Batch>((resolve, reject) => {
      slot.add(id, { resolve, reject });
      const request: BatchRequest = {
        type: 'batch',
        id,
        plan: { clipIndices: [...plan.clipIndices], ...(plan.task === undefined ? {} : { task: plan.task }) },
      };
      slot.worker.postMessage(request);
    });
  }

  private startWorker(worker: Worker): WorkerSlot {
    const slot = new WorkerSlot(worker);
    worker.on('message', (response: BatchResponse) => {
      const job = slot.take(response.id);
      if (job === undefined) return;
      if (response.type === 'batch') job.resolve(response.batch);
      else job.reject(deserializeError(response.error));
    });
    worker.on('error', (error: Error) => {
      // An uncaught error killed the worker (e.g. it could not start).
      const failure = new Error(`batch worker failed: ${error.message}`, { cause: error });
      this.failure ??= failure;
      slot.failAll(failure);
    });
    worker.on('exit', (code) => {
      slot.exited = true;
      if (this.closed) return;
      const failure = new Error(`batch worker exited unexpectedly (code ${code})`);
      this.failure ??= failure;
      slot.failAll(failure);
    });
    return slot;
  }
}
