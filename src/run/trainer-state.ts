/**
 * Where training stands, as a checkpoint records it in `trainer.json`:
 * enough to continue exactly from there. Validated on read, so a damaged or
 * foreign file is an error naming the file and the field, never a resume
 * that silently starts somewhere else.
 */
import { z } from 'zod';

const count = z.number().int().nonnegative();

export const EarlyStoppingStateSchema = z.strictObject({
  /** Best monitored value of the stage so far. */
  best: z.number().nullable(),
  /** Validations since the last improvement. */
  bad: count,
});
export type EarlyStoppingState = z.infer<typeof EarlyStoppingStateSchema>;

export const TrainerStateSchema = z.strictObject({
  version: z.literal(1),
  /** Index of the current stage. */
  stage: count,
  /** Epoch within the stage (0-based) of the next batch. */
  epoch: count,
  /** Batches of that epoch already consumed. */
  batchInEpoch: count,
  /** Optimizer steps taken in this stage. */
  stepInStage: count,
  /** Optimizer steps taken in the whole run. */
  globalStep: count,
  earlyStopping: EarlyStoppingStateSchema,
  /** The best validation of the run so far. */
  best: z.strictObject({ value: z.number(), stage: count, epoch: z.number().nonnegative(), step: count }).nullable(),
  /** Best monitor value per finished stage. */
  stageBest: z.array(z.number().nullable()),
  /** Whether the backbone weights differ from the initial export. */
  backboneTrained: z.boolean(),
  /** Set when a stage ended (patience, epochs, steps); the next run moves on. */
  stageDone: z.boolean(),
  /** True once every stage finished. */
  finished: z.boolean(),
});
export type TrainerState = z.infer<typeof TrainerStateSchema>;

/** The state of a run that has not taken a step. */
export function initialTrainerState(): TrainerState {
  return {
    version: 1,
    stage: 0,
    epoch: 0,
    batchInEpoch: 0,
    stepInStage: 0,
    globalStep: 0,
    earlyStopping: { best: null, bad: 0 },
    best: null,
    stageBest: [],
    backboneTrained: false,
    stageDone: false,
    finished: false,
  };
}
