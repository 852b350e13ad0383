/** Layering configs: deep merge of plain objects, and dotted-path assignment for flags. */
import { ConfigError } from './errors.js';

type Json = unknown;

function isPlainObject(x: Json): x is Record<string, Json> {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

/**
 * Keys that would reach an object's prototype rather than a field of its
 * own. No config field has these names; accepting them would let a flag or
 * a config file change every object of the process.
 */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function checkKey(key: string, where: () => string): void {
  if (FORBIDDEN_KEYS.has(key)) throw new ConfigError(`${where()}: '${key}' is not a config field`);
}

/** `override` on top of `base`: objects merge key by key, everything else (arrays included) replaces. */
export function deepMerge<T>(base: T, override: Json, path = ''): T {
  if (!isPlainObject(base) || !isPlainObject(override)) return (override === undefined ? base : override) as T;
  const out: Record<string, Json> = { ...base };
  for (const [k, v] of Object.entries(override)) {
    const at = path ? `${path}.${k}` : k;
    checkKey(k, () => at);
    if (Object.hasOwn(out, k)) out[k] = deepMerge(out[k], v, at);
    else {
      checkKeysDeep(v, at);
      out[k] = v;
    }
  }
  return out as T;
}

/** Throw a ConfigError naming the path if any object key inside `value` (e.g. a JSON flag value) is a forbidden one. */
function checkKeysDeep(value: Json, path: string): void {
  if (Array.isArray(value)) value.forEach((v, i) => checkKeysDeep(v, `${path}.${i}`));
  else if (isPlainObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      checkKey(k, () => `${path}.${k}`);
      checkKeysDeep(v, `${path}.${k}`);
    }
  }
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
  for (const k of keys) checkKey(k, () => `--set ${dotted}`);
  checkKeysDeep(value, `--set ${dotted}`);
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
      if (!Object.hasOwn(cur, key) || cur[key] === undefined) cur[key] = {};
      cur = cur[key];
    }
  });
}
