/**
 * Turning a batch plan into a Batch: preprocess each clip's audio (through
 * the cache) and collate. The same code runs inline and in the loader's
 * worker threads, so both paths give identical batches.
 */
import { AudioError } from '../../audio/audio-error.js';
import type { PreprocessOptions } from '../../audio/preprocess-settings.js';
import { AudioPreprocessor } from '../../audio/preprocessor.js';
import { cropToMaxLength } from '../../audio/fit-length.js';
import type { Batch, BatchPlan, ClipSegment } from '../batch.js';
import { collateBatch, type CollateOptions } from '../collate.js';
import type { Clip } from '../corpus/corpus.js';
import { DataError } from '../data-error.js';

/** Everything a producer needs besides the clips; plain data, so it can cross to a worker. */
export interface BatchProducerOptions {
  readonly preprocess: PreprocessOptions;
  /** Folder of the preprocessed-audio cache; none when omitted. */
  readonly cacheDir?: string;
  readonly collate: CollateOptions;
  /** Clips of a plan without segments are cut to this many samples (from the start). Default: whole clips. */
  readonly maxLength?: number;
}

/** The samples of one planned segment (a view; a segment reaching past the clip's end is cut there). */
function segmentOf(samples: Float32Array | undefined, segment: ClipSegment): Float32Array {
  if (samples === undefined) throw new RangeError(`a segment names clip ${segment.clip}, which the plan does not have`);
  if (!(Number.isInteger(segment.start) && segment.start >= 0 && Number.isInteger(segment.length) && segment.length >= 1)) {
    throw new RangeError(`bad segment start ${segment.start}, length ${segment.length}`);
  }
  const start = Math.min(segment.start, Math.max(0, samples.length - 1));
  return samples.subarray(start, Math.min(samples.length, start + segment.length));
}

/** Builds batches from plans for one clip list. */
export class BatchProducer {
  private readonly preprocessor: AudioPreprocessor;

  constructor(
    private readonly clips: readonly Clip[],
    private readonly options: BatchProducerOptions,
  ) {
    this.preprocessor = new AudioPreprocessor(options.preprocess, options.cacheDir);
  }

  /**
   * Build one batch.
   * @throws DataError naming the audio file and the corpus row of the first clip that fails
   */
  produce(plan: BatchPlan): Batch {
    const audio = plan.clipIndices.map((index) => {
      const clip = this.clips[index];
      if (clip === undefined) throw new RangeError(`batch plan names clip ${index}, the loader has ${this.clips.length}`);
      return this.loadClip(clip);
    });
    const rows = plan.segments
      ? plan.segments.map((s) => segmentOf(audio[s.clip], s))
      : audio.map((samples) => (this.options.maxLength !== undefined ? cropToMaxLength(samples, this.options.maxLength) : samples));
    return collateBatch(this.clips, plan, rows, this.options.collate);
  }

  private loadClip(clip: Clip): Float32Array {
    try {
      return this.preprocessor.loadFile(clip.audioPath);
    } catch (error) {
      if (!(error instanceof AudioError)) throw error;
      throw new DataError({ ...clip.source, audioPath: clip.audioPath }, error.reason, { cause: error });
    }
  }
}
