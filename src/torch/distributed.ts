/**
 * Typed handles over the native c10d bindings (native/store.cc,
 * native/process_group.cc, native/process_control.cc): the rendezvous (a
 * TCPStore on rank 0, or a FileStore for the processes of one machine) and
 * a process group with its collectives. Data parallelism itself is
 * src/distributed's; this file only binds.
 *
 * Every call is synchronous and bounded by a timeout: a peer that died or hung
 * becomes a TorchError saying what to check, never a process waiting forever.
 * After a failed collective the group is unusable (later calls fail at once).
 */
import { TorchError } from './errors.js';
import { type NativeReduceOp, type ProcessGroupHandle, type StoreHandle, native } from './native.js';
import { type Device, dtypeSize } from './dtype.js';
import type { Tensor } from './tensor.js';

/** Which c10d backends this build of the addon has. */
export function availableBackends(): { gloo: boolean; nccl: boolean } {
  return native().distBackends();
}

/**
 * Have this process terminated (SIGTERM) when its parent exits. Returns false
 * where the OS cannot (then the caller needs another way to notice).
 */
export function exitWithParent(): boolean {
  return native().exitWithParent();
}

/**
 * Whether rank 0's TCP store listens on every interface rather than on its
 * host alone: LibTorch before 2.3 cannot be handed a socket bound to one
 * address (storeCreate binds one from 2.3 on).
 */
export function tcpStoreListensEverywhere(): boolean {
  const [major = 0, minor = 0] = native().buildInfo().torchVersion.split('.').map((part) => Number.parseInt(part, 10));
  return major < 2 || (major === 2 && minor < 3);
}

interface CommonRendezvousOptions {
  rank: number;
  worldSize: number;
  /** How long to wait for every process to join. */
  timeoutMs: number;
  /** Keys live under this prefix (a store shared with a launcher agent). */
  prefix?: string;
}

/** A TCPStore served by rank 0 (or by a launcher agent): runs across machines. */
export interface TcpRendezvousOptions extends CommonRendezvousOptions {
  /** Rank 0's address; rank 0 listens there (only there, on LibTorch ≥ 2.3; on every interface before). */
  host: string;
  port: number;
  /** Whether this process serves the store. Default: rank 0 does; false everywhere when a launcher agent (torchrun) serves it. */
  isServer?: boolean;
}

/**
 * A FileStore: the processes of one machine meet in a file, and no port is
 * opened. The file should be new (no earlier run's keys) and lie in a folder
 * only this user can enter (the launcher makes one with mode 0700); it is
 * not removed when the processes leave: the folder's owner removes it.
 */
export interface FileRendezvousOptions extends CommonRendezvousOptions {
  file: string;
}

export type RendezvousOptions = TcpRendezvousOptions | FileRendezvousOptions;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The meeting point of a run: a key-value store served by rank 0 (or kept in
 * a file). Joining blocks until all processes have joined (or throws after
 * the timeout).
 */
export class Rendezvous implements Disposable {
  #handle: StoreHandle | null;
  readonly rank: number;
  readonly worldSize: number;

  private constructor(handle: StoreHandle, rank: number, worldSize: number) {
    this.#handle = handle;
    this.rank = rank;
    this.worldSize = worldSize;
  }

  static join(o: RendezvousOptions): Rendezvous {
    const handle =
      'file' in o
        ? native().storeCreateFile(o.file, o.worldSize, o.timeoutMs, o.prefix)
        : native().storeCreate(o.host, o.port, o.isServer ?? o.rank === 0, o.worldSize, o.timeoutMs, o.prefix);
    return new Rendezvous(handle, o.rank, o.worldSize);
  }

