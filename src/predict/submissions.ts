/**
 * Which challenge files a run's predictions of a corpus split make: the
 * A-VB files (avb_high.csv, avb_two.csv, avb_culture.csv, avb_type.csv) for
 * a corpus in the A-VB layout, the ExVo file (exvo-submission.csv) for one
 * in the ExVo layout; for a manifest corpus, which has no challenge of its
 * own, those of the recipe: A-VB for `avb-mtl`, ExVo for `burst2vec`.
 */
import path from 'node:path';
import type { ModelConfig } from '../config/schema.js';
import type { CorpusLayout } from '../data/corpus/corpus.js';
import { writeAvbSubmissions } from './avb-submission.js';
import { EXVO_SUBMISSION_FILE, hasExvoTasks, writeExvoSubmission } from './exvo-submission.js';
import type { ClipPredictions } from './raw-predictions.js';

export type SubmissionKind = 'avb' | 'exvo';

/** The challenge whose files a run's predictions of a corpus make. */
export function submissionKind(layout: CorpusLayout, model: ModelConfig['kind']): SubmissionKind {
  if (layout === 'avb' || layout === 'exvo') return layout;
  return model === 'avb-mtl' ? 'avb' : 'exvo';
}

/** Write the submission files of `kind` into `dir` (the tasks it needs being present); returns their paths. */
export function writeSubmissions(dir: string, predictions: ClipPredictions, kind: SubmissionKind): string[] {
  if (kind === 'avb') return writeAvbSubmissions(dir, predictions);
  if (!hasExvoTasks(predictions)) return [];
  const file = path.join(dir, EXVO_SUBMISSION_FILE);
  writeExvoSubmission(file, predictions);
  return [file];
}
