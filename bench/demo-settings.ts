/**
 * The demo (`vbt train`, the default job) under different CPU settings, in
 * paired rounds: each round runs every setting once, one after another, in
 * a fresh process, so that load from other jobs affects all of them alike;
 * each setting's figure is the median over rounds of its time ÷ the first
 * setting's time in the same round.
 *
 * Settings (`--settings`, comma-separated; the first is the reference):
 *   default       as installed: the BLAS behind libblas.so.3 (`npm run setup` selects OpenBLAS's
 *                 OpenMP build), threads = physical cores
 *   openmp        OpenBLAS's OpenMP build (libopenblas0-openmp), which shares LibTorch's OpenMP
 *                 threads (and runs single-threaded inside LibTorch's parallel regions)
 *   pthread       OpenBLAS's pthread build (libopenblas0-pthread), with a thread pool of its own
 *                 beside LibTorch's OpenMP threads
 *   threads1      train.threads = 1 (LibTorch's threads; OpenBLAS keeps its own default)
 *   openmp-threads1, pthread-threads1
 *   no-host-cache VBT_HOST_CACHE_MB=0 (LibTorch's own CPU allocator on glibc's malloc, src/torch/host-memory.ts)
 *
 *   npx tsx bench/demo-settings.ts [--settings default,pthread,threads1,no-host-cache]
 *       [--rounds 3] [--out FILE]
 *
 * Runs bin/vbt.js, i.e. the TypeScript build in dist/ (`npm run build` first).
 * Each run's wall time, the time vbt itself reports ("done after ..."), peak
 * RSS and minor page faults (/usr/bin/time when present) are recorded.
 * Prints one JSON object.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    settings: { type: 'string', default: 'default,pthread,threads1,no-host-cache' },
    rounds: { type: 'string', default: '3' },
    out: { type: 'string' },
  },
});
const root = path.resolve(import.meta.dirname, '..');
/** Debian's folders of the two OpenBLAS builds, and the package of each. */
const BLAS_BUILDS = {
  openmp: { dir: '/usr/lib/x86_64-linux-gnu/openblas-openmp', pkg: 'libopenblas0-openmp' },
  pthread: { dir: '/usr/lib/x86_64-linux-gnu/openblas-pthread', pkg: 'libopenblas0-pthread' },
} as const;

interface Setting {
  env: NodeJS.ProcessEnv;
  args: string[];
  /** Why this setting cannot run here. */
  missing?: string;
}

