/**
 * `writeSyntheticCorpus`: generate a synthetic corpus and write it to disk
 * in the A-VB or ExVo layout, with a `manifest.json` that summarises it.
 */
import { encodeWav } from '../audio/wav-encode.js';
import { SPLITS, type Split } from '../tasks.js';
import { generateSyntheticLatents, type SynthCorpusLatents } from './corpus-latents.js';
import { prepareCorpusFolder, writeCorpusFile } from './corpus-files.js';
import type { LayoutWriter, SynthLayoutName } from './layout.js';
import { AVB_LAYOUT } from './layout-avb.js';
import { EXVO_LAYOUT } from './layout-exvo.js';
import { AUDIO, LABEL_NOISE } from './model-tables.js';
import type { SynthGenerationOptions } from './options.js';
import { clipFileAudio, renderClip } from './render-clip.js';
import type { SynthSpeaker } from './speakers.js';

/**
 * Version of the generative model and writers. It changes whenever the same
 * seed would give different files, so a manifest says which corpus it is.
 */
export const SYNTH_VERSION = '1.1.0';

/** Options of {@link writeSyntheticCorpus}. */
export interface SynthCorpusOptions extends SynthGenerationOptions {
  /** Folder to write into; created if missing. */
  readonly dir: string;
  /** `avb` (A-VB 2022) or `exvo` (ExVo 2022). */
  readonly layout: SynthLayoutName;
  /**
   * Write into a non-empty folder. Files the generator writes are replaced;
   * nothing else in the folder is touched or deleted.
   */
  readonly overwrite?: boolean;
}

/** Clip and speaker counts of one split. */
export interface SplitCounts {
  readonly clips: number;
  readonly speakers: number;
}

/** What was written (`manifest.json` holds the same, minus `dir` and `elapsedMs`, plus the resolved options and noise levels). */
export interface SynthSummary {
  readonly dir: string;
  readonly layout: SynthLayoutName;
  readonly generatorVersion: string;
  readonly seed: number;
  readonly clips: number;
  readonly speakers: number;
  readonly splits: { readonly [S in Split]: SplitCounts };
  /** Clips written at 44.1 kHz stereo. */
  readonly hiResClips: number;
  /** Clips written as 32-bit float. */
  readonly floatClips: number;
  /** Total audio length in seconds. */
  readonly audioSeconds: number;
  /** Relative paths of the CSV tables written. */
  readonly tables: readonly string[];
  /** Wall time of the generation in milliseconds. */
  readonly elapsedMs: number;
}

const LAYOUTS: { readonly [L in SynthLayoutName]: LayoutWriter } = { avb: AVB_LAYOUT, exvo: EXVO_LAYOUT };

/**
 * Generate a synthetic corpus and write it into `options.dir`.
 * The same options (seed included) give byte-identical files.
 *
 * @throws Error if the folder is non-empty and `overwrite` is not set, or on
 *   an unknown layout; RangeError on invalid generation options.
 */
export function writeSyntheticCorpus(options: SynthCorpusOptions): SynthSummary {
  const started = performance.now();
  const layout = LAYOUTS[options.layout];
  if (layout === undefined) throw new Error(`synthetic corpus: unknown layout '${String(options.layout)}'`);
  const corpus = generateSyntheticLatents(options); // validates the options before anything is written
  prepareCorpusFolder(options.dir, options.overwrite ?? false);

  for (const clip of corpus.clips) {
    const speaker = corpus.speakers[clip.speaker] as SynthSpeaker;
    const audio = clipFileAudio(clip, renderClip(clip, speaker));
    writeCorpusFile(options.dir, layout.audioPath(clip), encodeWav(audio.channels, audio.sampleRate, { format: audio.format }));
  }
  const tables = layout.tables(corpus);
  for (const table of tables) writeCorpusFile(options.dir, table.path, table.text);

  const { summary, manifest } = buildManifest(corpus, layout.name, tables.map((t) => t.path));
  writeCorpusFile(options.dir, 'manifest.json', `${JSON.stringify(manifest, null, 2)}\n`);
  return { dir: options.dir, ...summary, elapsedMs: performance.now() - started };
}

/** The manifest's content and the summary's: deterministic (no time stamps, no paths outside the corpus). */
function buildManifest(corpus: SynthCorpusLatents, layout: SynthLayoutName, tables: string[]) {
  const splits = Object.fromEntries(
    SPLITS.map((split) => [
      split,
      {
        clips: corpus.clips.filter((c) => c.split === split).length,
        speakers: corpus.speakers.filter((s) => s.split === split).length,
      },
    ]),
  ) as { [S in Split]: SplitCounts };
  const summary = {
    layout,
    generatorVersion: SYNTH_VERSION,
    seed: corpus.options.seed,
    clips: corpus.clips.length,
    speakers: corpus.speakers.length,
    splits,
    hiResClips: corpus.clips.filter((c) => c.hiRes).length,
    floatClips: corpus.clips.filter((c) => c.format === 'float32').length,
    audioSeconds: Math.round(corpus.clips.reduce((a, c) => a + c.seconds, 0) * 1000) / 1000,
    tables,
  };
  const manifest = {
    generator: 'vbt synthetic vocal-burst corpus',
    ...summary,
    options: corpus.options,
    sampleRates: { default: AUDIO.sampleRate, hiRes: AUDIO.hiResSampleRate },
    labelNoise: LABEL_NOISE,
    note: 'Synthetic audio from a generative model (see src/data/synth/README.md in the vbt package); not the A-VB or ExVo corpora.',
  };
  return { summary, manifest };
}
