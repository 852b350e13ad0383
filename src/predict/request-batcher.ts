/**
 * Dynamic batching: items submitted at about the same time are run together.
 *
 * The first item to arrive in an empty queue starts a short batching window
 * (a few milliseconds); the queue is run when the window ends, or at once
 * when it holds `maxBatch` items, or at once when `expectMore` says that no
 * other item is on its way (a lone request does not wait for company that
 * is not coming). A run takes at most `maxBatch` items in
 * arrival order; items left over (they arrived while a run held the thread)
 * go in the next run without waiting for another window. Runs are
 * synchronous (a device call), so at most one is in progress.
 *
 * With `maxBatch` 1 every item runs alone, as soon as it arrives.
 */

export interface RequestBatcherOptions {
  /** Most items per run. */
  readonly maxBatch: number;
  /** How long the first item of a batch waits for others, in milliseconds. */
  readonly windowMs: number;
  /** Whether more items are on their way (e.g. inputs being decoded); default: always. */
  readonly expectMore?: () => boolean;
}

/** Counters, for tests and benchmarks. */
export interface BatcherStats {
  /** Runs made. */
  runs: number;
  /** Items run. */
  items: number;
  /** Most items in one run. */
  largest: number;
}

interface Pending<I, O> {
  readonly item: I;
  readonly resolve: (value: O) => void;
  readonly reject: (error: unknown) => void;
}

export class RequestBatcher<I, O> {
  readonly stats: BatcherStats = { runs: 0, items: 0, largest: 0 };
  private readonly queue: Pending<I, O>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private idleWaiters: (() => void)[] = [];
  readonly maxBatch: number;
  readonly windowMs: number;
  private readonly expectMore: () => boolean;

  /**
   * @param run computes the outputs of a batch of items, in order; a throw fails every item of that batch
   */
  constructor(
    private readonly run: (items: I[]) => O[],
    options: RequestBatcherOptions,
  ) {
    if (!Number.isInteger(options.maxBatch) || options.maxBatch < 1) throw new RangeError(`maxBatch must be a positive integer, got ${options.maxBatch}`);
    if (!(options.windowMs >= 0)) throw new RangeError(`the batching window must be ≥ 0 ms, got ${options.windowMs}`);
    this.maxBatch = options.maxBatch;
    this.windowMs = options.windowMs;
    this.expectMore = options.expectMore ?? (() => true);
  }

  /** Items waiting for a run. */
  get queued(): number {
    return this.queue.length;
  }

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (this.queue.length >= this.maxBatch || !this.expectMore()) this.runSoon();
      else if (this.timer === undefined && this.immediate === undefined) this.timer = setTimeout(() => this.flush(), this.windowMs);
    });
  }

  /** Resolves once nothing is queued. */
  idle(): Promise<void> {
    if (this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Run on the next turn of the event loop (after pending I/O callbacks), without a window. */
  private runSoon(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.immediate ??= setImmediate(() => this.flush());
  }

  private flush(): void {
    this.immediate = undefined;
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const taken = this.queue.splice(0, this.maxBatch);
    if (taken.length > 0) {
      this.stats.runs++;
      this.stats.items += taken.length;
      this.stats.largest = Math.max(this.stats.largest, taken.length);
      let outputs: O[] | undefined;
      let failure: unknown;
      try {
        outputs = this.run(taken.map((p) => p.item));
        if (outputs.length !== taken.length) throw new Error(`internal: a batch of ${taken.length} gave ${outputs.length} outputs`);
      } catch (error) {
        failure = error ?? new Error('batch failed');
        outputs = undefined;
      }
      taken.forEach((p, i) => (outputs ? p.resolve(outputs[i]!) : p.reject(failure)));
    }
    if (this.queue.length > 0) {
      this.runSoon();
    } else {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}
