/** The run's report.html as a subscriber of the trainer's events, written from metrics.jsonl when training ends. */
import type { RunConfig } from '../config/schema.js';
import { writeReportHtml } from '../report/report-html.js';
import { readMetricsLog } from '../run/metrics-log.js';
import type { RunDir } from '../run/run-dir.js';
import type { TrainEndInfo, TrainerCallbacks, TrainerContext } from './callbacks.js';

export class ReportCallback implements TrainerCallbacks {
  constructor(
    private readonly runDir: RunDir,
    private readonly config: RunConfig,
  ) {}

  get path(): string {
    return this.runDir.file('report.html');
  }

  onTrainEnd(_ctx: TrainerContext, info: TrainEndInfo): void {
    writeReportHtml(this.path, {
      runName: this.runDir.name,
      records: readMetricsLog(this.runDir.file('metrics.jsonl')),
      config: this.config,
      ...(info.final ? { final: info.final, finalLabel: 'best checkpoint on the validation split' } : {}),
      recipe: this.config.model.kind === 'burst2vec' ? 'exvo-burst2vec' : 'avb-mtl',
      syntheticData: this.config.data.corpus.kind === 'synthetic',
    });
  }
}
