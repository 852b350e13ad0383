/**
 * The shape of a prediction as users see it (the `vbt predict` JSON lines,
 * the server's answers, `Predictor` results): per task, regression outputs
 * by label name, age in years, classification as {class: probability}; and
 * how those are written as JSON and CSV.
 *
 *   {"file": "a.wav", "start": 0, "end": 2.31,
 *    "outputs": {"high": {"Awe": 0.31, ...}, "two": {"Valence": 0.52, "Arousal": 0.7},
 *                "type": {"Laugh": 0.81, "Gasp": 0.07, ...}, "age": 27.4}}
 *
 * Numbers are the model's float32 values; serialised, each is written in
 * the shortest decimal form that reads back as the same float32.
 */
import { TASKS, TASK_SPECS, type Task, unscaleAge } from '../tasks.js';
import { taskColumns } from './raw-predictions.js';

/** Outputs of one prediction, by task (only the model's tasks are present). */
export interface TaskOutputs {
  /** The ten emotion intensities in [0, 1], by name (Awe ... Surprise). */
  high?: Record<string, number>;
  /** The 40 `<Country>_<Emotion>` intensities in [0, 1]. */
  culture?: Record<string, number>;
  /** Valence and Arousal in [0, 1]. */
  two?: Record<string, number>;
  /** Burst type probabilities by class (Gasp ... Other); with `top`, the K most probable, most probable first. */
  type?: Record<string, number>;
  /** Country probabilities by class (China, South Africa, United States, Venezuela); `top` as for type. */
  country?: Record<string, number>;
  /** Age in years. */
  age?: number;
}

/** One task's values for one prediction, as the model gives them (age scaled to [0, 1]). */
export type TaskValues = Partial<Record<Task, Float32Array>>;

/** Age in years from the model's scaled output, rounded to float32 as evaluation does. */
export function ageYears(scaled: number): number {
  return Math.fround(unscaleAge(scaled));
}

/** Users' outputs from raw values; `top` keeps the K most probable classes of classification tasks. */
export function taskOutputs(values: TaskValues, top?: number): TaskOutputs {
  const out: TaskOutputs = {};
  for (const task of TASKS) {
    const v = values[task];
    if (v === undefined) continue;
    const spec = TASK_SPECS[task];
    if (task === 'age') {
      out.age = ageYears(v[0]!);
      continue;
    }
    let entries = spec.labels.map((label, k) => [label, v[k]!] as [string, number]);
    if (spec.kind === 'classification' && top !== undefined) {
      entries = entries
        .map((e, k) => [e, k] as const)
        .sort((a, b) => b[0][1] - a[0][1] || a[1] - b[1])
        .slice(0, top)
        .map(([e]) => e);
    }
    (out as Record<string, unknown>)[task] = Object.fromEntries(entries);
  }
  return out;
}

/** The shortest decimal that reads back as the same float32 (a float32 value prints as 0.3, not 0.30000001192092896). */
export function shortestFloat32(value: number): number {
  if (!Number.isFinite(value) || value === 0) return value;
  const target = Math.fround(value);
  if (target !== value) return value; // not a float32: leave it
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === target) return candidate;
  }
  return value;
}

/** JSON.stringify replacer writing float32 numbers shortest. */
export function float32Replacer(_key: string, value: unknown): unknown {
  return typeof value === 'number' ? shortestFloat32(value) : value;
}

/** Seconds rounded to the microsecond (window bounds are sample counts over the rate). */
export function seconds(samples: number, sampleRate: number): number {
  return Math.round((samples / sampleRate) * 1e6) / 1e6;
}

/** One prediction line: what `vbt predict` prints per file (or per window) and the server returns. */
export interface PredictionLine {
  file: string | null;
  start: number;
  end: number;
  outputs: TaskOutputs;
}

/** A line as JSON text (no newline). */
export function predictionJson(line: PredictionLine): string {
  return JSON.stringify(line, float32Replacer);
}

function csvField(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function csvNumber(value: number): string {
  return String(shortestFloat32(value));
}

/**
 * CSV columns for the model's tasks: `file,start,end`, then the raw
 * predictions file's columns (`high:Awe`, `age:Age`, `type:p:Gasp`...); with
 * `top`, each classification task has `type:1,type:1:p,...,type:K,type:K:p`
 * (the K most probable classes and their probabilities) instead.
 */
export function csvHeader(tasks: readonly Task[], top?: number): string {
  const columns = ['file', 'start', 'end'];
  for (const task of TASKS.filter((t) => tasks.includes(t))) {
    if (TASK_SPECS[task].kind === 'classification' && top !== undefined) {
      const k = Math.min(top, TASK_SPECS[task].size);
      for (let i = 1; i <= k; i++) columns.push(`${task}:${i}`, `${task}:${i}:p`);
    } else {
      columns.push(...taskColumns(task));
    }
  }
  return columns.map(csvField).join(',');
}

/** One CSV row matching csvHeader (same tasks and top). */
export function csvRow(tasks: readonly Task[], line: PredictionLine, top?: number): string {
  const cells = [csvField(line.file ?? ''), String(line.start), String(line.end)];
  for (const task of TASKS.filter((t) => tasks.includes(t))) {
    const value = line.outputs[task];
    if (value === undefined) throw new Error(`csvRow: no ${task} output`);
    if (typeof value === 'number') {
      cells.push(csvNumber(value));
    } else if (TASK_SPECS[task].kind === 'classification' && top !== undefined) {
      for (const [label, p] of Object.entries(value)) cells.push(csvField(label), csvNumber(p));
    } else {
      for (const label of TASK_SPECS[task].labels) cells.push(csvNumber(value[label]!));
    }
  }
  return cells.join(',');
}
