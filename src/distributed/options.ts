/**
 * Settings of a data-parallel run: which process this is (rank, local rank),
 * how many there are, where they meet (the rendezvous: rank 0's address and
 * port, or a private file for the workers `vbt train --nproc` starts on one
 * machine) and how long anything may wait. Read from options or from the
 * environment variables torchrun and cluster schedulers set (RANK,
 * WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT), and the launcher's
 * VBT_RENDEZVOUS_FILE.
 */
import { ConfigError } from '../config/errors.js';

/** Environment variable naming the rendezvous file of a single-machine run (set by the launcher for its workers). */
export const RENDEZVOUS_FILE_VARIABLE = 'VBT_RENDEZVOUS_FILE';

/** 'auto': NCCL when the run's device is CUDA, Gloo on the CPU. */
export type DistributedBackend = 'auto' | 'gloo' | 'nccl';

/** How one process joins a data-parallel run. */
export interface DistributedOptions {
  /** This process's rank, 0 … worldSize − 1. Rank 0 leads: it alone writes the run folder. */
  rank: number;
  /** Number of processes in the run. */
  worldSize: number;
  /** Rank on this machine; picks the GPU (cuda:localRank). Default: rank. */
  localRank?: number;
  /** Address of rank 0's machine. Default 127.0.0.1 (one machine; nothing listens beyond loopback). */
  masterAddr?: string;
  /** Port of the rendezvous on rank 0's machine. Default 29500. */
  masterPort?: number;
  /** Default 'auto'. */
  backend?: DistributedBackend;
  /** Longest wait of any collective (gradient all-reduce, validation exchange, ...), in seconds. Default 600. */
  timeoutSeconds?: number;
  /** Longest wait for the processes to join and for rank 0 to prepare the shared files, in seconds. Default 900. */
  rendezvousTimeoutSeconds?: number;
  /** Gradient bucket size in MiB: gradients travel in flat buffers of about this size. Default 25. */
  bucketCapMb?: number;
  /**
   * Optimizer steps between two checks whether any process was asked to
   * stop (Ctrl-C, a callback): each check is a collective that waits for the
   * device. Epoch and stage ends and validations always check. Default 10.
   */
  stopCheckEverySteps?: number;
  /** Network interface Gloo uses (e.g. 'eth0'); default the GLOO_SOCKET_IFNAME variable, else the address of this machine's hostname. */
  glooInterface?: string;
  /**
   * The rendezvous store is served by the launcher's agent (torchrun), not by
   * rank 0; `attempt` (torchrun's restart count) keeps each attempt's keys
   * apart. distributedFromEnv sets both from TORCHELASTIC_USE_AGENT_STORE and
   * TORCHELASTIC_RESTART_COUNT.
   */
  agentStore?: boolean;
  attempt?: number;
  /**
   * Meet through this file (a c10d FileStore) instead of a TCP store on
   * masterPort: the processes of one machine, no port opened. It must be
   * new to this run and lie in a folder only this user can enter; the
   * launcher (`vbt train --nproc`) makes one and passes it as
   * VBT_RENDEZVOUS_FILE. masterAddr still says where Gloo binds (127.0.0.1).
   */
  rendezvousFile?: string;
}

/** DistributedOptions with every default filled in. */
export interface ResolvedDistributedOptions extends Required<Omit<DistributedOptions, 'glooInterface' | 'rendezvousFile'>> {
  glooInterface: string | undefined;
  rendezvousFile: string | undefined;
}

export const DEFAULT_MASTER_ADDR = '127.0.0.1';
export const DEFAULT_MASTER_PORT = 29500;
export const DEFAULT_TIMEOUT_SECONDS = 600;
export const DEFAULT_RENDEZVOUS_TIMEOUT_SECONDS = 900;
export const DEFAULT_BUCKET_CAP_MB = 25;
export const DEFAULT_STOP_CHECK_EVERY_STEPS = 10;

function checkInt(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`distributed: ${name} must be an integer in ${min}..${max === Number.MAX_SAFE_INTEGER ? '∞' : max}, got ${value}`);
  }
}

function checkPositive(name: string, value: number): void {
  if (!(value > 0) || !Number.isFinite(value)) throw new ConfigError(`distributed: ${name} must be a positive number, got ${value}`);
}

/** True for 127.x.x.x, ::1 and localhost: a single-machine run. */
export function isLoopback(address: string): boolean {
  return address === 'localhost' || address === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address);
}

