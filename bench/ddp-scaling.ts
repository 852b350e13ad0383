/**
 * Data-parallel scaling on the CPU: training steps per second of a tiny
 * model with 1 and with 2 processes over Gloo on loopback, and the time the
 * gradient all-reduce takes per step.
 *
 * The step is the fine-tuning step's shape: tiny data2vec backbone (random
 * weights, exported once into the cache), masked mean pooling, a linear head,
 * MSE, backward, the bucketed gradient all-reduce of src/distributed
 * (GradientSync), AdamW. Every process gets the same per-process batch, so
 * the global batch grows with the processes (as in data-parallel training);
 * each process uses `--threads` LibTorch threads.
 *
 *   npx tsx bench/ddp-scaling.ts [--worlds 1,2] [--steps 60] [--warmup 5] [--batch 4] [--seconds 1] [--threads 1]
 * Prints one JSON object. (The same file is the worker when RANK is set.)
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { BackboneConfig } from '../src/config/schema.js';
import { GradientSync, ProcessGroup, Rendezvous, freePort } from '../src/distributed/index.js';
import { Backbone } from '../src/model/backbone.js';
import { AdamW, type Tensor, manualSeed, mseLoss, nn, randn, scope, setNumThreads, tensor } from '../src/torch/index.js';
import { prepareBackbone } from '../src/run/prepare.js';

const { values } = parseArgs({
  options: {
    worlds: { type: 'string', default: '1,2' },
    steps: { type: 'string', default: '60' },
    warmup: { type: 'string', default: '5' },
    batch: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '1' },
    threads: { type: 'string', default: '1' },
    cache: { type: 'string', default: path.join(os.tmpdir(), 'vbt-bench-cache') },
  },
});
const steps = Number(values.steps);
const warmup = Number(values.warmup);
const batch = Number(values.batch);
const seconds = Number(values.seconds);
const threads = Number(values.threads);
const here = fileURLToPath(import.meta.url);

interface WorkerResult {
  rank: number;
  worldSize: number;
  stepsPerSec: number;
  /** Forward and backward only. */
  computeMsPerStep: number;
  /** Waiting at a barrier for the slowest rank before the all-reduce. */
  waitMsPerStep: number;
  /** The gradient all-reduce alone (all ranks present). */
  allReduceMsPerStep: number;
  allReducesPerStep: number;
  gradientMiB: number;
  parameters: number;
}

async function backbonePath(): Promise<string> {
  return prepareBackbone({ family: 'data2vec', config: 'tiny', seed: 0 } as BackboneConfig, values.cache!, (l) => console.error(l));
}

/** One rank: time `steps` training steps after `warmup` ones. */
async function worker(): Promise<void> {
  const rank = Number(process.env.RANK);
  const worldSize = Number(process.env.WORLD_SIZE);
  setNumThreads(threads);
  manualSeed(rank + 1);
  const rendezvous = Rendezvous.join({ host: '127.0.0.1', port: Number(process.env.MASTER_PORT), rank, worldSize, timeoutMs: 60_000 });
  const group = ProcessGroup.create(rendezvous, { rank, worldSize, backend: 'gloo', timeoutMs: 60_000, glooHostname: '127.0.0.1' });
  const backbone = Backbone.load(process.env.VBT_BENCH_BACKBONE!);
  backbone.train(true);
  const head = new nn.Linear(backbone.hiddenSize, 4);
  const params = [...backbone.trainableParameters(), ...head.parameters()];
  // Same starting weights everywhere, as the trainer broadcasts them.
  group.broadcast(params);
  const optimizer = new AdamW(params, { lr: 1e-4 });
  const sync = new GradientSync(group, params);
  const samples = Math.round(seconds * backbone.sampleRate);
  const waves = randn([batch, samples]);
  const lengths = tensor(Array.from({ length: batch }, () => samples), { dtype: 'int64' });
  const targets = randn([batch, 4]);
  let computeSeconds = 0;
  let waitSeconds = 0;
  const step = () => {
    const c0 = performance.now();
    scope(() => {
      const pooled = backbone.pooled(waves, lengths);
      mseLoss(head.forward(pooled), targets).backward();
    });
    const c1 = performance.now();
    computeSeconds += (c1 - c0) / 1000;
    // The ranks meet first, so the all-reduce time below is the transfer alone, not the wait for a slower rank.
    group.barrier();
    waitSeconds += (performance.now() - c1) / 1000;
    sync.sync();
    optimizer.step();
    optimizer.zeroGrad();
  };
  for (let i = 0; i < warmup; i++) step();
  group.barrier();
  const before = { ...sync.stats };
  computeSeconds = 0;
  waitSeconds = 0;
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) step();
  group.barrier();
  const elapsed = (performance.now() - t0) / 1000;
  const result: WorkerResult = {
    rank,
    worldSize,
    stepsPerSec: steps / elapsed,
    computeMsPerStep: (computeSeconds / steps) * 1000,
    waitMsPerStep: (waitSeconds / steps) * 1000,
    allReduceMsPerStep: ((sync.stats.allReduceSeconds - before.allReduceSeconds) / steps) * 1000,
    allReducesPerStep: (sync.stats.allReduces - before.allReduces) / steps,
    gradientMiB: params.reduce((n: number, p: Tensor) => n + p.numel * 4, 0) / 2 ** 20,
    parameters: params.reduce((n: number, p: Tensor) => n + p.numel, 0),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  group.dispose();
  rendezvous.dispose();
}

