/**
 * The raw predictions file (predictions/<split>/predictions.csv): one row per
 * clip, every output of every task, class probabilities rather than
 * decisions, so that runs can be ensembled and re-scored.
 *
 * Columns: `id` (clip id, without brackets), then per task in TASK_SPECS
 * order of its labels:
 *   regression:      `<task>:<label>`, e.g. `high:Awe`, `two:Valence`, `age:Age` (years)
 *   classification:  `<task>:p:<class>`, e.g. `country:p:China`
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { TASKS, TASK_SPECS, type Task } from '../tasks.js';
import { writeFileAtomic } from '../util/atomic-write.js';

import type { ClipPredictions } from '../run/clip-predictions.js';

export type { ClipPredictions };

/** Column names of a task in the raw file. */
export function taskColumns(task: Task): string[] {
  const spec = TASK_SPECS[task];
  return spec.labels.map((label) => (spec.kind === 'classification' ? `${task}:p:${label}` : `${task}:${label}`));
}

function csvField(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Serialise predictions (full float precision). */
export function formatRawPredictions(p: ClipPredictions): string {
  const tasks = TASKS.filter((t) => p.byTask[t] !== undefined);
  const header = ['id', ...tasks.flatMap(taskColumns)];
  const lines = [header.map(csvField).join(',')];
  p.ids.forEach((id, row) => {
    const cells = [csvField(id)];
    for (const t of tasks) {
      const { size, values } = p.byTask[t]!;
      for (let k = 0; k < size; k++) cells.push(String(values[row * size + k]));
    }
    lines.push(cells.join(','));
  });
  return `${lines.join('\n')}\n`;
}

export function writeRawPredictions(file: string, p: ClipPredictions): void {
  writeFileAtomic(file, formatRawPredictions(p));
}

/** Read a raw predictions file; errors name the file, row and column. */
export function readRawPredictions(file: string): ClipPredictions {
  let rows: string[][];
  try {
    rows = parse(readFileSync(file, 'utf8'), { skip_empty_lines: true, relax_column_count: false }) as string[][];
  } catch (err) {
    throw new Error(`${file}: cannot read predictions: ${(err as Error).message}`);
  }
  const header = rows[0];
  if (!header || header[0] !== 'id') throw new Error(`${file}: not a vbt predictions file (the first column must be 'id')`);
  const byTask: ClipPredictions['byTask'] = {};
  const columnOf = new Map(header.map((name, i) => [name, i]));
  for (const t of TASKS) {
    const cols = taskColumns(t);
    const present = cols.filter((c) => columnOf.has(c));
    if (present.length === 0) continue;
    if (present.length !== cols.length) {
      throw new Error(`${file}: task ${t} has only some of its columns (missing ${cols.filter((c) => !columnOf.has(c)).join(', ')})`);
    }
    byTask[t] = { size: cols.length, values: [] };
  }
  const ids: string[] = [];
  rows.slice(1).forEach((row, r) => {
    ids.push(row[0]!);
    for (const [t, entry] of Object.entries(byTask) as [Task, { size: number; values: number[] }][]) {
      for (const col of taskColumns(t)) {
        const cell = row[columnOf.get(col)!]!;
        const v = Number(cell);
        if (cell.trim() === '' || !Number.isFinite(v)) throw new Error(`${file}: row ${r + 2}, column ${col}: '${cell}' is not a number`);
        entry.values.push(v);
      }
    }
  });
  return { ids, byTask };
}
