/**
 * The typed contract of the native addon (native/*.cc) and its loader.
 * Everything else in src/torch goes through `native()`; nothing outside
 * src/torch should call the addon directly.
 */
import { type AddonOrigin, loadNativeAddon } from './addon-loader.js';
import { TorchError } from './errors.js';
import { setUpHostMemory } from './host-memory.js';

/** An opaque native tensor handle. */
export type TensorHandle = { readonly __brand: 'TensorHandle' };
/** An opaque native TorchScript module handle. */
export type ModuleHandle = { readonly __brand: 'ModuleHandle' };
/** An opaque native optimizer handle. */
export type OptimizerHandle = { readonly __brand: 'OptimizerHandle' };

/** A value that can cross into an operator or TorchScript method. */
export type NativeArg = TensorHandle | number | bigint | boolean | string | null | undefined | NativeArg[] | { [k: string]: NativeArg };
/** A value coming back from an operator or method. */
export type NativeResult = TensorHandle | number | boolean | string | null | undefined | NativeResult[] | { [k: string]: NativeResult };

export type NumericArray = Float32Array | Float64Array | Int32Array | BigInt64Array | Int16Array | Int8Array | Uint8Array;

/** Optimizer parameter group as the addon reads it. */
export interface NativeParamGroup {
  params: TensorHandle[];
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
}

/** What `buildInfo()` reports. */
export interface NativeBuildInfo {
  torchVersion: string;
  cxx11Abi: boolean;
  cudaBuild: boolean;
  cudaRuntime?: number;
  cudnn?: number;
  config: string;
  parallel: string;
  devices: { index: number; name: string; totalMemory: number; capability: string; multiprocessors: number }[];
}

/** CUDA caching-allocator statistics in bytes. */
export interface NativeCudaMemory {
  allocated: number;
  reserved: number;
  peakAllocated: number;
  peakReserved: number;
}

/**
 * The states of LibTorch's default random generators: the CPU one, and one
 * per CUDA device (empty without CUDA).
 */
export interface NativeRngState {
  cpu: Uint8Array;
  cuda: Uint8Array[];
}

/** An opaque native c10d TCPStore handle (the rendezvous of a distributed run). */
export type StoreHandle = { readonly __brand: 'StoreHandle' };
/** An opaque native c10d process group handle. */
export type ProcessGroupHandle = { readonly __brand: 'ProcessGroupHandle' };
/** Reduction of an all-reduce ('mean' is a sum divided by the world size). */
export type NativeReduceOp = 'sum' | 'mean' | 'max' | 'min';

