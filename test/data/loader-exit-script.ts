/**
 * Run in a child process by batch-loader.test.ts: reads the corpus at
 * argv[2], takes two batches from a worker loader, then either closes it
 * or forgets it (argv[3] = 'close' | 'forget'). The process must exit by
 * itself in both cases.
 */
import { readExvoCorpus } from '../../src/data/corpus/exvo-corpus.js';
import { BatchLoader } from '../../src/data/loader/batch-loader.js';
import { planEpoch } from '../../src/data/sampling/epoch-plan.js';

const [root, mode] = process.argv.slice(2) as [string, string];
const corpus = readExvoCorpus(root);
const plan = planEpoch({ clips: corpus.clips, indices: corpus.clips.map((_, i) => i), batchSize: 4, seed: 1, epoch: 0 });
const loader = new BatchLoader({ clips: corpus.clips, tasks: corpus.tasks, numWorkers: 2, prefetch: 2 });
let taken = 0;
for await (const _batch of loader.batches(plan)) {
  if (++taken === 2) break;
}
if (mode === 'close') await loader.close();
process.stdout.write(`done ${mode}\n`);
