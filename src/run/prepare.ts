/**
 * Turning a config into the things a run needs: the corpus (read, or the
 * synthetic one generated into the cache on first use) and the backbone
 * (an export on disk, or a random initialisation exported into the cache).
 */
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../config/errors.js';
import type { BackboneConfig, DataConfig } from '../config/schema.js';
import type { PreprocessOptions } from '../audio/preprocess-settings.js';
import type { Corpus } from '../data/corpus/corpus.js';
import { inverseFrequencyClassWeights, readAvbCorpus, readExvoCorpus, readManifestCorpus } from '../data/index.js';
import { TASK_SPECS, type Task } from '../tasks.js';
import { SYNTH_VERSION, writeSyntheticCorpus } from '../synth/index.js';
import { exportBackbone } from '../model/exporter.js';
import { buildAtomically, temporarySibling } from '../util/atomic-write.js';

/** The corpus folder of a synthetic config (generated on first use). */
export async function syntheticCorpusDir(data: DataConfig, log: (line: string) => void): Promise<string> {
  const c = data.corpus;
  if (c.kind !== 'synthetic') throw new Error('syntheticCorpusDir: not a synthetic corpus');
  if (c.dir) {
    if (!existsSync(path.join(c.dir, 'manifest.json'))) {
      log(`generating the synthetic ${c.layout} corpus in ${c.dir}`);
      writeSyntheticCorpus({ dir: c.dir, layout: c.layout, seed: c.seed, clips: c.clips });
    }
    return c.dir;
  }
  const cache = data.cacheDir ?? '.vbt-cache';
  const dir = path.resolve(cache, 'synthetic', `${c.layout}-seed${c.seed}-n${c.clips}-v${SYNTH_VERSION}`);
  if (!existsSync(dir)) {
    log(`generating the synthetic ${c.layout} corpus (${c.clips} clips, seed ${c.seed}) in ${dir}`);
    await buildAtomically(dir, (tmp) => {
      writeSyntheticCorpus({ dir: tmp, layout: c.layout, seed: c.seed, clips: c.clips });
    });
  }
  return dir;
}

/** Read the configured corpus; checks that it has the tasks the model trains. */
export async function prepareCorpus(data: DataConfig, tasks: readonly Task[], log: (line: string) => void): Promise<Corpus> {
  const common = { skipBad: data.skipBad, allowAbsolutePaths: data.allowAbsolutePaths };
  const c = data.corpus;
  let corpus: Corpus;
  switch (c.kind) {
    case 'avb':
      corpus = readAvbCorpus(path.resolve(c.root), common);
      break;
    case 'exvo':
      corpus = readExvoCorpus(path.resolve(c.root), common);
      break;
    case 'manifest':
      corpus = readManifestCorpus(path.resolve(c.path), { ...common, ...(c.root ? { root: path.resolve(c.root) } : {}) });
      break;
    case 'synthetic': {
      const dir = await syntheticCorpusDir(data, log);
      corpus = c.layout === 'avb' ? readAvbCorpus(dir, common) : readExvoCorpus(dir, common);
      break;
    }
  }
  const missing = tasks.filter((t) => !corpus.tasks.includes(t));
  if (missing.length > 0) {
    throw new ConfigError(
      `model.tasks includes ${missing.join(', ')}, but the ${corpus.layout} corpus at ${corpus.root} has only ${corpus.tasks.join(', ')}: remove them from model.tasks`,
    );
  }
  return corpus;
}

/** Path of the configured backbone export (a random one is exported into the cache on first use). */
export async function prepareBackbone(backbone: BackboneConfig, cacheDir: string | null, log: (line: string) => void): Promise<string> {
  if (backbone.path) {
    if (!existsSync(backbone.path)) {
      throw new ConfigError(`backbone.path '${backbone.path}' does not exist (export a checkpoint with \`vbt export\`, see README "Backbones")`);
    }
    return path.resolve(backbone.path);
  }
  const file = path.resolve(cacheDir ?? '.vbt-cache', 'backbones', `${backbone.family}-${backbone.config}-random-seed${backbone.seed}.pt`);
  if (!existsSync(file)) {
    if (backbone.config !== 'tiny') {
      log(`note: backbone ${backbone.family}-${backbone.config} with RANDOM weights (no backbone.path given): fine for benchmarks, useless for real training`);
    }
    log(`exporting a random ${backbone.family}-${backbone.config} backbone to ${file}`);
    // The archive's inner folder is named after the file: export under the final name, inside a temporary folder.
    const folder = temporarySibling(file);
    mkdirSync(folder, { recursive: true });
    try {
      const inner = path.join(folder, path.basename(file));
      await exportBackbone({ family: backbone.family, config: backbone.config, source: { kind: 'random', seed: backbone.seed }, out: inner });
      if (!existsSync(file)) renameSync(inner, file);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  }
  return file;
}

/** The audio preprocessing a config asks for, at the backbone's sample rate. */
export function preprocessOptions(data: DataConfig, sampleRate: number): PreprocessOptions {
  return {
    normalize: data.preprocess.normalize,
    targetDbfs: data.preprocess.targetDbfs,
    ...(data.preprocess.maxSeconds !== null ? { maxSeconds: data.preprocess.maxSeconds } : {}),
    sampleRate,
  };
}

/** Inverse-frequency class weights of each classification task, from the training clips. */
export function classWeightsOf(corpus: Corpus, train: readonly number[], tasks: readonly Task[]): Partial<Record<Task, Float32Array>> {
  const weights: Partial<Record<Task, Float32Array>> = {};
  if (train.length === 0) return weights;
  for (const t of tasks) {
    if (TASK_SPECS[t].kind === 'classification') weights[t] = inverseFrequencyClassWeights(corpus.clips, train, t as 'type' | 'country');
  }
  return weights;
}
