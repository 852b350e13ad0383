/** CUDA failures are TorchErrors, and the process (and the GPU) keep working after them. */
import { beforeAll, describe, expect, it } from 'vitest';
import { Backbone } from '../../src/model/backbone.js';
import * as T from '../../src/torch/index.js';
import { cuda, gpuSuite } from './cuda.js';
import { tinyDeterministicBackbone } from './tiny-model.js';

function stillWorks(): void {
  const t = T.ones([1024], { device: 'cuda' });
  expect(t.sum().item()).toBe(1024);
}

describe.skipIf(!cuda.available)(gpuSuite('CUDA errors'), () => {
  let backbonePath = '';
  beforeAll(async () => {
    backbonePath = await tinyDeterministicBackbone();
  }, 300_000);

  it('an out-of-memory request throws a TorchError and the process goes on', () => {
    // 2^21 × 2^21 float32 = 16 TiB: more than any GPU has.
    let error: unknown;
    try {
      T.empty([2 ** 21, 2 ** 21], { device: 'cuda' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(T.TorchError);
    expect(String((error as Error).message)).toMatch(/out of memory/i);
    T.emptyCache();
    stillWorks();
  });

  it('a CPU/CUDA device mismatch throws a TorchError and the process goes on', () => {
    const onCpu = T.ones([4, 4]);
    const onGpu = T.ones([4, 4], { device: 'cuda' });
    expect(() => onCpu.add(onGpu)).toThrow(T.TorchError);
    expect(() => onGpu.matmul(onCpu)).toThrow(/device/i);
    expect(() => T.cat([onCpu, onGpu])).toThrow(T.TorchError);
    stillWorks();
  });

  it('CPU input to a backbone on the GPU throws a TorchError from TorchScript', () => {
    const bb = Backbone.load(backbonePath, { device: 'cuda' }).eval();
    const waves = T.randn([1, 8000]);
    const lengths = T.tensor([8000], { dtype: 'int64' });
    expect(() => bb.forward(waves, lengths)).toThrow(T.TorchError);
    const { frames } = bb.forward(waves.to('cuda'), lengths.to('cuda'));
    expect(frames.device).toMatch(/^cuda/);
    bb.dispose();
    stillWorks();
  });

  it('a device that does not exist is a TorchError, not a crash', () => {
    const n = T.cudaDeviceCount();
    expect(() => T.resolveDevice(`cuda:${n}`)).toThrow(T.TorchError);
    expect(() => T.ones([2], { device: `cuda:${n}` })).toThrow(T.TorchError);
    stillWorks();
  });
});
