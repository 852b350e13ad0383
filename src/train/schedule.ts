/**
 * Learning-rate schedules, stepped per optimizer step: linear warm-up from 0,
 * then constant, cosine to 0, or linear to 0 (as Hugging Face's
 * get_*_schedule_with_warmup).
 */
export type ScheduleKind = 'constant' | 'cosine' | 'linear';

export interface ScheduleSpec {
  kind: ScheduleKind;
  /** Optimizer steps of the whole stage. */
  totalSteps: number;
  /** Steps of linear warm-up at the start. */
  warmupSteps: number;
}

/** Multiplier of the base learning rate at optimizer step `step` (0-based). */
export function lrFactor(step: number, spec: ScheduleSpec): number {
  const warmup = Math.max(0, Math.floor(spec.warmupSteps));
  if (step < warmup) return step / warmup;
  if (spec.kind === 'constant') return 1;
  const span = Math.max(1, spec.totalSteps - warmup);
  const progress = Math.min(1, (step - warmup) / span);
  if (spec.kind === 'linear') return Math.max(0, 1 - progress);
  return 0.5 * (1 + Math.cos(Math.PI * progress));
}
