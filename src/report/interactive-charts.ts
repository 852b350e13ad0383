/**
 * Interactive charts for the report pages, drawn in the browser by uPlot
 * (https://github.com/leeoniya/uPlot, MIT), whose minified script and
 * stylesheet are read from node_modules when a page is written and inlined
 * into it, so the page stays one file that works offline.
 *
 * Why uPlot: it is small (about 50 kB minified, no dependencies), fast with
 * tens of thousands of points (canvas), maintained, and does what the
 * reports need out of the box: live hover values in the legend, drag to
 * zoom, cursors synchronised across charts, series toggled from the legend.
 * Chart.js or Plotly would add 200 kB to 3 MB to every report for features
 * the pages do not use.
 *
 * The page embeds its chart data as JSON (chart-data.ts) in
 * `<script type="application/json" id="vbt-data">`; CLIENT_SCRIPT below
 * draws every `<div class="chart" data-chart="ID">` from it, with vertical
 * markers (stage changes, best validation) whose labels stay inside the plot,
 * zoom linked across the page's charts, and, for a run still training, a
 * reload of the page every few seconds that keeps the scroll position and
 * the zoom. Each drawn chart element holds its uPlot instance as `vbtChart`
 * (for scripts run on the page, such as a browser test).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ChartData } from './chart-data.js';
import { escapeHtml, jsonForScript } from './html.js';

/** What the page's script reads from the embedded JSON, besides the charts. */
export interface PageData {
  charts: ChartData[];
  /** Set while the run is going on: reload the page to see new validations. */
  live: { reloadSeconds: number } | null;
  /** When the page was written, ISO 8601 (the page shows how long ago). */
  writtenAt: string;
}

interface UplotAssets {
  version: string;
  js: string;
  css: string;
}

let assets: UplotAssets | undefined;

/** uPlot's minified script and stylesheet and its version, read once per process. */
export function uplotAssets(): UplotAssets {
  if (assets === undefined) {
    const require = createRequire(import.meta.url);
    const read = (file: string): string => readFileSync(require.resolve(file), 'utf8');
    const version = (JSON.parse(read('uplot/package.json')) as { version: string }).version;
    // Nothing in the script may end the <script> element it is inlined in;
    // "<\/" means "</" in the string and regular-expression literals where it could appear.
    const js = read('uplot/dist/uPlot.iife.min.js').replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
    const css = read('uplot/dist/uPlot.min.css').replace(/<\/(style)/gi, '<\\/$1');
    assets = { version, js, css };
  }
  return assets;
}

/** Styles of the chart blocks (besides uPlot's own). */
export const CHART_STYLE = `
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:14px}
.chart{border:1px solid #e3e3e3;border-radius:3px;padding:8px 10px 4px;background:#fff;min-width:0}
.chart h3{font-size:14px;margin:0;font-weight:600}
.chart .chart-note{font-size:11.5px;color:#a33;margin:1px 0 0}
.chart .chart-sub{font-size:11.5px;color:#666;margin:1px 0 0}
.chart .plot{min-height:270px}
.chart .nodata{color:#888;font-size:13px;padding:40px 0;text-align:center}
.uplot{width:100%}
.u-legend{font-size:12px;text-align:left;margin:2px 0 0}
.u-legend .u-series > *{padding:1px 4px}
.u-legend .u-value{font-variant-numeric:tabular-nums}
.hint{color:#666;font-size:12.5px;margin:0 0 10px}
.live{background:#eef6ee;border:1px solid #9ccf9c;padding:8px 12px;border-radius:4px;font-size:13.5px;margin:12px 0}
.live.ended{background:#f3f3f3;border-color:#ccc}
.live label{margin-left:12px;font-size:12.5px;color:#444}
`;

/** One chart's block on the page; the script draws into its `.plot`. */
export function chartBlock(chart: ChartData): string {
  const note =
    (chart.note !== null ? `<p class="chart-sub">${escapeHtml(chart.note)}</p>` : '') +
    (chart.yFence !== null ? '<p class="chart-note">A few extreme values lie beyond the y range (cut off at the edge); zoom in to see them.</p>' : '');
  const empty = chart.series.every((s) => s.y.every((v) => typeof v !== 'number'));
  return (
    `<div class="chart" id="chart-${escapeHtml(chart.id)}" data-chart="${escapeHtml(chart.id)}"><h3>${escapeHtml(chart.title)}</h3>${note}` +
    `<div class="plot">${empty ? '<p class="nodata">no finite values</p>' : '<noscript><p class="nodata">The charts need JavaScript.</p></noscript>'}</div></div>`
  );
}

