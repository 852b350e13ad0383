/**
 * Data parallelism for the Trainer: the TrainingStrategy of a run of several
 * processes (src/train/strategy.ts). With it:
 *
 * - set-up: every process joins the rendezvous; rank 0 (the leader) resolves
 *   the config and the run folder (new or resumed) and publishes them with
 *   the trainer state; the others (followers) adopt them, keep only their
 *   own device and thread settings, and work in a private scratch folder,
 *   never in the run folder, which may not even exist on their machine.
 *   Rank 0 prepares the files every rank reads (synthetic corpus, exported
 *   backbone) before the others look for them.
 * - weights: rank 0's parameters are broadcast at the start and whenever
 *   rank 0 loads a checkpoint; the optimizer state of a resumed run likewise.
 * - steps: every rank trains on its own shard of each epoch (shard.ts) and
 *   gradients are averaged after backward (grad-sync.ts). Stop requests
 *   (Ctrl-C, callbacks) are held until the end of the step, where the ranks
 *   agree, so all stop after the same step.
 * - validation: each rank evaluates its share of the validation batches and
 *   the statistics are merged on every rank (shard-evaluation.ts); early
 *   stopping is decided on rank 0 and broadcast.
 * - only rank 0 logs, writes checkpoints, metrics and the report.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { validateConfig } from '../config/load.js';
import type { RunConfig, RunConfigInput } from '../config/schema.js';
import type { BatchPlan } from '../data/batch.js';
import type { MultitaskModel } from '../model/multitask-model.js';
import type { EvaluateOptions, EvaluationResult } from '../run/evaluation.js';
import { RunDir } from '../run/run-dir.js';
import type { TrainerState } from '../run/trainer-state.js';
import type { Device } from '../torch/dtype.js';
import { TorchError } from '../torch/errors.js';
import { resolveDevice, scope } from '../torch/index.js';
import type { Tensor } from '../torch/tensor.js';
import type { EpochShard, OwnSettings, RunSetup, StopPoint, TrainingStrategy } from '../train/strategy.js';
import { allGatherBytes, allGatherJson, anyRank, broadcastBytes, rootDecides } from './exchange.js';
import { GradientSync, checkSameParameters, planBuckets } from './grad-sync.js';
import { type DistributedOptions, type ResolvedDistributedOptions, isLoopback, resolveDistributedOptions } from './options.js';
import { ProcessGroup, Rendezvous, availableBackends } from '../torch/distributed.js';
import { type ShardEvaluation, combineShards, evaluateShard } from './shard-evaluation.js';
import { batchesPerRank, shardEpoch, shardForEvaluation } from './shard.js';

const SETUP_KEY = 'vbt/setup';
const BACKEND_KEY = 'vbt/backend';

/** What rank 0 publishes for the others at set-up. */
interface PublishedSetup {
  config: RunConfig;
  state: TrainerState;
  /** The run folder on rank 0's machine (for messages and results). */
  runDir: string;
}

export class DataParallel implements TrainingStrategy {
  private group: ProcessGroup | undefined;
  /** Where this group's small exchange tensors live (CPU for Gloo). */
  private exchangeDevice: Device = 'cpu';
  private gradSync: GradientSync | undefined;
  private gradParams: readonly Tensor[] | undefined;
  private pendingStop: string | undefined;
  private stepsSinceStopCheck = 0;
  private scratchDir: string | undefined;
  /** The run folder on rank 0's machine. */
  private leaderRunDir: string | undefined;

  private constructor(
    readonly options: ResolvedDistributedOptions,
    private readonly rendezvous: Rendezvous,
  ) {}

