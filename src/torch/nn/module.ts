/**
 * Base class of TypeScript-side modules (heads, extractors, discriminators):
 * named parameters, buffers and submodules, train/eval, device moves that
 * keep tensor identity, and state dicts.
 *
 * Ownership: a module owns every tensor registered with it (parameters and
 * buffers, its children's included) and frees them all in dispose(). A model
 * that keeps each of its tensors as a parameter or a buffer thus needs no
 * hand-kept list of what to move or free.
 */
import { noGrad } from '../autograd.js';
import type { DType, Device } from '../dtype.js';
import { TorchError } from '../errors.js';
import { keep } from '../scope.js';
import type { Tensor } from '../tensor.js';

export abstract class Module implements Disposable {
  readonly #parameters = new Map<string, Tensor>();
  readonly #buffers = new Map<string, { tensor: Tensor; persistent: boolean }>();
  readonly #children = new Map<string, Module>();
  #training = true;

  #checkFree(name: string, what: string): void {
    if (this.#parameters.has(name) || this.#buffers.has(name) || this.#children.has(name)) throw new TorchError(`${what} '${name}' is already registered`);
  }

  /** Own a parameter: it requires grad and outlives any scope. */
  protected registerParameter(name: string, t: Tensor): Tensor {
    this.#checkFree(name, 'parameter');
    keep(t);
    if (!t.requiresGrad) t.requiresGrad_(true);
    this.#parameters.set(name, t);
    return t;
  }

  /**
   * Own a tensor that is not trained (e.g. class weights, running
   * statistics): it outlives any scope, moves with to(), is freed by
   * dispose(), and (when persistent, the default) is part of the state dict.
   */
  protected registerBuffer(name: string, t: Tensor, opts: { persistent?: boolean } = {}): Tensor {
    this.#checkFree(name, 'buffer');
    keep(t);
    this.#buffers.set(name, { tensor: t, persistent: opts.persistent ?? true });
    return t;
  }

  /** This module's own buffer called `name`. */
  protected buffer(name: string): Tensor | undefined {
    return this.#buffers.get(name)?.tensor;
  }

  /** Own a submodule; its parameters and buffers appear under `name.`. */
  protected registerModule<M extends Module>(name: string, m: M): M {
    this.#checkFree(name, 'submodule');
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

  /** Buffers by dotted name, this module's first, then each child's; `persistentOnly` keeps those saved with the state. */
  namedBuffers(prefix = '', persistentOnly = false): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    for (const [n, b] of this.#buffers) if (b.persistent || !persistentOnly) out.set(prefix + n, b.tensor);
    for (const [n, c] of this.#children) for (const [cn, b] of c.namedBuffers(`${prefix}${n}.`, persistentOnly)) out.set(cn, b);
    return out;
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

  /** Move/cast every parameter and buffer in place: optimizers holding them follow. */
  to(device: Device, dtype?: DType): this {
    noGrad(() => {
      for (const p of [...this.parameters(), ...this.namedBuffers().values()]) {
        const moved = p.to({ device, ...(dtype ? { dtype } : {}) });
        p.setData(moved);
        moved.dispose();
      }
    });
    return this;
  }

  /** The parameters and persistent buffers themselves (not copies), by name. */
  stateDict(): Map<string, Tensor> {
    return new Map([...this.namedParameters(), ...this.namedBuffers('', true)]);
  }

  /**
   * Copy values into the parameters. With `strict` (default) missing or
   * unexpected names are errors; shape mismatches always are.
   */
  loadStateDict(state: Map<string, Tensor>, opts: { strict?: boolean } = {}): void {
    const own = this.stateDict();
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

  /** Free every parameter and buffer, the children's included. */
  dispose(): void {
    for (const p of this.#parameters.values()) p.dispose();
    for (const b of this.#buffers.values()) b.tensor.dispose();
    for (const c of this.#children.values()) c.dispose();
  }
  [Symbol.dispose](): void {
    this.dispose();
  }
}
