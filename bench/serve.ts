/**
 * Serving: `vbt serve` on loopback with a tiny trained run (the demo recipe:
 * random tiny data2vec backbone, recipe A heads trained for a moment), on
 * the CPU. A closed-loop load generator (its own keep-alive HTTP client)
 * sends 1–4 s WAV clips at rising concurrency and reports requests/s,
 * p50/p99 latency and the mean device batch; the server's peak RSS is its
 * VmHWM. Two servers of the same run are up at once, one with batching (the
 * run's evaluation batch size, 5 ms batching window) and one without (max
 * batch 1); blocks of load alternate between them (`--rounds` blocks of
 * `--seconds` each per level), so that what else the machine runs falls on
 * both alike. Requests/s are over all blocks of a level (with the slowest,
 * median and fastest block beside), latencies are over all requests, and
 * the speed-up of batching is the ratio of the requests/s.
 *
 * The server uses one CPU thread by default (`--threads`): on a small
 * machine the load generator needs the rest.
 *
 * Run: npx tsx bench/serve.ts [--seconds 4] [--rounds 5] [--levels 1,4,16] [--threads 1] [--run runs/x]   (prints one JSON object)
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { encodeWav } from '../src/audio/wav-encode.js';
import { Rng } from '../src/util/rng.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '5' },
    levels: { type: 'string', default: '1,4,16' },
    run: { type: 'string' },
    warmup: { type: 'string', default: '2' },
    threads: { type: 'string', default: '1' },
  },
});
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const warmup = Number(values.warmup);
const levels = values.levels!.split(',').map(Number);
const cli = path.join(import.meta.dirname, 'serve-cli.ts');
const root = path.resolve(import.meta.dirname, '..');

function log(line: string): void {
  process.stderr.write(`bench serve: ${line}\n`);
}

/** A tiny trained run: the demo recipe, heads trained for two epochs on cached backbone features. */
function trainRun(dir: string): string {
  const stage = { name: 'heads', freeze: 'all', optimizer: 'adamw', lr: 3e-3, epochs: 2, patience: 2, cacheFeatures: true };
  const args = [
    '--import', 'tsx', cli, 'train', '--recipe', 'demo', '--name', 'serve-bench', '--progress', 'none',
    '--set', `output.dir=${JSON.stringify(path.join(dir, 'runs'))}`,
    '--set', 'data.corpus.clips=120',
    '--set', `train.stages=${JSON.stringify([stage])}`,
  ];
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`training the bench run failed: ${r.stderr}`);
  return path.join(dir, 'runs', 'serve-bench');
}

/** Clips of 1 to 4 s: voiced glides with noise, 16 kHz mono WAV bytes. */
function clips(): Buffer[] {
  const rng = new Rng(7);
  const out: Buffer[] = [];
  for (let i = 0; i < 8; i++) {
    const rate = 16000;
    const n = Math.round((1 + (3 * i) / 7) * rate);
    const samples = new Float32Array(n);
    let phase = 0;
    for (let t = 0; t < n; t++) {
      phase += (2 * Math.PI * (150 + 100 * Math.sin(t / 4000 + i))) / rate;
      samples[t] = 0.3 * Math.sin(phase) + 0.05 * rng.uniform(-1, 1);
    }
    out.push(encodeWav(samples, rate, { format: 'pcm16' }));
  }
  return out;
}

interface Server {
  readonly child: ChildProcess;
  readonly url: string;
}

function startServer(run: string, maxBatch: number | undefined): Promise<Server> {
  const args = ['--import', 'tsx', cli, 'serve', '--run', run, '--port', '0', '--max-in-flight', '256', '--threads', values.threads!, ...(maxBatch !== undefined ? ['--max-batch', String(maxBatch)] : [])];
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  return new Promise((resolve, reject) => {
    let stdout = '';
    child.stdout!.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
      const match = /listening on (http:\/\/[^ ]+)/.exec(stdout);
      if (match) resolve({ child, url: match[1]! });
    });
    child.on('exit', (code) => reject(new Error(`vbt serve exited (${code}): ${stderr}`)));
  });
}

async function stopServer(server: Server): Promise<void> {
  const exited = new Promise((resolve) => server.child.on('exit', resolve));
  server.child.kill('SIGTERM');
  await exited;
}

/** The server's resident and peak resident memory, MiB. */
function memory(pid: number): { rssMb: number; peakRssMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)![1]);
  return { rssMb: Math.round(kb('VmRSS') / 1024), peakRssMb: Math.round(kb('VmHWM') / 1024) };
}

