/**
 * The label schema shared by every corpus, model, loss and metric.
 *
 * Orders and integer encodings here are the project's contract: predictions
 * files, class indices and head outputs all follow them. They match the
 * A-VB 2022 and ExVo 2022 challenge files (see README, "Label encodings").
 */

/** The ten emotions of A-VB "high" and ExVo, in the challenge's column order. */
export const EMOTIONS = [
  'Awe',
  'Excitement',
  'Amusement',
  'Awkwardness',
  'Fear',
  'Horror',
  'Distress',
  'Triumph',
  'Sadness',
  'Surprise',
] as const;
export type Emotion = (typeof EMOTIONS)[number];

/**
 * Countries as written in the CSVs. The integer encoding is the ExVo
 * baseline's alphabetical one (China 0, South Africa 1, United States 2,
 * Venezuela 3), used for the country head and in ExVo submissions.
 */
export const COUNTRIES = ['China', 'South Africa', 'United States', 'Venezuela'] as const;
export type Country = (typeof COUNTRIES)[number];

/** Country order of the A-VB culture columns (differs from the encoding above). */
export const CULTURE_COUNTRY_ORDER = ['China', 'United States', 'South Africa', 'Venezuela'] as const;

/** Vocal burst types of A-VB "type", index = class id. */
export const BURST_TYPES = ['Gasp', 'Laugh', 'Cry', 'Scream', 'Grunt', 'Groan', 'Pant', 'Other'] as const;
export type BurstType = (typeof BURST_TYPES)[number];

/** The two dimensions of A-VB "two". */
export const TWO_DIMENSIONS = ['Valence', 'Arousal'] as const;

/**
 * The 40 culture columns in file order: for each country (China, United
 * States, South Africa, Venezuela) its nine `<Country>_<Emotion>` columns for
 * every emotion but Surprise, then the four `<Country>_Surprise` columns.
 */
export const CULTURE_COLUMNS: readonly string[] = [
  ...CULTURE_COUNTRY_ORDER.flatMap((c) => EMOTIONS.filter((e) => e !== 'Surprise').map((e) => `${c}_${e}`)),
  ...CULTURE_COUNTRY_ORDER.map((c) => `${c}_Surprise`),
];

/** Speaker age range in the ExVo corpus (years); used to scale age to [0, 1]. */
export const AGE_RANGE = { min: 20, max: 39 } as const;

/** All tasks either recipe trains. */
export const TASKS = ['high', 'culture', 'two', 'type', 'country', 'age'] as const;
export type Task = (typeof TASKS)[number];

export type TaskKind = 'regression' | 'classification';

/** What a task predicts and how it is scored. */
export interface TaskSpec {
  readonly name: Task;
  readonly kind: TaskKind;
  /** Number of outputs (regression) or classes (classification). */
  readonly size: number;
  /** Output names (regression) or class names (classification), index-aligned. */
  readonly labels: readonly string[];
  /** The challenge metric for this task. */
  readonly metric: 'ccc' | 'uar' | 'mae';
}

export const TASK_SPECS: { readonly [T in Task]: TaskSpec } = {
  high: { name: 'high', kind: 'regression', size: 10, labels: EMOTIONS, metric: 'ccc' },
  culture: { name: 'culture', kind: 'regression', size: 40, labels: CULTURE_COLUMNS, metric: 'ccc' },
  two: { name: 'two', kind: 'regression', size: 2, labels: TWO_DIMENSIONS, metric: 'ccc' },
  type: { name: 'type', kind: 'classification', size: 8, labels: BURST_TYPES, metric: 'uar' },
  country: { name: 'country', kind: 'classification', size: 4, labels: COUNTRIES, metric: 'uar' },
  age: { name: 'age', kind: 'regression', size: 1, labels: ['Age'], metric: 'mae' },
};

export const SPLITS = ['Train', 'Val', 'Test'] as const;
export type Split = (typeof SPLITS)[number];

/**
 * Labels of one clip. Regression tasks hold one number per output (age in
 * years, unscaled); classification tasks hold the class index. A task the
 * corpus lacks, or a row without labels (test split), leaves it undefined.
 */
export interface Labels {
  high?: Float32Array;
  culture?: Float32Array;
  two?: Float32Array;
  type?: number;
  country?: number;
  age?: number;
}

/** Parse a country name as written in the CSVs; undefined if unknown. */
export function countryIndex(name: string): number | undefined {
  const i = (COUNTRIES as readonly string[]).indexOf(name.trim());
  return i < 0 ? undefined : i;
}

/** Parse a burst type name as written in the CSVs; undefined if unknown. */
export function burstTypeIndex(name: string): number | undefined {
  const i = (BURST_TYPES as readonly string[]).indexOf(name.trim());
  return i < 0 ? undefined : i;
}

/** Scale an age in years to [0, 1] over AGE_RANGE (recipe B's target). */
export function scaleAge(years: number): number {
  return (years - AGE_RANGE.min) / (AGE_RANGE.max - AGE_RANGE.min);
}

/** Undo scaleAge: back to years. */
export function unscaleAge(scaled: number): number {
  return scaled * (AGE_RANGE.max - AGE_RANGE.min) + AGE_RANGE.min;
}
