/**
 * Pooling 'padded-mean' needs every row to fit in model.padTo: a longer row
 * would pad the rest of its batch further and change their features. The
 * run is refused at assembly, with the largest maxSeconds that fits.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { resolveConfig } from '../../src/config/load.js';
import { checkPaddedPooling } from '../../src/run/assemble.js';

function config(overrides: Record<string, unknown>) {
  return resolveConfig({ recipe: 'avb-mtl-code', overrides: Object.entries(overrides) });
}

describe('checkPaddedPooling', () => {
  it("accepts avb-mtl-code as it is (9.96 s windows, padTo 159,360) and the masked mean with any maxSeconds", () => {
    expect(() => checkPaddedPooling(config({}), 16000)).not.toThrow();
    expect(() => checkPaddedPooling(config({ 'model.pooling': 'mean', 'data.preprocess.maxSeconds': null }), 16000)).not.toThrow();
    expect(() => checkPaddedPooling(config({ 'model.padTo': 24000, 'data.preprocess.maxSeconds': 1.5 }), 16000)).not.toThrow();
  });

  it('refuses windows longer than padTo, or none, naming both fields and what fits', () => {
    const tooLong = () => checkPaddedPooling(config({ 'data.preprocess.maxSeconds': 10 }), 16000);
    expect(tooLong).toThrow(ConfigError);
    expect(tooLong).toThrow(
      "model.pooling 'padded-mean' pads rows to model.padTo = 159360 samples, but data.preprocess.maxSeconds = 10 allows longer rows, which would change the pooled features of every clip in their batch: set data.preprocess.maxSeconds to at most 9.96 (padTo at 16000 Hz)",
    );
    expect(() => checkPaddedPooling(config({ 'data.preprocess.maxSeconds': null }), 16000)).toThrow(/maxSeconds = null allows longer rows/);
    expect(() => checkPaddedPooling(config({ 'model.padTo': 24001, 'data.preprocess.maxSeconds': 2 }), 16000)).toThrow(/at most 1\.5 \(padTo at 16000 Hz\)/);
  });
});
