/**
 * Memory churn of recipe A's fine-tuning step: vbt with its host memory
 * cache (src/torch/host-memory.ts) against vbt without it
 * (VBT_HOST_CACHE_MB=0: LibTorch's own allocator on glibc's malloc), each in
 * its own process, same weights, batches and threads, in paired rounds
 * (cache, no cache, cache, no cache, ...).
 *
 * Per point (backbone, batch size × clip length): ms per step and the
 * median over rounds of the ratio cache ÷ no cache, minor page faults per
 * step (getrusage, all threads), CPU ms per step, resident memory after the
 * rounds, and with --syscalls (needs strace) the brk, mmap and munmap calls
 * per step, counted in one extra block per side with strace attached.
 *
 *   npx tsx bench/alloc-churn.ts [--points tiny:4x4,tiny:16x10,base:2x1] [--rounds 5]
 *       [--block-ms 1500] [--warmup 2] [--threads auto|N] [--syscalls] [--out FILE]
 * Prints one JSON object.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { BackboneSchema } from '../src/config/schema.js';
import { prepareBackbone } from '../src/run/prepare.js';
import * as T from '../src/torch/index.js';
import { Rng } from '../src/util/rng.js';
import { type Block, LineWorker, type VbtSide, classWeightsFor, loadRecipeA, makeBatches, median, recipeAModel, round } from './recipe-a-step.js';

const { values } = parseArgs({
  options: {
    worker: { type: 'boolean', default: false },
    points: { type: 'string', default: 'tiny:4x4,tiny:16x10,base:2x1' },
    rounds: { type: 'string', default: '5' },
    'block-ms': { type: 'string', default: '1500' },
    warmup: { type: 'string', default: '2' },
    threads: { type: 'string', default: 'auto' },
    syscalls: { type: 'boolean', default: false },
    seed: { type: 'string', default: '0' },
    out: { type: 'string' },
  },
});
const seed = Number(values.seed);
const threads = T.chooseThreads(values.threads === 'auto' ? 'auto' : Number(values.threads));

/** The worker: one model at a time, batches made from the seed, blocks of steps on command. */
async function worker(): Promise<void> {
  T.setNumThreads(threads.threads);
  T.setJitOptimization(false);
  const tasks = [...new Set(recipeAModel().tasks)];
  const classWeights = classWeightsFor(tasks, new Rng(seed));
  let side: VbtSide | undefined;
  const reply = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
  reply({ ready: true, hostMemory: T.hostMemory() });
  for await (const line of createInterface({ input: process.stdin })) {
    const [cmd, a, b] = line.trim().split(/\s+/);
    try {
      if (cmd === 'load') {
        side?.dispose();
        // Each model starts from an empty cache, as in a fresh process.
        T.releaseHostMemory();
        side = loadRecipeA(a!, classWeights, seed);
        reply({ loaded: a });
      } else if (cmd === 'data') {
        // Same seed on both sides: the same batches.
        side!.setBatches(makeBatches(tasks, Number(a), Number(b), 2, new Rng(seed + 1)));
        reply({ batches: 2 });
      } else if (cmd === 'steps') {
        const block: Block = side!.block(Number(a));
        reply({ ...block, rssMb: Math.round(process.memoryUsage().rss / 2 ** 20), cache: T.hostMemory() });
      } else {
        reply({ error: `unknown command ${cmd}` });
      }
    } catch (err) {
      reply({ error: err instanceof Error ? err.message : String(err) });
    }
  }
  side?.dispose();
}

/** brk, mmap and munmap calls per step of one block, counted by strace attached to the worker. */
async function countSyscalls(w: LineWorker, steps: number): Promise<Record<string, number> | null> {
  const file = path.join(os.tmpdir(), `vbt-alloc-churn-${w.pid}.strace`);
  const tracer = spawn('strace', ['-c', '-f', '-e', 'trace=brk,mmap,munmap', '-o', file, '-p', String(w.pid)], { stdio: 'ignore' });
  await new Promise((resolve) => setTimeout(resolve, 500)); // attached
  await w.ask(`steps ${steps}`);
  tracer.kill('SIGINT');
  await new Promise((resolve) => tracer.on('close', resolve));
  try {
    const counts: Record<string, number> = { brk: 0, mmap: 0, munmap: 0 };
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const f = line.trim().split(/\s+/);
      const name = f.at(-1);
      if (name && name in counts && f.length >= 5) counts[name] = Math.round((Number(f[3]) / steps) * 10) / 10;
    }
    return counts;
  } catch {
    return null;
  } finally {
    rmSync(file, { force: true });
  }
}

