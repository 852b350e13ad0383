/**
 * A corpus with a 60 s and a 600 s clip among short ones trains and
 * predicts with bounded memory: peak RSS under 2 GB on the tiny backbone
 * (the long clips are read 4 s at a time in training and in 4 s windows in
 * evaluation), and the long clips get finite predictions.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tinyBackbone } from '../fixtures/backbones.js';

const RUNNER = path.resolve(import.meta.dirname, '..', '..', 'bench', 'long-clips-run.ts');
let backbone: string;

beforeAll(async () => {
  backbone = await tinyBackbone('data2vec');
}, 300_000);

describe('long clips', () => {
  it('train and predict with one 60 s and one 600 s clip per split under 2 GB of peak RSS', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vbt-long-'));
    try {
      const r = spawnSync(process.execPath, ['--import', 'tsx', RUNNER, dir, '--long', '--backbone', backbone], { encoding: 'utf8', timeout: 240_000 });
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { status: string; peakRssMb: number; predictions: Record<string, number[]> };
      expect(out.status).toBe('completed');
      expect(out.peakRssMb).toBeLessThan(2048);
      expect(Object.keys(out.predictions).sort()).toEqual(['long60-Val', 'long600-Val']);
      for (const values of Object.values(out.predictions)) {
        expect(values).toHaveLength(2);
        for (const v of values) expect(Number.isFinite(v)).toBe(true);
      }
      // The run said how many clips it reads in windows.
      expect(r.stderr).toMatch(/4 clips are longer than data\.preprocess\.maxSeconds \(4\.0 s; the longest: long600-\w+, 600\.0 s\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
