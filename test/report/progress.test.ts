import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import {
  BarProgress,
  EtaEstimator,
  PlainProgress,
  RecordingProgress,
  SilentProgress,
  createProgressReporter,
  formatDuration,
} from '../../src/report/progress.js';
import { displayWidth } from '../../src/report/terminal-layout.js';

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

  it('keeps the last loss on updates that carry none', () => {
    const out = fakeStream(false);
    // a clock that stands still, so the ETA stays unknown whatever the machine's speed
    const p = new PlainProgress(out, { everySteps: 5, now: fakeClock().now });
    p.start(20);
    p.update(1, { loss: 0.5, epoch: 0 });
    p.update(6, { epoch: 0 });
    expect(out.text().trimEnd().split('\n').at(-1)).toBe('step 6/20 | epoch 0 | loss 0.5000 | ETA ?');
  });

  it('shows a NaN loss as NaN', () => {
    const out = fakeStream(false);
    const p = new PlainProgress(out, { everySteps: 1 });
    p.start(2);
    p.update(1, { loss: Number.NaN });
    expect(out.text()).toContain('loss NaN');
  });
});

/** A fake terminal: keeps what is written, `columns` wide, emits 'resize'. */
function fakeTerminal(columns: number): EventEmitter & { isTTY: true; columns: number; write(chunk: string): boolean; text(): string } {
  const chunks: string[] = [];
  return Object.assign(new EventEmitter(), {
    isTTY: true as const,
    columns,
    write(chunk: string) {
      chunks.push(chunk);
      return true;
    },
    text: () => chunks.join(''),
  });
}

