/**
 * A pretrained speech backbone (wav2vec2, HuBERT, data2vec-audio) exported to
 * TorchScript by models/export.py: forward to frames, masked mean pooling,
 * freezing (all of it, or the conv feature encoder only), train/eval, device
 * moves, and saving with updated weights.
 */
import { existsSync } from 'node:fs';
import { type Device, ScriptModule, type Tensor, TorchError, noGrad, scope } from '../torch/index.js';
import type { BackboneMetadata } from './exporter.js';
import { normalizeWaveforms } from './input-normalization.js';
import { maskedMeanPool } from './pooling.js';

/** The metadata file every export carries. */
export const METADATA_FILE = 'vbt.json';

/** What to freeze: nothing, the conv feature encoder, or the whole backbone. */
export type FreezeMode = 'none' | 'feature-encoder' | 'all';

/** Frames and their valid lengths. */
export interface BackboneOutput {
  /** [B, F, H] */
  frames: Tensor;
  /** [B] int64 */
  frameLengths: Tensor;
}

export class Backbone implements Disposable {
  #freeze: FreezeMode = 'none';

  private constructor(
    readonly module: ScriptModule,
    readonly metadata: BackboneMetadata,
    readonly path: string,
  ) {}

  /** Load an export; a file without vbt metadata or with the wrong contract is an error naming the file. */
  static load(path: string, opts: { device?: Device } = {}): Backbone {
    if (!existsSync(path)) {
      throw new TorchError(`backbone '${path}' does not exist (export one with \`vbt export\`, see README "Backbones")`);
    }
    const module = ScriptModule.load(path, { ...(opts.device ? { device: opts.device } : {}), extraFiles: [METADATA_FILE] });
    const raw = module.extraFiles[METADATA_FILE];
    if (raw === undefined) {
      module.dispose();
      throw new TorchError(`'${path}' is a TorchScript archive without ${METADATA_FILE}: it was not written by vbt's exporter (use \`vbt export\`)`);
    }
    let metadata: BackboneMetadata;
    try {
      metadata = JSON.parse(raw) as BackboneMetadata;
    } catch {
      module.dispose();
      throw new TorchError(`'${path}': ${METADATA_FILE} is not valid JSON`);
    }
    if (metadata.format !== 'vbt-backbone' || !(metadata.hidden_size > 0)) {
      module.dispose();
      throw new TorchError(`'${path}': ${METADATA_FILE} does not describe a vbt backbone`);
    }
    return new Backbone(module, metadata, path);
  }

  /** Width of the frame vectors. */
  get hiddenSize(): number {
    return this.metadata.hidden_size;
  }

  /** Frames per second of audio (50 for every supported family). */
  get frameRate(): number {
    return this.metadata.frame_rate;
  }

  /** Audio sample rate the backbone expects (16 kHz). */
  get sampleRate(): number {
    return this.metadata.sample_rate;
  }

  /** Whether each clip is normalised to zero mean and unit variance first (as the checkpoint was trained). */
  get normalizesInput(): boolean {
    return this.metadata.input_normalization === true;
  }

  /** waveforms [B, T] float32 and lengths [B] int64 → frames and frame lengths. */
  forward(waveforms: Tensor, lengths: Tensor): BackboneOutput {
    const input = this.normalizesInput ? normalizeWaveforms(waveforms, lengths) : waveforms;
    try {
      const [frames, frameLengths] = this.module.forward(input, lengths) as [Tensor, Tensor];
      return { frames, frameLengths };
    } finally {
      if (input !== waveforms) input.dispose();
    }
  }

  /** Masked mean of the frames of each clip: [B, H]. */
  pooled(waveforms: Tensor, lengths: Tensor): Tensor {
    return scope(() => {
      const { frames, frameLengths } = this.forward(waveforms, lengths);
      return maskedMeanPool(frames, frameLengths);
    });
  }

  /** Parameters by name (shared with the module). */
  namedParameters(): Map<string, Tensor> {
    return this.module.namedParameters();
  }

  /** Parameters that currently require grad. */
  trainableParameters(): Tensor[] {
    return this.module.parameters().filter((p) => p.requiresGrad);
  }

  parameterCount(): number {
    return this.module.parameterCount();
  }

  /** Freeze nothing, the conv feature encoder (by the export's parameter prefix), or everything. */
  freeze(mode: FreezeMode): this {
    const prefix = this.metadata.feature_encoder_prefix;
    for (const [name, p] of this.namedParameters()) {
      const frozen = mode === 'all' || (mode === 'feature-encoder' && name.startsWith(prefix));
      if (frozen) p.grad = null;
      p.requiresGrad = !frozen;
    }
    this.#freeze = mode;
    return this;
  }

  get frozen(): FreezeMode {
    return this.#freeze;
  }

  train(on = true): this {
    this.module.train(on);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  get training(): boolean {
    return this.module.training;
  }

  /** Move the weights; parameters keep their identity (optimizers follow). */
  to(device: Device): this {
    this.module.to(device);
    return this;
  }

  /** Save with the current weights; the metadata records what it was fine-tuned from. */
  save(path: string, note?: string): void {
    const metadata = note ? { ...this.metadata, source: `${this.metadata.source}; ${note}` } : this.metadata;
    noGrad(() => this.module.save(path, { [METADATA_FILE]: JSON.stringify(metadata) }));
  }

  dispose(): void {
    this.module.dispose();
  }
  [Symbol.dispose](): void {
    this.dispose();
  }
}
