import { describe, expect, it } from 'vitest';
import { escapeXml, formatTicks, lineChartSvg, niceTicks } from '../../src/report/svg-chart.js';

/** Polylines of an SVG: series name and parsed points. */
function polylines(svg: string): { series: string; points: [number, number][] }[] {
  return [...svg.matchAll(/<polyline data-series="([^"]*)" points="([^"]*)"/g)].map((m) => ({
    series: m[1] as string,
    points: (m[2] as string).split(' ').map((p) => p.split(',').map(Number) as [number, number]),
  }));
}

const base = { title: 'T', xLabel: 'step', yLabel: 'loss' };

describe('niceTicks and formatTicks', () => {
  it('picks round steps', () => {
    expect(niceTicks(0, 1, 5)).toEqual({ ticks: [0, 0.2, 0.4, 0.6000000000000001, 0.8, 1], step: 0.2 });
    expect(niceTicks(0, 4, 4).step).toBe(1);
    expect(niceTicks(0, 3000, 6).step).toBe(500);
    expect(() => niceTicks(1, 1)).toThrow(RangeError);
  });

  it('labels one axis in one style', () => {
    expect(formatTicks([0, 0.0005, 0.001], 0.0005)).toEqual(['0', '0.0005', '0.0010']);
    expect(formatTicks([0, 2e-5, 4e-5], 2e-5)).toEqual(['0', '2e-5', '4e-5']);
    expect(formatTicks([-1e300, 0, 1e300], 1e300)).toEqual(['-1e+300', '0', '1e+300']);
    expect(formatTicks([500, 1000, 1500], 500)).toEqual(['500', '1000', '1500']);
  });
});

describe('lineChartSvg', () => {
  it('draws one polyline per series with one point per value', () => {
    const x = Array.from({ length: 50 }, (_, i) => i * 10);
    const svg = lineChartSvg({ ...base, series: [{ name: 'a', x, y: x.map((v) => v * v) }, { name: 'b', x, y: x.map((v) => -v) }] });
    expect(svg.match(/<svg/g)).toHaveLength(1);
    const lines = polylines(svg);
    expect(lines.map((l) => [l.series, l.points.length])).toEqual([
      ['a', 50],
      ['b', 50],
    ]);
    // x increases left to right; a larger y is drawn higher (smaller pixel y)
    const a = lines[0]!.points;
    expect(a[49]![0]).toBeGreaterThan(a[0]![0]);
    expect(a[49]![1]).toBeLessThan(a[0]![1]);
    expect(svg).toContain('>step<');
    expect(svg).toContain('>loss<');
  });

  it('breaks the line at non-finite values and says so in the legend', () => {
    const svg = lineChartSvg({ ...base, series: [{ name: 's', x: [1, 2, 3, 4, 5], y: [1, Number.NaN, 3, Infinity, 5] }] });
    const lines = polylines(svg);
    expect(lines.map((l) => l.points.length)).toEqual([1, 1, 1]);
    expect(svg).toContain('s (2 non-finite skipped)');
    expect(svg).not.toMatch(/NaN|Infinity/);
  });

  it('draws a single point as a marker', () => {
    const svg = lineChartSvg({ ...base, series: [{ name: 'one', x: [7], y: [0.5], markers: false }] });
    expect(polylines(svg)[0]!.points).toHaveLength(1);
    expect(svg.match(/<circle/g)).toHaveLength(1);
    expect(svg).not.toContain('NaN');
  });

  it('copes with a constant series and with huge ranges', () => {
    const flat = lineChartSvg({ ...base, series: [{ name: 'c', x: [1, 2, 3], y: [2, 2, 2] }] });
    expect(flat).not.toContain('NaN');
    const huge = lineChartSvg({ ...base, series: [{ name: 'h', x: [0, 1, 2], y: [-1e300, 5, Number.MAX_VALUE] }] });
    expect(huge).not.toMatch(/NaN|Infinity/);
    expect(polylines(huge)[0]!.points).toHaveLength(3);
    expect(huge).toMatch(/e\+300/);
  });

  it('says "no data" when nothing is finite', () => {
    const svg = lineChartSvg({ ...base, series: [{ name: 'e', x: [1], y: [Number.NaN] }] });
    expect(svg).toContain('no data');
    expect(polylines(svg)).toHaveLength(0);
  });

  it('clips a spike to the edge in robust mode', () => {
    const x = Array.from({ length: 100 }, (_, i) => i);
    const y = x.map((i) => (i === 0 ? 1000 : 1 + 0.01 * Math.sin(i)));
    const clipped = lineChartSvg({ ...base, series: [{ name: 'l', x, y }], yClip: 'robust' });
    const plain = lineChartSvg({ ...base, series: [{ name: 'l', x, y }] });
    expect(clipped).toContain('outliers clipped');
    expect(plain).not.toContain('outliers clipped');
    const pts = polylines(clipped)[0]!.points;
    const top = Math.min(...pts.map((p) => p[1]));
    expect(pts[0]![1]).toBe(top); // the spike sits on the top edge
    // the rest now spans a good part of the height instead of a flat line
    const rest = pts.slice(1).map((p) => p[1]);
    expect(Math.max(...rest) - Math.min(...rest)).toBeGreaterThan(20);
    const restPlain = polylines(plain)[0]!.points.slice(1).map((p) => p[1]);
    expect(Math.max(...restPlain) - Math.min(...restPlain)).toBeLessThan(1);
  });

  it('escapes names and labels', () => {
    const svg = lineChartSvg({ ...base, title: 'a < b & "c"', series: [{ name: '<x>', x: [1, 2], y: [1, 2] }] });
    expect(svg).not.toContain('<x>');
    expect(svg).toContain('&lt;x&gt;');
    expect(svg).toContain('a &lt; b &amp; &quot;c&quot;');
    expect(escapeXml(`'`)).toBe('&#39;');
  });
});
