#!/usr/bin/env node
// `npm run bench`: the benchmarks under bench/, one after another.
//
//   npm run bench                         short runs of every benchmark (a few minutes on 2 cores)
//   npm run bench -- --full               the benchmarks' own defaults (the settings bench/RESULTS.md reports)
//   npm run bench -- step-overhead ...    only the named ones
//   npm run bench -- --json               one JSON array on stdout instead of one line per benchmark
//   npm run bench -- NAME -- --steps 10   pass the arguments after `--` to the benchmarks run
//   npm run bench -- --list               the benchmarks, their requirements and arguments
//
// stdout gets, per benchmark, its name and the JSON object it printed on one
// line (`step-overhead {"bench":...}`); progress, the benchmarks' own messages
// and skips go to stderr. A benchmark whose requirement is missing here (the
// native addon, a Python with torch, Gloo, CUDA) is skipped with the reason;
// the exit status is 1 when a benchmark failed, 2 on a usage error.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The benchmarks. `short` and `full` give the arguments of each mode, from
 * what the machine has (`have`); a string instead of arguments is the reason
 * to skip that mode here.
 */
const BENCHES = [
  {
    name: 'step-overhead',
    needs: ['addon', 'python'],
    short: () => ['--steps', '50', '--ops', '5000', '--rounds', '3'],
    full: () => [],
  },
  {
    // About 5 s at its defaults on 2 cores: no shorter mode needed.
    name: 'data-pipeline',
    needs: [],
    short: () => [],
    full: () => [],
  },
  {
    name: 'ddp-scaling',
    needs: ['addon', 'gloo'],
    short: () => ['--steps', '10', '--warmup', '2'],
    full: () => [],
  },
  {
    // Needs python torch for the tiny backbone export on first use (cached afterwards).
    name: 'long-clips',
    needs: ['addon', 'python'],
    short: () => ['--epochs', '1'],
    full: () => [],
  },
  {
    // Trains a tiny run (the demo's heads, seconds; python torch exports the tiny backbone on first use), then
    // loads two servers in turn (with and without batching): under a minute in the short mode.
    name: 'serve',
    needs: ['addon', 'python'],
    short: () => ['--seconds', '1', '--rounds', '2', '--warmup', '1'],
    full: () => [],
  },
  {
    // Recipe A's fine-tuning step against a plain PyTorch script on the same LibTorch (CPU): the short mode is
    // 3 rounds of about 300 ms blocks over the 9-point grid without the base point (about a minute on 2 cores).
    name: 'finetune-step',
    needs: ['addon', 'python'],
    short: () => ['--short'],
    full: () => [],
  },
  {
    // A GPU benchmark; without CUDA the short mode is its CPU smoke run (checks it runs; its numbers mean nothing).
    name: 'gpu-train-step',
    needs: ['addon', 'python'],
    short: (have) =>
      have.cuda
        ? ['--steps', '5', '--rounds', '1', '--warmup', '2', '--no-diagnostics']
        : ['--device', 'cpu', '--config', 'tiny', '--batch', '4', '--steps', '2', '--rounds', '1', '--warmup', '1'],
    full: (have) => (have.cuda ? [] : 'needs CUDA, which this machine lacks (the short mode runs its CPU smoke run)'),
  },
];

const REQUIREMENTS = {
  addon: (have) => (have.addonError ? `the native addon does not load: ${have.addonError}` : undefined),
  python: (have) => (have.python ? undefined : `no Python with torch (${have.pythonError})`),
  gloo: (have) => (have.gloo ? undefined : 'the native addon was built without Gloo'),
};

function usage(message) {
  if (message) console.error(`run-benches: ${message}`);
  console.error('usage: npm run bench -- [--full] [--json] [--list] [NAME...] [-- ARGS for the benchmarks]');
  console.error(`benchmarks: ${BENCHES.map((b) => b.name).join(', ')}`);
  process.exit(2);
}

/** What the machine offers: whether the addon loads, CUDA, Gloo, a Python with torch. */
function probe() {
  const have = {};
  const code = [
    `const { native } = await import(${JSON.stringify(pathToFileURL(path.join(root, 'src', 'torch', 'native.ts')).href)});`,
    'const a = native();',
    'console.log(JSON.stringify({ cuda: a.cudaAvailable(), gloo: a.distBackends().gloo }));',
  ].join('\n');
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: root, encoding: 'utf8' });
  if (r.status === 0) Object.assign(have, JSON.parse(r.stdout.trim().split('\n').pop()));
  else have.addonError = firstErrorLine(r.stderr) ?? `exit status ${r.status}`;

  // The interpreters the benchmarks themselves try (bench/python.ts, src/model/exporter.ts).
  const candidates = process.env.VBT_PYTHON ? [process.env.VBT_PYTHON] : ['/usr/bin/python3', 'python3'];
  have.python = candidates.find((py) => spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0);
  have.pythonError = `tried ${candidates.join(', ')}; apt-get install python3-torch, or set VBT_PYTHON`;
  return have;
}

