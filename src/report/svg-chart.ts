/**
 * Line charts as inline SVG strings, drawn without any library so that
 * report.html stays a single self-contained file: axes, "nice" ticks, axis
 * labels, a legend, optional markers and vertical reference lines.
 *
 * Robust to awkward data: non-finite points are skipped (the line breaks
 * there and the legend says how many), a single point is drawn as a marker,
 * a constant series gets a padded range, and values of any magnitude get
 * finite coordinates and readable tick labels. With `yClip: 'robust'` a
 * few extreme values (a loss spike at step 0) no longer flatten the rest:
 * the range stops one 2nd–98th percentile spread beyond those percentiles
 * and outliers sit on the edge.
 */

/** One line of a chart. */
export interface ChartSeries {
  /** Legend name. */
  name: string;
  /** x values (e.g. steps). */
  x: ArrayLike<number>;
  /** y values, index-aligned with x; non-finite values are skipped. */
  y: ArrayLike<number>;
  /** Stroke colour; default from the palette by series index. */
  color?: string;
  /** Stroke width in px; default 1.75. */
  width?: number;
  /** Stroke opacity in [0, 1]; default 1. */
  opacity?: number;
  /** SVG stroke-dasharray, e.g. "4 3". */
  dash?: string;
  /** Draw a dot at every point; 'auto' (default) does so for up to 40 points. */
  markers?: boolean | 'auto';
}

/** A vertical reference line (stage boundary, best validation). */
export interface VerticalLine {
  /** Position on the x axis. */
  x: number;
  /** Short label drawn at the top. */
  label: string;
  /** Colour; default grey. */
  color?: string;
}

/** Options of {@link lineChartSvg}. */
export interface LineChartOptions {
  /** Title above the plot. */
  title: string;
  /** x axis label. */
  xLabel: string;
  /** y axis label. */
  yLabel: string;
  /** Lines to draw. */
  series: readonly ChartSeries[];
  /** Vertical reference lines. */
  vLines?: readonly VerticalLine[];
  /** Overall width in px; default 560. */
  width?: number;
  /** Overall height in px; default 300. */
  height?: number;
  /** 'robust': y range from the 2nd–98th percentiles (widened) when outliers would flatten the plot. */
  yClip?: 'none' | 'robust';
  /** Values the y range must include (e.g. 0 for losses). */
  yInclude?: readonly number[];
}

/** Qualitative palette (Tableau 10), readable on white. */
export const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
] as const;

/** Escape text for HTML/SVG content and attribute values. */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

// Values beyond this are clamped before any arithmetic so spans stay finite.
const LIMIT = 1e300;

/**
 * Round, evenly spaced tick values (steps of 1, 2 or 5 × 10^k) covering
 * [lo, hi] with about `target` ticks. Returns the ticks and the step.
 */
export function niceTicks(lo: number, hi: number, target = 5): { ticks: number[]; step: number } {
  if (!(hi > lo)) throw new RangeError(`niceTicks: empty range [${lo}, ${hi}]`);
  const rough = (hi - lo) / Math.max(1, target);
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const residual = rough / magnitude;
  // Round the rough step to the nearest of 1, 2, 5, 10 (geometric midpoints).
  const step = (residual < 1.5 ? 1 : residual < 3 ? 2 : residual < 7 ? 5 : 10) * magnitude;
  const first = Math.ceil(lo / step - 1e-9);
  const ticks: number[] = [];
  for (let i = first; i * step <= hi + step * 1e-9 && ticks.length < 50; i++) {
    // i * step rather than accumulation, so 0.1 + 0.2 style drift never shows.
    const v = i * step;
    ticks.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  }
  return { ticks, step };
}

/** Format a single number compactly: fixed where readable, exponent otherwise. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1e-3 && abs < 1e6) return Number(value.toPrecision(4)).toString();
  return value.toExponential(2);
}

/**
 * Labels for the ticks of one axis, in one consistent style: fixed-point
 * with as many decimals as the step needs, or exponent notation for every
 * tick when the values are very large or the step very small.
 */
export function formatTicks(ticks: readonly number[], step: number): string[] {
  const maxAbs = ticks.reduce((m, t) => Math.max(m, Math.abs(t)), 0);
  const stepExp = Math.floor(Math.log10(step) + 1e-9);
  const decimals = Math.max(0, -stepExp);
  if (maxAbs < 1e6 && decimals <= 4) return ticks.map((t) => (t === 0 ? '0' : t.toFixed(decimals)));
  const digits = Math.max(0, Math.min(6, Math.floor(Math.log10(maxAbs) + 1e-9) - stepExp));
  return ticks.map((t) => (t === 0 ? '0' : t.toExponential(digits)));
}

function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}

function clampFinite(v: number): number {
  return Math.max(-LIMIT, Math.min(LIMIT, v));
}

/** Padded range of finite values; a single value gets room around it. */
function paddedRange(values: readonly number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!(hi > lo)) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    return [lo - pad, hi + pad];
  }
  return [lo, hi];
}

interface Point {
  x: number;
  y: number;
}

