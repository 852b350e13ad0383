/**
 * The run's report.html and run-info.json as a subscriber of the trainer's
 * events. The report is written when training starts (its path is printed
 * then, so it can be opened at once), rewritten at each validation (the page
 * reloads itself while the run goes on) and at the end with the final
 * metrics; every write is atomic, so a browser never reads half a page.
 * Records come from metrics.jsonl as it stood at the start (a resumed run's
 * history) and from the events after that.
 */
import { existsSync } from 'node:fs';
import type { RunConfig } from '../config/schema.js';
import { writeReportHtml } from '../report/report-html.js';
import { RUN_INFO_FILE, type RunEnvironment, type RunInfo, type RunSession, type RunStatus, currentEnvironment, readRunInfo } from '../report/run-info.js';
import { type MetricsRecord, readMetricsLog } from '../run/metrics-log.js';
import type { RunDir } from '../run/run-dir.js';
import type { MetricsReport } from '../metrics/evaluation.js';
import type { StepInfo, TrainEndInfo, TrainerCallbacks, TrainerContext, ValidationInfo } from './callbacks.js';

/** What the trainer knows of the run that its config does not say. */
export interface ReportRunSettings {
  /** The device training runs on ("cpu", "cuda:0"). */
  device: string;
  /** The precision rule in effect ("fp32", "bf16"). */
  precision: string;
  /** Processes of the run (data parallelism), 1 otherwise. */
  processes: number;
  /** Where to print the report's path when training starts. */
  log?: (line: string) => void;
  /** Seconds between the page's reloads while training runs; default 10. */
  reloadSeconds?: number;
}

export class ReportCallback implements TrainerCallbacks, Disposable {
  private records: MetricsRecord[] = [];
  private previous: RunSession[] = [];
  private session: RunSession | undefined;
  private startedAt = 0;
  private final: MetricsReport | undefined;

  constructor(
    private readonly runDir: RunDir,
    private readonly config: RunConfig,
    private readonly settings: ReportRunSettings = { device: config.train.device, precision: config.train.precision, processes: 1 },
  ) {}

  get path(): string {
    return this.runDir.file('report.html');
  }

  onTrainStart(ctx: TrainerContext): void {
    const metrics = this.runDir.file('metrics.jsonl');
    this.records = existsSync(metrics) ? readMetricsLog(metrics) : [];
    const infoFile = this.runDir.file(RUN_INFO_FILE);
    this.previous = [];
    if (existsSync(infoFile)) {
      try {
        this.previous = readRunInfo(infoFile).sessions;
      } catch (err) {
        // The record of earlier sessions is not worth stopping training for.
        this.settings.log?.(`${(err as Error).message}; the report starts its list of sessions anew`);
      }
    }
    // A session an earlier process left 'running' ended without saying so (a kill).
    this.previous = this.previous.map((s) => (s.status === 'running' ? { ...s, status: 'failed' as const, reason: 'the process ended without finishing (killed?)' } : s));
    this.startedAt = performance.now();
    const now = new Date().toISOString();
    const environment: RunEnvironment = currentEnvironment(this.settings);
    this.session = { started: now, updated: now, wallSeconds: 0, fromStep: ctx.globalStep, toStep: ctx.globalStep, status: 'running', environment };
    this.write(ctx, 'running');
    this.settings.log?.(`report: ${this.path} (rewritten at each validation; open it to follow the run)`);
  }

  onStepEnd(_ctx: TrainerContext, info: StepInfo): void {
    if (info.record) this.records.push(info.record);
  }

  onValidation(ctx: TrainerContext, info: ValidationInfo): void {
    this.records.push(info.record);
    this.write(ctx, 'running');
  }

  onTrainEnd(ctx: TrainerContext, info: TrainEndInfo): void {
    if (info.final) this.final = info.final;
    this.write(ctx, info.status, info.reason);
  }

  /**
   * Closing the trainer: a run that started but never reached its end (an
   * error stopped it) gets a last page that says so and stops reloading.
   */
  [Symbol.dispose](): void {
    if (this.session?.status !== 'running') return;
    try {
      this.write(undefined, 'failed', 'an error ended training');
    } catch {
      // the error that ended training is the one to report
    }
  }

  private runInfo(ctx: TrainerContext | undefined, status: RunStatus, reason: string | undefined): RunInfo {
    const session = this.session!;
    this.session = {
      ...session,
      updated: new Date().toISOString(),
      wallSeconds: (performance.now() - this.startedAt) / 1000,
      toStep: ctx?.globalStep ?? session.toStep,
      status,
      ...(reason !== undefined ? { reason } : {}),
    };
    return { version: 1, sessions: [...this.previous, this.session] };
  }

  private write(ctx: TrainerContext | undefined, status: RunStatus, reason?: string): void {
    const runInfo = this.runInfo(ctx, status, reason);
    this.runDir.writeJson(RUN_INFO_FILE, runInfo);
    writeReportHtml(this.path, {
      runName: this.runDir.name,
      records: this.records,
      config: this.config,
      ...(this.final ? { final: this.final, finalLabel: 'best checkpoint on the validation split' } : {}),
      recipe: this.config.model.kind === 'burst2vec' ? 'exvo-burst2vec' : 'avb-mtl',
      syntheticData: this.config.data.corpus.kind === 'synthetic',
      runInfo,
      ...(this.settings.reloadSeconds !== undefined ? { reloadSeconds: this.settings.reloadSeconds } : {}),
    });
  }
}
