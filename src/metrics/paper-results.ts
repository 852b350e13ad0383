/**
 * Published results of the two reproduced papers, for the report's
 * comparison table. Each row carries its source: paper, table and row; the
 * keys of `values` name the table's columns.
 *
 * Sources (text extracted from the PDFs; tables are garbled there, so each
 * value was read back against the papers' prose and against FACTS.md):
 * - Paper A (seed 000): data2vec multitask learning for the ACII A-VB 2022
 *   challenge, recipe `avb-mtl`. Table I: validation split; Table II: test.
 *   Both tables extract cleanly (one row per line).
 * - Paper B (seed 001): Burst2Vec, ICML ExVo 2022 multitask track, recipe
 *   `exvo-burst2vec`. Table 2: validation (Emo-CCC, Cou-UAR, Age-MAE, S_MTL)
 *   and test (S_MTL). Its text comes out column by column; the rows were
 *   rebuilt from the column order and checked three ways: every row's S_MTL
 *   equals 3/(1/CCC + 1/UAR + MAE) of its own three values to within
 *   rounding (a test asserts this), the significance marks (♣ vs WL♠, ♦ vs
 *   HL, ♥ vs HL♠) fall on the rows they should, and the prose ("V2, V3 and
 *   V5 are best for country, age and emotion", "HL♠ (V6) performs best on
 *   validation") matches the rebuilt rows.
 *
 * These values are for the real, licensed corpora. A run on the synthetic
 * demo corpus is not comparable to them.
 */

/** Columns of the papers' tables. */
export type PaperMetricKey =
  /** A-VB High: mean CCC over 10 emotions. */
  | 'high'
  /** A-VB Culture: mean CCC over 40 outputs. */
  | 'culture'
  /** A-VB Two: mean CCC of valence and arousal. */
  | 'two'
  /** A-VB Type: UAR. */
  | 'type'
  /** Country UAR as in paper A. */
  | 'country'
  /** ExVo Emo-CCC. */
  | 'emotionCcc'
  /** ExVo Cou-UAR. */
  | 'countryUar'
  /** ExVo Age-MAE (years). */
  | 'ageMae'
  /** ExVo S_MTL. */
  | 'smtl';

/** Where a published value comes from. */
export interface PaperSource {
  /** Short name of the paper. */
  paper: string;
  /** Seed file in the project's reference material. */
  seed: '000' | '001';
  /** Table as numbered in the paper. */
  table: string;
  /** Row label as printed. */
  row: string;
}

/** One row of a published results table. */
export interface PaperResult {
  /** Stable identifier. */
  id: string;
  /** The project recipe this row belongs to. */
  recipe: 'avb-mtl' | 'exvo-burst2vec';
  /** Data split the values were measured on. */
  split: 'validation' | 'test';
  /** Label shown in the report. */
  label: string;
  /** Paper, table and row of every value in `values`. */
  source: PaperSource;
  /** The row's values by column; a column the paper leaves empty ("–") is absent. */
  values: Partial<Record<PaperMetricKey, number>>;
  /** Shown in report.html by default. */
  inReport: boolean;
  /** Set where the reading of the source is uncertain. */
  doubt?: string;
}

const PAPER_A = 'data2vec multitask learning, ACII A-VB 2022 (hcmlab)';
const PAPER_B = 'Burst2Vec, ICML ExVo 2022 multitask';

function tableI(row: string, label: string, values: Partial<Record<PaperMetricKey, number>>, inReport = false): PaperResult {
  return {
    id: `avb-val-${row}`,
    recipe: 'avb-mtl',
    split: 'validation',
    label,
    source: { paper: PAPER_A, seed: '000', table: 'Table I', row },
    values,
    inReport,
  };
}

function tableII(row: string, label: string, values: Partial<Record<PaperMetricKey, number>>, inReport = false): PaperResult {
  return {
    id: `avb-test-${row}`,
    recipe: 'avb-mtl',
    split: 'test',
    label,
    source: { paper: PAPER_A, seed: '000', table: 'Table II', row },
    values,
    inReport,
  };
}

function table2(
  split: 'validation' | 'test',
  row: string,
  label: string,
  values: Partial<Record<PaperMetricKey, number>>,
  inReport = false,
  doubt?: string,
): PaperResult {
  const r: PaperResult = {
    id: `exvo-${split === 'validation' ? 'val' : 'test'}-${row}`,
    recipe: 'exvo-burst2vec',
    split,
    label,
    source: { paper: PAPER_B, seed: '001', table: 'Table 2', row },
    values,
    inReport,
  };
  if (doubt !== undefined) r.doubt = doubt;
  return r;
}

/**
 * Every published value the project compares against. Table I columns:
 * High CCC, Culture CCC, Two CCC, Type UAR, Country UAR. Table 2 columns:
 * Emo-CCC, Cou-UAR, Age-MAE (years), S_MTL.
 */
