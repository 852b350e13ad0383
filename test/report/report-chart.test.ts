import { describe, expect, it } from 'vitest';
import { chartData, chartIds, robustFence, smoothEma } from '../../src/report/chart-data.js';

const base = { title: 'T', xLabel: 'step', yLabel: 'loss' };

describe('chart data', () => {
  it('puts every series on one sorted x axis, null where a series has no value', () => {
    const c = chartData('loss', {
      ...base,
      series: [
        { name: 'train', x: [10, 20, 30, 40], y: [4, 3, 2, 1], color: '#000000' },
        { name: 'val', x: [20, 40, 35], y: [2.5, 1.5, 9], color: '#ff0000' },
      ],
    });
    expect(c.x).toEqual([10, 20, 30, 35, 40]);
    expect(c.series.map((s) => s.y)).toEqual([
      [4, 3, 2, null, 1],
      [null, 2.5, null, 9, 1.5],
    ]);
    expect(c.series.map((s) => s.points)).toEqual([true, true]); // short series get dots
    expect(c.yFence).toBeNull();
    expect(c.note).toBeNull();
  });

  it('keeps non-finite values by name, counts them, and rounds to 6 significant digits', () => {
    const c = chartData('x', { ...base, series: [{ name: 's', x: [1, 2, 3, 4, Number.NaN], y: [1 / 3, Number.NaN, Infinity, -Infinity, 5], color: '#000000' }] });
    expect(c.x).toEqual([1, 2, 3, 4]);
    expect(c.series[0]!.y).toEqual([0.333333, 'NaN', 'Infinity', '-Infinity']);
    expect(c.series[0]!.nonFinite).toBe(3);
    expect(JSON.stringify(c)).not.toMatch(/null,null,null|NaN,|:NaN/);
  });

  it('clamps huge values so ranges stay finite', () => {
    const c = chartData('h', { ...base, series: [{ name: 'h', x: [0, 1, 2], y: [-1e300, 5, Number.MAX_VALUE], color: '#000000' }] });
    expect(c.series[0]!.y).toEqual([-1e300, 5, 1e300]);
  });

  it('lets a repeated step keep its later value (a resumed run logs some steps again)', () => {
    const c = chartData('r', { ...base, series: [{ name: 'r', x: [1, 2, 2, 3], y: [1, 2, 5, 3], color: '#000000' }] });
    expect(c.x).toEqual([1, 2, 3]);
    expect(c.series[0]!.y).toEqual([1, 5, 3]);
  });

  it('fences off a spike in robust mode only', () => {
    const x = Array.from({ length: 100 }, (_, i) => i);
    const y = x.map((i) => (i === 0 ? 1000 : 1 + 0.01 * Math.sin(i)));
    const clipped = chartData('a', { ...base, series: [{ name: 'l', x, y, color: '#000000' }], yClip: 'robust' });
    const plain = chartData('b', { ...base, series: [{ name: 'l', x, y, color: '#000000' }] });
    expect(plain.yFence).toBeNull();
    const [lo, hi] = clipped.yFence!;
    expect(hi).toBeLessThan(2);
    expect(lo).toBeGreaterThan(0.9);
    // 0 is kept in range when asked for and near the data
    expect(robustFence(y.map((v) => v - 0.985), [0])![0]).toBe(0);
    // ... but not when it is far from it
    expect(robustFence(y.map((v) => v + 10), [0])![0]).toBeGreaterThan(10);
    // nothing to cut: no fence, also when a value to include lies below the data
    expect(robustFence(x)).toBeNull();
    expect(robustFence(x.map((v) => v + 50), [0])).toBeNull();
    expect(robustFence([1, 2, 3])).toBeNull();
  });

  it('carries markers and notes, and drops markers without a position', () => {
    const c = chartData('m', {
      ...base,
      series: [{ name: 's', x: [1, 2], y: [1, 2], color: '#000000' }],
      markers: [
        { x: 2, label: 'best', color: '#00ff00' },
        { x: Number.NaN, label: 'bad', color: '#00ff00' },
      ],
      note: 'a note',
    });
    expect(c.markers).toEqual([{ x: 2, label: 'best', color: '#00ff00' }]);
    expect(c.note).toBe('a note');
  });

  it('makes page-unique ids from titles', () => {
    expect(chartIds(['Loss', 'Learning rate: heads', 'Loss', '!!'])).toEqual(['loss', 'learning-rate-heads', 'loss-2', 'chart']);
  });
});

describe('smoothEma', () => {
  it('is bias-corrected and passes NaN through', () => {
    const s = smoothEma([2, 4, Number.NaN, 4], 0.5);
    expect(s[0]).toBe(2);
    expect(s[1]).toBeCloseTo((0.5 * 0.5 * 2 + 0.5 * 4) / 0.75, 12);
    expect(s[2]).toBeNaN();
    expect(s[3]).toBeGreaterThan(s[1]!);
  });
});
