/** The dynamic batcher behind Predictor: windows, the maximum batch, lone items, failures. */
import { describe, expect, it } from 'vitest';
import { RequestBatcher } from '../../src/predict/request-batcher.js';

/** A batcher whose runs double their items and record the batches they saw. */
function doubling(options: { maxBatch: number; windowMs: number; expectMore?: () => boolean }) {
  const batches: number[][] = [];
  const batcher = new RequestBatcher<number, number>((items) => {
    batches.push([...items]);
    if (items.includes(-1)) throw new Error('bad item');
    return items.map((x) => 2 * x);
  }, options);
  return { batcher, batches };
}

describe('RequestBatcher', () => {
  it('runs items submitted within the window as one batch', async () => {
    const { batcher, batches } = doubling({ maxBatch: 8, windowMs: 30 });
    const first = batcher.submit(1);
    await new Promise((r) => setTimeout(r, 5));
    const rest = [batcher.submit(2), batcher.submit(3)];
    expect(await Promise.all([first, ...rest])).toEqual([2, 4, 6]);
    expect(batches).toEqual([[1, 2, 3]]);
    expect(batcher.stats).toEqual({ runs: 1, items: 3, largest: 3 });
  });

  it('runs at once when the batch is full, and runs what is left next without another window', async () => {
    const { batcher, batches } = doubling({ maxBatch: 3, windowMs: 10_000 });
    const started = performance.now();
    const out = await Promise.all([1, 2, 3, 4, 5, 6, 7].map((x) => batcher.submit(x)));
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(out).toEqual([2, 4, 6, 8, 10, 12, 14]);
    expect(batches).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
  });

  it('does not wait for company that is not coming', async () => {
    let coming = 0;
    const { batcher, batches } = doubling({ maxBatch: 8, windowMs: 10_000, expectMore: () => coming > 0 });
    const started = performance.now();
    expect(await batcher.submit(5)).toBe(10);
    expect(performance.now() - started).toBeLessThan(5_000);
    coming = 1;
    const waiting = batcher.submit(6);
    await new Promise((r) => setTimeout(r, 20));
    expect(batches).toEqual([[5]]); // still waiting for the one on its way
    coming = 0;
    const last = batcher.submit(7); // nothing else coming now: both run
    expect(await Promise.all([waiting, last])).toEqual([12, 14]);
    expect(batches).toEqual([[5], [6, 7]]);
  });

  it('a failing run rejects its own batch only; maxBatch 1 runs every item alone', async () => {
    const { batcher } = doubling({ maxBatch: 2, windowMs: 1 });
    const results = await Promise.allSettled([batcher.submit(1), batcher.submit(-1), batcher.submit(3)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
    const single = doubling({ maxBatch: 1, windowMs: 1000 });
    await Promise.all([1, 2, 3].map((x) => single.batcher.submit(x)));
    expect(single.batches).toEqual([[1], [2], [3]]);
    await single.batcher.idle();
    expect(() => new RequestBatcher(() => [], { maxBatch: 0, windowMs: 1 })).toThrow(/maxBatch/);
  });
});
