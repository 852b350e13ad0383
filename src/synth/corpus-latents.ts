/**
 * The whole synthetic corpus before any audio exists: speakers and their
 * splits, and every clip's id, length, file format, latent state and
 * observed labels. Cheap to compute, so tests can inspect the latent world
 * directly.
 */
import type { Split } from '../tasks.js';
import { Rng } from '../util/rng.js';
import { sampleClipLatent, type SynthClipLatent } from './clip-latent.js';
import { observeLabels, type SynthClipLabels } from './labels.js';
import { resolveSynthOptions, type ResolvedSynthOptions, type SynthGenerationOptions } from './options.js';
import { chooseSubset, sampleCategorical } from './sampling.js';
import { deriveSeed, STREAM } from './seeds.js';
import { sampleSpeakers, type SynthSpeaker } from './speakers.js';
import { assignSpeakerSplits } from './splits.js';
import { AUDIO } from './model-tables.js';

/** One synthetic clip, everything but its samples. */
export interface SynthClip {
  /** Numeric file id: the wav is `<id>.wav`. */
  readonly id: number;
  /** `File_ID` as written in the CSVs, bracketed: `[10119]`. */
  readonly fileId: string;
  /** Index of the speaker in the corpus's speaker list. */
  readonly speaker: number;
  readonly split: Split;
  /** Length in samples at the synthesis rate (AUDIO.sampleRate, 16 kHz). */
  readonly frames: number;
  /** Length in seconds: `frames / AUDIO.sampleRate`. */
  readonly seconds: number;
  /** Written at 44.1 kHz stereo rather than 16 kHz mono. */
  readonly hiRes: boolean;
  /** Sample format of the file. */
  readonly format: 'pcm16' | 'float32';
  /** What was voiced and felt. */
  readonly latent: SynthClipLatent;
  /** The noisy labels the CSVs carry (Test rows are written without them). */
  readonly labels: SynthClipLabels;
  /** Seed of the clip's audio rendering. */
  readonly audioSeed: number;
}

/** Speakers and clips of a synthetic corpus. */
export interface SynthCorpusLatents {
  readonly options: ResolvedSynthOptions;
  readonly speakers: readonly SynthSpeaker[];
  /** Clips in increasing id order. */
  readonly clips: readonly SynthClip[];
}

/** First file id; ids then increase with small random gaps, like real corpus ids. */
const FIRST_ID = 10000;

/** Generate the latent corpus (no audio). Deterministic in `options.seed`. */
export function generateSyntheticLatents(options: SynthGenerationOptions = {}): SynthCorpusLatents {
  const o = resolveSynthOptions(options);
  const speakerCount = o.clips < 12 ? o.clips : Math.min(o.clips, Math.max(12, Math.round(o.clips / o.clipsPerSpeaker)));
  const speakers = sampleSpeakers(speakerCount, deriveSeed(o.seed, STREAM.speakers));

  // Clips per speaker: one each, the rest spread by a per-speaker weight so
  // some speakers are prolific and some are not.
  const rng = new Rng(deriveSeed(o.seed, STREAM.clips));
  const weights = speakers.map(() => rng.uniform(0.4, 1.6));
  const counts = speakers.map(() => 1);
  for (let k = speakerCount; k < o.clips; k++) {
    const s = sampleCategorical(rng, weights);
    counts[s] = (counts[s] as number) + 1;
  }
  assignSpeakerSplits(speakers, counts, o.splits, rng);

  const owners = rng.shuffle(counts.flatMap((c, s) => new Array<number>(c).fill(s)));
  const hiRes = chooseSubset(rng, o.clips, Math.round(o.hiResFraction * o.clips));
  const float = chooseSubset(rng, o.clips, Math.round(o.floatFraction * o.clips));
  const labelRng = new Rng(deriveSeed(o.seed, STREAM.labels));
  const clips: SynthClip[] = [];
  let id = FIRST_ID;
  owners.forEach((speakerIndex, k) => {
    const speaker = speakers[speakerIndex] as SynthSpeaker;
    const latent = sampleClipLatent(rng);
    const frames = Math.round(rng.uniform(o.minSeconds, o.maxSeconds) * AUDIO.sampleRate);
    clips.push({
      id,
      fileId: `[${id}]`,
      speaker: speakerIndex,
      split: speaker.split,
      frames,
      seconds: frames / AUDIO.sampleRate,
      hiRes: hiRes[k] === true,
      format: float[k] === true ? 'float32' : 'pcm16',
      latent,
      labels: observeLabels(latent, speaker, labelRng),
      audioSeed: deriveSeed(o.seed, STREAM.audio, id),
    });
    id += 1 + rng.int(3);
  });
  return { options: o, speakers, clips };
}
