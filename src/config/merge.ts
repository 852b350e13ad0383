/** Layering configs: deep merge of plain objects, and dotted-path assignment for flags. */
import { ConfigError } from './errors.js';

type Json = unknown;

function isPlainObject(x: Json): x is Record<string, Json> {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

/** `override` on top of `base`: objects merge key by key, everything else (arrays included) replaces. */
export function deepMerge<T>(base: T, override: Json): T {
  if (!isPlainObject(base) || !isPlainObject(override)) return (override === undefined ? base : override) as T;
  const out: Record<string, Json> = { ...base };
  for (const [k, v] of Object.entries(override)) out[k] = k in out ? deepMerge(out[k], v) : v;
  return out as T;
}

/** Parse a flag value: JSON where it parses (numbers, booleans, null, arrays, objects), else the plain string. */
export function parseValue(text: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch {
    return text;
  }
}

/** Set `value` at a dotted path such as "train.stages.1.lr" (numbers index arrays). */
export function setPath(target: Record<string, Json>, dotted: string, value: Json): void {
  const keys = dotted.split('.');
  if (keys.some((k) => k === '')) throw new ConfigError(`--set ${dotted}: empty path segment`);
  let cur: Json = target;
  keys.forEach((key, i) => {
    const last = i === keys.length - 1;
    if (Array.isArray(cur)) {
      const index = Number(key);
      if (!Number.isInteger(index) || index < 0 || index >= cur.length) {
        throw new ConfigError(`--set ${dotted}: '${key}' is not an index of ${keys.slice(0, i).join('.')} (it has ${cur.length} entries)`);
      }
      if (last) cur[index] = value;
      else cur = cur[index];
      return;
    }
    if (!isPlainObject(cur)) throw new ConfigError(`--set ${dotted}: ${keys.slice(0, i).join('.')} is not an object`);
    if (last) {
      cur[key] = value;
    } else {
      if (cur[key] === undefined) cur[key] = {};
      cur = cur[key];
    }
  });
}
