/**
 * Adam and AdamW (LibTorch's implementations) with parameter groups. The
 * learning rate of each group is set from TypeScript (the schedulers in
 * src/train) before each step. By default a step updates all parameters of
 * a group together with LibTorch's multi-tensor (`_foreach_*`) kernels
 * (native/foreach_adam.h): the same arithmetic as the per-parameter loop,
 * in a few fused kernels per step on a GPU instead of a chain per parameter.
 * On the CPU the kernels run over cache-sized slices of the parameters
 * (about 1 MiB each), so the update allocates no full-size temporaries and
 * reads each slice from memory once.
 */
import { TorchError } from './errors.js';
import { type NativeParamGroup, type OptimizerHandle, native } from './native.js';
import type { Tensor } from './tensor.js';

/** Hyper-parameters of a group; unset values take the optimizer's defaults. */
export interface AdamSettings {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  /** Adam: L2 penalty added to the gradient. AdamW: decoupled decay, p ← p − lr·wd·p. */
  weightDecay?: number;
  amsgrad?: boolean;
}

/** A group of parameters sharing hyper-parameters. */
export interface ParamGroup extends AdamSettings {
  params: Tensor[];
  /** A label for logs (e.g. 'backbone', 'heads'). */
  name?: string;
}

export type OptimizerKind = 'adam' | 'adamw';

export interface OptimizerOptions {
  /** Update each group's parameters together with multi-tensor kernels (default true); false: one parameter at a time. */
  foreach?: boolean;
}

export class Optimizer implements Disposable {
  #handle: OptimizerHandle | null;
  readonly kind: OptimizerKind;
  /** Group labels, index-aligned with the groups. */
  readonly groupNames: readonly string[];
  /** Whether steps use the multi-tensor kernels. */
  readonly foreach: boolean;

  /**
   * @param kind 'adam' or 'adamw'
   * @param groups parameter groups, or a flat parameter list (one group)
   * @param defaults settings for groups that leave them unset
   */
  constructor(kind: OptimizerKind, groups: ParamGroup[] | Tensor[], defaults: AdamSettings = {}, options: OptimizerOptions = {}) {
    const list: ParamGroup[] = groups.length > 0 && !('params' in (groups[0] as object)) ? [{ params: groups as Tensor[] }] : (groups as ParamGroup[]);
    if (list.length === 0) throw new TorchError(`${kind}: no parameters to optimise`);
    const nativeGroups: NativeParamGroup[] = list.map((g) => ({
      params: g.params.map((p) => p.handle),
      lr: g.lr ?? defaults.lr ?? 1e-3,
      betas: g.betas ?? defaults.betas ?? [0.9, 0.999],
      eps: g.eps ?? defaults.eps ?? 1e-8,
      weightDecay: g.weightDecay ?? defaults.weightDecay ?? (kind === 'adamw' ? 1e-2 : 0),
      amsgrad: g.amsgrad ?? defaults.amsgrad ?? false,
    }));
    this.kind = kind;
    this.groupNames = list.map((g, i) => g.name ?? `group${i}`);
    this.foreach = options.foreach ?? true;
    this.#handle = native().optimizerCreate(kind, nativeGroups, this.foreach);
  }

  private get handle(): OptimizerHandle {
    if (this.#handle === null) throw new TorchError('optimizer was used after dispose()');
    return this.#handle;
  }

  /** Update the parameters from their gradients. */
  step(): void {
    native().optimizerStep(this.handle);
  }

  /** Clear gradients (to none by default, which also saves memory). */
  zeroGrad(setToNone = true): void {
    native().optimizerZeroGrad(this.handle, setToNone);
  }

  get groupCount(): number {
    return native().optimizerGroupCount(this.handle);
  }

  /** Learning rate of a group. */
  getLr(group = 0): number {
    return native().optimizerGetLr(this.handle, group);
  }

  /** Set the learning rate of one group, or of all groups when `group` is omitted. */
  setLr(lr: number, group?: number): void {
    if (group !== undefined) {
      native().optimizerSetLr(this.handle, group, lr);
      return;
    }
    for (let g = 0; g < this.groupCount; g++) native().optimizerSetLr(this.handle, g, lr);
  }

  /** The optimizer state (moments, step counts) as bytes, for checkpoints. */
  saveState(): Uint8Array {
    return native().optimizerSaveState(this.handle);
  }

  /** Restore state saved by saveState from an optimizer over the same parameters. */
  loadState(bytes: Uint8Array): void {
    native().optimizerLoadState(this.handle, bytes);
  }

  dispose(): void {
    if (this.#handle === null) return;
    native().optimizerDispose(this.#handle);
    this.#handle = null;
  }
  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** Adam (Kingma & Ba). */
export class Adam extends Optimizer {
  constructor(groups: ParamGroup[] | Tensor[], defaults: AdamSettings = {}, options: OptimizerOptions = {}) {
    super('adam', groups, defaults, options);
  }
}

/** AdamW (Loshchilov & Hutter): Adam with decoupled weight decay. */
export class AdamW extends Optimizer {
  constructor(groups: ParamGroup[] | Tensor[], defaults: AdamSettings = {}, options: OptimizerOptions = {}) {
    super('adamw', groups, defaults, options);
  }
}
