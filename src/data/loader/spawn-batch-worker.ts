/**
 * Starting a batch worker from compiled JavaScript (`dist/`) or from the
 * TypeScript sources (tests, `tsx` runs).
 *
 * From sources, the worker must load `.ts` modules. Passing
 * `execArgv: ['--import', 'tsx']` is not enough on Node 20: tsx's loader
 * registers its hooks only on the main thread there. So the worker starts
 * from a two-line bootstrap that registers tsx through its API
 * (`tsx/esm/api`), then imports the entry. tsx is a development
 * dependency; compiled code never takes this path.
 */
import { Worker } from 'node:worker_threads';
import type { BatchWorkerData } from './worker-protocol.js';

/** Start one worker running batch-worker with this data. */
export function spawnBatchWorker(workerData: BatchWorkerData): Worker {
  const runningFromSource = import.meta.url.endsWith('.ts');
  const entry = new URL(runningFromSource ? './batch-worker.ts' : './batch-worker.js', import.meta.url);
  if (!runningFromSource) return new Worker(entry, { workerData });
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap =
    `import(${JSON.stringify(tsxApi)})` +
    `.then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData });
}