function setting(name: string): Setting {
  const known = ['default', 'openmp', 'pthread', 'threads1', 'openmp-threads1', 'pthread-threads1', 'no-host-cache'];
  if (!known.includes(name)) throw new Error(`unknown setting '${name}' (known: ${known.join(', ')})`);
  const build = name.startsWith('openmp') ? BLAS_BUILDS.openmp : name.startsWith('pthread') ? BLAS_BUILDS.pthread : null;
  const env: NodeJS.ProcessEnv = {};
  const args: string[] = [];
  // LibTorch loads libblas.so.3 by name: a folder holding another libblas.so.3 first on the path switches BLAS for this process only.
  if (build) env.LD_LIBRARY_PATH = [build.dir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  if (name.endsWith('threads1')) args.push('--set', 'train.threads=1');
  if (name === 'no-host-cache') env.VBT_HOST_CACHE_MB = '0';
  const missing = build && !existsSync(path.join(build.dir, 'libblas.so.3')) ? `no ${build.dir}/libblas.so.3 (apt-get install ${build.pkg})` : undefined;
  return { env, args, ...(missing ? { missing } : {}) };
}

interface Run {
  wallSeconds: number;
  /** "done after N steps in X" as vbt printed it, in seconds. */
  trainSeconds: number | null;
  peakRssMb: number | null;
  minorFaults: number | null;
  blas: string | null;
  threads: string | null;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function runDemo(s: Setting, outDir: string, name: string): Run {
  const timeFile = path.join(outDir, `${name}.time`);
  const haveTime = existsSync('/usr/bin/time');
  const cmd = [process.execPath, path.join(root, 'bin', 'vbt.js'), 'train', '--name', name, '--overwrite', '--out-dir', outDir, '--progress', 'plain', ...s.args];
  const argv = haveTime ? ['/usr/bin/time', '-f', '%e %M %R', '-o', timeFile, ...cmd] : cmd;
  const t0 = performance.now();
  const r = spawnSync(argv[0]!, argv.slice(1), { cwd: root, env: { ...process.env, ...s.env }, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`vbt train (${name}) failed with status ${r.status}: ${r.stderr.slice(-2000)}`);
  const text = `${r.stdout}\n${r.stderr}`;
  const done = /done after \d+ steps in ([\d.]+) (s|min)/.exec(text);
  const timed = haveTime ? readFileSync(timeFile, 'utf8').trim().split(/\s+/).map(Number) : [];
  return {
    wallSeconds: wall,
    trainSeconds: done ? Number(done[1]) * (done[2] === 'min' ? 60 : 1) : null,
    peakRssMb: timed[1] !== undefined ? Math.round(timed[1] / 1024) : null,
    minorFaults: timed[2] ?? null,
    blas: /BLAS: ([^,\n]+)/.exec(text)?.[1]?.trim() ?? null,
    threads: /(\d+ CPU threads? \([^)]*\))/.exec(text)?.[1] ?? null,
  };
}

function main(): void {
  if (!existsSync(path.join(root, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  const names = values.settings.split(',').filter(Boolean);
  const settings = Object.fromEntries(names.map((n) => [n, setting(n)]));
  const runnable = names.filter((n) => !settings[n]!.missing);
  const rounds = Number(values.rounds);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vbt-demo-settings-'));
  const runs: Record<string, Run[]> = Object.fromEntries(runnable.map((n) => [n, []]));
  const loads: number[][] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      loads.push(os.loadavg());
      for (const n of runnable) {
        const run = runDemo(settings[n]!, dir, `${n}-${r}`);
        console.error(`demo-settings: round ${r + 1}/${rounds} ${n}: ${run.wallSeconds.toFixed(1)} s (load ${os.loadavg()[0]!.toFixed(2)})`);
        runs[n]!.push(run);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const reference = runnable[0]!;
  const result = {
    bench: 'demo-settings',
    machine: { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.availableParallelism(), node: process.version },
    loadAverageAtRoundStart: loads.map((l) => l.map((x) => Number(x.toFixed(2)))),
    method: `${rounds} rounds; each round runs every setting once in a fresh process (\`vbt train\`, the demo); ratio = median over rounds of time ÷ ${reference}'s time in the same round`,
    reference,
    settings: Object.fromEntries(
      names.map((n) => {
        const s = settings[n]!;
        if (s.missing) return [n, { skipped: s.missing }];
        const rs = runs[n]!;
        const ratios = rs.map((run, i) => run.wallSeconds / runs[reference]![i]!.wallSeconds);
        return [
          n,
          {
            env: s.env,
            args: s.args,
            blas: rs[0]?.blas ?? null,
            threads: rs[0]?.threads ?? null,
            wallSeconds: Number(median(rs.map((x) => x.wallSeconds)).toFixed(1)),
            trainSeconds: rs.every((x) => x.trainSeconds !== null) ? Number(median(rs.map((x) => x.trainSeconds!)).toFixed(1)) : null,
            peakRssMb: rs.every((x) => x.peakRssMb !== null) ? median(rs.map((x) => x.peakRssMb!)) : null,
            minorFaults: rs.every((x) => x.minorFaults !== null) ? median(rs.map((x) => x.minorFaults!)) : null,
            ratio: Number(median(ratios).toFixed(3)),
            ratios: ratios.map((x) => Number(x.toFixed(3))),
            runs: rs.map((x) => Number(x.wallSeconds.toFixed(1))),
          },
        ];
      }),
    ),
  };
  const json = JSON.stringify(result, null, 2);
  if (values.out) {
    mkdirSync(path.dirname(path.resolve(values.out)), { recursive: true });
    writeFileSync(values.out, `${json}\n`);
  }
  console.log(json);
}

main();
