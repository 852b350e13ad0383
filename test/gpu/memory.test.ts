/**
 * CUDA memory stays flat over 1,000 training steps: the caching allocator's
 * allocated bytes after step 1,000 match those after the warm-up, and no
 * tensor handle leaks. A leak of one small tensor per step would show as
 * hundreds of kilobytes here, and as gigabytes over a real run.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as T from '../../src/torch/index.js';
import { disposeDeviceBatch, toDeviceBatch } from '../../src/run/device-batch.js';
import { cuda, gpuSuite } from './cuda.js';
import { hostBatch, tinyDeterministicBackbone, tinyRecipeA } from './tiny-model.js';

const STEPS = 1000;
const WARMUP = 20;

describe.skipIf(!cuda.available)(gpuSuite('CUDA memory over 1,000 steps'), () => {
  let backbonePath = '';
  beforeAll(async () => {
    backbonePath = await tinyDeterministicBackbone();
  }, 300_000);

  it(
    'allocated bytes and live tensors are the same after 1,000 steps as after the warm-up',
    () => {
      T.setAllowTF32(true);
      const model = tinyRecipeA(backbonePath, 'cuda');
      const params = [...model.head.parameters(), ...model.backbone.trainableParameters()];
      const optimizer = new T.AdamW([{ params, lr: 1e-4 }]);
      // Two shapes in turn, as length-bucketed batches vary.
      const batches = [hostBatch([16000, 15000, 12000, 10000], 1), hostBatch([8000, 8000, 7000, 5000], 2)];
      const lossSum = T.keep(T.zeros([], { device: 'cuda' }));
      const step = (i: number) =>
        T.scope(() => {
          optimizer.zeroGrad();
          const db = toDeviceBatch(batches[i % 2]!, { device: 'cuda', sampleRate: 16000 });
          const out = T.withAutocast('cuda', 'bfloat16', () => model.loss(db));
          out.loss.backward();
          optimizer.step();
          T.noGrad(() => lossSum.add_(out.loss.detach().float()));
          disposeDeviceBatch(db);
        });
      for (let i = 0; i < WARMUP; i++) step(i);
      T.synchronize();
      const allocated = T.cudaMemory().allocated;
      const live = T.liveTensors();
      T.resetPeakMemory();
      for (let i = WARMUP; i < WARMUP + STEPS; i++) step(i);
      T.synchronize();
      const after = T.cudaMemory();
      expect(Number.isFinite(lossSum.item())).toBe(true);
      expect(T.liveTensors()).toBe(live);
      // The allocator rounds every block up to 512 bytes, so one leaked tensor
      // per step would add at least 500 KiB here; workspaces created lazily
      // after the warm-up may add a little, once.
      expect(Math.abs(after.allocated - allocated)).toBeLessThanOrEqual(256 * 1024);
      // The peak of a step is bounded too (no growth hidden between steps).
      expect(after.peakAllocated).toBeLessThan(allocated + 512 * 2 ** 20);
      optimizer.dispose();
    },
    600_000,
  );
});
