/**
 * Culture ratings: how raters from each of the four countries would rate a
 * clip's emotions. Each rater country applies its own monotone transform per
 * emotion to the latent intensity (a power curve, a scale and a bias), raters
 * of the speaker's own country perceive the burst a little more intensely
 * (an in-group effect), and rater noise is added on top.
 *
 * The transforms are part of the model, not of a corpus: they come from a
 * fixed seed, so every synthetic corpus shares the same "cultures".
 */
import { CULTURE_COLUMNS, CULTURE_COUNTRY_ORDER, EMOTIONS, countryIndex } from '../tasks.js';
import { Rng } from '../util/rng.js';
import { clamp01 } from './sampling.js';

/** One rater country's monotone transform of one emotion: `clamp01(bias + scale · x^gamma)`. */
export interface RatingTransform {
  readonly gamma: number;
  readonly scale: number;
  readonly bias: number;
}

/** Fixed seed of the cultural transforms (model constant). */
const CULTURE_MODEL_SEED = 0xa7b2022;

/** Intensity multiplier applied by raters who share the speaker's country. */
export const IN_GROUP_BOOST = 1.12;

/** The transform of each culture column, in CULTURE_COLUMNS order. */
export const CULTURE_TRANSFORMS: readonly RatingTransform[] = buildTransforms();

function buildTransforms(): RatingTransform[] {
  const rng = new Rng(CULTURE_MODEL_SEED);
  return CULTURE_COLUMNS.map(() => ({
    gamma: Math.exp(rng.uniform(-0.35, 0.35)),
    scale: rng.uniform(0.8, 1.1),
    bias: rng.uniform(-0.04, 0.08),
  }));
}

/** For each culture column: the index of its emotion in EMOTIONS and of its rater country in COUNTRIES. */
export const CULTURE_COLUMN_SOURCES: readonly { readonly emotion: number; readonly raterCountry: number }[] =
  CULTURE_COLUMNS.map((column) => {
    const rater = CULTURE_COUNTRY_ORDER.find((c) => column.startsWith(`${c}_`));
    const emotionName = rater === undefined ? '' : column.slice(rater.length + 1);
    const emotion = (EMOTIONS as readonly string[]).indexOf(emotionName);
    const raterCountry = rater === undefined ? undefined : countryIndex(rater);
    if (emotion < 0 || raterCountry === undefined) throw new Error(`culture: cannot parse column '${column}'`);
    return { emotion, raterCountry };
  });

/**
 * The noise-free culture ratings of a clip (CULTURE_COLUMNS order).
 * @param emotions latent intensities, EMOTIONS order.
 * @param speakerCountry index into COUNTRIES of the speaker's labelled country.
 */
export function expectedCultureRatings(emotions: readonly number[], speakerCountry: number): number[] {
  return CULTURE_COLUMN_SOURCES.map(({ emotion, raterCountry }, column) => {
    const t = CULTURE_TRANSFORMS[column] as RatingTransform;
    const boost = raterCountry === speakerCountry ? IN_GROUP_BOOST : 1;
    const x = clamp01((emotions[emotion] as number) * boost);
    return clamp01(t.bias + t.scale * Math.pow(x, t.gamma));
  });
}
