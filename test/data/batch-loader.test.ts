import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { Batch, BatchPlan } from '../../src/data/batch.js';
import { readExvoCorpus } from '../../src/data/corpus/exvo-corpus.js';
import { splitIndices } from '../../src/data/corpus/corpus.js';
import { DataError } from '../../src/data/data-error.js';
import { BatchLoader, LoaderClosedError, type BatchLoaderOptions } from '../../src/data/loader/batch-loader.js';
import { inverseCountrySampleWeights } from '../../src/data/sampling/inverse-frequency-weights.js';
import { planEpoch } from '../../src/data/sampling/epoch-plan.js';
import { preprocessedLengths } from '../../src/data/sampling/clip-lengths.js';
import { fixtureId, tempDir, writeExvoCorpus } from './corpus-fixtures.js';

const run = promisify(execFile);
const root = tempDir('loader');
afterAll(() => rmSync(root, { recursive: true, force: true }));
writeExvoCorpus(root, { count: 40 });
const corpus = readExvoCorpus(root);
const train = splitIndices(corpus.clips, 'Train');
const lengths = preprocessedLengths(corpus.clips);
const plan = planEpoch({ clips: corpus.clips, indices: train, batchSize: 4, seed: 7, epoch: 0, lengths, taskRotation: ['high', 'country', 'age'] });

function options(extra: Partial<BatchLoaderOptions> = {}): BatchLoaderOptions {
  return {
    clips: corpus.clips,
    tasks: corpus.tasks,
    sampleWeights: inverseCountrySampleWeights(corpus.clips, train),
    padToMultiple: 320,
    ...extra,
  };
}

async function collect(loader: BatchLoader, batchPlan: readonly BatchPlan[]): Promise<Batch[]> {
  const batches: Batch[] = [];
  for await (const batch of loader.batches(batchPlan)) batches.push(batch);
  return batches;
}

