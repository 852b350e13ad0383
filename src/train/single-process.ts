/** The default strategy: one process does everything. */
import type { BatchPlan } from '../data/batch.js';
import { type EvaluateOptions, type EvaluationResult, evaluateModel } from '../run/evaluation.js';
import type { RunDir } from '../run/run-dir.js';
import { type Device, resolveDevice } from '../torch/index.js';
import type { EpochShard, RunSetup, TrainingStrategy } from './strategy.js';

export class SingleProcess implements TrainingStrategy {
  readonly rank = 0;
  readonly worldSize = 1;
  readonly writes = true;
  private pendingStop: string | undefined;

  setup(resolve: () => RunSetup): RunSetup {
    return resolve();
  }

  device(requested: Device | 'auto'): Device {
    return resolveDevice(requested);
  }

  prepareShared<T>(prepare: () => Promise<T>): Promise<T> {
    return prepare();
  }

  syncModel(): void {}

  shareBytes(bytes: Uint8Array | null): Uint8Array | null {
    return bytes;
  }

  gatherBytes(bytes: Uint8Array): Uint8Array[] {
    return [bytes];
  }

  scatterBytes(perRank: readonly Uint8Array[] | null): Uint8Array | null {
    return perRank?.[0] ?? null;
  }

  runDirPath(local: RunDir): string {
    return local.path;
  }

  shardEpoch(plans: readonly BatchPlan[], start: number): EpochShard {
    return { plans: plans.slice(start), start, stride: 1, end: Math.max(start, plans.length) };
  }

  batchesPerEpoch(total: number): number {
    return total;
  }

  reduceGradients(): void {}

  requestStop(reason: string): void {
    this.pendingStop ??= reason;
  }

  agreeStop(): string | undefined {
    const reason = this.pendingStop;
    this.pendingStop = undefined;
    return reason;
  }

  evaluate(options: EvaluateOptions): Promise<EvaluationResult> {
    return evaluateModel(options);
  }

  agree(flag: boolean): boolean {
    return flag;
  }

  close(): void {}
}