  /**
   * Join the run's rendezvous (the launcher's private file on one machine,
   * else the TCP store on masterAddr:masterPort); blocks until every process
   * joined (or throws after the rendezvous timeout).
   */
  static connect(options: DistributedOptions): DataParallel {
    const o = resolveDistributedOptions(options);
    const common = { rank: o.rank, worldSize: o.worldSize, timeoutMs: o.rendezvousTimeoutSeconds * 1000 };
    const rendezvous = o.rendezvousFile
      ? Rendezvous.join({ ...common, file: o.rendezvousFile })
      : Rendezvous.join({
          ...common,
          host: o.masterAddr,
          port: o.masterPort,
          // Under torchrun its agent serves the store on MASTER_PORT: every rank is a client.
          ...(o.agentStore ? { isServer: false, prefix: `vbt/attempt-${o.attempt}` } : {}),
        });
    return new DataParallel(o, rendezvous);
  }

  get rank(): number {
    return this.options.rank;
  }
  get worldSize(): number {
    return this.options.worldSize;
  }
  /** Rank 0: the process that owns the run folder. */
  get isLeader(): boolean {
    return this.options.rank === 0;
  }
  /** Any other rank: writes nothing. */
  get follower(): boolean {
    return !this.isLeader;
  }

  private get rendezvousMs(): number {
    return this.options.rendezvousTimeoutSeconds * 1000;
  }

  private get pg(): ProcessGroup {
    if (!this.group) throw new TorchError('data-parallel: the process group is not started (call start() first)');
    return this.group;
  }

  // ---- set-up ------------------------------------------------------------------

  /**
   * Rank 0 resolves the run and publishes it; the other ranks adopt it with
   * their own device and thread settings, no progress display, and a
   * private scratch folder standing for the run folder. A new run's folder
   * may not exist yet on rank 0 (it is created once the run is set up): its
   * path is then taken from the config.
   */
  setup(resolve: () => RunSetup, own: OwnSettings): RunSetup {
    if (this.isLeader) {
      const setup = resolve();
      const { config, state, runDir } = setup;
      this.leaderRunDir = runDir?.path ?? path.resolve(config.output.dir, config.output.name ?? '');
      this.rendezvous.setJson(SETUP_KEY, { config, state, runDir: this.leaderRunDir } satisfies PublishedSetup);
      return setup;
    }
    const published = this.rendezvous.getJson<PublishedSetup>(SETUP_KEY, this.rendezvousMs);
    const saved = validateConfig(published.config, 'the run config received from rank 0');
    const mine: Partial<RunConfig['train']> = own.resume ? { ...own.resumeOverrides } : pickOwnTrainSettings(own.config);
    const config: RunConfig = { ...saved, train: { ...saved.train, ...mine, progress: 'none' } };
    this.leaderRunDir = published.runDir;
    const parent = path.join(os.tmpdir(), 'vbt-followers');
    mkdirSync(parent, { recursive: true });
    removeStaleScratch(parent);
    const runDir = RunDir.create(parent, `rank${this.rank}-${process.pid}-${randomBytes(4).toString('hex')}`);
    this.scratchDir = runDir.path;
    // Weights come from rank 0 (syncModel), so a follower starts from the initial export.
    return { config, state: published.state, runDir, resumeBackbone: null };
  }

  /** Whether this process writes the run folder: rank 0 alone. */
  get writes(): boolean {
    return this.isLeader;
  }

  runDirPath(local: RunDir): string {
    return this.leaderRunDir ?? local.path;
  }

