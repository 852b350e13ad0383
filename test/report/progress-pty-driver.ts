/**
 * Runs progress-script.ts into `createProgressReporter()` on stderr, for
 * progress-pty.test.ts, which starts this under `script` (a pseudo-terminal).
 * Argument: `--resize COLS` makes the terminal COLS wide halfway through
 * the last stage (`stty cols`), and marks that point in the output with a
 * window-title sequence (OSC 0) so that the replay can resize its emulator
 * there too.
 */
import { execFileSync } from 'node:child_process';
import { createProgressReporter } from '../../src/report/progress.js';
import { RESIZE_MARK, runScript, scriptClock } from './progress-script.js';

const resizeAt = process.argv.indexOf('--resize');
const resizeTo = resizeAt >= 0 ? Number(process.argv[resizeAt + 1]) : undefined;

let resized: (() => void) | undefined;
// Registered before the reporter's own listener, so the mark comes before its redraw.
process.stderr.on('resize', () => {
  process.stderr.write(RESIZE_MARK);
  resized?.();
});

const clock = scriptClock();
const reporter = createProgressReporter({ now: clock.now, redrawMs: 0 });
await runScript(
  reporter,
  clock,
  resizeTo === undefined
    ? undefined
    : () =>
        new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('no resize event')), 5000);
          resized = () => {
            clearTimeout(timer);
            resolve();
          };
          execFileSync('stty', ['cols', String(resizeTo)], { stdio: ['inherit', 'ignore', 'inherit'] });
        }),
);