describe('BatchLoader', () => {
  it('worker threads give exactly the batches of the inline path, in plan order', async () => {
    const inline = new BatchLoader(options({ numWorkers: 0 }));
    const pooled = new BatchLoader(options({ numWorkers: 2, prefetch: 3 }));
    try {
      const expected = await collect(inline, plan);
      const actual = await collect(pooled, plan);
      expect(actual).toHaveLength(plan.length);
      expect(actual).toEqual(expected);
      actual.forEach((batch, k) => {
        expect(batch.ids).toEqual((plan[k] as BatchPlan).clipIndices.map((i) => corpus.clips[i]?.id));
        expect(batch.task).toBe((plan[k] as BatchPlan).task);
        expect(batch.length % 320).toBe(0);
        expect(batch.sampleWeights).toHaveLength(batch.batchSize);
        expect(batch.waveforms.buffer.byteLength).toBe(batch.waveforms.byteLength);
      });
      // The stereo 44.1 kHz clip arrives as 16 kHz mono of the length the header predicted.
      const stereoIndex = corpus.clips.findIndex((c) => c.id === fixtureId(1));
      const withStereo = actual.find((b) => b.ids.includes(fixtureId(1))) as Batch;
      expect(withStereo.lengths[withStereo.ids.indexOf(fixtureId(1))]).toBe(lengths[stereoIndex]);
    } finally {
      await Promise.all([inline.close(), pooled.close()]);
    }
  });

  it('uses the preprocessed-audio cache from workers: a second pass reads the same batches back', async () => {
    const cacheDir = join(root, 'cache');
    const first = new BatchLoader(options({ numWorkers: 1, cacheDir }));
    const a = await collect(first, plan.slice(0, 6));
    await first.close();
    const second = new BatchLoader(options({ numWorkers: 0, cacheDir }));
    const b = await collect(second, plan.slice(0, 6));
    await second.close();
    expect(b).toEqual(a);
  });

  it('surfaces a worker error in the main thread as a DataError naming the audio file and its row', async () => {
    const broken = [...corpus.clips];
    const victim = plan[2]?.clipIndices[1] as number;
    const clip = corpus.clips[victim];
    if (clip === undefined) throw new Error('fixture');
    broken[victim] = { ...clip, audioPath: join(root, 'wav', 'gone.wav') };
    for (const numWorkers of [2, 0]) {
      const loader = new BatchLoader(options({ clips: broken, numWorkers }));
      const seen: string[][] = [];
      let failure: unknown;
      try {
        for await (const batch of loader.batches(plan)) seen.push([...batch.ids]);
      } catch (error) {
        failure = error;
      } finally {
        await loader.close();
      }
      expect(seen, `numWorkers ${numWorkers}`).toHaveLength(2); // batches before the bad one arrive
      expect(failure).toBeInstanceOf(DataError);
      const dataError = failure as DataError;
      expect(dataError.audioPath).toBe(join(root, 'wav', 'gone.wav'));
      expect(dataError.file).toBe(join(root, 'data_info.csv'));
      expect(dataError.row).toBe(clip.source.row);
      expect(dataError.column).toBe('File_ID');
      expect(dataError.message).toContain('gone.wav: file not found');
    }
  });

  it('passes other worker errors through with their message', async () => {
    const loader = new BatchLoader(options({ numWorkers: 1 }));
    try {
      await expect(loader.load({ clipIndices: [0, 999] })).rejects.toThrow(/batch plan names clip 999, the loader has 40/);
      // The pool is still usable afterwards.
      expect((await loader.load(plan[0] as BatchPlan)).batchSize).toBe(4);
    } finally {
      await loader.close();
    }
  });

  it('stops cleanly: leaving a loop early, closing with batches in flight, closing twice, asyncDispose', async () => {
    const loader = new BatchLoader(options({ numWorkers: 2, prefetch: 6 }));
    let taken = 0;
    for await (const _batch of loader.batches(plan)) {
      if (++taken === 2) break;
    }
    const iterator = loader.batches(plan);
    await iterator.next();
    const started = performance.now();
    await loader.close();
    await loader.close();
    expect(performance.now() - started).toBeLessThan(2000);
    await expect(iterator.next()).rejects.toBeInstanceOf(LoaderClosedError);
    await expect(loader.load(plan[0] as BatchPlan)).rejects.toBeInstanceOf(LoaderClosedError);

    const disposable = new BatchLoader(options({ numWorkers: 1 }));
    await disposable.load(plan[0] as BatchPlan);
    await disposable[Symbol.asyncDispose]();
    await expect(disposable.load(plan[0] as BatchPlan)).rejects.toBeInstanceOf(LoaderClosedError);
  });

  it('keeps batches ready while the main thread is blocked in a synchronous step', async () => {
    const loader = new BatchLoader(options({ numWorkers: 1, prefetch: 4 }));
    const waits: number[] = [];
    try {
      const iterator = loader.batches(plan);
      for (;;) {
        const before = performance.now();
        const next = await iterator.next();
        waits.push(performance.now() - before);
        if (next.done === true) break;
        const until = performance.now() + 50; // a blocking "training step"
        while (performance.now() < until) {
          /* busy */
        }
      }
    } finally {
      await loader.close();
    }
    // After the first batch, the next one is already waiting each time.
    const steady = waits.slice(1, -1).sort((a, b) => a - b);
    expect(steady.length).toBeGreaterThan(5);
    // (a bound of half a step, so other jobs sharing the cores do not make it fail)
    expect(steady[Math.floor(steady.length / 2)]).toBeLessThan(25);
  });

  it('lets the process exit when a loader is left open, and after close (child process)', async () => {
    const script = join(import.meta.dirname, 'loader-exit-script.ts');
    for (const mode of ['close', 'forget']) {
      const started = performance.now();
      const { stdout } = await run(process.execPath, ['--import', 'tsx', script, root, mode], { timeout: 30_000 });
      expect(stdout.trim()).toBe(`done ${mode}`);
      expect(performance.now() - started).toBeLessThan(30_000);
    }
  });
});