/** A grid of chart blocks. */
export function chartGrid(charts: readonly ChartData[]): string {
  return `<div class="charts">${charts.map(chartBlock).join('')}</div>`;
}

/** The hint shown above the first charts of a page. */
export const CHART_HINT =
  '<p class="hint">Hover a chart for the values at a step (the legend below it shows them; a value recorded at another step is shown with its step). Drag across a chart to zoom in (every chart follows), double-click to zoom out, click a legend entry to hide or show its line.</p>';

/**
 * The end of a page's body: its data, uPlot and the script that draws the
 * charts. The data's `<` are escaped (jsonForScript), so nothing in it can
 * end the element.
 */
export function chartScripts(page: PageData): string {
  const { version, js } = uplotAssets();
  return (
    `<script type="application/json" id="vbt-data">${jsonForScript(page)}</script>\n` +
    `<script>/* uPlot ${escapeHtml(version)}, MIT licence, inlined */\n${js}</script>\n` +
    `<script>${CLIENT_SCRIPT}</script>`
  );
}

/** uPlot's stylesheet and the chart styles, for the page's `<head>`. */
export function chartStyles(): string {
  return `<style>${uplotAssets().css}\n${CHART_STYLE}</style>`;
}

/**
 * The page's script (plain ES2017, run by the browser). Kept as text: it
 * never runs in Node. It must not contain a back-tick or a dollar-brace.
 */
