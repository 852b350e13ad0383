/** Named recipes. Each is a complete config before defaults; flags and files override it. */
import type { RunConfigInput } from '../schema.js';
import { avbMtl } from './avb-mtl.js';
import { avbMtlCode } from './avb-mtl-code.js';
import { demo } from './demo.js';
import { demoExvo } from './demo-exvo.js';
import { exvoBurst2vec } from './exvo-burst2vec.js';

export const RECIPES: Readonly<Record<string, RunConfigInput>> = {
  'avb-mtl': avbMtl,
  'avb-mtl-code': avbMtlCode,
  demo,
  'exvo-burst2vec': exvoBurst2vec,
  'demo-exvo': demoExvo,
};

/** Recipe names, for help texts and errors. */
export function recipeNames(): string[] {
  return Object.keys(RECIPES);
}
