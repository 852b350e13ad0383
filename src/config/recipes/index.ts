/** Named recipes. Each is a complete config before defaults; flags and files override it. */
import type { RunConfigInput } from '../schema.js';
import { avbMtl } from './avb-mtl.js';
import { demo } from './demo.js';

export const RECIPES: Readonly<Record<string, RunConfigInput>> = {
  'avb-mtl': avbMtl,
  demo,
};

/** Recipe names, for help texts and errors. */
export function recipeNames(): string[] {
  return Object.keys(RECIPES);
}
