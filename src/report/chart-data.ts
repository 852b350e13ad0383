/**
 * The data of the pages' charts, as embedded in the page (JSON) and drawn
 * there by interactive-charts.ts: every series on one shared, sorted x axis
 * (steps), so hovering shows the value of each series at a step.
 *
 * A y value in the embedded data is one of:
 * - a finite number (rounded to 6 significant digits);
 * - null: this series has no value at this x (a validation between two
 *   training log steps); the line runs past it;
 * - "NaN", "Infinity" or "-Infinity": the value was recorded but is not
 *   finite (a diverged loss); the line breaks there and hovering names it.
 *
 * With `yClip: 'robust'` a few extreme values (a loss spike at step 0) no
 * longer flatten the rest: the y range stops one 2nd–98th percentile spread
 * beyond those percentiles (`yFence`); zooming in still rescales y to what
 * is in view, within the fence.
 */

/** One line of a chart. */
export interface ChartSeries {
  /** Legend name. */
  name: string;
  /** x values (steps). Non-finite x values are dropped. */
  x: ArrayLike<number>;
  /** y values, index-aligned with x. */
  y: ArrayLike<number>;
  /** Stroke colour. */
  color: string;
  /** Stroke width in CSS px; default 1.5. */
  width?: number;
  /** Stroke opacity in (0, 1]; default 1. */
  alpha?: number;
  /** Canvas line dash, e.g. [4, 3]. */
  dash?: number[];
  /** A dot at every point; default: for series of up to 40 points. */
  points?: boolean;
}

/** A vertical reference line (stage change, best validation). */
export interface ChartMarker {
  x: number;
  label: string;
  color: string;
}

/** A chart to draw. */
export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly ChartSeries[];
  markers?: readonly ChartMarker[];
  /** 'robust': cap the y range when outliers would flatten the plot. */
  yClip?: 'none' | 'robust';
  /** Values the y range always includes (0 for a loss). */
  yInclude?: readonly number[];
  /** A line under the title. */
  note?: string;
}

/** One y value in the page; see the module comment. */
export type EncodedValue = number | null | 'NaN' | 'Infinity' | '-Infinity';

/** A series as embedded in the page. */
export interface SeriesData {
  name: string;
  color: string;
  width: number;
  alpha: number;
  dash: number[] | null;
  points: boolean;
  /** One value per x of the chart. */
  y: EncodedValue[];
  /** How many recorded values are not finite. */
  nonFinite: number;
}

/** A chart as embedded in the page. */
export interface ChartData {
  /** Unique on its page (keeps zoom across reloads). */
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  /** Sorted, distinct x values of all series. */
  x: number[];
  series: SeriesData[];
  markers: ChartMarker[];
  /** The y range cap of robust clipping, when it cuts anything off. */
  yFence: [number, number] | null;
  yInclude: number[];
  note: string | null;
}

// Values beyond this are clamped so that ranges stay finite.
const LIMIT = 1e300;

/** Exponential moving average with bias correction; NaN passes through without moving the average. */
export function smoothEma(values: readonly number[], beta: number): number[] {
  let avg = 0;
  let weight = 0;
  return values.map((v) => {
    if (!Number.isFinite(v)) return v;
    avg = beta * avg + (1 - beta) * v;
    weight = beta * weight + (1 - beta);
    return avg / weight;
  });
}

/** Smoothing factor giving an effective window of about n/30 points. */
export function emaBeta(n: number): number {
  const window = Math.max(1, Math.round(n / 30));
  return 1 - 2 / (window + 1);
}

function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}

/**
 * The robust y range cap of `values` (finite ones), or null when nothing
 * would be cut off: fences one 2nd–98th percentile spread beyond those
 * percentiles, so ordinary data stays inside and a spike of a few points
 * does not. A value of `include` (0 for a loss) near the kept range widens
 * it to include that value.
 */
export function robustFence(values: readonly number[], include: readonly number[] = []): [number, number] | null {
  const data = values.filter((v) => Number.isFinite(v)).map(clamp);
  if (data.length < 20) return null;
  const sorted = [...data, ...include.filter((v) => Number.isFinite(v))].sort((a, b) => a - b);
  const min = sorted[0] as number;
  const max = sorted[sorted.length - 1] as number;
  const qLo = quantile(sorted, 0.02);
  const qHi = quantile(sorted, 0.98);
  const spread = qHi - qLo;
  if (!(spread > 0)) return null;
  let lo = Math.max(min, qLo - spread);
  let hi = Math.min(max, qHi + spread);
  for (const v of include) {
    if (v < lo && v >= lo - spread) lo = v;
    if (v > hi && v <= hi + spread) hi = v;
  }
  // Only a fence that leaves some data outside counts.
  const dataMin = data.reduce((m, v) => Math.min(m, v), Infinity);
  const dataMax = data.reduce((m, v) => Math.max(m, v), -Infinity);
  return lo > dataMin || hi < dataMax ? [lo, hi] : null;
}

function clamp(v: number): number {
  return Math.max(-LIMIT, Math.min(LIMIT, v));
}

/** A finite value rounded to 6 significant digits (the page shows at most 4). */
function round(v: number): number {
  return Number(clamp(v).toPrecision(6));
}

function encode(v: number): EncodedValue {
  if (Number.isFinite(v)) return round(v);
  return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
}

/** The embedded form of a chart; see the module comment. */
export function chartData(id: string, spec: ChartSpec): ChartData {
  const xs = new Set<number>();
  for (const s of spec.series) {
    const n = Math.min(s.x.length, s.y.length);
    for (let i = 0; i < n; i++) {
      const x = s.x[i] as number;
      if (Number.isFinite(x)) xs.add(round(x));
    }
  }
  const x = [...xs].sort((a, b) => a - b);
  const position = new Map(x.map((v, i) => [v, i]));
  const finite: number[] = [];
  const series = spec.series.map((s): SeriesData => {
    const y: EncodedValue[] = new Array<EncodedValue>(x.length).fill(null);
    let nonFinite = 0;
    let count = 0;
    const n = Math.min(s.x.length, s.y.length);
    for (let i = 0; i < n; i++) {
      const xi = s.x[i] as number;
      if (!Number.isFinite(xi)) continue;
      const v = s.y[i] as number;
      // A repeated x (records of a resumed run written twice): the later value stands.
      y[position.get(round(xi))!] = encode(v);
      count += 1;
      if (Number.isFinite(v)) finite.push(v);
      else nonFinite += 1;
    }
    return {
      name: s.name,
      color: s.color,
      width: s.width ?? 1.5,
      alpha: s.alpha ?? 1,
      dash: s.dash ?? null,
      points: s.points ?? count <= 40,
      y,
      nonFinite,
    };
  });
  const yInclude = (spec.yInclude ?? []).filter((v) => Number.isFinite(v));
  return {
    id,
    title: spec.title,
    xLabel: spec.xLabel,
    yLabel: spec.yLabel,
    x,
    series,
    markers: (spec.markers ?? []).filter((m) => Number.isFinite(m.x)).map((m) => ({ ...m })),
    yFence: spec.yClip === 'robust' ? robustFence(finite, yInclude) : null,
    yInclude,
    note: spec.note ?? null,
  };
}

/** A page-unique id from a title: lower-case words joined by '-', numbered when repeated. */
export function chartIds(titles: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return titles.map((t) => {
    const base = t.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'chart';
    const k = (seen.get(base) ?? 0) + 1;
    seen.set(base, k);
    return k === 1 ? base : `${base}-${k}`;
  });
}
