/**
 * `vbt ensemble` as a function: read the members' raw predictions of one
 * split, average them (combine-predictions.ts), write the ensemble's raw
 * predictions (and an ExVo submission when it predicts emotion, age and
 * country) in the layout of a run folder, and score the ensemble and each
 * member when a corpus with labels is given:
 *
 *   <out>/predictions/<split>/predictions.csv
 *   <out>/predictions/<split>/exvo-submission.csv
 *   <out>/ensemble-<split>.json      members, tasks, metrics
 *
 * An ensemble folder can itself be a member of a later ensemble.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Corpus } from '../data/corpus/corpus.js';
import { readAvbCorpus, readExvoCorpus } from '../data/index.js';
import type { Split, Task } from '../tasks.js';
import type { CccVariant } from '../metrics/index.js';
import { EXVO_SUBMISSION_FILE, hasExvoTasks, writeExvoSubmission } from '../predict/exvo-submission.js';
import { type ClipPredictions, readRawPredictions, writeRawPredictions } from '../predict/raw-predictions.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { EnsembleError, combinePredictions } from './combine-predictions.js';
import { resolvePredictionsFile, runPredictionsFile } from './prediction-sources.js';
import { type PredictionScore, scorePredictions } from './score-predictions.js';

/** A corpus whose labels score the predictions. */
export interface EnsembleCorpus {
  layout: 'exvo' | 'avb';
  root: string;
  skipBad?: boolean;
}

export interface EnsembleOptions {
  /** Run folders (with predictions/<split>/predictions.csv) or raw predictions files. */
  members: readonly string[];
  /** The split the predictions are of. Default 'Val'. */
  split?: Split;
  /** Folder to write into. */
  out: string;
  /** Replace the ensemble's files of this split if they exist. */
  overwrite?: boolean;
  /** Score against this corpus's labels of `split`. */
  corpus?: EnsembleCorpus;
  cccVariant?: CccVariant;
}

export interface EnsembleResult {
  split: Split;
  /** The raw predictions file of each member, in order. */
  memberFiles: string[];
  tasks: Task[];
  droppedTasks: Task[];
  clips: number;
  predictions: ClipPredictions;
  files: { raw: string; submission: string | null; summary: string };
  /** The ensemble's metrics (null without a corpus or labels). */
  score: PredictionScore | null;
  /** Each member's metrics on the same clips and tasks (null without a corpus or labels). */
  memberScores: (PredictionScore | null)[] | null;
}

function readCorpus(c: EnsembleCorpus): Corpus {
  const options = { skipBad: c.skipBad ?? false, probeAudio: false };
  return c.layout === 'exvo' ? readExvoCorpus(path.resolve(c.root), options) : readAvbCorpus(path.resolve(c.root), options);
}

/** Only the ensemble's tasks of a member, so member and ensemble are scored alike. */
function restrict(p: ClipPredictions, tasks: readonly Task[]): ClipPredictions {
  const byTask: ClipPredictions['byTask'] = {};
  for (const t of tasks) {
    const values = p.byTask[t];
    if (values) byTask[t] = values;
  }
  return { ids: p.ids, byTask };
}

/** Build, write and score an ensemble; see the module comment. */
export function runEnsemble(options: EnsembleOptions): EnsembleResult {
  const split = options.split ?? 'Val';
  if (options.members.length === 0) throw new EnsembleError('name at least one member (run folder or predictions file)');
  const raw = runPredictionsFile(options.out, split);
  if (existsSync(raw) && !options.overwrite) throw new EnsembleError(`${raw} exists: choose another --out or pass --overwrite`);

  const memberFiles = options.members.map((m) => resolvePredictionsFile(m, split));
  if (memberFiles.some((f) => path.resolve(f) === path.resolve(raw))) throw new EnsembleError(`the output ${raw} is also a member`);
  const members = memberFiles.map((f) => readRawPredictions(f));
  const { predictions, tasks, droppedTasks } = combinePredictions(members, memberFiles);

  // Score before writing, so a wrong split or corpus leaves nothing behind.
  let score: PredictionScore | null = null;
  let memberScores: (PredictionScore | null)[] | null = null;
  if (options.corpus) {
    const clips = readCorpus(options.corpus).clips.filter((c) => c.split === split);
    const scoring = options.cccVariant ? { cccVariant: options.cccVariant } : {};
    score = scorePredictions(predictions, clips, scoring);
    memberScores = members.map((m) => scorePredictions(restrict(m, tasks), clips, scoring));
  }

  mkdirSync(path.dirname(raw), { recursive: true });
  writeRawPredictions(raw, predictions);
  let submission: string | null = null;
  if (hasExvoTasks(predictions)) {
    submission = path.join(path.dirname(raw), EXVO_SUBMISSION_FILE);
    writeExvoSubmission(submission, predictions);
  }
  const summary = path.join(options.out, `ensemble-${split}.json`);
  const summaryJson = {
    split,
    members: memberFiles,
    tasks,
    droppedTasks,
    clips: predictions.ids.length,
    averaging: 'mean of regression outputs; mean of class probabilities, class = arg-max',
    metrics: score?.report ?? null,
    labelledClips: score?.labelledClips ?? null,
    memberMetrics: memberScores?.map((s) => s?.report ?? null) ?? null,
  };
  writeFileAtomic(summary, `${JSON.stringify(summaryJson, null, 2)}\n`);
  return {
    split,
    memberFiles,
    tasks,
    droppedTasks,
    clips: predictions.ids.length,
    predictions,
    files: { raw, submission, summary },
    score,
    memberScores,
  };
}