  /**
   * Resolve this rank's device (a plain 'cuda' or 'auto' becomes
   * cuda:localRank: one GPU per process) and connect the process group on
   * the backend rank 0 picked ('auto': NCCL on CUDA, Gloo on the CPU).
   */
  device(requested: Device | 'auto'): Device {
    const localCuda = `cuda:${this.options.localRank}` as Device;
    const wanted = requested === 'cuda' ? localCuda : requested;
    const device = resolveDevice(wanted === 'auto' ? (resolveDevice('auto') === 'cpu' ? 'cpu' : localCuda) : wanted);
    const available = availableBackends();
    let backend: 'gloo' | 'nccl';
    if (this.isLeader) {
      backend = this.options.backend === 'auto' ? (device.startsWith('cuda') && available.nccl ? 'nccl' : 'gloo') : this.options.backend;
      this.rendezvous.setJson(BACKEND_KEY, backend);
    } else {
      backend = this.rendezvous.getJson<'gloo' | 'nccl'>(BACKEND_KEY, this.rendezvousMs);
    }
    if (!available[backend]) {
      throw new TorchError(
        backend === 'gloo'
          ? 'data-parallel: this build of vbt has no Gloo backend: on Debian/Ubuntu install libgloo-dev (`npm run setup` does) and run `npm run build:native` again'
          : 'data-parallel: this build of vbt has no NCCL backend (it needs a CUDA LibTorch with NCCL headers at build time): use --dist-backend gloo, or rebuild',
      );
    }
    if (backend === 'nccl' && !device.startsWith('cuda')) {
      throw new TorchError(`data-parallel: rank 0 chose NCCL, which needs a GPU, but rank ${this.rank} runs on ${device}: give every rank the same device kind`);
    }
    const loopback = isLoopback(this.options.masterAddr);
    this.group = ProcessGroup.create(this.rendezvous, {
      rank: this.rank,
      worldSize: this.worldSize,
      backend,
      timeoutMs: this.options.timeoutSeconds * 1000,
      prefix: 'vbt-train',
      ...(this.options.glooInterface ? { glooInterface: this.options.glooInterface } : {}),
      // One machine: Gloo's connections stay on loopback too.
      ...(loopback ? { glooHostname: this.options.masterAddr === 'localhost' ? '127.0.0.1' : this.options.masterAddr } : {}),
      ...(backend === 'nccl' ? { cudaDevice: device === 'cuda' ? 0 : Number(device.slice(5)) } : {}),
    });
    this.exchangeDevice = this.group.deviceFor(device);
    return device;
  }

  /** The backend in use. */
  get backend(): 'gloo' | 'nccl' {
    return this.pg.backend;
  }

  /** Rank 0 prepares the files every rank reads (synthetic corpus, exported backbone); the others wait for it, then read them. */
  async prepareShared<T>(prepare: () => Promise<T>): Promise<T> {
    if (this.isLeader) {
      const result = await prepare();
      this.pg.barrier(this.rendezvousMs);
      return result;
    }
    this.pg.barrier(this.rendezvousMs);
    return prepare();
  }

  // ---- weights -------------------------------------------------------------------

  /** Give every rank rank 0's parameters (heads and backbone), bucket by bucket. */
  syncModel(model: MultitaskModel): void {
    scope(() => {
      const params = [...model.head.parameters(), ...model.backbone.namedParameters().values()];
      for (const bucket of planBuckets(params, this.options.bucketCapMb * 2 ** 20)) {
        this.pg.broadcast(bucket.map((i) => params[i]!));
      }
    });
  }

  /** Rank 0's bytes (e.g. optimizer state read from a checkpoint) on every rank. */
  shareBytes(bytes: Uint8Array | null): Uint8Array | null {
    return broadcastBytes(this.pg, this.exchangeDevice, this.isLeader ? bytes : null);
  }

  /** Every rank's bytes on rank 0 (e.g. each rank's random state for a checkpoint). */
  gatherBytes(bytes: Uint8Array): Uint8Array[] | null {
    const all = allGatherBytes(this.pg, this.exchangeDevice, bytes);
    return this.isLeader ? all : null;
  }

  /** Rank 0's `perRank[r]` on rank r: one broadcast per rank (small payloads, read once on resume). */
  scatterBytes(perRank: readonly Uint8Array[] | null): Uint8Array | null {
    if (this.isLeader && perRank !== null && perRank.length !== this.worldSize) {
      throw new Error(`scatterBytes: ${perRank.length} entries for ${this.worldSize} ranks`);
    }
    let mine: Uint8Array | null = null;
    for (let r = 0; r < this.worldSize; r++) {
      const bytes = broadcastBytes(this.pg, this.exchangeDevice, this.isLeader && perRank !== null ? perRank[r]! : null);
      if (r === this.rank) mine = bytes;
    }
    return mine;
  }

  // ---- steps -----------------------------------------------------------------------

