/**
 * What a corpus layout writer provides: where each clip's wav goes and the
 * CSV tables that describe the corpus.
 */
import type { SynthCorpusLatents, SynthClip } from './corpus-latents.js';

/** The layouts the generator can write. */
export type SynthLayoutName = 'avb' | 'exvo';

/** One CSV table of a layout. */
export interface LayoutTable {
  /** Path relative to the corpus folder, `/`-separated. */
  readonly path: string;
  /** The CSV text. */
  readonly text: string;
}

/** A corpus layout. */
export interface LayoutWriter {
  readonly name: SynthLayoutName;
  /** Relative path of a clip's wav file, `/`-separated. */
  audioPath(clip: SynthClip): string;
  /** The CSV tables of the corpus. */
  tables(corpus: SynthCorpusLatents): LayoutTable[];
}
