/**
 * A-VB 2022 submission files, one per task: File_ID (bracketed) and the
 * task's columns by name — high: the 10 emotions; two: Valence, Arousal;
 * culture: the 40 country_emotion columns; type: Voc_Type (the class name).
 */
import path from 'node:path';
import { BURST_TYPES, TASK_SPECS, type Task } from '../tasks.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { ClipPredictions } from './raw-predictions.js';

const AVB_TASKS: readonly Task[] = ['high', 'two', 'culture', 'type'];

function quote(text: string): string {
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The CSV text of one task's submission. */
export function avbSubmissionCsv(p: ClipPredictions, task: Task): string {
  const entry = p.byTask[task];
  if (!entry) throw new Error(`no predictions for task ${task}`);
  const spec = TASK_SPECS[task];
  const header = spec.kind === 'classification' ? ['File_ID', 'Voc_Type'] : ['File_ID', ...spec.labels];
  const lines = [header.map(quote).join(',')];
  p.ids.forEach((id, row) => {
    const values = entry.values.slice(row * entry.size, (row + 1) * entry.size);
    const cells =
      spec.kind === 'classification'
        ? [BURST_TYPES[values.indexOf(Math.max(...values))]!]
        : values.map((v) => v.toFixed(6));
    lines.push([`[${id}]`, ...cells].map(quote).join(','));
  });
  return `${lines.join('\n')}\n`;
}

/** Write avb_<task>.csv for each A-VB task present; returns the files. */
export function writeAvbSubmissions(dir: string, p: ClipPredictions): string[] {
  const files: string[] = [];
  for (const task of AVB_TASKS) {
    if (!p.byTask[task]) continue;
    const file = path.join(dir, `avb_${task}.csv`);
    writeFileAtomic(file, avbSubmissionCsv(p, task));
    files.push(file);
  }
  return files;
}
