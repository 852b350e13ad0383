/**
 * What every corpus reader produces: clips with their split, labels and
 * audio file, plus the tasks the corpus has.
 */
import type { Labels, Split, Task } from '../../tasks.js';
import type { DroppedRow } from '../data-error.js';

/** Where a clip was declared, for error messages about it. */
export interface ClipSource {
  /** The CSV or JSONL file holding the clip's row. */
  readonly file: string;
  /** 1-based line of that row (header = 1). */
  readonly row: number;
  /** The column that names the audio (File_ID or path). */
  readonly column: string;
}

/** What the audio file's header says, read when the corpus is loaded. */
export interface ClipAudioInfo {
  readonly sampleRate: number;
  readonly channels: number;
  /** Samples per channel at `sampleRate`. */
  readonly frames: number;
}

/** One clip of a corpus. Plain data: it crosses to worker threads as is. */
export interface Clip {
  /** The clip id (File_ID without brackets, or the manifest's id). */
  readonly id: string;
  readonly split: Split;
  /** Absolute path of the audio file (WAV, or another format ffmpeg decodes). */
  readonly audioPath: string;
  /** Labels per task; a task without a label for this clip is absent. */
  readonly labels: Labels;
  /** Speaker id, when the corpus gives one. */
  readonly subjectId?: string;
  /** Header facts of the audio file, when the corpus was loaded with probing on. */
  readonly audio?: ClipAudioInfo;
  /** Where the clip was declared. */
  readonly source: ClipSource;
}

/** The corpus layouts read. */
export type CorpusLayout = 'avb' | 'exvo' | 'manifest';

/** A loaded corpus. */
export interface Corpus {
  readonly layout: CorpusLayout;
  /** Folder that audio paths resolve against. */
  readonly root: string;
  /** Tasks with labels in this corpus, in TASKS order. */
  readonly tasks: readonly Task[];
  /** Clips of all splits, in file order. */
  readonly clips: readonly Clip[];
  /** Rows dropped under `skipBad` (empty otherwise), with the reasons. */
  readonly dropped: readonly DroppedRow[];
}

/** Options shared by every corpus reader. */
export interface CorpusReadOptions {
  /**
   * Drop bad rows (and clips whose audio is bad) and list them in
   * `Corpus.dropped` instead of throwing. Structural problems (a missing
   * file or column, unparseable CSV) still throw. Default false.
   */
  readonly skipBad?: boolean;
  /**
   * Accept absolute audio paths in manifests. Relative paths must stay
   * inside the corpus folder either way. Default false.
   */
  readonly allowAbsolutePaths?: boolean;
  /**
   * Read every audio file's header while loading: catches missing, truncated,
   * malformed and empty files up front and records each clip's length (needed
   * for length bucketing). Default true.
   */
  readonly probeAudio?: boolean;
  /** Accepted age range in years; default AGE_RANGE (20–39). */
  readonly ageRange?: { readonly min: number; readonly max: number };
}

/** Indices of the clips in one split. */
export function splitIndices(clips: readonly Clip[], split: Split): number[] {
  const indices: number[] = [];
  clips.forEach((clip, i) => {
    if (clip.split === split) indices.push(i);
  });
  return indices;
}