/** Split a series into runs of finite points; count what was skipped. */
function segmentsOf(s: ChartSeries): { segments: Point[][]; skipped: number; finite: Point[] } {
  const segments: Point[][] = [];
  const finite: Point[] = [];
  let current: Point[] = [];
  let skipped = 0;
  const n = Math.min(s.x.length, s.y.length);
  for (let i = 0; i < n; i++) {
    const x = s.x[i] as number;
    const y = s.y[i] as number;
    if (Number.isFinite(x) && Number.isFinite(y)) {
      const p = { x: clampFinite(x), y: clampFinite(y) };
      current.push(p);
      finite.push(p);
    } else {
      skipped += 1;
      if (current.length > 0) segments.push(current);
      current = [];
    }
  }
  if (current.length > 0) segments.push(current);
  return { segments, skipped, finite };
}

const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif"';

/** Approximate text width at 11 px, for laying out the legend. */
function textWidth(text: string): number {
  return text.length * 6.2;
}

/** An SVG line chart; see the module comment. */
export function lineChartSvg(options: LineChartOptions): string {
  const width = options.width ?? 560;
  const height = options.height ?? 300;
  const prepared = options.series.map((s, i) => ({ s, color: s.color ?? PALETTE[i % PALETTE.length] ?? '#4e79a7', ...segmentsOf(s) }));

  // Legend: wrap items into rows above the plot.
  const legendItems = prepared.map((p) => ({
    color: p.color,
    dash: p.s.dash,
    opacity: p.s.opacity ?? 1,
    text: p.skipped > 0 ? `${p.s.name} (${p.skipped} non-finite skipped)` : p.s.name,
  }));
  const legendRows: { x: number; item: (typeof legendItems)[number] }[][] = [];
  let row: { x: number; item: (typeof legendItems)[number] }[] = [];
  let cursor = 0;
  const legendMax = width - 70;
  for (const item of legendItems) {
    const w = 22 + textWidth(item.text) + 14;
    if (row.length > 0 && cursor + w > legendMax) {
      legendRows.push(row);
      row = [];
      cursor = 0;
    }
    row.push({ x: cursor, item });
    cursor += w;
  }
  if (row.length > 0) legendRows.push(row);

  const margin = { left: 62, right: 18, top: 30 + legendRows.length * 16 + 6, bottom: 44 };
  const plotW = Math.max(10, width - margin.left - margin.right);
  const plotH = Math.max(10, height - margin.top - margin.bottom);

  const allPoints = prepared.flatMap((p) => p.finite);
  const parts: string[] = [];
  parts.push(
    `<svg class="chart" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(options.title)}" ${FONT}>`,
  );
  parts.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  parts.push(`<text x="${margin.left}" y="18" font-size="13" font-weight="600" fill="#222">${escapeXml(options.title)}</text>`);
  legendRows.forEach((r, ri) => {
    const y = 34 + ri * 16;
    for (const { x, item } of r) {
      const lx = margin.left + x;
      const dash = item.dash !== undefined ? ` stroke-dasharray="${escapeXml(item.dash)}"` : '';
      parts.push(
        `<line x1="${lx}" y1="${y - 4}" x2="${lx + 18}" y2="${y - 4}" stroke="${escapeXml(item.color)}" stroke-width="2.5" stroke-opacity="${Math.max(item.opacity, 0.5)}"${dash}/>`,
        `<text x="${lx + 22}" y="${y}" font-size="11" fill="#333">${escapeXml(item.text)}</text>`,
      );
    }
  });

  const px0 = margin.left;
  const py0 = margin.top;
  parts.push(`<rect x="${px0}" y="${py0}" width="${plotW}" height="${plotH}" fill="#fbfbfb" stroke="#cccccc"/>`);

  if (allPoints.length === 0) {
    parts.push(
      `<text x="${px0 + plotW / 2}" y="${py0 + plotH / 2}" font-size="12" fill="#888" text-anchor="middle">no data</text>`,
      '</svg>',
    );
    return parts.join('');
  }

  // x range: data extent (padded for a single x); ticks inside it.
  const [xLo, xHi] = paddedRange(allPoints.map((p) => p.x));
  // y range: data extent, optionally robust, extended to nice ticks.
  const ys = allPoints.map((p) => p.y);
  for (const v of options.yInclude ?? []) if (Number.isFinite(v)) ys.push(v);
  let [yLo, yHi] = paddedRange(ys);
  let clipped = false;
  if (options.yClip === 'robust' && ys.length >= 20) {
    // Fences one inter-percentile range beyond the 2nd and 98th percentiles:
    // ordinary data stays inside them, a spike of a few points does not.
    const sorted = [...ys].sort((a, b) => a - b);
    const qLo = quantile(sorted, 0.02);
    const qHi = quantile(sorted, 0.98);
    const spread = qHi - qLo;
    if (spread > 0) {
      const lo = Math.max(yLo, qLo - spread);
      const hi = Math.min(yHi, qHi + spread);
      if (lo > yLo || hi < yHi) {
        yLo = lo;
        yHi = hi;
        // Keep a requested value (0 for a loss) when it is near the kept range.
        for (const v of options.yInclude ?? []) {
          if (v < yLo && v >= yLo - spread) yLo = v;
          if (v > yHi && v <= yHi + spread) yHi = v;
        }
        clipped = true;
      }
    }
  }
  // The y range snaps outward to the tick grid so the top and bottom are labelled.
  const yStep = niceTicks(yLo, yHi, Math.max(3, Math.round(plotH / 45))).step;
  const yMin = Math.floor(yLo / yStep + 1e-9) * yStep;
  const yMax = Math.ceil(yHi / yStep - 1e-9) * yStep;
  const yTicks = niceTicks(yMin, yMax, Math.round((yMax - yMin) / yStep));
  const xTicks = niceTicks(xLo, xHi, Math.max(2, Math.round(plotW / 90)));

  const sx = (x: number): number => px0 + ((x - xLo) / (xHi - xLo)) * plotW;
  const syRaw = (y: number): number => py0 + plotH - ((y - yMin) / (yMax - yMin)) * plotH;
  const sy = (y: number): number => Math.max(py0, Math.min(py0 + plotH, syRaw(y)));
  const f = (v: number): string => (Number.isFinite(v) ? v.toFixed(1) : '0');

  // grid and ticks
  const yLabels = formatTicks(yTicks.ticks, yTicks.step);
  yTicks.ticks.forEach((t, i) => {
    const y = f(syRaw(t));
    parts.push(
      `<line x1="${px0}" y1="${y}" x2="${px0 + plotW}" y2="${y}" stroke="#e6e6e6"/>`,
      `<text x="${px0 - 6}" y="${y}" font-size="10.5" fill="#555" text-anchor="end" dominant-baseline="middle">${escapeXml(yLabels[i] ?? '')}</text>`,
    );
  });
  const xLabels = formatTicks(xTicks.ticks, xTicks.step);
  xTicks.ticks.forEach((t, i) => {
    const x = f(sx(t));
    parts.push(
      `<line x1="${x}" y1="${py0}" x2="${x}" y2="${py0 + plotH}" stroke="#efefef"/>`,
      `<line x1="${x}" y1="${py0 + plotH}" x2="${x}" y2="${py0 + plotH + 4}" stroke="#888"/>`,
      `<text x="${x}" y="${py0 + plotH + 16}" font-size="10.5" fill="#555" text-anchor="middle">${escapeXml(xLabels[i] ?? '')}</text>`,
    );
  });
  parts.push(
    `<text x="${px0 + plotW / 2}" y="${height - 8}" font-size="11.5" fill="#333" text-anchor="middle">${escapeXml(options.xLabel)}</text>`,
    `<text transform="translate(14 ${py0 + plotH / 2}) rotate(-90)" font-size="11.5" fill="#333" text-anchor="middle">${escapeXml(options.yLabel)}</text>`,
  );
  if (clipped) {
    parts.push(
      `<text x="${width - margin.right}" y="18" font-size="10" fill="#a33" text-anchor="end">outliers clipped to the edge</text>`,
    );
  }

  for (const v of options.vLines ?? []) {
    if (!Number.isFinite(v.x) || v.x < xLo || v.x > xHi) continue;
    const x = f(sx(v.x));
    const color = escapeXml(v.color ?? '#999999');
    parts.push(
      `<line class="vline" x1="${x}" y1="${py0}" x2="${x}" y2="${py0 + plotH}" stroke="${color}" stroke-dasharray="3 3"/>`,
      `<text x="${Number(x) + 3}" y="${py0 + plotH - 4}" font-size="9.5" fill="${color}">${escapeXml(v.label)}</text>`,
    );
  }

  // lines: one polyline per run of finite points
  parts.push('<g>');
  for (const p of prepared) {
    const width = p.s.width ?? 1.75;
    const opacity = p.s.opacity ?? 1;
    const dash = p.s.dash !== undefined ? ` stroke-dasharray="${escapeXml(p.s.dash)}"` : '';
    const name = escapeXml(p.s.name);
    for (const seg of p.segments) {
      const pts = seg.map((q) => `${f(sx(q.x))},${f(sy(q.y))}`).join(' ');
      parts.push(
        `<polyline data-series="${name}" points="${pts}" fill="none" stroke="${escapeXml(p.color)}" stroke-width="${width}" stroke-opacity="${opacity}" stroke-linejoin="round" stroke-linecap="round"${dash}/>`,
      );
    }
    const markers = p.s.markers ?? 'auto';
    const single = p.segments.some((seg) => seg.length === 1);
    if (markers === true || (markers === 'auto' && p.finite.length <= 40) || single) {
      for (const seg of p.segments) {
        if (markers === false && seg.length > 1) continue;
        for (const q of seg) {
          parts.push(`<circle cx="${f(sx(q.x))}" cy="${f(sy(q.y))}" r="2.6" fill="${escapeXml(p.color)}" fill-opacity="${opacity}"/>`);
        }
      }
    }
  }
  parts.push('</g></svg>');
  return parts.join('');
}
