/**
 * The typed contract (src/torch/native.ts) and the addon agree: every
 * function NativeAddon declares is exported, and every export is declared.
 * tsc checks that NATIVE_FUNCTIONS lists exactly NativeAddon's keys; this
 * checks the list against the loaded addon.
 */
import { describe, expect, it } from 'vitest';
import { NATIVE_FUNCTIONS, native } from '../../src/torch/native.js';

describe('native addon contract', () => {
  it('NATIVE_FUNCTIONS names each function once', () => {
    const repeated = NATIVE_FUNCTIONS.filter((name, i) => NATIVE_FUNCTIONS.indexOf(name) !== i);
    expect(repeated, `listed more than once in NATIVE_FUNCTIONS: ${repeated.join(', ')}`).toEqual([]);
  });

  it('the addon exports exactly the functions of NativeAddon', () => {
    const addon = native() as unknown as Record<string, unknown>;
    const exported = Object.keys(addon);
    const declared: readonly string[] = NATIVE_FUNCTIONS;
    const missing = declared.filter((name) => !exported.includes(name));
    const extra = exported.filter((name) => !declared.includes(name));
    expect(
      { missing, extra },
      `in the contract (NativeAddon and NATIVE_FUNCTIONS, src/torch/native.ts) but not exported by the addon: [${missing.join(', ')}]; ` +
        `exported by the addon but not in the contract: [${extra.join(', ')}]`,
    ).toEqual({ missing: [], extra: [] });
    const notFunctions = exported.filter((name) => typeof addon[name] !== 'function');
    expect(notFunctions, `addon exports that are not functions: ${notFunctions.join(', ')}`).toEqual([]);
  });
});
