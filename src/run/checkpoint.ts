/**
 * Checkpoints: checkpoints/{best,last}/ holding heads.safetensors (every
 * trained parameter besides the backbone), backbone.pt (only once the
 * backbone has been trained; before that the run's initial export is used),
 * optimizer.bin, trainer.json and random-state.bin (LibTorch's random
 * generators as they stood when the checkpoint was written; checkpoints
 * written before it was saved lack it; a data-parallel run adds
 * random-state.rank<r>.bin for each further process, whose dropout draws
 * differ from rank 0's). A checkpoint is written into a temporary
 * folder and swapped in by renames, so a kill never leaves a half-written one.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type RunDir, readValidatedJson } from './run-dir.js';
import { type TrainerState, TrainerStateSchema } from './trainer-state.js';
import type { Backbone } from '../model/backbone.js';
import { ConfigError } from '../config/errors.js';
import {
  type Device,
  type RandomState,
  type Tensor,
  TorchError,
  decodeRandomState,
  loadSafetensors,
  type nn,
  saveSafetensors,
} from '../torch/index.js';

export type CheckpointKind = 'best' | 'last';
export type { TrainerState };

/** The file of a checkpoint that holds the random generators' states (of rank 0 in a data-parallel run). */
export const RANDOM_STATE_FILE = 'random-state.bin';

/** The file holding process `rank`'s random generators' states. */
export function randomStateFile(rank: number): string {
  return rank === 0 ? RANDOM_STATE_FILE : `random-state.rank${rank}.bin`;
}

export interface CheckpointFiles {
  dir: string;
  state: TrainerState;
  heads: string;
  /** Null: the initial backbone export. */
  backbone: string | null;
  optimizer: Uint8Array | null;
  /**
   * The bytes of random-state.bin and of each random-state.rank<r>.bin
   * after it, in rank order (parseRandomState reads them); empty in a
   * checkpoint written without them.
   */
  randomStates: Uint8Array[];
}

export interface CheckpointContents {
  heads: Map<string, Tensor>;
  /** Saved only when it was trained. */
  backbone: Backbone | null;
  optimizer: Uint8Array | null;
  state: TrainerState;
  /**
   * Each process's random generators' states at the point the checkpoint
   * stands for, in rank order, as encodeRandomState writes them (one entry
   * for a single process).
   */
  randomStates?: readonly Uint8Array[] | null;
}

function writeInto(dir: string, contents: CheckpointContents): void {
  mkdirSync(dir, { recursive: true });
  saveSafetensors(path.join(dir, 'heads.safetensors'), contents.heads);
  if (contents.backbone) contents.backbone.save(path.join(dir, 'backbone.pt'), 'fine-tuned by vbt');
  if (contents.optimizer) writeFileSync(path.join(dir, 'optimizer.bin'), contents.optimizer);
  contents.randomStates?.forEach((bytes, rank) => writeFileSync(path.join(dir, randomStateFile(rank)), bytes));
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
  const state = readValidatedJson(path.join(dir, 'trainer.json'), TrainerStateSchema);
  const backbone = path.join(dir, 'backbone.pt');
  const optimizer = path.join(dir, 'optimizer.bin');
  const randomStates: Uint8Array[] = [];
  while (existsSync(path.join(dir, randomStateFile(randomStates.length)))) {
    randomStates.push(new Uint8Array(readFileSync(path.join(dir, randomStateFile(randomStates.length)))));
  }
  return {
    dir,
    state,
    heads: path.join(dir, 'heads.safetensors'),
    backbone: existsSync(backbone) ? backbone : null,
    optimizer: existsSync(optimizer) ? new Uint8Array(readFileSync(optimizer)) : null,
    randomStates,
  };
}

/** Read the bytes of a random-state.bin; damaged ones are a ConfigError naming `source` (the file). */
export function parseRandomState(bytes: Uint8Array, source: string): RandomState {
  try {
    return decodeRandomState(bytes);
  } catch (err) {
    throw new ConfigError(`${source}: ${(err as Error).message}`);
  }
}

/**
 * Load a checkpoint's heads.safetensors into `head` (everything trained
 * besides the backbone). A damaged file or one that does not fit the model
 * is a ConfigError naming the file.
 */
export function loadHeads(head: nn.Module, file: string, device: Device): void {
  let tensors: Map<string, Tensor>;
  try {
    ({ tensors } = loadSafetensors(file, { device }));
  } catch (err) {
    throw new ConfigError(err instanceof TorchError && err.message.includes(file) ? err.message : `${file}: ${(err as Error).message}`);
  }
  try {
    head.loadStateDict(tensors);
  } catch (err) {
    throw new ConfigError(`${file} does not fit this run's model: ${(err as Error).message}`);
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}
