/** Fitting the progress display to the terminal's width: src/report/terminal-layout.ts and the status line's segments. */
import { describe, expect, it } from 'vitest';
import { statusSegments } from '../../src/report/progress.js';
import { type StatusSegment, displayWidth, fitStatusLine, wrapLine } from '../../src/report/terminal-layout.js';

const ISSUE_LINE =
  '[finetune epoch 9 step 392] val loss 3.4827 | high CCC 0.445 | culture CCC 0.425 | two CCC 0.667 | type UAR 0.438 | country UAR 0.470 | score 0.4891 (best of stage)';
const STAGE_LINE =
  'stage 2/2 "finetune": backbone frozen: none, 214 trainable tensors, 10 epochs × 40 steps, adamw lr 0.00002, cached backbone features, device cuda:0, bf16 autocast';

/** The wrapped lines put back together: trimmed and joined by one space. */
function rejoin(lines: readonly string[]): string {
  return lines.map((l) => l.trim()).join(' ');
}

describe('displayWidth', () => {
  it('counts columns, not UTF-16 units', () => {
    expect(displayWidth('step 3/10')).toBe(9);
    expect(displayWidth('█░× é')).toBe(5);
    expect(displayWidth('e\u0301')).toBe(1); // e + combining acute
    expect(displayWidth('日本')).toBe(4);
    expect(displayWidth('🎉')).toBe(2);
    expect(displayWidth('')).toBe(0);
  });

  it('gives escape sequences no width', () => {
    expect(displayWidth('\u001b[1mbold\u001b[0m \u001b[K\u001b]0;title\u0007x')).toBe(6);
  });
});

describe('wrapLine', () => {
  it('leaves a line that fits alone', () => {
    expect(wrapLine('val loss 3.4827 | score 0.4891', 80)).toEqual(['val loss 3.4827 | score 0.4891']);
    expect(wrapLine('', 80)).toEqual(['']);
  });

  it('breaks a validation line at its separators, indented under the text after the tag (80 columns)', () => {
    expect(wrapLine(ISSUE_LINE, 80)).toEqual([
      '[finetune epoch 9 step 392] val loss 3.4827 | high CCC 0.445 |',
      '                            culture CCC 0.425 | two CCC 0.667 | type UAR 0.438 |',
      '                            country UAR 0.470 | score 0.4891 (best of stage)',
    ]);
  });

  it('at 130 columns, keeps the issue line to two lines with score whole', () => {
    expect(wrapLine(ISSUE_LINE, 130)).toEqual([
      '[finetune epoch 9 step 392] val loss 3.4827 | high CCC 0.445 | culture CCC 0.425 | two CCC 0.667 | type UAR 0.438 |',
      '                            country UAR 0.470 | score 0.4891 (best of stage)',
    ]);
  });

  it('breaks a line without ` | ` at `, `, indented by 4', () => {
    const lines = wrapLine(STAGE_LINE, 80);
    expect(lines[0]).toBe('stage 2/2 "finetune": backbone frozen: none, 214 trainable tensors,');
    expect(lines.slice(1).every((l) => l.startsWith('    ') && !l.startsWith('     '))).toBe(true);
    expect(rejoin(lines)).toBe(STAGE_LINE);
  });

  it('keeps every width from 20 to 200: no line too wide, nothing lost, no field or number cut', () => {
    for (let width = 20; width <= 200; width++) {
      for (const line of [ISSUE_LINE, STAGE_LINE]) {
        const lines = wrapLine(line, width);
        for (const l of lines) expect(displayWidth(l), `${width}: ${l}`).toBeLessThanOrEqual(width);
        expect(rejoin(lines)).toBe(line);
        // Every number is whole on one line.
        for (const number of line.match(/\d+(?:[.:/]\d+)*/g)!) {
          expect(
            lines.some((l) => new RegExp(`(^|[^\\d.])${number.replace(/[./]/g, '\\$&')}($|[^\\d.])`).test(l)),
            `${width}: ${number}`,
          ).toBe(true);
        }
        // A `|` ends a line or sits inside one; it never starts one.
        for (const l of lines) expect(l.trimStart().startsWith('|'), `${width}: ${l}`).toBe(false);
      }
    }
  });

  it('falls back to spaces, then splits a word longer than the line (keeping all of it)', () => {
    expect(wrapLine('alpha beta gamma delta', 11)).toEqual(['alpha beta', 'gamma delta']);
    expect(wrapLine('checkpoint runs/avb-mtl-2026-11-23T10-00-00/checkpoints/last', 24)).toEqual([
      'checkpoint',
      '    runs/avb-mtl-2026-11',
      '    -23T10-00-00/checkpo',
      '    ints/last',
    ]);
  });

  it('breaks each line of a multi-line text, and leaves text alone at a width below 1', () => {
    expect(wrapLine('one two three\nfour', 9)).toEqual(['one two', 'three', 'four']); // no indent below 20 columns
    expect(wrapLine('one two three four five six\nseven', 20)).toEqual(['one two three four', '    five six', 'seven']);
    expect(wrapLine(ISSUE_LINE, 0)).toEqual([ISSUE_LINE]);
    expect(wrapLine(ISSUE_LINE, Number.NaN)).toEqual([ISSUE_LINE]);
  });

  it('measures wide characters by their columns', () => {
    expect(wrapLine('日本語 | 日本語 | 日本語', 17)).toEqual(['日本語 | 日本語 |', '日本語']);
    expect(wrapLine('日本語 | 日本語 | 日本語', 16)).toEqual(['日本語 |', '日本語 | 日本語']);
  });
});

