import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import * as T from '../../src/torch/index.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Collect garbage and let Node run the native finalizers it defers to setImmediate. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
}

describe('tensor lifetime', () => {
  it('scope frees everything created inside except what it returns', () => {
    const before = T.liveTensors();
    const kept = T.scope(() => {
      const a = T.ones([3]);
      const b = a.mul(2).add(1);
      return { result: b.sum(), list: [b] };
    });
    expect(T.liveTensors() - before).toBe(2);
    expect(kept.result.item()).toBe(9);
    expect(kept.list[0]!.toNumbers()).toEqual([3, 3, 3]);
    kept.result.dispose();
    kept.list[0]!.dispose();
    expect(T.liveTensors()).toBe(before);
  });

  it('nested scopes hand returned tensors to the parent; errors free everything', () => {
    const before = T.liveTensors();
    const outer = T.scope(() => {
      const inner = T.scope(() => T.ones([2]).mul(3));
      const keepMe = T.keep(T.zeros([1]));
      expect(inner.disposed).toBe(false);
      return { inner, keepMe };
    });
    expect(outer.inner.disposed).toBe(false);
    expect(T.liveTensors() - before).toBe(2);
    outer.inner.dispose();
    outer.keepMe.dispose();
    expect(() =>
      T.scope(() => {
        T.ones([5]);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(T.liveTensors()).toBe(before);
    expect(() => T.scope(async () => 1)).toThrow(/returned a Promise/);
  });

  it('`using` disposes at the end of the block', () => {
    const before = T.liveTensors();
    {
      using a = T.ones([4]);
      expect(a.sum().item()).toBe(4);
    }
    // a.sum() above was not scoped: it is the only survivor.
    expect(T.liveTensors() - before).toBe(1);
  });

  it('the finalizer frees forgotten tensors when they are garbage collected', async () => {
    await settle();
    const before = T.liveTensors();
    (() => {
      for (let i = 0; i < 200; i++) T.ones([16]);
    })();
    expect(T.liveTensors() - before).toBe(200);
    for (let i = 0; i < 10 && T.liveTensors() > before; i++) {
      gc();
      await new Promise((r) => setImmediate(r));
    }
    expect(T.liveTensors()).toBe(before);
  });

  it('10,000 create/op/dispose cycles leave the live count and RSS flat', async () => {
    // 256×256 float tensors: leaking even one per cycle would add ~2.5 GB over a
    // round, far beyond what allocator and garbage-collector noise can explain.
    const cycle = () =>
      T.scope(() => {
        const a = T.randn([256, 256]);
        const b = a.mul(a).relu().add(1).log();
        return b.sum().item();
      });
    // Like a training loop, yield now and then: Node runs native finalizers
    // between event-loop turns. Warm up until the heap reaches its plateau.
    const run = async (n: number) => {
      for (let i = 0; i < n; i++) {
        cycle();
        if (i % 250 === 0) await new Promise((r) => setImmediate(r));
      }
      await settle();
    };
    await run(10_000);
    const live = T.liveTensors();
    const rss = process.memoryUsage().rss;
    const heap = process.memoryUsage().heapUsed;
    await run(10_000);
    expect(T.liveTensors()).toBe(live);
    expect((process.memoryUsage().rss - rss) / 2 ** 20).toBeLessThan(64);
    expect((process.memoryUsage().heapUsed - heap) / 2 ** 20).toBeLessThan(8);
  });

  it('a training step leaves the live count unchanged', () => {
    const mlp = new T.nn.MLP(8, 16, 3);
    const opt = new T.AdamW(mlp.parameters(), { lr: 1e-2 });
    const x = T.randn([4, 8]);
    const y = T.tensor([0, 1, 2, 1], { dtype: 'int64' });
    const step = () =>
      T.scope(() => {
        opt.zeroGrad();
        const loss = T.crossEntropy(mlp.forward(x), y);
        loss.backward();
        opt.step();
        return loss.item();
      });
    step();
    const live = T.liveTensors();
    for (let i = 0; i < 20; i++) step();
    expect(T.liveTensors()).toBe(live);
  });
});
