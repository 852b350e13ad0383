/**
 * Data-parallel stop agreement: a stop request is taken up at a step only
 * every `stopCheckEverySteps` steps (each check is a collective that waits
 * for the device), and at once at a boundary (epoch, stage, run).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataParallel } from '../../src/distributed/data-parallel.js';

function connect(stopCheckEverySteps: number): { dp: DataParallel; dir: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'vbt-stop-'));
  const dp = DataParallel.connect({ rank: 0, worldSize: 1, rendezvousFile: path.join(dir, 'store'), stopCheckEverySteps, timeoutSeconds: 10, rendezvousTimeoutSeconds: 10 });
  dp.device('cpu');
  return { dp, dir };
}

describe('data-parallel stop agreement', () => {
  it('checks every N steps, so a request made at step 2 stops after step 3 with N = 3', () => {
    const { dp, dir } = connect(3);
    try {
      expect(dp.agreeStop('step')).toBeUndefined(); // step 1
      dp.requestStop('asked at step 2');
      expect(dp.agreeStop('step')).toBeUndefined(); // step 2: not a check
      expect(dp.agreeStop('step')).toBe('asked at step 2'); // step 3: a check
      expect(dp.agreeStop('step')).toBeUndefined();
    } finally {
      dp.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes a request up at once at a boundary, and counts afresh from there', () => {
    const { dp, dir } = connect(10);
    try {
      expect(dp.agreeStop('step')).toBeUndefined();
      dp.requestStop('Ctrl-C');
      expect(dp.agreeStop('boundary')).toBe('Ctrl-C');
      dp.requestStop('again');
      for (let i = 1; i < 10; i++) expect(dp.agreeStop('step')).toBeUndefined();
      expect(dp.agreeStop('step')).toBe('again');
    } finally {
      dp.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a count below one', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vbt-stop-'));
    try {
      expect(() => DataParallel.connect({ rank: 0, worldSize: 1, rendezvousFile: path.join(dir, 'store'), stopCheckEverySteps: 0 })).toThrow(/stopCheckEverySteps must be an integer in 1\.\./);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
