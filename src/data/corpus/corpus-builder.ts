/**
 * The bookkeeping every corpus reader shares: clips by id, duplicate ids,
 * clips dropped for a bad row, the check that labelled splits carry every
 * label, and the audio header probe.
 */
import { AudioError } from '../../audio/audio-error.js';
import { probeAudioFile } from '../../audio/decode-audio.js';
import { TASKS, type Labels, type Split, type Task } from '../../tasks.js';
import { BadRowPolicy, DataError } from '../data-error.js';
import type { Clip, ClipAudioInfo, ClipSource, Corpus, CorpusLayout } from './corpus.js';

/** A clip being assembled from one or more files. */
export interface ClipDraft {
  readonly id: string;
  readonly split: Split;
  readonly audioPath: string;
  readonly labels: Labels;
  readonly subjectId?: string;
  readonly source: ClipSource;
}

/** Collects clips for one corpus and applies the bad-row policy. */
export class CorpusBuilder {
  private readonly drafts = new Map<string, ClipDraft>();
  private readonly dropped = new Set<string>();

  constructor(
    private readonly layout: CorpusLayout,
    private readonly root: string,
    readonly policy: BadRowPolicy,
  ) {}

  /** Add a clip; a second clip with the same id is a bad row (the first is kept). */
  add(draft: ClipDraft): void {
    const first = this.drafts.get(draft.id);
    if (first !== undefined) {
      this.policy.report(
        new DataError(
          { file: draft.source.file, row: draft.source.row, column: draft.source.column },
          `duplicate id '${draft.id}' (first on row ${first.source.row})`,
        ),
        draft.id,
      );
      return;
    }
    this.drafts.set(draft.id, draft);
  }

  /** The clip with this id, if added and not dropped. */
  get(id: string): ClipDraft | undefined {
    return this.dropped.has(id) ? undefined : this.drafts.get(id);
  }

  /** Whether a row declared a clip with this id (kept or dropped). */
  has(id: string): boolean {
    return this.drafts.has(id) || this.dropped.has(id);
  }

  /**
   * Report a problem with a clip's row; under skipBad the clip is dropped
   * (it would otherwise train with a label missing or wrong), and rows of
   * other files about it are ignored.
   */
  reject(error: DataError, id: string | undefined): void {
    this.policy.report(error, id);
    if (id !== undefined) this.dropped.add(id);
  }

  /**
   * Report a row that declares a clip but cannot be read. The id is
   * remembered as dropped, unless an earlier row already declared it (then
   * only this row is bad).
   */
  rejectDeclaration(error: DataError, id: string | undefined): void {
    if (id !== undefined && !this.has(id)) this.reject(error, id);
    else this.policy.report(error, id);
  }

  /**
   * Every clip outside the Test split must carry a label for each task;
   * `describe` builds the error for a clip that lacks one.
   */
  requireLabels(tasks: readonly Task[], describe: (draft: ClipDraft, task: Task) => DataError): void {
    for (const draft of this.drafts.values()) {
      if (this.dropped.has(draft.id) || draft.split === 'Test') continue;
      for (const task of tasks) {
        if (draft.labels[task] === undefined) {
          this.reject(describe(draft, task), draft.id);
          break;
        }
      }
    }
  }

  /**
   * The finished corpus. With `probeAudio`, every clip's audio is probed (a
   * WAV header, or an ffmpeg pass over another format): missing, unreadable,
   * truncated, malformed or empty audio is a bad row located at the row that
   * named the file.
   */
  finish(tasks: readonly Task[], probeAudio: boolean): Corpus {
    const clips: Clip[] = [];
    for (const draft of this.drafts.values()) {
      if (this.dropped.has(draft.id)) continue;
      if (!probeAudio) {
        clips.push(draft);
        continue;
      }
      const audio = this.probe(draft);
      if (audio !== undefined) clips.push({ ...draft, audio });
    }
    const ordered = TASKS.filter((t) => tasks.includes(t));
    return { layout: this.layout, root: this.root, tasks: ordered, clips, dropped: this.policy.dropped };
  }

  private probe(draft: ClipDraft): ClipAudioInfo | undefined {
    const location = {
      file: draft.source.file,
      row: draft.source.row,
      column: draft.source.column,
      audioPath: draft.audioPath,
    };
    try {
      const info = probeAudioFile(draft.audioPath);
      if (info.frames === 0) {
        this.reject(new DataError(location, `zero-length clip (${info.format === 'wav' ? 'the data chunk holds no samples' : 'no audio samples decoded'})`), draft.id);
        return undefined;
      }
      return { sampleRate: info.sampleRate, channels: info.channels, frames: info.frames };
    } catch (error) {
      if (!(error instanceof AudioError)) throw error;
      this.reject(new DataError(location, error.reason, { cause: error }), draft.id);
      return undefined;
    }
  }
}
