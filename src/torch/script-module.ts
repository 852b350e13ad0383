/**
 * A TorchScript module loaded from a file written by torch.jit.save (our
 * backbone exports). Its parameters are shared with the module: optimizer
 * steps and requiresGrad changes act on the module itself.
 */
import type { DType, Device } from './dtype.js';
import { type ModuleHandle, native } from './native.js';
import { keep } from './scope.js';
import { Tensor, toNativeArg, wrapResult } from './tensor.js';

/** A value a TorchScript method accepts: tensors, numbers, strings, lists/tuples as arrays. */
export type ModuleValue = Tensor | number | boolean | string | null | ModuleValue[] | { [key: string]: ModuleValue };

export interface LoadOptions {
  /** Load the weights straight onto this device. */
  device?: Device;
  /** Names of extra files stored in the archive to read (e.g. 'vbt.json'). */
  extraFiles?: string[];
}

export class ScriptModule implements Disposable {
  #handle: ModuleHandle | null;
  #parameters: Map<string, Tensor> | undefined;
  /** Extra files read from the archive at load, by name. */
  readonly extraFiles: Readonly<Record<string, string>>;
  /** The file it was loaded from. */
  readonly path: string;

  private constructor(handle: ModuleHandle, extraFiles: Record<string, string>, path: string) {
    this.#handle = handle;
    this.extraFiles = extraFiles;
    this.path = path;
  }

  /** Load a module; a missing or corrupt file throws a TorchError naming it. */
  static load(path: string, opts: LoadOptions = {}): ScriptModule {
    const [handle, files] = native().moduleLoad(path, opts.device ?? null, opts.extraFiles ?? []);
    return new ScriptModule(handle, files, path);
  }

  /** @internal */
  get handle(): ModuleHandle {
    if (this.#handle === null) throw new Error('ScriptModule was used after dispose()');
    return this.#handle;
  }

  /** Run `forward`. Tensors in the result are new handles owned by the current scope. */
  forward(...args: ModuleValue[]): unknown {
    return this.call('forward', ...args);
  }

  /** Run any method of the module. */
  call(method: string, ...args: ModuleValue[]): unknown {
    return wrapResult(native().moduleCall(this.handle, method, ...args.map(toNativeArg)));
  }

  /** The TorchScript signature of a method, e.g. 'forward(Tensor waveforms, Tensor lengths) -> (Tensor, Tensor)'. */
  schema(method = 'forward'): string {
    return native().moduleSchema(this.handle, method);
  }

  /** Parameters by dotted name. The tensors live as long as this module (they are not scoped). */
  namedParameters(): Map<string, Tensor> {
    if (!this.#parameters) {
      this.#parameters = new Map();
      for (const [name, h] of native().moduleParameters(this.handle)) this.#parameters.set(name, keep(new Tensor(h)));
    }
    return this.#parameters;
  }

  /** All parameters, in module order. */
  parameters(): Tensor[] {
    return [...this.namedParameters().values()];
  }

  /** Number of parameter elements. */
  parameterCount(): number {
    let n = 0;
    for (const p of this.parameters()) n += p.numel;
    return n;
  }

  /** Train mode (dropout, layer drop active) or eval mode. */
  train(on = true): this {
    native().moduleTrain(this.handle, on);
    return this;
  }
  eval(): this {
    return this.train(false);
  }
  get training(): boolean {
    return native().moduleIsTraining(this.handle);
  }

  /** Move (and optionally cast) all parameters and buffers; parameter tensors keep their identity. */
  to(device: Device, dtype?: DType): this {
    native().moduleTo(this.handle, device, dtype ?? null);
    for (const p of this.#parameters?.values() ?? []) p.refreshMeta();
    return this;
  }

  /** Save with the current weights and the given extra files. */
  save(path: string, extraFiles: Record<string, string> = {}): void {
    native().moduleSave(this.handle, path, extraFiles);
  }

  /** Free the module (and the parameter handles this object holds). */
  dispose(): void {
    if (this.#handle === null) return;
    for (const p of this.#parameters?.values() ?? []) p.dispose();
    this.#parameters = undefined;
    native().moduleDispose(this.#handle);
    this.#handle = null;
  }
  [Symbol.dispose](): void {
    this.dispose();
  }
}

/**
 * Whether TorchScript's graph executor optimises methods for the input shapes
 * it sees (process-wide; returns the previous setting). Variable-length
 * batches change shapes nearly every step, which makes it re-profile.
 */
export function setJitOptimization(on: boolean): boolean {
  return native().jitSetOptimize(on);
}