export const PAPER_RESULTS: readonly PaperResult[] = [
  // Paper A, Table I (validation). Rows are cumulative: each experiment
  // keeps the best setting of the previous block.
  tableI('Baseline', 'A-VB baseline', { high: 0.564, culture: 0.436, two: 0.499, type: 0.412 }, true),
  tableI('2/3', '2/3 (country, type first)', { high: 0.639, culture: 0.625, two: 0.252, type: 0.562, country: 0.631 }),
  tableI('1/4', '1/4 (country first)', { high: 0.628, culture: 0.614, two: 0.245, type: 0.542, country: 0.603 }),
  tableI('0/5', '0/5 (all tasks in parallel)', { high: 0.65, culture: 0.636, two: 0.254, type: 0.564, country: 0.633 }, true),
  tableI('MSE', 'MSE loss for Two', { high: 0.624, culture: 0.598, two: 0.244, type: 0.553, country: 0.591 }),
  tableI('MAE', 'MAE loss for Two', { high: 0.64, culture: 0.573, two: 0.251, type: 0.575, country: 0.655 }),
  tableI('-Two', '-Two (Two dropped)', { high: 0.651, culture: 0.637, type: 0.574, country: 0.645 }, true),
  tableI('-CW', '-CW (no class weights)', { high: 0.645, culture: 0.631, type: 0.276, country: 0.632 }),
  tableI('+SW', '+SW (sample weights by country)', { high: 0.643, culture: 0.629, type: 0.319, country: 0.644 }),
  tableI('-SM', '-SM (clamp, no sigmoid; best Type, Country)', { high: 0.654, culture: 0.639, type: 0.584, country: 0.657 }, true),
  tableI('B10m', 'B10m', { high: 0.656, culture: 0.642, type: 0.577, country: 0.655 }),
  tableI('B100h', 'B100h', { high: 0.639, culture: 0.624, type: 0.552, country: 0.634 }),
  tableI('B960h', 'B960h (best High, Culture)', { high: 0.658, culture: 0.642, type: 0.567, country: 0.647 }, true),
  tableI('-Country', '-Country', { high: 0.655, culture: 0.639, type: 0.57 }),
  tableI('L', 'L (large)', { high: 0.635, culture: 0.622, type: 0.554, country: 0.603 }),
  tableI('L960h', 'L960h', { high: 0.613, culture: 0.617, type: 0.54, country: 0.539 }),

  // Paper A, Table II (test; Two and Country were not submitted).
  tableII('Baseline', 'A-VB baseline', { high: 0.569, culture: 0.44, type: 0.417 }, true),
  tableII('-SM', '-SM', { high: 0.685, culture: 0.515, type: 0.586 }, true),
  tableII('B960h', 'B960h', { high: 0.679, culture: 0.526, type: 0.573 }, true),

  // Paper B, Table 2, validation columns.
  table2('validation', 'Baseline', 'ComParE baseline', { emotionCcc: 0.416, countryUar: 0.506, ageMae: 4.222, smtl: 0.349 }, true),
  table2('validation', 'V1', 'V1 Burst2Vec WL♠ (best single WL)', { emotionCcc: 0.653, countryUar: 0.672, ageMae: 3.672, smtl: 0.448 }, true,
    'The reference facts call WL the best single model; by validation S_MTL the paper ranks HL♠ (V6, .450) first and says so in its text.'),
  table2('validation', 'V2', 'V2 WL♠ –Adv', { emotionCcc: 0.645, countryUar: 0.676, ageMae: 3.709, smtl: 0.445 }),
  table2('validation', 'V3', 'V3 Burst2Vec HB', { emotionCcc: 0.652, countryUar: 0.606, ageMae: 3.594, smtl: 0.443 }, false,
    'The extracted table lists "Burst2Vec HB" then "–Adv" but has one row fewer than names; the prose calls V2, V3 and V5 the variants without adversarial debiasing, so V3 is probably HB –Adv.'),
  table2('validation', 'V4', 'V4 Burst2Vec HL', { emotionCcc: 0.675, countryUar: 0.638, ageMae: 3.638, smtl: 0.449 }),
  table2('validation', 'V5', 'V5 HL –Adv', { emotionCcc: 0.675, countryUar: 0.631, ageMae: 3.694, smtl: 0.444 }),
  table2('validation', 'V6', 'V6 Burst2Vec HL♠', { emotionCcc: 0.676, countryUar: 0.644, ageMae: 3.64, smtl: 0.45 }, true),
  table2('validation', 'V7', 'V7 HL♠ +Oversampling', { emotionCcc: 0.669, countryUar: 0.63, ageMae: 4.233, smtl: 0.41 }),
  table2('validation', 'Ensemble A', 'Ensemble A (V1–V3, V6)', { emotionCcc: 0.704, countryUar: 0.69, ageMae: 3.58, smtl: 0.465 }, true),
  table2('validation', 'Ensemble B', 'Ensemble B (V1–V3, V5, V6)', { emotionCcc: 0.708, countryUar: 0.688, ageMae: 3.589, smtl: 0.465 }),
  table2('validation', 'Ensemble C', 'Ensemble C (V1–V6)', { emotionCcc: 0.711, countryUar: 0.682, ageMae: 3.586, smtl: 0.464 }),

  // Paper B, Table 2, test column (S_MTL only). The column holds seven
  // entries for eleven rows (.335, .421, –, .417, .435, .432, .432); only
  // those whose row is certain are kept. The .417 entry belongs to one of
  // V3–V7 and the two .432 entries most likely to ensembles B and C.
  table2('test', 'Baseline', 'ComParE baseline', { smtl: 0.335 }, true),
  table2('test', 'V1', 'V1 Burst2Vec WL♠', { smtl: 0.421 }, true,
    'Read as the second entry of the garbled test column, directly after the baseline; not restated in the reference facts.'),
  table2('test', 'Ensemble A', 'Ensemble A (V1–V3, V6)', { smtl: 0.435 }, true),
];

/** Rows of one recipe (and split, if given), in table order. */
export function paperResults(recipe: PaperResult['recipe'], split?: PaperResult['split']): PaperResult[] {
  return PAPER_RESULTS.filter((r) => r.recipe === recipe && (split === undefined || r.split === split));
}

/** One row by id. */
export function paperResult(id: string): PaperResult | undefined {
  return PAPER_RESULTS.find((r) => r.id === id);
}