/**
 * Run `worldSize` worker processes and collect their results; `independent`:
 * as many separate one-process runs at the same time (a control that shows
 * what the machine does to concurrent processes without any communication).
 */
async function run(worldSize: number, backbone: string, independent = false): Promise<WorkerResult[]> {
  const ports = await Promise.all(Array.from({ length: independent ? worldSize : 1 }, () => freePort()));
  const runs = Array.from({ length: worldSize }, (_, r) => {
    const [rank, world, port] = independent ? [0, 1, ports[r]!] : [r, worldSize, ports[0]!];
    const child = spawn(process.execPath, [...process.execArgv, here, ...process.argv.slice(2)], {
      env: { ...process.env, RANK: String(rank), WORLD_SIZE: String(world), MASTER_PORT: String(port), VBT_BENCH_BACKBONE: backbone, OMP_NUM_THREADS: String(threads) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    return new Promise<WorkerResult>((resolve, reject) =>
      child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!) as WorkerResult) : reject(new Error(`rank ${r} exited with ${code}`)))),
    );
  });
  return Promise.all(runs);
}

async function main(): Promise<void> {
  const backbone = await backbonePath();
  const worlds = values.worlds!.split(',').map(Number);
  const results: Record<string, unknown>[] = [];
  for (const w of worlds) {
    const ranks = await run(w, backbone);
    // The slowest rank sets the pace of a synchronous run.
    const stepsPerSec = Math.min(...ranks.map((r) => r.stepsPerSec));
    results.push({
      processes: w,
      stepsPerSec: Number(stepsPerSec.toFixed(3)),
      samplesPerSec: Number((stepsPerSec * batch * w).toFixed(2)),
      computeMsPerStep: Number(Math.max(...ranks.map((r) => r.computeMsPerStep)).toFixed(2)),
      waitMsPerStep: Number(Math.max(...ranks.map((r) => r.waitMsPerStep)).toFixed(3)),
      allReduceMsPerStep: Number(Math.max(...ranks.map((r) => r.allReduceMsPerStep)).toFixed(3)),
      allReducesPerStep: ranks[0]!.allReducesPerStep,
      gradientMiBPerStep: Number(ranks[0]!.gradientMiB.toFixed(3)),
      parameters: ranks[0]!.parameters,
    });
  }
  // Control: the same number of processes, each training alone.
  const most = Math.max(...worlds);
  const control = most > 1 ? await run(most, backbone, true) : [];
  const one = results.find((r) => r.processes === 1);
  const two = results.find((r) => r.processes === 2);
  console.log(
    JSON.stringify(
      {
        bench: 'ddp-scaling',
        model: 'data2vec tiny (random) + linear head',
        backend: 'gloo (loopback)',
        batchPerProcess: batch,
        clipSeconds: seconds,
        threadsPerProcess: threads,
        cores: os.availableParallelism(),
        steps,
        results,
        ...(control.length > 0
          ? {
              independentControl: {
                processes: most,
                stepsPerSec: Number(Math.min(...control.map((r) => r.stepsPerSec)).toFixed(3)),
                computeMsPerStep: Number(Math.max(...control.map((r) => r.computeMsPerStep)).toFixed(2)),
              },
            }
          : {}),
        ...(one && two ? { scalingEfficiency: Number(((two.samplesPerSec as number) / (2 * (one.samplesPerSec as number))).toFixed(3)) } : {}),
      },
      null,
      2,
    ),
  );
}

if (process.env.RANK !== undefined) await worker();
else await main();