/** The message of an error a Node process printed: the line after the stack's `file:line` header, or the first non-empty one. */
function firstErrorLine(stderr) {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => /^[A-Za-z]*Error\b/.test(l))?.replace(/^[A-Za-z]*Error:\s*/, '') ?? lines[0];
}

/** The JSON object a benchmark printed: all of stdout, else its last line. */
function parseResult(stdout) {
  const text = stdout.trim();
  try {
    return JSON.parse(text);
  } catch {
    return JSON.parse(text.split('\n').pop() ?? '');
  }
}

/** Run one benchmark; resolves with its JSON object, rejects with why it failed. */
function runOne(name, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join('bench', `${name}.ts`), ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const chunks = [];
    child.stdout.on('data', (c) => chunks.push(c));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code !== 0) {
        reject(new Error(signal ? `killed by ${signal}` : `exit status ${code}`));
        return;
      }
      try {
        resolve(parseResult(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new Error('it printed no JSON object on stdout'));
      }
    });
  });
}

async function main() {
  const argv = process.argv.slice(2);
  const dash = argv.indexOf('--');
  const passThrough = dash >= 0 ? argv.slice(dash + 1) : [];
  let parsed;
  try {
    parsed = parseArgs({
      args: dash >= 0 ? argv.slice(0, dash) : argv,
      options: {
        full: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        list: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: true,
    });
  } catch (err) {
    usage(err instanceof Error ? err.message : String(err));
  }
  const { values, positionals } = parsed;
  if (values.help) usage();
  const unknown = positionals.filter((n) => !BENCHES.some((b) => b.name === n));
  if (unknown.length) usage(`unknown benchmark ${unknown.join(', ')}`);
  const selected = positionals.length ? BENCHES.filter((b) => positionals.includes(b.name)) : BENCHES;
  const mode = values.full ? 'full' : 'short';

  console.error(`run-benches: ${mode} mode, ${selected.map((b) => b.name).join(', ')}; checking what this machine has`);
  const have = probe();
  console.error(
    `run-benches: addon ${have.addonError ? 'does not load' : 'loads'}, CUDA ${have.cuda ? 'yes' : 'no'}, Gloo ${have.gloo ? 'yes' : 'no'}, ` +
      `Python with torch ${have.python ?? 'none'}`,
  );

  if (values.list) {
    for (const b of BENCHES) {
      const show = (m) => {
        const a = b[m](have);
        return typeof a === 'string' ? `skipped (${a})` : a.join(' ') || '(defaults)';
      };
      console.log(`${b.name}\n  needs: ${b.needs.join(', ') || 'nothing'}\n  short: ${show('short')}\n  full:  ${show('full')}`);
    }
    return 0;
  }

  const records = [];
  let failed = 0;
  for (const [i, b] of selected.entries()) {
    const tag = `[${i + 1}/${selected.length}] ${b.name}`;
    const missing = b.needs.map((n) => REQUIREMENTS[n](have)).find((why) => why !== undefined);
    const args = missing ?? b[mode](have);
    if (typeof args === 'string') {
      console.error(`run-benches: ${tag}: skipped: ${args}`);
      records.push({ name: b.name, mode, skipped: args });
      continue;
    }
    const all = [...args, ...passThrough];
    console.error(`run-benches: ${tag}: node --import tsx bench/${b.name}.ts ${all.join(' ')}`.trimEnd());
    const started = performance.now();
    try {
      const result = await runOne(b.name, all);
      const seconds = Math.round((performance.now() - started) / 100) / 10;
      console.error(`run-benches: ${tag}: done in ${seconds} s`);
      records.push({ name: b.name, mode, args: all, seconds, result });
      if (!values.json) console.log(`${b.name} ${JSON.stringify(result)}`);
    } catch (err) {
      failed++;
      const why = err instanceof Error ? err.message : String(err);
      console.error(`run-benches: ${tag}: FAILED: ${why}`);
      records.push({ name: b.name, mode, args: all, failed: why });
    }
  }
  if (values.json) console.log(JSON.stringify(records, null, 2));
  const ran = records.filter((r) => r.result).length;
  const skipped = records.filter((r) => r.skipped).length;
  console.error(`run-benches: ${ran} ran, ${skipped} skipped, ${failed} failed`);
  return failed ? 1 : 0;
}

process.exitCode = await main();
