/**
 * Per-country voice colouring ("accent"): a formant shift and a
 * characteristic pitch-contour shape over each voiced segment. It is what
 * lets a model tell countries apart; it is deliberately smaller than the
 * differences between speakers, so country is learnable but not trivial.
 */
import { COUNTRIES } from '../tasks.js';

/** A country's colouring. */
export interface Accent {
  /** Multipliers of F1, F2, F3 (F4 is left alone). */
  readonly formantShift: readonly [number, number, number];
  /**
   * Pitch-contour shape over a voiced segment, in log-f0 units per unit of
   * depth, as a function of the position u in [0, 1] within the segment;
   * shapes have roughly zero mean so they move the contour, not the level.
   */
  readonly contour: (u: number) => number;
}

/** Log-f0 depth of the contour shape for a speaker of average accent strength (±~12%). */
export const ACCENT_CONTOUR_DEPTH = 0.24;

/** Colouring of each country, indexed like COUNTRIES (China, South Africa, United States, Venezuela). */
export const ACCENTS: readonly Accent[] = [
  // China: a rising, tone-like contour; raised F2.
  { formantShift: [1.0, 1.12, 1.04], contour: (u) => u - 0.5 },
  // South Africa: rise then fall; raised F1.
  { formantShift: [1.12, 0.97, 1.0], contour: (u) => Math.sin(Math.PI * u) - 0.64 },
  // United States: falling; lowered F1 and F3.
  { formantShift: [0.95, 1.0, 0.95], contour: (u) => 0.5 - u },
  // Venezuela: fall then rise; lowered F2.
  { formantShift: [1.03, 0.89, 1.05], contour: (u) => 0.64 - Math.sin(Math.PI * u) },
];

if (ACCENTS.length !== COUNTRIES.length) throw new Error('accent: one colouring per country expected');
