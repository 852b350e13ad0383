/**
 * A short training run as the trainer reports it (stage lines, start, step
 * updates with and without loss, long validation lines, stop), replayed into
 * a progress reporter. Shared by progress-terminal.test.ts (in process) and
 * progress-pty-driver.ts (in a pseudo-terminal).
 */
import type { ProgressReporter } from '../../src/report/progress.js';

/** One stage of the run. */
interface ScriptStage {
  name: string;
  total: number;
  /** Logged before `start`, as the trainer does. */
  intro: string;
  /** Validation lines, spread evenly over the stage. */
  validations: string[];
  /** Logged after the last validation, if any. */
  outro?: string;
}

/** Validation lines as the trainer writes them (up to ~165 characters). */
export const STAGES: readonly ScriptStage[] = [
  {
    name: 'heads',
    total: 120,
    intro:
      'stage 1/2 "heads": backbone frozen: all, 12 trainable tensors, 3 epochs × 40 steps, adamw lr 0.001, cached backbone features, device cpu, fp32',
    validations: [
      '[heads epoch 1 step 40] val loss 4.1093 | high CCC 0.212 | culture CCC 0.187 | two CCC 0.391 | type UAR 0.254 | country UAR 0.318 | score 0.2240 (best of stage)',
      '[heads epoch 2 step 80] val loss 3.9021 | high CCC 0.301 | culture CCC 0.266 | two CCC 0.512 | type UAR 0.333 | country UAR 0.335 | score 0.2951 (best of stage)',
      '[heads epoch 3 step 120] val loss 3.8877 | high CCC 0.298 | culture CCC 0.271 | two CCC 0.509 | type UAR 0.341 | country UAR 0.329 | score 0.2947',
    ],
  },
  {
    name: 'finetune',
    total: 400,
    intro:
      'stage 2/2 "finetune": backbone frozen: none, 214 trainable tensors, 10 epochs × 40 steps, adamw lr 0.00002, device cuda:0, bf16 autocast',
    validations: [
      '[finetune epoch 2.5 step 220] val loss 3.6012 | high CCC 0.401 | culture CCC 0.377 | two CCC 0.603 | type UAR 0.402 | country UAR 0.431 | score 0.4428 (best of stage)',
      '[finetune epoch 5 step 320] val loss 3.5120 | high CCC 0.433 | culture CCC 0.409 | two CCC 0.641 | type UAR 0.425 | country UAR 0.455 | score 0.4731 (best of stage)',
      '[finetune epoch 7.5 step 420] val loss 3.4999 | high CCC 0.439 | culture CCC 0.418 | two CCC 0.655 | type UAR 0.431 | country UAR 0.466 | score 0.4817 (best of stage)',
      '[finetune epoch 9 step 392] val loss 3.4827 | high CCC 0.445 | culture CCC 0.425 | two CCC 0.667 | type UAR 0.438 | country UAR 0.470 | score 0.4891 (best of stage)',
      '[finetune epoch 10 step 520] val loss 3.4911 | high CCC 0.444 | culture CCC 0.423 | two CCC 0.664 | type UAR 0.437 | country UAR 0.468 | score 0.4873',
    ],
    outro: 'stage finetune: no improvement of score for 1 validations, stopping the stage',
  },
];

/** Every logged line, in order. */
export const LOGGED_LINES: readonly string[] = STAGES.flatMap((s) => [s.intro, ...s.validations, ...(s.outro ? [s.outro] : [])]);

/** The lines logged after the `midway` point of `runScript`. */
export const LINES_AFTER_MIDWAY: readonly string[] = (() => {
  const last = STAGES[STAGES.length - 1]!;
  const every = Math.floor(last.total / last.validations.length);
  const later = last.validations.filter((_, i) => (i + 1) * every > Math.floor(last.total / 2));
  return [...later, ...(last.outro ? [last.outro] : [])];
})();

/** The loss reported at `step` (a logging step) and its throughput. */
export function lossAt(step: number): number {
  return 2 / Math.sqrt(step + 1);
}

/** What progress-pty-driver.ts writes when the terminal has been resized: a window title (OSC 0), which shows nothing. */
export const RESIZE_MARK = '\u001b]0;vbt-resized\u0007';

/** Steps between updates that carry the loss and throughput (the trainer's logEvery). */
export const LOG_EVERY = 5;

/** A fake clock (milliseconds), moved by the script: 250 ms per step. */
export function scriptClock(): { now: () => number; advance(ms: number): void } {
  let t = 1_700_000_000_000;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

/**
 * Runs the script into `reporter`, moving `clock` on. `midway` (if given) is
 * awaited once, halfway through the last stage (the pty test resizes the
 * terminal there).
 */
export async function runScript(reporter: ProgressReporter, clock: { advance(ms: number): void }, midway?: () => Promise<void>): Promise<void> {
  for (const [index, stage] of STAGES.entries()) {
    reporter.log(stage.intro);
    reporter.start(stage.total, stage.name);
    reporter.update(0);
    const every = Math.floor(stage.total / stage.validations.length);
    for (let step = 1; step <= stage.total; step++) {
      clock.advance(250);
      const epoch = Math.floor((step - 1) / 40);
      if (step % LOG_EVERY === 0) {
        reporter.update(step, { loss: lossAt(step), samplesPerSec: 123.4, audioSecondsPerSec: 456.7, epoch, stage: stage.name });
      } else {
        reporter.update(step, { stage: stage.name, epoch });
      }
      if (step % every === 0 && step / every <= stage.validations.length) reporter.log(stage.validations[step / every - 1]!);
      if (midway && index === STAGES.length - 1 && step === Math.floor(stage.total / 2)) await midway();
    }
    if (stage.outro) reporter.log(stage.outro);
    reporter.stop(); // the trainer ends each stage's display
  }
  reporter.stop(); // and again at the end of `fit` (idempotent)
}
