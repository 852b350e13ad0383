/**
 * nn.Module ownership: parameters and buffers of a module and its children
 * move together, are freed together, and (persistent buffers) are saved and
 * loaded with the state.
 */
import { describe, expect, it } from 'vitest';
import * as T from '../../src/torch/index.js';

class Scaler extends T.nn.Module {
  readonly linear: T.nn.Linear;
  constructor() {
    super();
    this.linear = this.registerModule('linear', new T.nn.Linear(3, 2));
    this.registerBuffer('scale', T.tensor([2, 3]));
    this.registerBuffer('cache', T.zeros([4]), { persistent: false });
  }
  get scale(): T.Tensor {
    return this.buffer('scale')!;
  }
}

describe('nn.Module buffers', () => {
  it('lists buffers with dotted names, keeps them out of parameters, and saves only persistent ones', () => {
    const outer = new (class extends T.nn.Module {
      readonly inner = this.registerModule('inner', new Scaler());
    })();
    try {
      expect([...outer.namedBuffers().keys()]).toEqual(['inner.scale', 'inner.cache']);
      expect([...outer.namedBuffers('', true).keys()]).toEqual(['inner.scale']);
      expect(outer.parameters().length).toBe(2);
      expect(outer.parameters().every((p) => p.requiresGrad)).toBe(true);
      expect(outer.inner.scale.requiresGrad).toBe(false);
      expect([...outer.stateDict().keys()].sort()).toEqual(['inner.linear.bias', 'inner.linear.weight', 'inner.scale']);
    } finally {
      outer.dispose();
    }
  });

  it('loads persistent buffers from a state dict and checks their shapes', () => {
    const a = new Scaler();
    const b = new Scaler();
    try {
      T.noGrad(() => a.scale.copy_(T.tensor([5, 7])));
      b.loadStateDict(a.stateDict());
      expect(b.scale.toNumbers()).toEqual([5, 7]);
      const wrong = new Map(a.stateDict());
      wrong.set('scale', T.tensor([1, 2, 3]));
      expect(() => b.loadStateDict(wrong)).toThrow(/'scale' has shape \[3\] but the module expects \[2\]/);
      wrong.get('scale')!.dispose();
      const missing = new Map(a.stateDict());
      missing.delete('scale');
      expect(() => b.loadStateDict(missing)).toThrow(/missing scale/);
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('moves buffers with to() keeping their identity, survives scopes, and frees them in dispose()', () => {
    const before = T.liveTensors();
    const m = T.scope(() => new Scaler());
    const scale = m.scale;
    m.to('cpu', 'float64');
    expect(m.scale).toBe(scale);
    expect(scale.dtype).toBe('float64');
    expect(m.namedBuffers().get('cache')!.dtype).toBe('float64');
    expect(T.liveTensors() - before).toBe(4); // weight, bias, scale, cache
    m.dispose();
    expect(scale.disposed).toBe(true);
    expect(T.liveTensors()).toBe(before);
  });

  it('refuses a name used twice', () => {
    class Twice extends T.nn.Module {
      constructor() {
        super();
        this.registerBuffer('x', T.zeros([1]));
        this.registerBuffer('x', T.zeros([1]));
      }
    }
    expect(() => new Twice()).toThrow(/buffer 'x' is already registered/);
  });
});