async function coordinator(): Promise<void> {
  const log = (line: string) => console.error(`alloc-churn: ${line}`);
  const points = values.points.split(',').map((p) => {
    const m = /^(tiny|base):(\d+)x([\d.]+)$/.exec(p);
    if (!m) throw new Error(`--points: '${p}' is not SIZE:BATCHxSECONDS (e.g. tiny:4x4)`);
    return { size: m[1] as 'tiny' | 'base', batch: Number(m[2]), seconds: Number(m[3]) };
  });
  const archives: Record<string, string> = {};
  for (const size of new Set(points.map((p) => p.size))) {
    archives[size] = await prepareBackbone(BackboneSchema.parse({ family: 'data2vec', config: size, seed }), null, log);
  }
  const haveStrace = values.syscalls && spawnSync('strace', ['-V'], { stdio: 'ignore' }).status === 0;
  if (values.syscalls && !haveStrace) log('strace not found: no syscall counts (apt-get install strace)');
  const self = [path.join(import.meta.dirname, 'alloc-churn.ts'), '--worker', '--threads', String(threads.threads), '--seed', String(seed)];
  const env = { ...process.env };
  delete env.VBT_HOST_CACHE_MB;
  const cached = new LineWorker(process.execPath, ['--import', 'tsx', ...self], 'the worker with the host cache', env);
  const uncached = new LineWorker(process.execPath, ['--import', 'tsx', ...self], 'the worker without it', { ...env, VBT_HOST_CACHE_MB: '0' });
  const cachedReady = await cached.read();
  await uncached.read();

  const results = [];
  let loaded = '';
  for (const p of points) {
    if (loaded !== p.size) {
      await cached.ask(`load ${archives[p.size]}`);
      await uncached.ask(`load ${archives[p.size]}`);
      loaded = p.size;
    }
    await cached.ask(`data ${p.batch} ${p.seconds}`);
    await uncached.ask(`data ${p.batch} ${p.seconds}`);
    const warm = Number(values.warmup);
    const w1 = (await cached.ask(`steps ${warm}`)) as unknown as Block;
    const w2 = (await uncached.ask(`steps ${warm}`)) as unknown as Block;
    const n = Math.max(1, Math.round(Number(values['block-ms']) / Math.max(w1.stepMs, w2.stepMs)));
    const a: (Block & { rssMb: number; cache: T.HostMemoryState })[] = [];
    const b: (Block & { rssMb: number; cache: T.HostMemoryState })[] = [];
    for (let r = 0; r < Number(values.rounds); r++) {
      a.push((await cached.ask(`steps ${n}`)) as unknown as Block & { rssMb: number; cache: T.HostMemoryState });
      b.push((await uncached.ask(`steps ${n}`)) as unknown as Block & { rssMb: number; cache: T.HostMemoryState });
    }
    const side = (blocks: (Block & { rssMb: number; cache: T.HostMemoryState })[]) => ({
      stepMs: round(median(blocks.map((x) => x.stepMs)), 1),
      cpuMs: round(median(blocks.map((x) => x.cpuMs)), 1),
      faultsPerStep: Math.round(median(blocks.map((x) => x.faultsPerStep))),
      rssMb: blocks.at(-1)!.rssMb,
      ...(blocks.at(-1)!.cache.enabled
        ? { cache: { cachedMb: Math.round(blocks.at(-1)!.cache.cachedBytes / 2 ** 20), hits: blocks.at(-1)!.cache.hits, misses: blocks.at(-1)!.cache.misses, evictions: blocks.at(-1)!.cache.evictions } }
        : {}),
    });
    const ratios = a.map((x, i) => x.stepMs / b[i]!.stepMs);
    const point = {
      backbone: p.size,
      batch: p.batch,
      seconds: p.seconds,
      stepsPerBlock: n,
      cache: { ...side(a), ...(haveStrace ? { syscallsPerStep: await countSyscalls(cached, n) } : {}) },
      noCache: { ...side(b), ...(haveStrace ? { syscallsPerStep: await countSyscalls(uncached, n) } : {}) },
      ratio: round(median(ratios)),
      ratios: ratios.map((x) => round(x)),
    };
    log(
      `${p.size} ${p.batch} × ${p.seconds} s: cache ${point.cache.stepMs} ms, ${point.cache.faultsPerStep} faults; ` +
        `no cache ${point.noCache.stepMs} ms, ${point.noCache.faultsPerStep} faults; ratio ${point.ratio}`,
    );
    results.push(point);
  }
  cached.close();
  uncached.close();
  const result = {
    bench: 'alloc-churn',
    machine: { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.availableParallelism(), loadAverage: os.loadavg().map((l) => round(l, 2)), node: process.version },
    libtorch: T.buildInfo().torchVersion,
    blas: T.blasInUse().name,
    threads: threads.threads,
    hostMemory: cachedReady.hostMemory,
    method: `recipe A fine-tuning step (trainer's step, AdamW), ${values.rounds} alternating rounds of about ${values['block-ms']} ms blocks per point after ${values.warmup} warm-up steps; ratio = median over rounds of ms with the cache ÷ ms without`,
    points: results,
  };
  const json = JSON.stringify(result, null, 2);
  if (values.out) {
    mkdirSync(path.dirname(path.resolve(values.out)), { recursive: true });
    writeFileSync(values.out, `${json}\n`);
  }
  console.log(json);
}

await (values.worker ? worker() : coordinator());