describe('fitStatusLine', () => {
  const bar: StatusSegment = { text: '', drop: 4, joiner: ' ', flex: { min: 4, max: 10, render: (n) => '#'.repeat(n) } };
  const segments: StatusSegment[] = [
    { text: 'stage', drop: 6 },
    bar,
    { text: '50.0%', drop: 9, joiner: ' ' },
    { text: 'step 5/10', drop: 10 },
    { text: 'loss 0.2500', drop: 8 },
    { text: '99.0 samples/s', drop: 3 },
  ];

  it('shows everything with the widest bar when there is room', () => {
    expect(fitStatusLine(segments, 200)).toBe('stage ########## 50.0% | step 5/10 | loss 0.2500 | 99.0 samples/s');
  });

  it('shrinks the bar before leaving anything out', () => {
    const full = 'stage ########## 50.0% | step 5/10 | loss 0.2500 | 99.0 samples/s';
    expect(fitStatusLine(segments, full.length - 3)).toBe('stage ####### 50.0% | step 5/10 | loss 0.2500 | 99.0 samples/s');
    expect(fitStatusLine(segments, full.length - 6)).toBe('stage #### 50.0% | step 5/10 | loss 0.2500 | 99.0 samples/s');
  });

  it('then leaves out the least important segments whole', () => {
    expect(fitStatusLine(segments, 48)).toBe('stage ########## 50.0% | step 5/10 | loss 0.2500');
    expect(fitStatusLine(segments, 45)).toBe('stage ####### 50.0% | step 5/10 | loss 0.2500');
    expect(fitStatusLine(segments, 42)).toBe('stage #### 50.0% | step 5/10 | loss 0.2500');
    expect(fitStatusLine(segments, 41)).toBe('stage 50.0% | step 5/10 | loss 0.2500');
    // The label does not fit any more, the (less important) bar at its narrowest does.
    expect(fitStatusLine(segments, 36)).toBe('#### 50.0% | step 5/10 | loss 0.2500');
    expect(fitStatusLine(segments, 35)).toBe('50.0% | step 5/10 | loss 0.2500');
    expect(fitStatusLine(segments, 20)).toBe('50.0% | step 5/10');
    expect(fitStatusLine(segments, 9)).toBe('step 5/10');
    // Too narrow for the step count: a shorter, less important segment still fits.
    expect(fitStatusLine(segments, 6)).toBe('50.0%');
    expect(fitStatusLine(segments, 4)).toBe('####');
    expect(fitStatusLine(segments, 3)).toBe('');
  });
});

describe('the status line at every width', () => {
  const fields = { loss: 0.123456, samplesPerSec: 321.45, audioSecondsPerSec: 812.3, epoch: 7, stage: 'finetune' };
  const whole = [
    /^step 392\/1000$/,
    /^epoch 7$/,
    /^loss 0\.1235$/,
    /^321\.4 samples\/s$/,
    /^812\.3 audio-s\/s$/,
    /^ETA 4m05s$/,
  ];

  it('is made of whole fields only and keeps to the width', () => {
    for (let width = 1; width <= 200; width++) {
      const line = fitStatusLine(statusSegments(392, 1000, fields, 245, 'finetune'), width);
      expect(displayWidth(line), `${width}: ${line}`).toBeLessThanOrEqual(width);
      if (line === '') continue;
      const pieces = line.split(' | ');
      // The first piece is label, bar and percent (each may be left out), unless all three are.
      if (!whole.some((p) => p.test(pieces[0]!))) {
        expect(pieces.shift(), `${width}: ${line}`).toMatch(/^(?:finetune(?: |$))?(?:[█░]{10,28}(?: |$))?(?: *39\.2%)?$/);
      }
      for (const field of pieces) expect(whole.some((p) => p.test(field)), `${width}: "${field}"`).toBe(true);
    }
  });

  it('at 130 columns shows every field; at 80, the step, epoch, loss and ETA; the stage only once', () => {
    expect(fitStatusLine(statusSegments(392, 1000, fields, 245, 'finetune'), 129)).toMatch(
      /^finetune [█░]{10,28}  39\.2% \| step 392\/1000 \| epoch 7 \| loss 0\.1235 \| 321\.4 samples\/s \| 812\.3 audio-s\/s \| ETA 4m05s$/,
    );
    expect(fitStatusLine(statusSegments(392, 1000, fields, 245, 'finetune'), 79)).toMatch(
      /^finetune [█░]{10,28}  39\.2% \| step 392\/1000 \| epoch 7 \| loss 0\.1235 \| ETA 4m05s$/,
    );
    // A stage field unlike the label is shown.
    expect(fitStatusLine(statusSegments(1, 2, { stage: 'other' }, Number.NaN, 'heads'), 200)).toContain('| stage other |');
  });

  it('fills the bar by the progress', () => {
    expect(fitStatusLine(statusSegments(0, 10, {}, Number.NaN), 200)).toBe(`${'░'.repeat(28)}   0.0% | step 0/10 | ETA ?`);
    expect(fitStatusLine(statusSegments(10, 10, {}, 0), 200)).toBe(`${'█'.repeat(28)} 100.0% | step 10/10 | ETA 0s`);
    expect(fitStatusLine(statusSegments(3, 0, {}, 0), 200)).toBe(`${'░'.repeat(28)}   0.0% | step 3/0 | ETA 0s`);
  });
});