function request(agent: http.Agent, url: URL, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { 'Content-Type': 'audio/wav', 'Content-Length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function getJson(url: string): Promise<Record<string, unknown>> {
  return (await (await fetch(url)).json()) as Record<string, unknown>;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

interface Block {
  requestsPerSecond: number;
  elapsed: number;
  latencies: number[];
  errors: number;
  runs: number;
  items: number;
}

/** Closed loop: `concurrency` clients, each sending its next request when the last is answered, for `duration` s. */
async function block(base: string, bodies: Buffer[], concurrency: number, duration: number): Promise<Block> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const url = new URL('/v1/predict', base);
  const before = (await getJson(`${base}/healthz`)).batches as { runs: number; items: number };
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  const deadline = started + duration * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const body = bodies[next++ % bodies.length]!;
        const t0 = performance.now();
        try {
          const status = await request(agent, url, body);
          if (status === 200) latencies.push(performance.now() - t0);
          else errors++;
        } catch {
          errors++;
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  const after = (await getJson(`${base}/healthz`)).batches as { runs: number; items: number };
  return { requestsPerSecond: latencies.length / elapsed, elapsed, latencies, errors, runs: after.runs - before.runs, items: after.items - before.items };
}

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function summary(blocks: Block[]): Record<string, number> {
  const latencies = blocks.flatMap((b) => b.latencies).sort((a, b) => a - b);
  const runs = blocks.reduce((n, b) => n + b.runs, 0);
  const items = blocks.reduce((n, b) => n + b.items, 0);
  const rates = blocks.map((b) => b.requestsPerSecond);
  return {
    // All blocks together (answered requests over their total time); the blocks' spread shows the machine's noise.
    requestsPerSecond: round(latencies.length / blocks.reduce((t, b) => t + b.elapsed, 0)),
    medianBlockRequestsPerSecond: round(median(rates)),
    slowestBlockRequestsPerSecond: round(Math.min(...rates)),
    fastestBlockRequestsPerSecond: round(Math.max(...rates)),
    p50Ms: round(quantile(latencies, 0.5)),
    p99Ms: round(quantile(latencies, 0.99)),
    requests: latencies.length,
    errors: blocks.reduce((n, b) => n + b.errors, 0),
    meanBatch: round(items / Math.max(1, runs), 2),
  };
}

const work = mkdtempSync(path.join(tmpdir(), 'vbt-bench-serve-'));
const servers: Server[] = [];
try {
  let run = values.run;
  if (run === undefined) {
    log('training a tiny run (demo recipe, heads only)');
    run = trainRun(work);
  }
  const bodies = clips();
  const batched = await startServer(run, undefined);
  servers.push(batched);
  const unbatched = await startServer(run, 1);
  servers.push(unbatched);
  const maxBatch = (await getJson(`${batched.url}/v1/model`)).maxBatch as number;
  log(`servers up: ${batched.url} (max batch ${maxBatch}), ${unbatched.url} (max batch 1); warming up`);
  for (const server of servers) await block(server.url, bodies, 4, warmup);
  const idle = servers.map((server) => memory(server.child.pid!).rssMb);
  const results = [];
  for (const concurrency of levels) {
    const blocks: [Block[], Block[]] = [[], []];
    for (let r = 0; r < rounds; r++) {
      for (const [i, server] of servers.entries()) blocks[i]!.push(await block(server.url, bodies, concurrency, seconds));
    }
    const [b, u] = [summary(blocks[0]), summary(blocks[1])];
    const speedup = round(b.requestsPerSecond! / u.requestsPerSecond!, 2);
    log(`concurrency ${concurrency}: batched ${b.requestsPerSecond} req/s (p50 ${b.p50Ms} ms, p99 ${b.p99Ms} ms, mean batch ${b.meanBatch}), ` +
      `one at a time ${u.requestsPerSecond} req/s (p50 ${u.p50Ms} ms, p99 ${u.p99Ms} ms): ×${speedup}`);
    results.push({ concurrency, batched: b, unbatched: u, speedup });
  }
  const peak = servers.map((server) => memory(server.child.pid!).peakRssMb);
  const cpu = cpus();
  process.stdout.write(
    `${JSON.stringify({
      bench: 'serve',
      machine: { cpu: cpu[0]?.model ?? 'unknown', logicalCores: cpu.length },
      backbone: 'data2vec tiny (random weights), recipe A heads, CPU, fp32',
      clips: '8 WAV clips of 1-4 s, 16 kHz mono',
      secondsPerBlock: seconds,
      rounds,
      serverThreads: Number(values.threads),
      batchWindowMs: 5,
      maxBatch,
      levels: results,
      server: {
        batched: { idleRssMb: idle[0], peakRssMb: peak[0] },
        unbatched: { idleRssMb: idle[1], peakRssMb: peak[1] },
      },
    })}\n`,
  );
} finally {
  await Promise.all(servers.map((server) => stopServer(server)));
  rmSync(work, { recursive: true, force: true });
}
