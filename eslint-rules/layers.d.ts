// Types of layers.js, for the tests that import it.
import type { ESLint, Rule } from 'eslint';

/** The layer order of src/, lowest first (see layers.js). */
export declare const LAYERS: readonly string[];
/** The top-level unit of src/ that `file` belongs to, or undefined when `file` is outside `srcDir`. */
export declare function layerOf(file: string, srcDir: string): string | undefined;
export declare const layersRule: Rule.RuleModule;
declare const plugin: ESLint.Plugin;
export default plugin;
