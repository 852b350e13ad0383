/** Printing metric reports on the terminal. */
import { TASK_SPECS, type Task } from '../tasks.js';
import type { MetricsReport } from '../metrics/index.js';

/** One line per task ("high     CCC  0.612"), then the ExVo S_MTL when defined. */
export function formatMetrics(report: MetricsReport, indent = '  '): string {
  const lines = Object.entries(report.tasks).map(
    ([task, r]) => `${indent}${task.padEnd(8)} ${TASK_SPECS[task as Task].metric.toUpperCase().padEnd(4)} ${r!.value.toFixed(3)}`,
  );
  if (report.exvo.smtl !== null) lines.push(`${indent}${'S_MTL'.padEnd(13)} ${report.exvo.smtl.toFixed(3)}`);
  if (report.empty.length > 0) lines.push(`${indent}(no labels for ${report.empty.join(', ')})`);
  return lines.join('\n');
}