  /** Rank r takes batches r, r + W, ... of the plan (shard.ts). */
  shardEpoch(plans: readonly BatchPlan[], start: number): EpochShard {
    return shardEpoch(plans, start, this.rank, this.worldSize);
  }

  batchesPerEpoch(total: number): number {
    return batchesPerRank(total, this.worldSize);
  }

  /** Average the gradients of `params` over the ranks (call after backward, before clipping and the optimizer step). */
  reduceGradients(params: readonly Tensor[]): void {
    if (params !== this.gradParams) {
      checkSameParameters(this.pg, this.exchangeDevice, params);
      this.gradSync = new GradientSync(this.pg, params, { bucketCapBytes: this.options.bucketCapMb * 2 ** 20 });
      this.gradParams = params;
    }
    this.gradSync!.sync();
  }

  /** Hold a stop request until the ranks agree at the end of the step. */
  requestStop(reason: string): void {
    this.pendingStop ??= reason;
  }

  /**
   * At a stop point: if any rank was asked to stop, all stop; returns the
   * reason (undefined: go on). The check is a collective that waits for the
   * device, so after a step it runs only every `stopCheckEverySteps` steps
   * (every rank counts the same steps); at boundaries always.
   */
  agreeStop(at: StopPoint): string | undefined {
    if (at === 'step' && ++this.stepsSinceStopCheck < this.options.stopCheckEverySteps) return undefined;
    this.stepsSinceStopCheck = 0;
    if (!anyRank(this.pg, this.exchangeDevice, this.pendingStop !== undefined)) return undefined;
    const reason = this.pendingStop ?? 'stopped because another rank was asked to stop';
    this.pendingStop = undefined;
    return reason;
  }

  // ---- validation --------------------------------------------------------------------

  /**
   * evaluateModel over the ranks: each evaluates its share of the batches;
   * the merged result (the same on every rank) is that of the whole split.
   */
  async evaluate(options: EvaluateOptions): Promise<EvaluationResult> {
    const { collectPredictions: _unused, ...rest } = options;
    const local = await evaluateShard({ ...rest, plans: shardForEvaluation(options.plans, this.rank, this.worldSize) });
    return combineShards(allGatherJson<ShardEvaluation>(this.pg, this.exchangeDevice, local), options.cccVariant);
  }

  /** Rank 0's decision (e.g. early stopping) on every rank. */
  agree(flag: boolean): boolean {
    return rootDecides(this.pg, this.exchangeDevice, flag);
  }

  // ---- accounting and shutdown ---------------------------------------------------------

  /** Seconds and count of the gradient all-reduces so far. */
  get gradientStats(): { steps: number; allReduceSeconds: number; allReduces: number } {
    return this.gradSync ? { ...this.gradSync.stats } : { steps: 0, allReduceSeconds: 0, allReduces: 0 };
  }

  /** Leave the process group and the rendezvous; remove a follower's scratch folder. Idempotent. */
  close(): void {
    this.group?.dispose();
    this.rendezvous.dispose();
    if (this.scratchDir) rmSync(this.scratchDir, { recursive: true, force: true });
    this.scratchDir = undefined;
  }
}

/**
 * Remove the scratch folders of followers that were killed before they could
 * (their names carry their process ids).
 */
function removeStaleScratch(parent: string): void {
  for (const entry of readdirSync(parent)) {
    const pid = Number(/^rank\d+-(\d+)-/.exec(entry)?.[1]);
    if (!(pid > 0) || processAlive(pid)) continue;
    rmSync(path.join(parent, entry), { recursive: true, force: true });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A follower's own device and thread settings from its config (the rest comes from rank 0). */
function pickOwnTrainSettings(config: RunConfig | RunConfigInput | undefined): Partial<RunConfig['train']> {
  const train = (config as { train?: Partial<RunConfig['train']> } | undefined)?.train;
  return {
    ...(train?.device !== undefined ? { device: train.device } : {}),
    ...(train?.threads !== undefined ? { threads: train.threads } : {}),
  };
}
