import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as T from '../../src/torch/index.js';
import { type ScriptFixture, exportSmallModule } from '../fixtures/torchscript.js';

let fx: ScriptFixture;
beforeAll(() => {
  fx = exportSmallModule();
});

const input = () => T.tensor(Float32Array.from(fx.input), { shape: [2, 4] });

describe('ScriptModule', () => {
  it('loads, reads extra files and runs forward equal to Python in eval mode', () => {
    const m = T.ScriptModule.load(fx.path, { extraFiles: ['meta.json', 'absent.json'] });
    expect(JSON.parse(m.extraFiles['meta.json']!)).toEqual(fx.meta);
    expect(m.extraFiles['absent.json']).toBeUndefined();
    m.eval();
    expect(m.training).toBe(false);
    const y = m.forward(input(), 2.0) as T.Tensor;
    expect(y.shape).toEqual([2, 3]);
    y.toNumbers().forEach((v, i) => expect(v).toBeCloseTo(fx.evalOutput[i]!, 5));
    expect(m.schema()).toMatch(/forward\(.*Tensor x, float scale=1/);
  });

  it('uses schema defaults and converts lists in and tuples out', () => {
    const m = T.ScriptModule.load(fx.path).eval();
    const y1 = m.forward(input()) as T.Tensor;
    const y2 = m.forward(input(), 1.0) as T.Tensor;
    expect(y1.toNumbers()).toEqual(y2.toNumbers());
    const [s, p] = m.call('pair', [T.tensor([1, 2]), T.tensor([3, 4])]) as T.Tensor[];
    expect(s!.toNumbers()).toEqual([4, 6]);
    expect(p!.toNumbers()).toEqual([3, 8]);
  });

  it('exposes named parameters that train: backward fills grads and an optimizer step changes the outputs', () => {
    const m = T.ScriptModule.load(fx.path).train();
    expect([...m.namedParameters().keys()]).toEqual(fx.parameterNames);
    expect(m.parameterCount()).toBe(4 * 8 + 8 + 8 * 3 + 3);
    const before = T.scope(() => (m.eval().forward(input()) as T.Tensor).toNumbers());
    m.train();
    const opt = new T.Adam(m.parameters(), { lr: 0.05 });
    T.scope(() => {
      const y = m.forward(input()) as T.Tensor;
      y.square().mean().backward();
    });
    for (const p of m.parameters()) expect(p.grad).not.toBeNull();
    opt.step();
    const after = T.scope(() => (m.eval().forward(input()) as T.Tensor).toNumbers());
    expect(after).not.toEqual(before);
  });

  it('dropout acts in train mode only', () => {
    const m = T.ScriptModule.load(fx.path);
    T.manualSeed(1);
    const a = T.scope(() => (m.train().forward(input()) as T.Tensor).toNumbers());
    const b = T.scope(() => (m.train().forward(input()) as T.Tensor).toNumbers());
    expect(a).not.toEqual(b);
    const c = T.scope(() => (m.eval().forward(input()) as T.Tensor).toNumbers());
    const d = T.scope(() => (m.eval().forward(input()) as T.Tensor).toNumbers());
    expect(c).toEqual(d);
  });

  it('frozen parameters get no gradient', () => {
    const m = T.ScriptModule.load(fx.path).eval();
    for (const [name, p] of m.namedParameters()) if (name.startsWith('encoder.')) p.requiresGrad = false;
    T.scope(() => (m.forward(input()) as T.Tensor).sum().backward());
    expect(m.namedParameters().get('encoder.weight')!.grad).toBeNull();
    expect(m.namedParameters().get('head.weight')!.grad).not.toBeNull();
  });

  it('saves updated weights with extra files and loads them back', () => {
    const m = T.ScriptModule.load(fx.path).eval();
    T.noGrad(() => m.namedParameters().get('head.bias')!.fill_(10));
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'vbt-save-')), 'updated.pt');
    m.save(out, { 'meta.json': '{"saved":true}' });
    const back = T.ScriptModule.load(out, { extraFiles: ['meta.json'] }).eval();
    expect(back.extraFiles['meta.json']).toBe('{"saved":true}');
    expect(back.namedParameters().get('head.bias')!.toNumbers()).toEqual([10, 10, 10]);
    const y1 = (m.forward(input()) as T.Tensor).toNumbers();
    const y2 = (back.forward(input()) as T.Tensor).toNumbers();
    expect(y2).toEqual(y1);
  });

  it('to() keeps parameter identity (an optimizer built before still updates the module)', () => {
    const m = T.ScriptModule.load(fx.path);
    const p = m.namedParameters().get('head.bias')!;
    m.to('cpu', 'float64');
    expect(p.dtype).toBe('float64');
    expect(m.namedParameters().get('head.bias')).toBe(p);
  });

  it('graph-executor optimisation can be switched and gives the same outputs', () => {
    const previous = T.setJitOptimization(false);
    expect(T.setJitOptimization(true)).toBe(false);
    const m = T.ScriptModule.load(fx.path).eval();
    const on = (m.forward(input(), 2.0) as T.Tensor).toNumbers();
    T.setJitOptimization(false);
    const off = (m.forward(input(), 2.0) as T.Tensor).toNumbers();
    off.forEach((v, i) => expect(v).toBeCloseTo(on[i]!, 6));
    T.setJitOptimization(previous);
  });

  it('gives clear errors for missing, corrupt and misused modules', () => {
    expect(() => T.ScriptModule.load('/nonexistent/model.pt')).toThrow(/cannot load TorchScript module '\/nonexistent\/model.pt': file not found/);
    const dir = mkdtempSync(path.join(tmpdir(), 'vbt-bad-'));
    const corrupt = path.join(dir, 'corrupt.pt');
    writeFileSync(corrupt, 'this is not a zip archive');
    expect(() => T.ScriptModule.load(corrupt)).toThrow(T.TorchError);
    const truncated = path.join(dir, 'truncated.pt');
    copyFileSync(fx.path, truncated);
    writeFileSync(truncated, Buffer.from('PK\u0003\u0004 truncated'));
    expect(() => T.ScriptModule.load(truncated)).toThrow(/cannot load TorchScript module/);
    const m = T.ScriptModule.load(fx.path);
    expect(() => m.forward(T.tensor([1, 2, 3]))).toThrow(T.TorchError); // shape mismatch inside the module
    expect(() => m.forward('not a tensor' as unknown as T.Tensor)).toThrow(/argument 'x' must be a Tensor/);
    expect(() => m.forward(input(), 'x' as unknown as number)).toThrow(/argument 'scale' must be float/);
    expect(() => m.call('nope')).toThrow(/has no method 'nope'/);
    expect(() => m.forward(input(), 1, 2)).toThrow(/expected at most 2 arguments/);
    m.dispose();
    expect(() => m.forward(input())).toThrow(/after dispose/);
  });
});

