/**
 * vbt's typed tensor API over LibTorch. Tensors are freed explicitly
 * (dispose, `using`, scope); every native failure throws a TorchError.
 */
export { type DType, type Device, type FloatDType, type IntDType, DTYPES, isFloatDType, parseDevice } from './dtype.js';
export { TorchError } from './errors.js';
export { type Operand, Tensor, type ToOptions, isTensor } from './tensor.js';
export { keep, scope } from './scope.js';
export {
  type CreateOptions,
  type NestedNumbers,
  arange,
  empty,
  full,
  fullLike,
  linspace,
  ones,
  onesLike,
  rand,
  randint,
  randn,
  randnLike,
  scalar,
  tensor,
  zeros,
  zerosLike,
} from './creation.js';
export {
  type CrossEntropyOptions,
  type Reduction,
  cat,
  crossEntropy,
  dropout,
  l1Loss,
  layerNorm,
  linear,
  mseLoss,
  oneHot,
  stack,
  where,
} from './functional.js';
export { clipGradNorm, clipGradNormTensor, enableGrad, grad, gradReverse, isGradEnabled, liveTensors, noGrad } from './autograd.js';
export {
  buildInfo,
  cudaAvailable,
  cudaDeviceCount,
  cudaMemory,
  emptyCache,
  getNumThreads,
  manualSeed,
  resetPeakMemory,
  resolveDevice,
  setAllowTF32,
  setNumThreads,
  synchronize,
  withAutocast,
} from './device.js';
export { type LoadOptions, type ModuleValue, ScriptModule, setJitOptimization } from './script-module.js';
export { type RandomState, decodeRandomState, encodeRandomState, randomState, setRandomState } from './random-state.js';
export { Adam, type AdamSettings, AdamW, Optimizer, type OptimizerKind, type OptimizerOptions, type ParamGroup } from './optim.js';
export { decodeSafetensors, encodeSafetensors, loadSafetensors, saveSafetensors } from './safetensors.js';
export { callRaw, opSchema } from './op-table.js';
export { type TensorSite, formatLiveTensorSites, liveTensorSites, traceTensors, tracingTensors } from './trace.js';
export { type BlasInfo, type ThreadChoice, blasAdvice, blasInUse, chooseThreads, hostMemory, physicalCores, releaseHostMemory } from './cpu.js';
export { type HostMemoryState, defaultHostCacheCapBytes, hostCacheCapBytes } from './host-memory.js';
export * as nn from './nn/index.js';
