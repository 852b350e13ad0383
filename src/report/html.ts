/** Small helpers shared by the report pages: escaping, number formatting, colours. */

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

/** The palette colour for index `i` (wrapping around). */
export function paletteColor(i: number): string {
  return PALETTE[((i % PALETTE.length) + PALETTE.length) % PALETTE.length] ?? '#4e79a7';
}

/** Escape text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/**
 * JSON for a `<script type="application/json">` element: `<` is written as
 * its \u escape, so no value (a run name, a config string) can close the
 * element or open a comment; U+2028/2029 likewise.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** A number with `digits` decimals; '–' for null/undefined; NaN and infinities by name. */
export function fmt(value: number | null | undefined, digits = 3): string {
  if (value === null || value === undefined) return '–';
  if (!Number.isFinite(value)) return String(value);
  return value.toFixed(digits);
}

/** Seconds as "42 s", "3.5 min", "2 h 05 min". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '–';
  if (seconds < 90) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  if (seconds < 5400) return `${(seconds / 60).toFixed(1)} min`;
  const h = Math.floor(seconds / 3600);
  const m = Math.round((seconds - 3600 * h) / 60);
  return `${h} h ${String(m).padStart(2, '0')} min`;
}

/** Whether any string in a (config) object equals "synthetic", the demo corpus kind. */
export function containsSynthetic(value: unknown, depth = 0): boolean {
  if (depth > 8) return false;
  if (typeof value === 'string') return value.toLowerCase() === 'synthetic';
  if (Array.isArray(value)) return value.some((v) => containsSynthetic(v, depth + 1));
  if (typeof value === 'object' && value !== null) return Object.values(value).some((v) => containsSynthetic(v, depth + 1));
  return false;
}

/** A config as indented JSON (bigints as strings); never throws. */
export function configJson(config: unknown): string {
  try {
    const text = JSON.stringify(config, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2);
    return text ?? String(config);
  } catch {
    return String(config);
  }
}
