import { describe, expect, it } from 'vitest';
import * as T from '../../src/torch/index.js';
import { cuda, gpuSuite } from './cuda.js';

describe.skipIf(!cuda.available)(gpuSuite('CUDA build information'), () => {
  it('names every visible GPU with its memory, and the CUDA and cuDNN versions', () => {
    const info = T.buildInfo();
    expect(info.cudaBuild).toBe(true);
    expect(info.devices.length).toBe(T.cudaDeviceCount());
    expect(info.devices.length).toBeGreaterThan(0);
    for (const d of info.devices) {
      expect(d.name.length).toBeGreaterThan(0);
      expect(d.totalMemory).toBeGreaterThan(2 ** 30);
      expect(d.capability).toMatch(/^\d+\.\d+$/);
      expect(d.multiprocessors).toBeGreaterThan(0);
    }
    // 1000·major + 10·minor: CUDA 11.0 and later.
    expect(info.cudaRuntime).toBeGreaterThanOrEqual(11000);
    expect(info.cudnn).toBeGreaterThan(0);
  });

  it('resolves auto to cuda and checks device indices', () => {
    expect(T.resolveDevice('auto')).toBe('cuda');
    expect(T.resolveDevice('cuda:0')).toBe('cuda:0');
    expect(() => T.resolveDevice(`cuda:${T.cudaDeviceCount()}`)).toThrow(T.TorchError);
  });
});
