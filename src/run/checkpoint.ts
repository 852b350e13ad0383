/**
 * Checkpoints: checkpoints/{best,last}/ holding heads.safetensors (every
 * trained parameter besides the backbone), backbone.pt (only once the
 * backbone has been trained; before that the run's initial export is used),
 * optimizer.bin and trainer.json. A checkpoint is written into a temporary
 * folder and swapped in by renames, so a kill never leaves a half-written one.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { EarlyStoppingState } from './early-stopping.js';
import type { RunDir } from './run-dir.js';
import type { Backbone } from '../model/backbone.js';
import { type Tensor, saveSafetensors } from '../torch/index.js';

export type CheckpointKind = 'best' | 'last';

/** Where training stands; enough to continue exactly from here. */
export interface TrainerState {
  version: 1;
  /** Index of the current stage. */
  stage: number;
  /** Epoch within the stage (0-based) of the next batch. */
  epoch: number;
  /** Batches of that epoch already consumed. */
  batchInEpoch: number;
  /** Optimizer steps taken in this stage. */
  stepInStage: number;
  /** Optimizer steps taken in the whole run. */
  globalStep: number;
  earlyStopping: EarlyStoppingState;
  /** The best validation of the run so far. */
  best: { value: number; stage: number; epoch: number; step: number } | null;
  /** Best monitor value per finished stage. */
  stageBest: (number | null)[];
  /** Whether the backbone weights differ from the initial export. */
  backboneTrained: boolean;
  /** Set when a stage ended (patience, epochs, steps); the next run moves on. */
  stageDone: boolean;
  /** True once every stage finished. */
  finished: boolean;
}

export interface CheckpointFiles {
  dir: string;
  state: TrainerState;
  heads: string;
  /** Null: the initial backbone export. */
  backbone: string | null;
  optimizer: Uint8Array | null;
}

export interface CheckpointContents {
  heads: Map<string, Tensor>;
  /** Saved only when it was trained. */
  backbone: Backbone | null;
  optimizer: Uint8Array | null;
  state: TrainerState;
}

function writeInto(dir: string, contents: CheckpointContents): void {
  mkdirSync(dir, { recursive: true });
  saveSafetensors(path.join(dir, 'heads.safetensors'), contents.heads);
  if (contents.backbone) contents.backbone.save(path.join(dir, 'backbone.pt'), 'fine-tuned by vbt');
  if (contents.optimizer) writeFileSync(path.join(dir, 'optimizer.bin'), contents.optimizer);
  writeFileSync(path.join(dir, 'trainer.json'), `${JSON.stringify(contents.state, null, 2)}\n`);
}

/** Swap a completed temporary folder in as checkpoints/<kind>. */
function swapIn(run: RunDir, tmp: string, kind: CheckpointKind): string {
  const final = path.join(run.checkpoints, kind);
  const old = path.join(run.checkpoints, `.old-${kind}-${randomBytes(4).toString('hex')}`);
  if (existsSync(final)) renameSync(final, old);
  renameSync(tmp, final);
  rmSync(old, { recursive: true, force: true });
  return final;
}

/**
 * Write checkpoints. `kinds` lists which to write (e.g. ['last', 'best']);
 * the files are written once and hard-linked for the second kind.
 */
export function writeCheckpoint(run: RunDir, kinds: readonly CheckpointKind[], contents: CheckpointContents): string[] {
  mkdirSync(run.checkpoints, { recursive: true });
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const first = path.join(run.checkpoints, `.tmp-${tag}-0`);
  writeInto(first, contents);
  const tmps = [first];
  for (let i = 1; i < kinds.length; i++) {
    const copy = path.join(run.checkpoints, `.tmp-${tag}-${i}`);
    mkdirSync(copy);
    for (const f of readdirSync(first)) linkSync(path.join(first, f), path.join(copy, f));
    tmps.push(copy);
  }
  return kinds.map((kind, i) => swapIn(run, tmps[i]!, kind));
}

/** Read checkpoints/<kind>, or null if there is none. Survives a crash between the two renames of a swap. */
export function readCheckpoint(run: RunDir, kind: CheckpointKind): CheckpointFiles | null {
  let dir = path.join(run.checkpoints, kind);
  if (!existsSync(dir)) {
    const leftover = existsSync(run.checkpoints) ? readdirSync(run.checkpoints).find((f) => f.startsWith(`.old-${kind}-`)) : undefined;
    if (!leftover) return null;
    dir = path.join(run.checkpoints, leftover);
  }
  const state = JSON.parse(readFileSync(path.join(dir, 'trainer.json'), 'utf8')) as TrainerState;
  const backbone = path.join(dir, 'backbone.pt');
  const optimizer = path.join(dir, 'optimizer.bin');
  return {
    dir,
    state,
    heads: path.join(dir, 'heads.safetensors'),
    backbone: existsSync(backbone) ? backbone : null,
    optimizer: existsSync(optimizer) ? new Uint8Array(readFileSync(optimizer)) : null,
  };
}
