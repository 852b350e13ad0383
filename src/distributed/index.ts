/**
 * Data-parallel training on PyTorch's distributed engine (c10d): Gloo on the
 * CPU, NCCL on CUDA. A run is several processes (one per GPU), started by
 * `vbt train --nproc N` (launch.ts), torchrun or a cluster scheduler; each
 * gives the Trainer the strategy `DataParallel.connect(options)` (options
 * from distributedFromEnv(), or given).
 */
export {
  type DistributedBackend,
  type DistributedOptions,
  type ResolvedDistributedOptions,
  DEFAULT_MASTER_PORT,
  DEFAULT_TIMEOUT_SECONDS,
  distributedFromEnv,
  isLoopback,
  resolveDistributedOptions,
} from './options.js';
export {
  type CollectiveStats,
  ProcessGroup,
  type ProcessGroupOptions,
  Rendezvous,
  type RendezvousOptions,
  availableBackends,
  exitWithParent,
} from '../torch/distributed.js';
export { allGatherBytes, allGatherJson, anyRank, broadcastBytes, broadcastJson, rootDecides } from './exchange.js';
export { GradientSync, type GradientSyncOptions, checkSameParameters, planBuckets } from './grad-sync.js';
export { type EpochShard, batchesPerRank, shardEpoch, shardForEvaluation } from './shard.js';
export { type ShardEvaluation, combineShards, evaluateShard } from './shard-evaluation.js';
export { DataParallel } from './data-parallel.js';
export {
  LAUNCHER_PID_VARIABLE,
  type LaunchOptions,
  type LaunchPlan,
  type LaunchResult,
  type LauncherFlags,
  exitWithLauncher,
  freePort,
  launchWorkers,
  planLaunch,
  workerArguments,
} from './launch.js';
