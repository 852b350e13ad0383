/**
 * Debugging tensor leaks: where each live tensor was created.
 *
 * With VBT_TRACE_TENSORS=1 in the environment (or after `traceTensors(true)`),
 * every tensor records the call stack that created it and forgets it when
 * disposed; at process exit the creation sites of the tensors still alive
 * are printed to stderr, most frequent first. A tensor's site is the first
 * stack frame outside this tensor layer, so the report points at the code
 * that asked for the tensor. Tracing keeps each tensor reachable until it is
 * disposed (a forgotten one is never collected, and so stays visible), and a
 * stack capture per tensor is slow: for debugging only.
 */
import type { Tensor } from './tensor.js';

const created = new Map<Tensor, string>();
let enabled = false;
let exitHookInstalled = false;

/** Frames of the tensor layer itself (src/torch, or dist/torch in the package), skipped when naming a site. */
const OWN_FRAME = /[/\\](?:src|dist)[/\\]torch[/\\]/;

/** The first frame of `stack` outside the tensor layer and Node's internals. */
function creationSite(stack: string): string {
  const frames = stack.split('\n').slice(1).map((l) => l.trim());
  const outside = frames.find((f) => f.startsWith('at ') && !OWN_FRAME.test(f) && !f.includes('node:internal'));
  return (outside ?? frames[0] ?? 'at <unknown>').replace(/^at /, '');
}

/** Turn tracing on or off; turning it off forgets what was recorded. */
export function traceTensors(on: boolean): void {
  enabled = on;
  if (!on) created.clear();
  if (on && !exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      if (enabled && created.size > 0) process.stderr.write(`${formatLiveTensorSites()}\n`);
    });
  }
}

/** Whether creation sites are being recorded. */
export function tracingTensors(): boolean {
  return enabled;
}

/** @internal Called by the Tensor constructor. */
export function recordCreation(t: Tensor): void {
  if (enabled) created.set(t, new Error().stack ?? '');
}

/** @internal Called by Tensor.dispose. */
export function recordDisposal(t: Tensor): void {
  if (enabled) created.delete(t);
}

export interface TensorSite {
  /** "functionName (file:line:column)" of the code that created the tensors. */
  site: string;
  /** Tensors created there that are still alive. */
  count: number;
  /** One full creation stack from this site. */
  stack: string;
}

/** Creation sites of the traced tensors still alive, most tensors first. */
export function liveTensorSites(): TensorSite[] {
  const bySite = new Map<string, TensorSite>();
  for (const [t, stack] of created) {
    if (t.disposed) continue;
    const site = creationSite(stack);
    const entry = bySite.get(site);
    if (entry) entry.count++;
    else bySite.set(site, { site, count: 1, stack });
  }
  return [...bySite.values()].sort((a, b) => b.count - a.count || a.site.localeCompare(b.site));
}

/** The report printed at exit: the live tensors' top creation sites. */
export function formatLiveTensorSites(limit = 10): string {
  const sites = liveTensorSites();
  const total = sites.reduce((n, s) => n + s.count, 0);
  if (total === 0) return 'vbt: no traced tensor is alive';
  const lines = sites.slice(0, limit).map((s) => `  ${String(s.count).padStart(5)} × ${s.site}`);
  const more = sites.length > limit ? `\n  ... and ${sites.length - limit} more sites` : '';
  return `vbt: ${total} tensor${total === 1 ? '' : 's'} still alive, created at:\n${lines.join('\n')}${more}`;
}

if (process.env.VBT_TRACE_TENSORS === '1') traceTensors(true);
