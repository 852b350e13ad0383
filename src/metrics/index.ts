/**
 * Metrics of the vocal burst tasks: CCC, Pearson, UAR, MAE and S_MTL, their
 * mergeable sufficient statistics, per-task reports, the challenges'
 * summaries and the papers' published values.
 */
export * from './pair-moments.js';
export * from './ccc.js';
export * from './pearson.js';
export * from './confusion.js';
export * from './uar.js';
export * from './mae.js';
export * from './smtl.js';
export * from './task-stats.js';
export * from './task-report.js';
export * from './challenge-summary.js';
export * from './evaluation.js';
export * from './paper-results.js';
