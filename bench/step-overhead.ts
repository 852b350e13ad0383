/**
 * Per-step and per-op overhead of driving LibTorch from TypeScript, against
 * the same work in plain Python PyTorch on the same LibTorch, in one run.
 *
 * The model is a small MLP (so dispatch overhead, not FLOPs, weighs); both
 * sides start from the same weights and data and must produce the same first
 * losses, which shows they run the same step. Measurements alternate between
 * the two sides in blocks, and the medians are reported, so both see the same
 * machine load.
 *
 *   npx tsx bench/step-overhead.ts [--steps 200] [--ops 50000] [--rounds 5] [--threads 1]
 * Prints one JSON object.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import * as T from '../src/torch/index.js';
import { findTorchPython } from './python.js';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '200' },
    ops: { type: 'string', default: '50000' },
    rounds: { type: 'string', default: '5' },
    // One thread by default: the point is dispatch overhead, and OpenMP
    // threads that spin on a loaded machine would drown it.
    threads: { type: 'string', default: '1' },
  },
});
const steps = Number(values.steps);
const ops = Number(values.ops);
const rounds = Number(values.rounds);
const threads = Number(values.threads);

const SIZES = [256, 512, 512, 10];
const BATCH = 32;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

/** The Python side, kept running so blocks can alternate. */
class PythonWorker {
  private readonly lines: AsyncIterator<string>;
  private readonly proc;
  constructor(dir: string) {
    this.proc = spawn(findTorchPython(), [path.join(import.meta.dirname, 'step_overhead.py'), dir, String(threads)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    this.lines = createInterface({ input: this.proc.stdout })[Symbol.asyncIterator]();
  }
  async read(): Promise<Record<string, unknown>> {
    const r = await this.lines.next();
    if (r.done) throw new Error('the Python side exited early');
    return JSON.parse(r.value) as Record<string, unknown>;
  }
  async ask(cmd: string): Promise<Record<string, unknown>> {
    this.proc.stdin.write(`${cmd}\n`);
    return this.read();
  }
  close(): void {
    this.proc.stdin.end();
  }
}

async function main(): Promise<void> {
  T.setNumThreads(threads);
  T.manualSeed(0);
  const layers: (T.nn.Module & T.nn.Layer)[] = [];
  for (let i = 0; i < SIZES.length - 1; i++) {
    layers.push(new T.nn.Linear(SIZES[i]!, SIZES[i + 1]!));
    if (i < SIZES.length - 2) layers.push(new T.nn.GELU());
  }
  const model = new T.nn.Sequential(...layers);
  const x = T.keep(T.randn([BATCH, SIZES[0]!]));
  const y = T.keep(T.randint(0, SIZES.at(-1)!, [BATCH]));

  const dir = mkdtempSync(path.join(os.tmpdir(), 'vbt-bench-'));
  T.saveSafetensors(path.join(dir, 'weights.safetensors'), model.stateDict());
  T.saveSafetensors(path.join(dir, 'data.safetensors'), { x, y });
  writeFileSync(path.join(dir, 'sizes.json'), JSON.stringify(SIZES));
  const py = new PythonWorker(dir);
  const ready = await py.read();

  const opt = new T.AdamW(model.parameters(), { lr: 1e-3 });
  const step = (): number =>
    T.scope(() => {
      opt.zeroGrad();
      const loss = T.crossEntropy(model.forward(x), y);
      loss.backward();
      opt.step();
      return loss.item();
    });
  const a = T.keep(T.ones([1]));
  const b = T.keep(T.ones([1]));
  const tsSteps = (n: number): number => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) step();
    return (performance.now() - t0) / n;
  };
  const tsOps = (n: number): number =>
    T.scope(() => {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) a.add(b).dispose();
      return ((performance.now() - t0) * 1000) / n;
    });

  const firstTs = [step(), step(), step()];
  const firstPy = (await py.ask('first')).firstLosses as number[];
  tsSteps(20);
  await py.ask('steps 20');
  tsOps(2000);
  await py.ask('ops 2000');

  const res = { tsStep: [] as number[], pyStep: [] as number[], tsOp: [] as number[], pyOp: [] as number[] };
  for (let r = 0; r < rounds; r++) {
    res.tsStep.push(tsSteps(steps));
    res.pyStep.push((await py.ask(`steps ${steps}`)).stepMs as number);
    res.tsOp.push(tsOps(ops));
    res.pyOp.push((await py.ask(`ops ${ops}`)).opUs as number);
  }
  py.close();
  rmSync(dir, { recursive: true, force: true });

  const maxLossDiff = Math.max(...firstTs.map((l, i) => Math.abs(l - firstPy[i]!)));
  const vbt = { stepMs: median(res.tsStep), opUs: median(res.tsOp) };
  const python = { stepMs: median(res.pyStep), opUs: median(res.pyOp) };
  console.log(
    JSON.stringify(
      {
        bench: 'step-overhead',
        machine: { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.availableParallelism(), threads, node: process.version },
        libtorch: T.buildInfo().torchVersion,
        pythonTorch: ready.torch,
        model: `MLP ${SIZES.join('-')}, GELU, batch ${BATCH}, cross-entropy, AdamW`,
        method: `${rounds} alternating rounds of ${steps} steps and ${ops} one-element adds per side; medians`,
        vbt,
        python,
        stepRatio: vbt.stepMs / python.stepMs,
        opOverheadUs: { vbt: vbt.opUs, python: python.opUs, ratio: vbt.opUs / python.opUs },
        sameStep: { maxFirstLossDiff: maxLossDiff, ok: maxLossDiff < 1e-5 },
        goal: { stepRatio: '<= 1.0', met: vbt.stepMs / python.stepMs <= 1.0 },
      },
      null,
      2,
    ),
  );
}

await main();
