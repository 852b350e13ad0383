import { describe, expect, it } from 'vitest';
import { PAPER_RESULTS, paperResult, paperResults } from '../../src/metrics/paper-results.js';
import { smtl } from '../../src/metrics/smtl.js';

describe('paper results', () => {
  it('have unique ids and a complete source', () => {
    const ids = PAPER_RESULTS.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of PAPER_RESULTS) {
      expect(r.source.table).not.toBe('');
      expect(r.source.row).not.toBe('');
      for (const v of Object.values(r.values)) expect(v).toBeGreaterThan(0);
    }
  });

  it("restate the values the reference facts quote", () => {
    expect(paperResult('avb-val--SM')?.values).toEqual({ high: 0.654, culture: 0.639, type: 0.584, country: 0.657 });
    expect(paperResult('avb-test--SM')?.values).toEqual({ high: 0.685, culture: 0.515, type: 0.586 });
    expect(paperResult('avb-test-Baseline')?.values).toEqual({ high: 0.569, culture: 0.44, type: 0.417 });
    expect(paperResult('exvo-val-V1')?.values).toEqual({ emotionCcc: 0.653, countryUar: 0.672, ageMae: 3.672, smtl: 0.448 });
    expect(paperResult('exvo-val-Baseline')?.values.smtl).toBe(0.349);
    expect(paperResult('exvo-val-Ensemble A')?.values.smtl).toBe(0.465);
    expect(paperResult('exvo-test-Ensemble A')?.values.smtl).toBe(0.435);
    expect(paperResult('exvo-test-Baseline')?.values.smtl).toBe(0.335);
  });

  it("ExVo rows are consistent: each S_MTL follows from its row's CCC, UAR and MAE", () => {
    // This checks the reconstruction of the garbled Table 2 row by row.
    const rows = paperResults('exvo-burst2vec', 'validation');
    expect(rows).toHaveLength(11);
    for (const r of rows) {
      const { emotionCcc, countryUar, ageMae, smtl: published } = r.values;
      expect(smtl(emotionCcc!, countryUar!, ageMae!), r.id).toBeCloseTo(published!, 2);
      expect(Math.abs(smtl(emotionCcc!, countryUar!, ageMae!) - published!), r.id).toBeLessThan(0.0011);
    }
  });

  it('Table I has 16 validation rows and Table II 3 test rows', () => {
    expect(paperResults('avb-mtl', 'validation')).toHaveLength(16);
    expect(paperResults('avb-mtl', 'test')).toHaveLength(3);
  });
});