/** Status lines drawn (`\r` TEXT `ESC [ K`), in order. */
function draws(text: string): string[] {
  return [...text.matchAll(/\r([^\r\n\u001b]+)\u001b\[K/g)].map((m) => m[1]!);
}

const LONG_VALIDATION =
  '[finetune epoch 9 step 392] val loss 3.4827 | high CCC 0.445 | culture CCC 0.425 | two CCC 0.667 | type UAR 0.438 | country UAR 0.470 | score 0.4891 (best of stage)';

describe('BarProgress (TTY)', () => {
  it('draws a status line with the fields and prints logged lines above it', () => {
    const out = fakeTerminal(200);
    const p = createProgressReporter({ stream: out, env: { TERM: 'xterm-256color' }, redrawMs: 0 });
    expect(p).toBeInstanceOf(BarProgress);
    p.start(200, 'finetune');
    p.update(50, { loss: 0.25, samplesPerSec: 100, audioSecondsPerSec: 250, stage: 'finetune', epoch: 1 });
    p.log('validation done');
    p.stop();
    p.stop(); // idempotent
    const text = out.text();
    const last = draws(text).at(-1)!;
    expect(last).toMatch(/^finetune [█░]{28}  25\.0% \| step 50\/200 \| epoch 1 \| loss 0\.2500 \| 100\.0 samples\/s \| 250\.0 audio-s\/s \| ETA \?$/);
    // The log line erases the status line, prints, and the status line comes back below it.
    expect(text).toContain('\r\u001b[Kvalidation done\n\rfinetune ');
    expect(text.endsWith('\u001b[K\n')).toBe(true);
    // Wrapping switched on once; never off; the cursor is never hidden.
    expect(text.split('\u001b[?7h')).toHaveLength(2);
    expect(text).not.toContain('\u001b[?7l');
    expect(text).not.toContain('\u001b[?25l');
  });

  it('keeps the status line and log lines within the width', () => {
    const out = fakeTerminal(60);
    const p = new BarProgress(out, { redrawMs: 0 });
    p.start(1000, 'finetune');
    for (let step = 1; step <= 1000; step += 37) p.update(step, { loss: 1 / step, samplesPerSec: 321.5, audioSecondsPerSec: 812.25, epoch: 3, stage: 'finetune' });
    p.log(LONG_VALIDATION);
    p.stop();
    for (const d of draws(out.text())) expect(displayWidth(d), d).toBeLessThanOrEqual(59);
    // What is left without the status draws and erases: the logged line, as printed.
    const logged = out.text().replace(/\u001b\[\?7h|\r[^\r\n\u001b]*\u001b\[K/g, '').split('\n');
    expect(logged.filter((l) => l !== '').length).toBeGreaterThan(1);
    for (const line of logged) expect(displayWidth(line), line).toBeLessThanOrEqual(60);
    expect(logged.join(' ').replace(/\s+/g, ' ')).toContain(LONG_VALIDATION);
  });

  it('redraws at the new width on resize and stops listening at stop', () => {
    const out = fakeTerminal(130);
    const p = new BarProgress(out, { redrawMs: 0 });
    p.start(400, 'finetune');
    p.update(200, { loss: 0.5, samplesPerSec: 123.4, audioSecondsPerSec: 456.7, epoch: 5 });
    expect(draws(out.text()).at(-1)).toContain('456.7 audio-s/s');
    expect(out.listenerCount('resize')).toBe(1);
    out.columns = 50;
    out.emit('resize');
    const redrawn = draws(out.text()).at(-1)!;
    expect(displayWidth(redrawn)).toBeLessThanOrEqual(49);
    expect(redrawn).toContain('step 200/400');
    p.stop();
    expect(out.listenerCount('resize')).toBe(0);
  });

  it('ends its status line with a newline when the process exits while it is shown', () => {
    const out = fakeTerminal(80);
    const before = new Set(process.listeners('exit'));
    const p = new BarProgress(out);
    p.start(10);
    const added = process.listeners('exit').filter((l) => !before.has(l));
    expect(added).toHaveLength(1);
    (added[0] as () => void)();
    expect(out.text().endsWith('\n')).toBe(true);
    p.stop();
    expect(process.listeners('exit').filter((l) => !before.has(l))).toHaveLength(0);
  });

  it('redraws at most every redrawMs, always at the last step, and flushes a held update', () => {
    vi.useFakeTimers();
    try {
      const out = fakeTerminal(120);
      const clock = fakeClock();
      const p = new BarProgress(out, { now: clock.now, redrawMs: 100 });
      p.start(100);
      clock.advance(100);
      p.update(1, { loss: 1 });
      clock.advance(10);
      p.update(2, { loss: 0.9 }); // within 100 ms of the last draw: held
      expect(draws(out.text()).at(-1)).toContain('step 1/100');
      clock.advance(90);
      vi.advanceTimersByTime(90);
      expect(draws(out.text()).at(-1)).toContain('step 2/100');
      p.update(100, { loss: 0.1 }); // the last step draws at once
      expect(draws(out.text()).at(-1)).toContain('step 100/100');
      p.update(100);
      p.stop();
      expect(draws(out.text()).at(-1)).toContain('loss 0.1000');
    } finally {
      vi.useRealTimers();
    }
  });

  it('keeps the loss and throughput of the last logging step on the steps in between', () => {
    const out = fakeTerminal(150);
    const p = new BarProgress(out, { redrawMs: 0 });
    p.start(10, 'heads');
    p.update(5, { loss: 0.75, samplesPerSec: 10, audioSecondsPerSec: 20, stage: 'heads', epoch: 0 });
    p.update(6, { stage: 'heads', epoch: 0 });
    const last = draws(out.text()).at(-1)!;
    expect(last).toContain('step 6/10');
    expect(last).toContain('loss 0.7500');
    expect(last).toContain('10.0 samples/s');
    p.start(20, 'finetune'); // a new stage starts without them
    expect(draws(out.text()).at(-1)).not.toContain('loss');
    p.stop();
  });

  it('prints log lines before start wrapped, without escape codes', () => {
    const out = fakeTerminal(80);
    const p = new BarProgress(out);
    p.log(LONG_VALIDATION);
    expect(out.text()).not.toContain('\u001b');
    expect(out.text().split('\n').every((l) => displayWidth(l) <= 80)).toBe(true);
  });
});

describe('createProgressReporter and the environment', () => {
  it('picks plain lines on a dumb terminal, the status line on others', () => {
    expect(createProgressReporter({ stream: fakeTerminal(80), env: { TERM: 'dumb' } })).toBeInstanceOf(PlainProgress);
    expect(createProgressReporter({ stream: fakeTerminal(80), env: { TERM: 'xterm' } })).toBeInstanceOf(BarProgress);
    expect(createProgressReporter({ stream: fakeTerminal(80), env: {} })).toBeInstanceOf(BarProgress);
    // An explicit mode wins.
    expect(createProgressReporter({ stream: fakeTerminal(80), env: { TERM: 'dumb' }, mode: 'bar' })).toBeInstanceOf(BarProgress);
    expect(createProgressReporter({ stream: fakeTerminal(80), env: { TERM: 'xterm' }, mode: 'plain' })).toBeInstanceOf(PlainProgress);
  });

  it('writes no colour codes, whatever NO_COLOR and FORCE_COLOR say', () => {
    for (const env of [{ TERM: 'xterm-256color' }, { TERM: 'xterm-256color', NO_COLOR: '1' }, { TERM: 'xterm-256color', FORCE_COLOR: '3' }]) {
      for (const stream of [fakeTerminal(100), fakeStream(false)]) {
        const p = createProgressReporter({ stream, env, everySteps: 1, redrawMs: 0 });
        p.start(3, 'heads');
        for (let step = 1; step <= 3; step++) p.update(step, { loss: 0.5, samplesPerSec: 1, audioSecondsPerSec: 2, epoch: 0 });
        p.log(LONG_VALIDATION);
        p.stop();
        expect(stream.text()).toContain('step 3/3');
        expect(stream.text()).not.toMatch(/\u001b\[[\d;:]*m/);
      }
    }
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
