/** In-memory clips for sampler and batch tests (no files needed). */
import type { Clip } from '../../src/data/corpus/corpus.js';
import type { Labels, Split } from '../../src/tasks.js';

/** A clip with the given labels; audio path and source are placeholders no test opens. */
export function stubClip(id: string, labels: Labels, split: Split = 'Train', frames = 16000): Clip {
  return {
    id,
    split,
    audioPath: `/nowhere/${id}.wav`,
    labels,
    audio: { sampleRate: 16000, channels: 1, frames },
    source: { file: 'stub.csv', row: 2, column: 'path' },
  };
}