/** The functions the addon exports. */
export interface NativeAddon {
  setErrorClass(ctor: new (message: string) => Error): void;
  // operators
  opResolve(name: string, overload: string): number;
  opCall(op: number, ...args: NativeArg[]): NativeResult;
  opSchema(op: number): string;
  // data
  fromArray(data: NumericArray, shape: number[], dtype?: string | null, device?: string | null, requiresGrad?: boolean, pin?: boolean): TensorHandle;
  toArray(t: TensorHandle): NumericArray;
  toBytes(t: TensorHandle): Uint8Array;
  fromBytes(bytes: Uint8Array, shape: number[], dtype: string): TensorHandle;
  item(t: TensorHandle): number;
  meta(t: TensorHandle): [string, string, boolean, ...number[]];
  dispose(t: TensorHandle): void;
  liveTensors(): number;
  isTensor(x: unknown): boolean;
  /** Install the host tensor memory cache as LibTorch's CPU allocator (first call) and set its cap; whether it is the CPU allocator now. */
  hostCacheEnable(capBytes: number): boolean;
  hostCacheStats(): { enabled: boolean; capBytes: number; cachedBytes: number; mappedBytes: number; hits: number; misses: number; evictions: number };
  /** Unmap the cache's free blocks and give malloc's free memory back to the system. */
  hostMemoryRelease(): void;
  // autograd
  backward(t: TensorHandle, grad?: TensorHandle | null, retainGraph?: boolean): void;
  grad(t: TensorHandle): TensorHandle | null;
  setGrad(t: TensorHandle, g: TensorHandle | null): void;
  setRequiresGrad(t: TensorHandle, flag: boolean): void;
  setData(t: TensorHandle, src: TensorHandle): void;
  isLeaf(t: TensorHandle): boolean;
  gradEnabled(): boolean;
  setGradEnabled(flag: boolean): boolean;
  gradReverse(t: TensorHandle, factor: number): TensorHandle;
  clipGradNorm(params: TensorHandle[], maxNorm: number, normType?: number): number;
  clipGradNormTensor(params: TensorHandle[], maxNorm: number, normType?: number): TensorHandle;
  autogradGrad(
    outputs: TensorHandle[],
    inputs: TensorHandle[],
    gradOutputs?: TensorHandle[] | null,
    retainGraph?: boolean,
    createGraph?: boolean,
  ): (TensorHandle | null)[];
  // TorchScript modules
  moduleLoad(path: string, device: string | null, extraFiles: string[]): [ModuleHandle, Record<string, string>];
  moduleCall(m: ModuleHandle, method: string, ...args: NativeArg[]): NativeResult;
  moduleSchema(m: ModuleHandle, method: string): string;
  moduleParameters(m: ModuleHandle): [string, TensorHandle][];
  moduleBuffers(m: ModuleHandle): [string, TensorHandle][];
  moduleTrain(m: ModuleHandle, on: boolean): void;
  moduleIsTraining(m: ModuleHandle): boolean;
  moduleTo(m: ModuleHandle, device: string, dtype?: string | null): void;
  moduleSave(m: ModuleHandle, path: string, extraFiles?: Record<string, string>): void;
  moduleDispose(m: ModuleHandle): void;
  jitSetOptimize(on: boolean): boolean;
  // optimizers
  optimizerCreate(kind: 'adam' | 'adamw', groups: NativeParamGroup[], foreach?: boolean): OptimizerHandle;
  optimizerStep(o: OptimizerHandle): void;
  optimizerZeroGrad(o: OptimizerHandle, setToNone?: boolean): void;
  optimizerSetLr(o: OptimizerHandle, group: number, lr: number): void;
  optimizerGetLr(o: OptimizerHandle, group: number): number;
  optimizerGroupCount(o: OptimizerHandle): number;
  optimizerSaveState(o: OptimizerHandle): Uint8Array;
  optimizerLoadState(o: OptimizerHandle, bytes: Uint8Array): void;
  optimizerDispose(o: OptimizerHandle): void;
  // device
  cudaAvailable(): boolean;
  cudaDeviceCount(): number;
  cudaSynchronize(device?: number): void;
  cudaMemory(device?: number): NativeCudaMemory;
  cudaResetPeakMemory(device?: number): void;
  cudaEmptyCache(): void;
  manualSeed(seed: number): void;
  rngState(): NativeRngState;
  /** cuda[i] sets device i's generator; devices past the list keep theirs. */
  setRngState(state: { cpu: Uint8Array; cuda?: Uint8Array[] }): void;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  setAllowTF32(on: boolean): void;
  setAutocast(deviceType: 'cuda' | 'cpu', enabled: boolean, dtype?: string): void;
  autocastEnabled(deviceType: 'cuda' | 'cpu'): boolean;
  // build
  buildInfo(): NativeBuildInfo;
  // distributed (c10d): every blocking call takes a timeout in milliseconds
  distBackends(): { gloo: boolean; nccl: boolean };
  storeCreate(host: string, port: number, isServer: boolean, worldSize: number, timeoutMs: number, prefix?: string): StoreHandle;
  /** A c10d FileStore in `path` (a folder only this user can enter): the rendezvous of one machine's processes, no port opened. */
  storeCreateFile(path: string, worldSize: number, timeoutMs: number, prefix?: string): StoreHandle;
  storeSet(store: StoreHandle, key: string, value: Uint8Array): void;
  storeGet(store: StoreHandle, key: string, timeoutMs: number): Uint8Array;
  storeDispose(store: StoreHandle): void;
  processGroupCreate(
    store: StoreHandle,
    rank: number,
    worldSize: number,
    backend: 'gloo' | 'nccl',
    timeoutMs: number,
    options?: { prefix?: string; glooInterface?: string; glooHostname?: string; cudaDevice?: number },
  ): ProcessGroupHandle;
  processGroupAllReduce(group: ProcessGroupHandle, tensors: TensorHandle[], op: NativeReduceOp, timeoutMs: number): void;
  processGroupBroadcast(group: ProcessGroupHandle, tensors: TensorHandle[], root: number, timeoutMs: number): void;
  processGroupBarrier(group: ProcessGroupHandle, timeoutMs: number): void;
  processGroupDispose(group: ProcessGroupHandle): void;
  /** Linux: receive SIGTERM when the parent process exits; false where unsupported. */
  exitWithParent(): boolean;
}

