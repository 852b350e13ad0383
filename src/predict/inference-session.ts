/**
 * A trained run opened for evaluation or prediction: its config, its corpus
 * (or another one in the same layout), the model with a checkpoint's weights.
 */
import { ConfigError } from '../config/errors.js';
import type { CorpusConfig, RunConfig } from '../config/schema.js';
import type { BatchPlan } from '../data/batch.js';
import type { Corpus } from '../data/corpus/corpus.js';
import { lengthSortedBatches, splitIndices } from '../data/index.js';
import type { MultitaskModel } from '../model/multitask-model.js';
import { type AssembledRun, applyProcessSettings, assembleRun } from '../run/assemble.js';
import { type CheckpointKind, loadHeads, readCheckpoint } from '../run/checkpoint.js';
import { type EvaluationResult, evaluateModel } from '../run/evaluation.js';
import { prepareBackbone, prepareCorpus } from '../run/prepare.js';
import { RunDir } from '../run/run-dir.js';
import { skippedRowsNote } from '../run/skipped-rows.js';
import type { Split } from '../tasks.js';
import { type Device, resolveDevice } from '../torch/index.js';

export interface OpenOptions {
  checkpoint?: CheckpointKind;
  device?: Device | 'auto';
  /** Evaluate on another corpus than the run's (same tasks). */
  corpus?: CorpusConfig;
  batchSize?: number;
  log?: (line: string) => void;
}

export class InferenceSession {
  private constructor(
    readonly run: RunDir,
    readonly config: RunConfig,
    readonly corpus: Corpus,
    readonly checkpoint: CheckpointKind,
    private readonly assembled: AssembledRun,
  ) {}

  static async open(runDir: string, options: OpenOptions = {}): Promise<InferenceSession> {
    const log = options.log ?? ((line: string) => console.error(line));
    const run = RunDir.open(runDir);
    const saved = run.readConfig();
    const kind = options.checkpoint ?? 'best';
    const ckpt = readCheckpoint(run, kind);
    if (!ckpt) throw new ConfigError(`${run.path} has no checkpoints/${kind} (did training reach its first validation?)`);
    const device = resolveDevice(options.device ?? saved.train.device);
    applyProcessSettings(saved.train, device);
    const config: RunConfig = {
      ...saved,
      data: { ...saved.data, ...(options.corpus ? { corpus: options.corpus } : {}), ...(options.batchSize ? { evalBatchSize: options.batchSize } : {}) },
    };
    const corpus = await prepareCorpus(config.data, config.model.tasks, log);
    if (corpus.dropped.length > 0) log(skippedRowsNote(corpus.dropped));
    const backbonePath = ckpt.backbone ?? (await prepareBackbone(config.backbone, config.data.cacheDir, log));
    const assembled = assembleRun({ config, corpus, backbonePath, device });
    try {
      loadHeads(assembled.model.head, ckpt.heads, device);
    } catch (err) {
      await assembled.close();
      throw err;
    }
    return new InferenceSession(run, config, corpus, kind, assembled);
  }

  get model(): MultitaskModel {
    return this.assembled.model;
  }

  /** Clips of a split, in a fixed order grouped by length. */
  plans(split: Split): BatchPlan[] {
    const indices = splitIndices(this.corpus.clips, split);
    if (indices.length === 0) throw new ConfigError(`the corpus at ${this.corpus.root} has no ${split} clips`);
    return lengthSortedBatches(indices, this.assembled.lengths, this.config.data.evalBatchSize ?? this.config.data.batchSize, this.assembled.limits);
  }

  /** Predictions (and metrics where labels exist) of a split. */
  async evaluate(split: Split): Promise<EvaluationResult> {
    return evaluateModel({
      model: this.model,
      source: this.assembled.audio,
      plans: this.plans(split),
      cccVariant: this.config.metrics.cccVariant,
      autocast: this.assembled.autocast,
      withLoss: split !== 'Test',
      collectPredictions: true,
    });
  }

  async close(): Promise<void> {
    await this.assembled.close();
  }
}
