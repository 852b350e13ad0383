/**
 * Base class of TypeScript-side modules (heads, extractors, discriminators):
 * named parameters and submodules, train/eval, device moves that keep
 * parameter identity, and state dicts.
 */
import { noGrad } from '../autograd.js';
import type { DType, Device } from '../dtype.js';
import { TorchError } from '../errors.js';
import { keep } from '../scope.js';
import type { Tensor } from '../tensor.js';

export abstract class Module implements Disposable {
  readonly #parameters = new Map<string, Tensor>();
  readonly #children = new Map<string, Module>();
  #training = true;

  /** Own a parameter: it requires grad and outlives any scope. */
  protected registerParameter(name: string, t: Tensor): Tensor {
    if (this.#parameters.has(name) || this.#children.has(name)) throw new TorchError(`parameter '${name}' is already registered`);
    keep(t);
    if (!t.requiresGrad) t.requiresGrad_(true);
    this.#parameters.set(name, t);
    return t;
  }

  /** Own a submodule; its parameters appear under `name.`. */
  protected registerModule<M extends Module>(name: string, m: M): M {
    if (this.#parameters.has(name) || this.#children.has(name)) throw new TorchError(`submodule '${name}' is already registered`);
    this.#children.set(name, m);
    return m;
  }

  /** Parameters by dotted name, this module's first, then each child's. */
  namedParameters(prefix = ''): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    for (const [n, p] of this.#parameters) out.set(prefix + n, p);
    for (const [n, c] of this.#children) for (const [cn, p] of c.namedParameters(`${prefix}${n}.`)) out.set(cn, p);
    return out;
  }

  parameters(): Tensor[] {
    return [...this.namedParameters().values()];
  }

  /** Number of parameter elements. */
  parameterCount(): number {
    return this.parameters().reduce((n, p) => n + p.numel, 0);
  }

  /** Direct submodules by name. */
  children(): Map<string, Module> {
    return new Map(this.#children);
  }

  get training(): boolean {
    return this.#training;
  }

  /** Train mode (dropout active) or eval mode, recursively. */
  train(on = true): this {
    this.#training = on;
    for (const c of this.#children.values()) c.train(on);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Move/cast every parameter in place: optimizers holding them follow. */
  to(device: Device, dtype?: DType): this {
    noGrad(() => {
      for (const p of this.parameters()) {
        const moved = p.to({ device, ...(dtype ? { dtype } : {}) });
        p.setData(moved);
        moved.dispose();
      }
    });
    return this;
  }

  /** The parameters themselves (not copies), by name. */
  stateDict(): Map<string, Tensor> {
    return this.namedParameters();
  }

  /**
   * Copy values into the parameters. With `strict` (default) missing or
   * unexpected names are errors; shape mismatches always are.
   */
  loadStateDict(state: Map<string, Tensor>, opts: { strict?: boolean } = {}): void {
    const own = this.namedParameters();
    const strict = opts.strict ?? true;
    const missing = [...own.keys()].filter((k) => !state.has(k));
    const unexpected = [...state.keys()].filter((k) => !own.has(k));
    if (strict && (missing.length > 0 || unexpected.length > 0)) {
      throw new TorchError(
        `loadStateDict: ${missing.length ? `missing ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ` (+${missing.length - 10})` : ''}` : ''}` +
          `${missing.length && unexpected.length ? '; ' : ''}` +
          `${unexpected.length ? `unexpected ${unexpected.slice(0, 10).join(', ')}${unexpected.length > 10 ? ` (+${unexpected.length - 10})` : ''}` : ''}`,
      );
    }
    for (const [name, p] of own) {
      const src = state.get(name);
      if (!src) continue;
      if (src.shape.join(',') !== p.shape.join(',')) {
        throw new TorchError(`loadStateDict: '${name}' has shape [${src.shape}] but the module expects [${p.shape}]`);
      }
    }
    noGrad(() => {
      for (const [name, p] of own) {
        const src = state.get(name);
        if (src) p.copy_(src);
      }
    });
  }

  /** Free every parameter. */
  dispose(): void {
    for (const p of this.#parameters.values()) p.dispose();
    for (const c of this.#children.values()) c.dispose();
  }
  [Symbol.dispose](): void {
    this.dispose();
  }
}
