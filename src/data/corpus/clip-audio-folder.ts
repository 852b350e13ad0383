/**
 * Finding a clip's audio file by its id in the audio folder of a challenge
 * layout (A-VB's `audio/wav/`, ExVo's `wav/`). The challenges ship
 * `<id>.wav`; a corpus converted to FLAC, MP3 or another supported format
 * keeps its layout and ids, so `<id>.<ext>` is found as well.
 */
import { readdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import { AUDIO_EXTENSIONS } from '../../audio/audio-formats.js';

/**
 * The audio files of one folder by clip id. The folder is listed once, on
 * the first lookup (a stat per clip would cost a system call for each of
 * tens of thousands of rows); extensions match in any letter case.
 */
export class ClipAudioFolder {
  private byId: Map<string, { name: string; rank: number }> | undefined;

  /** `folder` is relative to the corpus root `root`. */
  constructor(
    private readonly root: string,
    private readonly folder: string,
  ) {}

  /**
   * The path of clip `id`'s audio relative to the corpus root: `<id>.wav`
   * when present, else `<id>` with the first of AUDIO_EXTENSIONS present
   * (`.wav` wins over `.flac` when both exist), else `<id>.wav`, which the
   * corpus's audio probe then reports as missing.
   */
  relativePath(id: string): string {
    return join(this.folder, this.index().get(id)?.name ?? `${id}.wav`);
  }

  private index(): Map<string, { name: string; rank: number }> {
    if (this.byId !== undefined) return this.byId;
    this.byId = new Map();
    let names: string[];
    try {
      names = readdirSync(join(this.root, this.folder));
    } catch {
      return this.byId; // a missing folder: each clip is reported missing by the probe, with its row
    }
    for (const name of names) {
      const ext = extname(name);
      const rank = AUDIO_EXTENSIONS.indexOf(ext.toLowerCase());
      if (rank < 0) continue;
      const id = name.slice(0, -ext.length);
      const known = this.byId.get(id);
      if (known === undefined || rank < known.rank || (rank === known.rank && name < known.name)) this.byId.set(id, { name, rank });
    }
    return this.byId;
  }
}
