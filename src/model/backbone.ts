/**
 * A pretrained speech backbone (wav2vec2, HuBERT, data2vec-audio) exported to
 * TorchScript by models/export.py: forward to frames, masked mean pooling,
 * freezing (all of it, or the conv feature encoder only), train/eval, device
 * moves, and saving with updated weights.
 */
import { existsSync } from 'node:fs';
import { type Device, ScriptModule, type Tensor, TorchError, cat, noGrad, scope, zeros } from '../torch/index.js';
import type { BackboneMetadata } from './exporter.js';
import { normalizeWaveforms } from './input-normalization.js';
import { maskedMeanPool } from './pooling.js';

/** The metadata file every export carries. */
export const METADATA_FILE = 'vbt.json';

/** What to freeze: nothing, the conv feature encoder, or the whole backbone. */
export type FreezeMode = 'none' | 'feature-encoder' | 'all';

/** Time masking as a run asks for it: null fields take the export's own values (the checkpoint's config). */
export interface TimeMaskingRequest {
  /** Share of each clip's frames to mask in train mode (an upper bound: spans may overlap); 0 turns masking off. */
  prob: number | null;
  /** Span length in frames. */
  length: number | null;
  /** Fewest spans per clip (when it is long enough). */
  minMasks: number | null;
}

/** Time masking in effect. */
export interface TimeMaskingSettings {
  prob: number;
  length: number;
  minMasks: number;
}

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

  /** Whether the export can mask time spans in training (exports written by vbt's exporter 1.1.0 and later). */
  get timeMaskingAvailable(): boolean {
    return this.metadata.time_masking !== undefined && this.metadata.time_masking !== null;
  }

  /**
   * Set the time masking applied in train mode (SpecAugment as wav2vec2,
   * HuBERT and data2vec are fine-tuned: spans of the projected features
   * replaced by the learned `masked_spec_embed`). The mask is drawn inside
   * the TorchScript module with torch's default generator, so a
   * checkpoint's saved random state covers it. Eval mode never masks.
   * Returns the settings in effect, or null when the export cannot mask and
   * nothing was asked for.
   * @throws TorchError when masking is asked for from an export that cannot do it
   */
  setTimeMasking(request: TimeMaskingRequest): TimeMaskingSettings | null {
    const own = this.metadata.time_masking;
    if (own === undefined || own === null) {
      if (request.prob !== null && request.prob > 0) {
        throw new TorchError(
          `backbone '${this.path}' was exported without time masking (vbt's exporter before 1.1.0): re-export it with \`vbt export\` to use backbone.timeMasking`,
        );
      }
      return null;
    }
    const settings = {
      prob: request.prob ?? own.mask_time_prob,
      length: request.length ?? own.mask_time_length,
      minMasks: request.minMasks ?? own.mask_time_min_masks,
    };
    this.module.call('set_time_masking', settings.prob, settings.length, settings.minMasks);
    return settings;
  }

  /** The time masking in effect (null when the export cannot mask). */
  get timeMasking(): TimeMaskingSettings | null {
    if (!this.timeMaskingAvailable) return null;
    const [prob, length, minMasks] = this.module.call('time_masking') as [number, number, number];
    return { prob, length, minMasks };
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

  /**
   * Every clip zero-padded to `padTo` samples, and the mean over all frames,
   * padding included: [B, H]. What recipe A's released scripts pool
   * (Hugging Face's feature extractor with padding='max_length', then
   * last_hidden_state.mean(dim=1)); the attention mask still keeps the
   * padding out of attention. Rows longer than `padTo` keep their length.
   */
  paddedPooled(waveforms: Tensor, lengths: Tensor, padTo: number): Tensor {
    return scope(() => {
      const [rows, samples] = waveforms.shape as [number, number];
      const padded =
        samples >= padTo ? waveforms : cat([waveforms, zeros([rows, padTo - samples], { dtype: waveforms.dtype, device: waveforms.device })], 1);
      return this.forward(padded, lengths).frames.mean(1);
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