export const CLIENT_SCRIPT = String.raw`
(function () {
  'use strict';
  var dataEl = document.getElementById('vbt-data');
  if (!dataEl || typeof uPlot === 'undefined') return;
  var PAGE = JSON.parse(dataEl.textContent);
  var STORE = 'vbt-page:' + location.pathname;
  var HEIGHT = 230;
  var state = {};
  try { state = JSON.parse(sessionStorage.getItem(STORE) || '{}') || {}; } catch (e) { state = {}; }
  function save() { try { sessionStorage.setItem(STORE, JSON.stringify(state)); } catch (e) { /* storage off */ } }

  function num(v) {
    if (v === null || v === undefined) return '\u2013';
    if (typeof v === 'string') return v;
    if (v === 0) return '0';
    var a = Math.abs(v);
    if (a >= 1e-3 && a < 1e6) return String(Number(v.toPrecision(4)));
    return v.toExponential(2);
  }
  // Tick labels of one axis in one style: as many decimals as the step needs, or exponents.
  function ticks(values, step) {
    var maxAbs = 0;
    values.forEach(function (t) { maxAbs = Math.max(maxAbs, Math.abs(t)); });
    if (!(step > 0)) return values.map(num);
    var e = Math.floor(Math.log10(step) + 1e-9);
    var dec = Math.max(0, -e);
    if (maxAbs < 1e6 && dec <= 4) return values.map(function (t) { return Math.abs(t) < step * 1e-9 ? '0' : t.toFixed(dec); });
    var digits = Math.max(0, Math.min(6, Math.floor(Math.log10(maxAbs) + 1e-9) - e));
    return values.map(function (t) { return Math.abs(t) < step * 1e-9 ? '0' : t.toExponential(digits); });
  }
  function rgba(hex, alpha) {
    if (alpha >= 1 || !/^#[0-9a-f]{6}$/i.test(hex)) return hex;
    var n = parseInt(hex.slice(1), 16);
    return 'rgba(' + (n >> 16) + ',' + ((n >> 8) & 255) + ',' + (n & 255) + ',' + alpha + ')';
  }
  // uPlot: a number is drawn, null breaks the line, undefined is skipped (the line runs past it).
  function decode(y) {
    return y.map(function (v) { return v === null ? undefined : typeof v === 'string' ? null : v; });
  }

  // Vertical markers with their labels in a band above the plot (LABEL_BAND
  // px), so they never hide data: right of the line, else left of it (near
  // the right edge, or when another label is there), else a row lower.
  var LABEL_BAND = 16;
  function drawMarkers(u, chart) {
    var ctx = u.ctx, dpr = uPlot.pxRatio, b = u.bbox;
    var min = u.scales.x.min, max = u.scales.x.max;
    var boxes = [];
    ctx.save();
    ctx.font = Math.round(11 * dpr) + 'px system-ui, -apple-system, sans-serif';
    ctx.textBaseline = 'top';
    ctx.textAlign = 'left';
    chart.markers.forEach(function (m) {
      if (m.x < min || m.x > max) return;
      var px = Math.round(u.valToPos(m.x, 'x', true)) + 0.5;
      ctx.strokeStyle = m.color;
      ctx.lineWidth = dpr;
      ctx.setLineDash([4 * dpr, 3 * dpr]);
      ctx.beginPath();
      ctx.moveTo(px, b.top);
      ctx.lineTo(px, b.top + b.height);
      ctx.stroke();
      ctx.setLineDash([]);
      var pad = 3 * dpr, lh = 14 * dpr, w = ctx.measureText(m.label).width + 2 * pad;
      var lo = b.left, hi = b.left + b.width;
      function free(x, y) {
        if (x < lo || x + w > hi) return false;
        for (var i = 0; i < boxes.length; i++) {
          var o = boxes[i];
          if (x < o.x + o.w && o.x < x + w && y < o.y + o.h && o.y < y + lh) return false;
        }
        return true;
      }
      var y = b.top - LABEL_BAND * dpr;
      var x = px + dpr;
      for (var row = 0; row < 6; row++, y += lh) {
        if (free(px + dpr, y)) { x = px + dpr; break; }
        if (free(px - dpr - w, y)) { x = px - dpr - w; break; }
        x = Math.min(Math.max(px + dpr, lo), hi - w);
      }
      boxes.push({ x: x, y: y, w: w, h: lh });
      if (y >= b.top) { ctx.fillStyle = 'rgba(255,255,255,0.85)'; ctx.fillRect(x, y, w, lh); }
      ctx.fillStyle = m.color;
      ctx.fillText(m.label, x + pad, y + 1.5 * dpr);
    });
    ctx.restore();
  }

  var charts = [];
  var syncing = false;
  function fullRange(c) { return [c.data.x[0], c.data.x[c.data.x.length - 1]]; }
  function zoomAll(from, min, max) {
    if (syncing) return;
    syncing = true;
    var full = fullRange(from);
    var zoomed = min > full[0] || max < full[1];
    state.zoom = zoomed ? [min, max] : null;
    save();
    charts.forEach(function (c) {
      if (c === from) return;
      var r = zoomed ? [min, max] : fullRange(c);
      c.u.setScale('x', { min: r[0], max: r[1] });
    });
    syncing = false;
  }

  function makeChart(el, chart) {
    var plot = el.querySelector('.plot');
    if (!plot || chart.x.length === 0) return;
    if (chart.series.every(function (s) { return s.y.every(function (v) { return typeof v !== 'number'; }); })) return;
    plot.textContent = '';
    var data = [chart.x].concat(chart.series.map(function (s) { return decode(s.y); }));
    var c = { data: chart, u: null };
    var lastIdx = chart.series.map(function (s) {
      for (var i = s.y.length - 1; i >= 0; i--) if (s.y[i] !== null) return i;
      return -1;
    });
    var series = [{ label: chart.xLabel, value: function (u, v) { return v == null ? '\u2013' : num(v); } }];
    chart.series.forEach(function (s, k) {
      series.push({
        label: s.name + (s.nonFinite > 0 ? ' (' + s.nonFinite + ' not finite)' : ''),
        stroke: rgba(s.color, s.alpha),
        width: s.width,
        dash: s.dash || undefined,
        spanGaps: false,
        points: { show: s.points, size: 5, fill: s.color, stroke: s.color },
        value: function (u, v, si, idx) {
          var at = u.cursor.idx;
          // Away from the chart: the last value recorded.
          if (idx == null) { idx = lastIdx[k]; at = null; }
          if (idx == null || idx < 0) return '\u2013';
          var raw = s.y[idx];
          if (raw === null || raw === undefined) return '\u2013';
          var text = num(raw);
          if (at == null || at !== idx) text += ' @ ' + num(chart.x[idx]);
          return text;
        }
      });
    });
    var opts = {
      width: Math.max(280, plot.clientWidth),
      height: HEIGHT,
      scales: {
        x: { time: false, range: function (u, min, max) { return min === max ? [min - 1, max + 1] : [min, max]; } },
        y: {
          range: function (u, min, max) {
            if (!isFinite(min) || !isFinite(max)) return [0, 1];
            chart.yInclude.forEach(function (v) { min = Math.min(min, v); max = Math.max(max, v); });
            if (chart.yFence) { min = Math.max(min, chart.yFence[0]); max = Math.min(max, chart.yFence[1]); }
            if (!(max > min)) { var p = min === 0 ? 1 : Math.abs(min) * 0.1; return [min - p, max + p]; }
            // 5% of room above and below, except at a value the range must include (0 for a loss).
            var pad = 0.05 * (max - min);
            return [chart.yInclude.indexOf(min) >= 0 ? min : min - pad, chart.yInclude.indexOf(max) >= 0 ? max : max + pad];
          }
        }
      },
      axes: [
        { label: chart.xLabel, labelSize: 18, size: 36, values: function (u, v, ai, space, incr) { return ticks(v, incr); } },
        {
          label: chart.yLabel,
          labelSize: 18,
          values: function (u, v, ai, space, incr) { return ticks(v, incr); },
          size: function (u, values) {
            var longest = 0;
            (values || []).forEach(function (t) { longest = Math.max(longest, String(t).length); });
            return Math.max(40, Math.ceil(longest * 7.2) + 24);
          }
        }
      ],
      series: series,
      padding: [chart.markers.length > 0 ? LABEL_BAND + 4 : 10, 14, 0, 0],
      legend: { live: true },
      cursor: { sync: { key: 'vbt', setSeries: false }, drag: { x: true, y: false, setScale: true }, points: { size: 7 } },
      hooks: {
        draw: [function (u) { drawMarkers(u, chart); }],
        setScale: [function (u, key) { if (key === 'x' && c.u) zoomAll(c, u.scales.x.min, u.scales.x.max); }]
      }
    };
    c.u = new uPlot(opts, data, plot);
    c.u.setLegend({ idx: null }); // the legend's values away from the chart: the last ones
    charts.push(c);
    el.vbtChart = c.u;
    if (typeof ResizeObserver !== 'undefined') {
      var last = plot.clientWidth;
      new ResizeObserver(function () {
        var w = plot.clientWidth;
        if (w > 0 && Math.abs(w - last) > 1) { last = w; c.u.setSize({ width: Math.max(280, w), height: HEIGHT }); }
      }).observe(plot);
    }
  }

  var byId = {};
  PAGE.charts.forEach(function (c) { byId[c.id] = c; });
  Array.prototype.forEach.call(document.querySelectorAll('.chart[data-chart]'), function (el) {
    var chart = byId[el.getAttribute('data-chart')];
    if (chart) {
      try { makeChart(el, chart); } catch (e) { el.querySelector('.plot').textContent = 'chart error: ' + e; }
    }
  });
  if (state.zoom && charts.length > 0) {
    syncing = true;
    charts.forEach(function (c) { c.u.setScale('x', { min: state.zoom[0], max: state.zoom[1] }); });
    syncing = false;
  }
  if (typeof state.scrollY === 'number') window.scrollTo(0, state.scrollY);

  // How long ago the page was written; for a run going on, a reload every few seconds.
  var ago = document.getElementById('written-ago');
  var written = Date.parse(PAGE.writtenAt);
  function tick() {
    if (!ago || !isFinite(written)) return;
    var s = Math.max(0, Math.round((Date.now() - written) / 1000));
    ago.textContent = s < 90 ? s + ' s ago' : s < 5400 ? Math.round(s / 60) + ' min ago' : (s / 3600).toFixed(1) + ' h ago';
  }
  tick();
  setInterval(tick, 5000);
  var box = document.getElementById('auto-reload');
  if (PAGE.live && box) {
    box.checked = state.noReload !== true;
    box.addEventListener('change', function () { state.noReload = !box.checked; save(); });
    var dragging = false;
    document.addEventListener('mousedown', function () { dragging = true; });
    document.addEventListener('mouseup', function () { dragging = false; });
    setInterval(function () {
      if (!box.checked || dragging || document.hidden) return;
      state.scrollY = window.scrollY;
      save();
      location.reload();
    }, Math.max(2, PAGE.live.reloadSeconds) * 1000);
  }
  window.addEventListener('pagehide', function () { state.scrollY = window.scrollY; save(); });
})();
`;
