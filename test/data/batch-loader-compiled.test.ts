/**
 * The loader's worker threads must also start from compiled JavaScript
 * (the published `dist/`), where no TypeScript loader exists. This test
 * compiles the loader with tsc into a temporary folder and runs it there
 * in a separate Node process.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { readExvoCorpus } from '../../src/data/corpus/exvo-corpus.js';
import { BatchLoader } from '../../src/data/loader/batch-loader.js';
import { planEpoch } from '../../src/data/sampling/epoch-plan.js';
import { tempDir, writeExvoCorpus } from './corpus-fixtures.js';

const run = promisify(execFile);
const repo = resolve(import.meta.dirname, '..', '..');
const work = tempDir('compiled');
afterAll(() => rmSync(work, { recursive: true, force: true }));

const SCRIPT = `
import { readExvoCorpus } from './dist/data/corpus/exvo-corpus.js';
import { BatchLoader } from './dist/data/loader/batch-loader.js';
import { planEpoch } from './dist/data/sampling/epoch-plan.js';
const corpus = readExvoCorpus(process.argv[2]);
const plan = planEpoch({ clips: corpus.clips, indices: corpus.clips.map((_, i) => i), batchSize: 3, seed: 5, epoch: 0 });
const loader = new BatchLoader({ clips: corpus.clips, tasks: corpus.tasks, numWorkers: 2 });
const summary = [];
for await (const batch of loader.batches(plan)) {
  let sum = 0;
  for (const v of batch.waveforms) sum += v;
  summary.push({ ids: batch.ids, length: batch.length, sum });
}
await loader.close();
console.log(JSON.stringify(summary));
`;

describe('BatchLoader from compiled JavaScript', () => {
  it('starts its workers from .js files and gives the same batches as the sources', async () => {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const sources = ['data/loader/batch-loader.ts', 'data/loader/batch-worker.ts', 'data/corpus/exvo-corpus.ts', 'data/sampling/epoch-plan.ts'];
    await run(process.execPath, [
      tsc,
      ...['--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--lib', 'es2022,esnext.disposable'],
      ...['--types', 'node', '--strict', '--skipLibCheck', '--rootDir', join(repo, 'src'), '--outDir', join(work, 'dist')],
      ...sources.map((s) => join(repo, 'src', s)),
    ]);
    writeFileSync(join(work, 'package.json'), '{ "type": "module" }\n');
    symlinkSync(join(repo, 'node_modules'), join(work, 'node_modules'));
    writeFileSync(join(work, 'run.mjs'), SCRIPT);
    const corpusRoot = join(work, 'corpus');
    mkdirSync(corpusRoot);
    writeExvoCorpus(corpusRoot, { count: 12 });

    const { stdout } = await run(process.execPath, [join(work, 'run.mjs'), corpusRoot], { cwd: work, timeout: 60_000 });
    const compiled = JSON.parse(stdout) as { ids: string[]; length: number; sum: number }[];

    const corpus = readExvoCorpus(corpusRoot);
    const plan = planEpoch({ clips: corpus.clips, indices: corpus.clips.map((_, i) => i), batchSize: 3, seed: 5, epoch: 0 });
    const loader = new BatchLoader({ clips: corpus.clips, tasks: corpus.tasks, numWorkers: 0 });
    const expected: { ids: string[]; length: number; sum: number }[] = [];
    for await (const batch of loader.batches(plan)) {
      let sum = 0;
      for (const v of batch.waveforms) sum += v;
      expected.push({ ids: [...batch.ids], length: batch.length, sum });
    }
    await loader.close();
    expect(compiled).toHaveLength(4);
    expect(compiled).toEqual(expected);
  }, 120_000);
});
