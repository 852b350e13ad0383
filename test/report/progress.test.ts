import { describe, expect, it } from 'vitest';
import {
  BarProgress,
  EtaEstimator,
  PlainProgress,
  RecordingProgress,
  SilentProgress,
  createProgressReporter,
  formatDuration,
} from '../../src/report/progress.js';

/** A stream that keeps what is written; `isTTY` as given. */
function fakeStream(isTTY: boolean): { write(chunk: string): boolean; isTTY: boolean; text(): string } {
  const chunks: string[] = [];
  return {
    isTTY,
    write(chunk: string) {
      chunks.push(chunk);
      return true;
    },
    text: () => chunks.join(''),
  };
}

/** A clock advanced by hand, in milliseconds. */
function fakeClock(): { now: () => number; advance(ms: number): void } {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

describe('formatDuration', () => {
  it('formats hours, minutes and seconds', () => {
    expect(formatDuration(7)).toBe('7s');
    expect(formatDuration(245)).toBe('4m05s');
    expect(formatDuration(3723)).toBe('1h02m03s');
    expect(formatDuration(Number.NaN)).toBe('?');
  });
});

describe('EtaEstimator', () => {
  it('extrapolates the rate since the first update', () => {
    const clock = fakeClock();
    const eta = new EtaEstimator(clock.now);
    expect(eta.update(100, 1100)).toBeNaN(); // resumed at step 100: reference point
    clock.advance(10_000);
    // 50 steps in 10 s → 5 steps/s; 950 steps left → 190 s
    expect(eta.update(150, 1100)).toBeCloseTo(190, 9);
    expect(eta.update(1100, 1100)).toBe(0);
  });
});

describe('PlainProgress (non-TTY)', () => {
  it('prints plain lines every N steps with loss, throughput and ETA', () => {
    const out = fakeStream(false);
    const clock = fakeClock();
    const p = createProgressReporter({ stream: out, everySteps: 10, now: clock.now });
    expect(p).toBeInstanceOf(PlainProgress);
    p.start(30, 'stage heads');
    for (let step = 1; step <= 30; step++) {
      clock.advance(100);
      p.update(step, { loss: 1 / step, samplesPerSec: 320, audioSecondsPerSec: 812.5 });
    }
    p.log('validation: high CCC 0.512');
    p.stop();
    const lines = out.text().trimEnd().split('\n');
    // header, steps 1, 11, 21 (10 apart), 30 (the last), the logged line
    expect(lines).toHaveLength(6);
    expect(lines[0]).toBe('[stage heads] starting: 30 steps');
    expect(lines[1]).toMatch(/^\[stage heads\] step 1\/30 \| loss 1\.0000 \| 320\.0 samples\/s \| 812\.5 audio-s\/s \| ETA \?$/);
    expect(lines[2]).toContain('step 11/30');
    // 10 steps per second since step 1; 19 steps left → 1.9 s ≈ 2s
    expect(lines[2]).toContain('ETA 2s');
    expect(lines[3]).toContain('step 21/30');
    expect(lines[4]).toContain('step 30/30');
    expect(lines[4]).toContain('ETA 0s');
    expect(lines[5]).toBe('validation: high CCC 0.512');
    expect(out.text()).not.toContain('\u001b'); // no terminal escape codes
  });

  it('prints on a time interval and flushes the last update on stop', () => {
    const out = fakeStream(false);
    const clock = fakeClock();
    const p = new PlainProgress(out, { everySeconds: 5, now: clock.now });
    p.start(1000);
    for (let step = 1; step <= 120; step++) {
      clock.advance(100); // 12 s in total
      p.update(step, { loss: 0.5 });
    }
    p.stop();
    const steps = out
      .text()
      .split('\n')
      .filter((l) => l.startsWith('step'))
      .map((l) => Number(/step (\d+)/.exec(l)?.[1]));
    // first update, then every 5 s (50 steps), then the pending one at stop
    expect(steps).toEqual([1, 51, 101, 120]);
  });

  it('shows a NaN loss as NaN', () => {
    const out = fakeStream(false);
    const p = new PlainProgress(out, { everySteps: 1 });
    p.start(2);
    p.update(1, { loss: Number.NaN });
    expect(out.text()).toContain('loss NaN');
  });
});

describe('BarProgress (TTY)', () => {
  it('draws a bar with the fields and prints logged lines', () => {
    const out = fakeStream(true);
    const p = createProgressReporter({ stream: out });
    expect(p).toBeInstanceOf(BarProgress);
    p.start(200, 'finetune');
    p.update(50, { loss: 0.25, samplesPerSec: 100, audioSecondsPerSec: 250 });
    p.log('validation done');
    p.stop();
    p.stop(); // idempotent
    const text = out.text();
    expect(text).toContain('finetune');
    expect(text).toContain('25.0%');
    expect(text).toContain('step 50/200');
    expect(text).toContain('loss 0.2500');
    expect(text).toContain('100.0 samples/s');
    expect(text).toContain('250.0 audio-s/s');
    expect(text).toContain('validation done');
  });
});

describe('silent and recording reporters', () => {
  it('silent writes nothing', () => {
    const out = fakeStream(true);
    const p = createProgressReporter({ stream: out, mode: 'silent' });
    expect(p).toBeInstanceOf(SilentProgress);
    p.start(10);
    p.update(5, { loss: 1 });
    p.log('x');
    p.stop();
    expect(out.text()).toBe('');
  });

  it('recording keeps the calls in order', () => {
    const r = new RecordingProgress();
    r.start(10, 'a');
    r.update(3, { loss: 0.5 });
    r.log('hello');
    r.stop();
    expect(r.calls).toEqual([
      { method: 'start', total: 10, label: 'a' },
      { method: 'update', step: 3, fields: { loss: 0.5 } },
      { method: 'log', line: 'hello' },
      { method: 'stop' },
    ]);
  });
});
