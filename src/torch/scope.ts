/**
 * Tensor lifetimes. Native memory (and all GPU memory) is invisible to the
 * garbage collector, so tensors are freed explicitly: `t.dispose()`,
 * `using t = ...`, or `scope(fn)`, which frees every tensor created while fn
 * runs except those it returns (like tfjs's `tidy`).
 */
import type { Tensor } from './tensor.js';

const stack: Set<Tensor>[] = [];

/** @internal Called by the Tensor constructor: the innermost scope owns the new tensor. */
export function track(t: Tensor): void {
  stack[stack.length - 1]?.add(t);
}

/** @internal Called on dispose so scopes do not hold dead tensors. */
export function untrack(t: Tensor): void {
  stack[stack.length - 1]?.delete(t);
}

function collectTensors(value: unknown, out: Set<Tensor>, seen: Set<unknown>, isTensor: (x: unknown) => x is Tensor): void {
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if (isTensor(value)) {
    out.add(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collectTensors(v, out, seen, isTensor);
  } else if (value instanceof Map) {
    for (const v of value.values()) collectTensors(v, out, seen, isTensor);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collectTensors(v, out, seen, isTensor);
  }
}

let isTensorCheck: ((x: unknown) => x is Tensor) | undefined;
/** @internal Set by tensor.ts to avoid an import cycle. */
export function setTensorCheck(check: (x: unknown) => x is Tensor): void {
  isTensorCheck = check;
}

/**
 * Run `fn` and dispose every tensor created during it, except the tensors
 * found in its return value (directly, or in arrays, Maps and plain objects),
 * which move to the enclosing scope. `fn` must be synchronous.
 */
export function scope<T>(fn: () => T): T {
  const owned = new Set<Tensor>();
  stack.push(owned);
  let result: T;
  try {
    result = fn();
  } catch (err) {
    stack.pop();
    for (const t of owned) t.dispose();
    throw err;
  }
  stack.pop();
  if (result instanceof Promise) {
    for (const t of owned) t.dispose();
    throw new TypeError('scope(fn): fn returned a Promise; scopes track synchronous work only');
  }
  const kept = new Set<Tensor>();
  if (isTensorCheck) collectTensors(result, kept, new Set(), isTensorCheck);
  const parent = stack[stack.length - 1];
  for (const t of owned) {
    if (kept.has(t)) parent?.add(t);
    else t.dispose();
  }
  return result;
}

/**
 * Exempt tensors from the scopes they were created in: they live until
 * disposed explicitly (use for parameters and state created inside a scope).
 */
export function keep<T extends Tensor | Tensor[]>(tensors: T): T {
  const list = Array.isArray(tensors) ? tensors : [tensors];
  for (const t of list) for (const s of stack) s.delete(t);
  return tensors;
}