  /** @internal The native handle; throws after dispose(). */
  get handle(): StoreHandle {
    if (this.#handle === null) throw new TorchError('rendezvous was used after dispose()');
    return this.#handle;
  }

  set(key: string, value: Uint8Array): void {
    native().storeSet(this.handle, key, value);
  }

  /** The value of `key`, waiting up to `timeoutMs` for some process to set it. */
  get(key: string, timeoutMs: number): Uint8Array {
    return native().storeGet(this.handle, key, timeoutMs);
  }

  setJson(key: string, value: unknown): void {
    this.set(key, encoder.encode(JSON.stringify(value)));
  }

  getJson<T>(key: string, timeoutMs: number): T {
    return JSON.parse(decoder.decode(this.get(key, timeoutMs))) as T;
  }

  dispose(): void {
    if (this.#handle === null) return;
    native().storeDispose(this.#handle);
    this.#handle = null;
  }
  [Symbol.dispose](): void {
    this.dispose();
  }
}

export interface ProcessGroupOptions {
  rank: number;
  worldSize: number;
  backend: 'gloo' | 'nccl';
  /** Default timeout of every collective of this group, and of its set-up. */
  timeoutMs: number;
  /** Key prefix in the store: groups sharing a rendezvous need different ones. Default 'vbt'. */
  prefix?: string;
  /** Gloo: the network interface to use. */
  glooInterface?: string;
  /** Gloo: the address to bind (127.0.0.1 for single-machine runs). */
  glooHostname?: string;
  /** NCCL: this rank's GPU. */
  cudaDevice?: number;
}

/** Time and volume spent in collectives, for benchmarks and logs. */
export interface CollectiveStats {
  calls: number;
  seconds: number;
  bytes: number;
}

/**
 * A c10d process group: Gloo (CPU tensors; CUDA tensors are staged through
 * the host) or NCCL (CUDA tensors). Collectives take lists of tensors of one
 * dtype and device, which travel as one flat buffer, and work in place.
 */
export class ProcessGroup implements Disposable {
  #handle: ProcessGroupHandle | null;
  readonly rank: number;
  readonly worldSize: number;
  readonly backend: 'gloo' | 'nccl';
  readonly timeoutMs: number;
  /** Cumulative cost of this group's collectives. */
  readonly stats: CollectiveStats = { calls: 0, seconds: 0, bytes: 0 };

  private constructor(handle: ProcessGroupHandle, o: ProcessGroupOptions) {
    this.#handle = handle;
    this.rank = o.rank;
    this.worldSize = o.worldSize;
    this.backend = o.backend;
    this.timeoutMs = o.timeoutMs;
  }

  /** Connect to the other processes of the rendezvous (blocks until all did, or the timeout). */
  static create(rendezvous: Rendezvous, o: ProcessGroupOptions): ProcessGroup {
    const handle = native().processGroupCreate(rendezvous.handle, o.rank, o.worldSize, o.backend, o.timeoutMs, {
      ...(o.prefix !== undefined ? { prefix: o.prefix } : {}),
      ...(o.glooInterface !== undefined ? { glooInterface: o.glooInterface } : {}),
      ...(o.glooHostname !== undefined ? { glooHostname: o.glooHostname } : {}),
      ...(o.cudaDevice !== undefined ? { cudaDevice: o.cudaDevice } : {}),
    });
    return new ProcessGroup(handle, o);
  }

  /** Where this group's own small tensors (flags, byte exchanges) live: the CPU for Gloo, this rank's GPU for NCCL. */
  deviceFor(trainingDevice: Device): Device {
    return this.backend === 'nccl' ? trainingDevice : 'cpu';
  }

  private get handle(): ProcessGroupHandle {
    if (this.#handle === null) throw new TorchError('process group was used after dispose()');
    return this.#handle;
  }

  private timed(tensors: readonly Tensor[], run: () => void): void {
    const t0 = performance.now();
    run();
    this.stats.calls++;
    this.stats.seconds += (performance.now() - t0) / 1000;
    for (const t of tensors) this.stats.bytes += t.numel * dtypeSize(t.dtype);
  }

  /** Reduce `tensors` over all ranks, in place; every rank ends with the result. */
  allReduce(tensors: readonly Tensor[], op: NativeReduceOp = 'sum', timeoutMs = this.timeoutMs): void {
    this.timed(tensors, () =>
      native().processGroupAllReduce(
        this.handle,
        tensors.map((t) => t.handle),
        op,
        timeoutMs,
      ),
    );
  }

  /** Overwrite `tensors` on every rank with `root`'s values. */
  broadcast(tensors: readonly Tensor[], root = 0, timeoutMs = this.timeoutMs): void {
    this.timed(tensors, () =>
      native().processGroupBroadcast(
        this.handle,
        tensors.map((t) => t.handle),
        root,
        timeoutMs,
      ),
    );
  }

  /** Return once every rank got here. */
  barrier(timeoutMs = this.timeoutMs): void {
    this.timed([], () => native().processGroupBarrier(this.handle, timeoutMs));
  }

  dispose(): void {
    if (this.#handle === null) return;
    native().processGroupDispose(this.#handle);
    this.#handle = null;
  }
  [Symbol.dispose](): void {
    this.dispose();
  }
}