describe('nn modules', () => {
  it('Linear uses U(−1/√in, 1/√in) and computes x·Wᵀ + b', () => {
    T.manualSeed(3);
    const lin = new T.nn.Linear(100, 50);
    const w = lin.weight.toNumbers();
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(0.1);
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.09);
    const x = T.randn([3, 100]);
    const y = lin.forward(x);
    const ref = x.matmul(lin.weight.t()).add(lin.bias!);
    y.sub(ref).abs().toNumbers().forEach((d) => expect(d).toBeLessThan(1e-5));
    expect([...lin.namedParameters().keys()]).toEqual(['weight', 'bias']);
  });

  it('MLP names nested parameters, round-trips state dicts through safetensors and rejects mismatches', () => {
    const a = new T.nn.MLP(4, 8, 2);
    expect([...a.namedParameters().keys()]).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    const dir = mkdtempSync(path.join(tmpdir(), 'vbt-sd-'));
    const file = path.join(dir, 'heads.safetensors');
    T.saveSafetensors(file, a.stateDict(), { task: 'demo' });
    const b = new T.nn.MLP(4, 8, 2);
    const { tensors, metadata } = T.loadSafetensors(file);
    expect(metadata).toEqual({ task: 'demo' });
    b.loadStateDict(tensors);
    const x = T.randn([5, 4]);
    expect(b.forward(x).toNumbers()).toEqual(a.forward(x).toNumbers());
    const c = new T.nn.MLP(4, 16, 2);
    expect(() => c.loadStateDict(tensors)).toThrow(/'0.weight' has shape \[8,4\] but the module expects \[16,4\]/);
    tensors.delete('2.bias');
    expect(() => b.loadStateDict(tensors)).toThrow(/missing 2.bias/);
  });

  it('train/eval propagate to children and control dropout', () => {
    const m = new T.nn.MLP(4, 64, 4, { dropout: 0.5 });
    const x = T.ones([2, 4]);
    m.eval();
    expect(m.forward(x).toNumbers()).toEqual(m.forward(x).toNumbers());
    m.train();
    expect(m.layers[2]!.training).toBe(true);
    expect(m.forward(x).toNumbers()).not.toEqual(m.forward(x).toNumbers());
  });

  it('to() moves parameters in place', () => {
    const m = new T.nn.Linear(2, 2);
    const w = m.weight;
    const opt = new T.AdamW(m.parameters());
    m.to('cpu', 'float64');
    expect(w.dtype).toBe('float64');
    expect(m.weight).toBe(w);
    m.forward(T.ones([1, 2], { dtype: 'float64' })).sum().backward();
    opt.step();
  });
});
