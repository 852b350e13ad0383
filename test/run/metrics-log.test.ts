import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { evaluate } from '../../src/metrics/evaluation.js';
import {
  type MetricsRecord,
  MetricsLogWriter,
  parseMetricsLog,
  readMetricsLog,
  serializeRecord,
} from '../../src/run/metrics-log.js';

const dirs: string[] = [];
function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vbt-metrics-log-'));
  dirs.push(dir);
  return join(dir, 'metrics.jsonl');
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const train: MetricsRecord = {
  kind: 'train',
  time: '2024-05-01T10:00:00.000Z',
  step: 50,
  epoch: 0.25,
  stage: 'heads',
  loss: 0.8125,
  taskLosses: { high: 0.5, type: 1.25 },
  taskWeights: { high: 2, type: 0.5 },
  lr: { heads: 0.001 },
  throughput: { samplesPerSec: 96.5, audioSecondsPerSec: 240.25 },
};

const val: MetricsRecord = {
  kind: 'val',
  step: 100,
  epoch: 1,
  stage: 'heads',
  loss: 0.75,
  metrics: evaluate({
    high: { predictions: new Float32Array(20).map((_, i) => (i % 7) / 7), targets: new Float32Array(20).map((_, i) => (i % 5) / 5) },
    type: { predictions: [0, 1, 1, 2], targets: [0, 1, 2, 2] },
  }),
  monitor: { name: 'val/loss', value: 0.75, mode: 'min', best: true },
};

describe('metrics log', () => {
  it('round-trips records through the file, one line each', () => {
    const path = tempFile();
    const log = new MetricsLogWriter(path);
    log.write(train);
    log.write(val);
    log.close();
    const text = readFileSync(path, 'utf8');
    expect(text.split('\n')).toHaveLength(3); // two lines and the final newline
    expect(readMetricsLog(path)).toEqual([train, val]);
  });

  it('appends to an existing log (resume) and refuses writes after close', () => {
    const path = tempFile();
    const a = new MetricsLogWriter(path);
    a.write(train);
    a.close();
    a.close(); // idempotent
    expect(() => a.write(train)).toThrow(/closed/);
    {
      using b = new MetricsLogWriter(path);
      b.write(val);
    }
    expect(readMetricsLog(path).map((r) => r.kind)).toEqual(['train', 'val']);
  });

  it('keeps non-finite numbers', () => {
    const diverged: MetricsRecord = { ...train, loss: Number.NaN, taskLosses: { high: Infinity, type: -Infinity } };
    const line = serializeRecord(diverged);
    expect(line).toContain('"loss":"NaN"');
    const [back] = parseMetricsLog(`${line}\n`);
    expect(back?.kind).toBe('train');
    if (back?.kind !== 'train') return;
    expect(back.loss).toBeNaN();
    expect(back.taskLosses).toEqual({ high: Infinity, type: -Infinity });
  });

  it('drops a last line cut short by a kill, but not a bad line in the middle', () => {
    const path = tempFile();
    const log = new MetricsLogWriter(path);
    log.write(train);
    log.close();
    appendFileSync(path, '{"kind":"val","step":10');
    expect(readMetricsLog(path)).toEqual([train]);
    expect(() => parseMetricsLog(`${serializeRecord(train)}\n{"kind":"tr\n${serializeRecord(train)}\n`)).toThrow(/line 2/);
    expect(() => parseMetricsLog('{"kind":"other","step":1}\n')).toThrow(/line 1/);
  });
});