/**
 * The names of NativeAddon's functions as a runtime value, so that a test can
 * hold the contract against what the addon really exports. `satisfies` rejects
 * a name the contract lacks; NativeFunctionsMissingFromList below rejects a
 * contract function left out of the list.
 */
export const NATIVE_FUNCTIONS = [
  'setErrorClass',
  // operators
  'opResolve',
  'opCall',
  'opSchema',
  // data
  'fromArray',
  'toArray',
  'toBytes',
  'fromBytes',
  'item',
  'meta',
  'dispose',
  'liveTensors',
  'isTensor',
  'hostCacheEnable',
  'hostCacheStats',
  'hostMemoryRelease',
  // autograd
  'backward',
  'grad',
  'setGrad',
  'setRequiresGrad',
  'setData',
  'isLeaf',
  'gradEnabled',
  'setGradEnabled',
  'gradReverse',
  'clipGradNorm',
  'clipGradNormTensor',
  'autogradGrad',
  // TorchScript modules
  'moduleLoad',
  'moduleCall',
  'moduleSchema',
  'moduleParameters',
  'moduleBuffers',
  'moduleTrain',
  'moduleIsTraining',
  'moduleTo',
  'moduleSave',
  'moduleDispose',
  'jitSetOptimize',
  // optimizers
  'optimizerCreate',
  'optimizerStep',
  'optimizerZeroGrad',
  'optimizerSetLr',
  'optimizerGetLr',
  'optimizerGroupCount',
  'optimizerSaveState',
  'optimizerLoadState',
  'optimizerDispose',
  // device
  'cudaAvailable',
  'cudaDeviceCount',
  'cudaSynchronize',
  'cudaMemory',
  'cudaResetPeakMemory',
  'cudaEmptyCache',
  'manualSeed',
  'rngState',
  'setRngState',
  'setNumThreads',
  'getNumThreads',
  'setAllowTF32',
  'setAutocast',
  'autocastEnabled',
  // build
  'buildInfo',
  // distributed
  'distBackends',
  'storeCreate',
  'storeCreateFile',
  'storeSet',
  'storeGet',
  'storeDispose',
  'processGroupCreate',
  'processGroupAllReduce',
  'processGroupBroadcast',
  'processGroupBarrier',
  'processGroupDispose',
  'exitWithParent',
] as const satisfies readonly (keyof NativeAddon)[];

export type NativeFunctionName = (typeof NATIVE_FUNCTIONS)[number];

/** Accepts only `never`: tsc reports whatever else is passed. */
type ExpectNever<T extends never> = T;
/**
 * NativeAddon's functions missing from NATIVE_FUNCTIONS: must stay `never`,
 * else tsc fails here and names them.
 */
export type NativeFunctionsMissingFromList = ExpectNever<Exclude<keyof NativeAddon, NativeFunctionName>>;

export { LOCAL_BUILD_PATH, PACKAGE_ROOT, PREBUILDS_DIR } from './addon-loader.js';
export type { AddonOrigin } from './addon-loader.js';

let loaded: NativeAddon | undefined;
let origin: AddonOrigin | undefined;

/**
 * The addon, loaded on first use: a prebuild matching this machine's
 * LibTorch, else the local build (see addon-loader.ts). Throws a TorchError
 * that says what to install, set or build when neither can be loaded.
 */
export function native(): NativeAddon {
  if (loaded) return loaded;
  const result = loadNativeAddon<NativeAddon>();
  result.addon.setErrorClass(TorchError);
  // Before any tensor exists: the host memory cache (host-memory.ts).
  setUpHostMemory(result.addon);
  origin = result.origin;
  loaded = result.addon;
  return loaded;
}

/** Which addon file is loaded (a prebuild, the local build, VBT_NATIVE_PATH) and the LibTorch a prebuild was bound to. */
export function addonOrigin(): AddonOrigin {
  native();
  return origin!;
}