/** Check the options and fill in the defaults. */
export function resolveDistributedOptions(o: DistributedOptions, env: NodeJS.ProcessEnv = process.env): ResolvedDistributedOptions {
  checkInt('worldSize', o.worldSize, 1);
  checkInt('rank', o.rank, 0, o.worldSize - 1);
  const localRank = o.localRank ?? o.rank;
  checkInt('localRank', localRank, 0);
  const masterPort = o.masterPort ?? DEFAULT_MASTER_PORT;
  checkInt('masterPort', masterPort, 1, 65535);
  const masterAddr = o.masterAddr ?? DEFAULT_MASTER_ADDR;
  if (masterAddr.trim() === '') throw new ConfigError('distributed: masterAddr is empty');
  const backend = o.backend ?? 'auto';
  if (!['auto', 'gloo', 'nccl'].includes(backend)) throw new ConfigError(`distributed: backend must be auto, gloo or nccl, got '${backend}'`);
  const timeoutSeconds = o.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  checkPositive('timeoutSeconds', timeoutSeconds);
  const rendezvousTimeoutSeconds = o.rendezvousTimeoutSeconds ?? DEFAULT_RENDEZVOUS_TIMEOUT_SECONDS;
  checkPositive('rendezvousTimeoutSeconds', rendezvousTimeoutSeconds);
  const bucketCapMb = o.bucketCapMb ?? DEFAULT_BUCKET_CAP_MB;
  checkPositive('bucketCapMb', bucketCapMb);
  const stopCheckEverySteps = o.stopCheckEverySteps ?? DEFAULT_STOP_CHECK_EVERY_STEPS;
  checkInt('stopCheckEverySteps', stopCheckEverySteps, 1);
  const glooInterface = o.glooInterface ?? (env.GLOO_SOCKET_IFNAME || undefined);
  const attempt = o.attempt ?? 0;
  checkInt('attempt', attempt, 0);
  const rendezvousFile = o.rendezvousFile;
  if (rendezvousFile !== undefined && rendezvousFile.trim() === '') throw new ConfigError('distributed: rendezvousFile is empty');
  if (rendezvousFile !== undefined && o.agentStore) {
    throw new ConfigError('distributed: a launcher agent (torchrun) serves the rendezvous, so there is no rendezvous file to use: unset VBT_RENDEZVOUS_FILE');
  }
  return {
    rank: o.rank,
    worldSize: o.worldSize,
    localRank,
    masterAddr,
    masterPort,
    backend,
    timeoutSeconds,
    rendezvousTimeoutSeconds,
    bucketCapMb,
    stopCheckEverySteps,
    glooInterface,
    agentStore: o.agentStore ?? false,
    attempt,
    rendezvousFile,
  };
}

function envInt(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`environment variable ${name}='${raw}' is not a non-negative integer`);
  return Number(raw);
}

/**
 * The run this process belongs to according to the environment (torchrun's
 * variables: RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT; and
 * VBT_RENDEZVOUS_FILE from `vbt train --nproc` on one machine), or
 * undefined when RANK and WORLD_SIZE are both unset (a plain single-process
 * run). `extra` supplies what the environment does not (backend, timeouts).
 */
export function distributedFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  extra: Omit<DistributedOptions, 'rank' | 'worldSize' | 'localRank' | 'masterAddr' | 'masterPort'> = {},
): DistributedOptions | undefined {
  const rank = envInt(env, 'RANK');
  const worldSize = envInt(env, 'WORLD_SIZE');
  if (rank === undefined && worldSize === undefined) return undefined;
  if (rank === undefined || worldSize === undefined) {
    throw new ConfigError(
      `distributed: RANK and WORLD_SIZE must be set together (got RANK=${env.RANK ?? 'unset'}, WORLD_SIZE=${env.WORLD_SIZE ?? 'unset'})`,
    );
  }
  const localRank = envInt(env, 'LOCAL_RANK');
  const masterPort = envInt(env, 'MASTER_PORT');
  const attempt = envInt(env, 'TORCHELASTIC_RESTART_COUNT');
  const options: DistributedOptions = {
    ...extra,
    rank,
    worldSize,
    ...(env.TORCHELASTIC_USE_AGENT_STORE === 'True' ? { agentStore: true } : {}),
    ...(attempt !== undefined ? { attempt } : {}),
    ...(localRank !== undefined ? { localRank } : {}),
    ...(env.MASTER_ADDR ? { masterAddr: env.MASTER_ADDR } : {}),
    ...(masterPort !== undefined ? { masterPort } : {}),
    ...(env[RENDEZVOUS_FILE_VARIABLE] ? { rendezvousFile: env[RENDEZVOUS_FILE_VARIABLE] } : {}),
  };
  resolveDistributedOptions(options, env);
  return options;
}
