/**
 * Starting the processes of a data-parallel run on one machine, with
 * torchrun's conventions: N workers, each told its place through RANK,
 * WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, GROUP_RANK, MASTER_ADDR and
 * MASTER_PORT; for several machines, one launcher per machine with the same
 * --nnodes, --master-addr and --master-port and its own --node-rank.
 *
 * The launcher watches its workers: when one fails (non-zero exit, killed by
 * a signal) it shows which, stops the others (SIGTERM, then SIGKILL after a
 * grace period) and exits with the failing worker's code, so no worker is
 * left waiting for a dead peer. Workers run in their own process groups, so
 * a Ctrl-C reaches the launcher alone, which passes it on once to each worker
 * (they then stop together after the current step and rank 0 saves `last`);
 * a second Ctrl-C is passed on too, and the workers quit at once. Workers
 * exit by themselves if the launcher disappears (see exitWithLauncher).
 *
 * The rendezvous has no authentication. On one machine the workers meet
 * through a file in a private folder (mode 0700, made by the launcher and
 * removed once its workers are gone), passed as VBT_RENDEZVOUS_FILE: no port
 * is opened, and Gloo's own connections stay on 127.0.0.1. Across machines
 * rank 0 serves a TCP store on --master-addr:--master-port (on LibTorch
 * < 2.3 it listens on every interface): such runs belong on a trusted
 * network.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { ConfigError } from '../config/errors.js';
import {
  DEFAULT_MASTER_ADDR,
  DEFAULT_MASTER_PORT,
  type DistributedOptions,
  RENDEZVOUS_FILE_VARIABLE,
  distributedFromEnv,
  isLoopback,
} from './options.js';
import { exitWithParent, tcpStoreListensEverywhere } from '../torch/distributed.js';

/** Environment variable naming the launcher's pid, so a worker can tell when it is gone. */
export const LAUNCHER_PID_VARIABLE = 'VBT_LAUNCHER_PID';

/** The launcher's command-line settings (torchrun's names). */
export interface LauncherFlags {
  /** Workers on this machine. */
  nproc?: number;
  /** Machines in the run. Default 1. */
  nnodes?: number;
  /** This machine's index, 0 … nnodes − 1. Default 0. */
  nodeRank?: number;
  masterAddr?: string;
  masterPort?: number;
}

/** What a `vbt train` process is: a plain run, a launcher of workers, or one worker of a run. */
export type LaunchPlan =
  | { kind: 'single' }
  | { kind: 'launch'; nproc: number; nnodes: number; nodeRank: number; masterAddr: string | undefined; masterPort: number | undefined }
  | { kind: 'worker'; options: DistributedOptions };

/**
 * Decide from the flags and the environment: launcher flags start workers;
 * RANK and WORLD_SIZE in the environment (set by this launcher, torchrun or
 * a cluster scheduler) make this process a worker; neither: a plain run.
 */
export function planLaunch(
  flags: LauncherFlags,
  env: NodeJS.ProcessEnv,
  workerExtra: Omit<DistributedOptions, 'rank' | 'worldSize' | 'localRank' | 'masterAddr' | 'masterPort'> = {},
): LaunchPlan {
  const launching = flags.nproc !== undefined || flags.nnodes !== undefined || flags.nodeRank !== undefined;
  const fromEnv = distributedFromEnv(env, workerExtra);
  if (launching) {
    if (fromEnv) {
      throw new ConfigError(
        '--nproc/--nnodes/--node-rank start workers, but RANK and WORLD_SIZE are already set (a scheduler or torchrun started this process): drop the launcher flags',
      );
    }
    const nproc = flags.nproc ?? 1;
    const nnodes = flags.nnodes ?? 1;
    const nodeRank = flags.nodeRank ?? 0;
    if (!Number.isInteger(nproc) || nproc < 1) throw new ConfigError(`--nproc must be a positive integer, got ${nproc}`);
    if (!Number.isInteger(nnodes) || nnodes < 1) throw new ConfigError(`--nnodes must be a positive integer, got ${nnodes}`);
    if (!Number.isInteger(nodeRank) || nodeRank < 0 || nodeRank >= nnodes) throw new ConfigError(`--node-rank must be in 0..${nnodes - 1}, got ${nodeRank}`);
    if (nnodes > 1) {
      if (!flags.masterAddr) throw new ConfigError('a run over several machines needs --master-addr: the address of the machine with --node-rank 0, reachable from the others');
      if (isLoopback(flags.masterAddr)) throw new ConfigError(`--master-addr ${flags.masterAddr} is a loopback address, which the other machines cannot reach`);
    }
    return { kind: 'launch', nproc, nnodes, nodeRank, masterAddr: flags.masterAddr, masterPort: flags.masterPort };
  }
  if (fromEnv) {
    return {
      kind: 'worker',
      options: {
        ...fromEnv,
        ...(flags.masterAddr !== undefined ? { masterAddr: flags.masterAddr } : {}),
        ...(flags.masterPort !== undefined ? { masterPort: flags.masterPort } : {}),
      },
    };
  }
  if (flags.masterAddr !== undefined || flags.masterPort !== undefined) {
    throw new ConfigError('--master-addr and --master-port need --nproc (or RANK and WORLD_SIZE in the environment)');
  }
  return { kind: 'single' };
}

const LAUNCHER_FLAGS = ['nproc', 'nnodes', 'node-rank', 'nodeRank', 'master-addr', 'masterAddr', 'master-port', 'masterPort'];

/** The command-line arguments minus the launcher's own flags: what each worker runs. */
export function workerArguments(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const m = /^--([^=]+)(=.*)?$/.exec(a);
    if (m && LAUNCHER_FLAGS.includes(m[1]!)) {
      if (m[2] === undefined && i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) i++;
      continue;
    }
    out.push(a);
  }
  return out;
}

/** A TCP port free on `host` now (the OS picks it; a tiny window remains before the rendezvous takes it). */
export function freePort(host = DEFAULT_MASTER_ADDR): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('could not find a free port'))));
    });
  });
}

export interface LaunchOptions {
  nproc: number;
  nnodes?: number;
  nodeRank?: number;
  /** Default 127.0.0.1 on one machine (where Gloo binds: the rendezvous itself is a private file there). */
  masterAddr?: string;
  /** Port of rank 0's TCP store across machines. Default 29500; unused on one machine. */
  masterPort?: number;
  /** Program of each worker and its arguments. */
  command: string;
  args: readonly string[];
  /** Base environment of the workers (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Seconds between SIGTERM and SIGKILL when stopping the others after a failure. Default 10. */
  killGraceSeconds?: number;
  /** Where the launcher's own messages and the other workers' prefixed lines go. Default process.stderr / process.stdout. */
  messages?: NodeJS.WritableStream;
  output?: NodeJS.WritableStream;
  /** Forward SIGINT/SIGTERM/SIGHUP received by this process to the workers. Default true. */
  forwardSignals?: boolean;
}

export interface LaunchResult {
  /** 0 when every worker exited with 0; else the first failure's code (128 + signal number for a signal). */
  exitCode: number;
  /** Rank of the first worker that failed. */
  failedRank?: number;
  /** Process ids of the workers, by local rank. */
  pids: number[];
}

function signalNumber(signal: NodeJS.Signals): number {
  return os.constants.signals[signal] ?? 1;
}

/**
 * A new folder only this user can enter, for the rendezvous file of one
 * machine's workers (removed by the launcher once they are gone).
 */
function privateRendezvousFolder(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vbt-rendezvous-'));
  chmodSync(dir, 0o700); // mkdtemp's mode already; said explicitly since it is the whole protection
  return dir;
}

/** Start this machine's workers, watch them, and resolve when all have exited. */
export async function launchWorkers(o: LaunchOptions): Promise<LaunchResult> {
  const nnodes = o.nnodes ?? 1;
  const nodeRank = o.nodeRank ?? 0;
  const masterAddr = o.masterAddr ?? DEFAULT_MASTER_ADDR;
  // One machine: the workers meet through a private file; no port is opened.
  const rendezvousDir = nnodes === 1 ? privateRendezvousFolder() : undefined;
  const rendezvousFile = rendezvousDir ? path.join(rendezvousDir, 'store') : undefined;
  const masterPort = rendezvousFile ? o.masterPort : (o.masterPort ?? DEFAULT_MASTER_PORT);
  const worldSize = o.nproc * nnodes;
  const messages = o.messages ?? process.stderr;
  const output = o.output ?? process.stdout;
  const graceMs = (o.killGraceSeconds ?? 10) * 1000;
  const base = o.env ?? process.env;
  // LibTorch's CPU thread pools of all workers share the cores.
  const threads = String(Math.max(1, Math.floor(os.availableParallelism() / o.nproc)));
  const say = (line: string) => messages.write(`vbt launch: ${line}\n`);

  /** The launcher's line about the rendezvous: where it is, and what it exposes. */
  const describeRendezvous = (): string => {
    if (rendezvousFile) {
      return `rendezvous through the private file ${rendezvousFile} (no port opened${o.masterPort !== undefined ? `; --master-port ${o.masterPort} is not used on one machine` : ''})`;
    }
    const where = `rendezvous ${masterAddr}:${masterPort}`;
    if (nodeRank !== 0) return `${where} (rank 0's TCP store on node 0)`;
    let everywhere: boolean | undefined;
    try {
      everywhere = tcpStoreListensEverywhere();
    } catch {
      everywhere = undefined; // no addon here: the workers will say so
    }
    const listens =
      everywhere === true
        ? `listening on every interface (port ${masterPort}), not only ${masterAddr}, as LibTorch < 2.3 does`
        : everywhere === false
          ? `listening on ${masterAddr} only`
          : 'listening';
    return `${where} (a TCP store that rank 0 serves on this machine, ${listens}, without authentication: keep runs across machines on a trusted network)`;
  };

  const workers: { rank: number; child: ChildProcess; exited: boolean }[] = [];
  let failure: { rank: number; code: number } | undefined;
  let interrupts = 0;
  /** A SIGTERM or SIGHUP passed on to the workers: their ends are then no failure. */
  let terminatedBy: NodeJS.Signals | undefined;
  let stopping = false;

  const stopOthers = () => {
    if (stopping) return;
    stopping = true;
    for (const w of workers) if (!w.exited) w.child.kill('SIGTERM');
    const timer = setTimeout(() => {
      for (const w of workers) if (!w.exited) w.child.kill('SIGKILL');
    }, graceMs);
    timer.unref();
  };

  const done = new Promise<void>((resolve) => {
    let remaining = o.nproc;
    for (let local = 0; local < o.nproc; local++) {
      const rank = nodeRank * o.nproc + local;
      const env: NodeJS.ProcessEnv = {
        ...base,
        RANK: String(rank),
        WORLD_SIZE: String(worldSize),
        LOCAL_RANK: String(local),
        LOCAL_WORLD_SIZE: String(o.nproc),
        GROUP_RANK: String(nodeRank),
        MASTER_ADDR: masterAddr,
        ...(masterPort !== undefined ? { MASTER_PORT: String(masterPort) } : {}),
        [LAUNCHER_PID_VARIABLE]: String(process.pid),
        ...(base.OMP_NUM_THREADS ? {} : { OMP_NUM_THREADS: threads }),
      };
      // Only this launcher's own file: never one inherited from elsewhere.
      if (rendezvousFile) env[RENDEZVOUS_FILE_VARIABLE] = rendezvousFile;
      else delete env[RENDEZVOUS_FILE_VARIABLE];
      // Rank 0 keeps the terminal (progress bar); the others' lines are prefixed.
      const leader = rank === 0;
      const child = spawn(o.command, [...o.args], {
        env,
        stdio: leader ? ['ignore', 'inherit', 'inherit'] : ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      const entry = { rank, child, exited: false };
      workers.push(entry);
      if (!leader) {
        for (const [stream, sink] of [
          [child.stdout, output],
          [child.stderr, messages],
        ] as const) {
          if (stream) createInterface({ input: stream }).on('line', (line) => sink.write(`[rank ${rank}] ${line}\n`));
        }
      }
      child.on('error', (err) => {
        say(`could not start rank ${rank}: ${err.message}`);
      });
      child.on('exit', (code, signal) => {
        entry.exited = true;
        const interruptEnd = interrupts > 0 && (signal === 'SIGINT' || code === 130);
        const failed = (signal !== null || code !== 0) && !interruptEnd && terminatedBy === undefined;
        if (failed && !failure && !stopping) {
          failure = { rank, code: signal !== null ? 128 + signalNumber(signal) : (code ?? 1) };
          say(
            `rank ${rank} (pid ${child.pid}) ${signal !== null ? `was killed by ${signal}` : `exited with code ${code}`}: stopping the other workers ` +
              '(the first error above is the cause)',
          );
          stopOthers();
        }
        if (--remaining === 0) resolve();
      });
    }
  });
  say(`started ${o.nproc} worker${o.nproc > 1 ? 's' : ''} (ranks ${nodeRank * o.nproc}..${nodeRank * o.nproc + o.nproc - 1} of ${worldSize}), pids ${workers.map((w) => w.child.pid).join(' ')}, ${describeRendezvous()}`);

  const forward = (signal: NodeJS.Signals) => {
    if (signal === 'SIGINT') interrupts++;
    else terminatedBy ??= signal;
    for (const w of workers) if (!w.exited) w.child.kill(signal);
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  if (o.forwardSignals ?? true) for (const s of signals) process.on(s, forward);
  try {
    await done;
  } finally {
    if (o.forwardSignals ?? true) for (const s of signals) process.off(s, forward);
    // Every worker has exited: nobody uses the rendezvous file any more.
    if (rendezvousDir) rmSync(rendezvousDir, { recursive: true, force: true });
  }
  const interrupted = interrupts > 0 && workers.some((w) => w.child.exitCode === 130 || w.child.signalCode === 'SIGINT');
  const ended = terminatedBy !== undefined ? 128 + signalNumber(terminatedBy) : interrupted ? 130 : 0;
  return {
    exitCode: failure?.code ?? ended,
    ...(failure ? { failedRank: failure.rank } : {}),
    pids: workers.map((w) => w.child.pid ?? -1),
  };
}

/**
 * In a worker started by launchWorkers: exit when the launcher is gone, so a
 * killed launcher never leaves workers running. On Linux the kernel sends
 * SIGTERM when the parent exits; elsewhere the parent pid is checked once a
 * second (between steps, without keeping the process alive).
 */
export function exitWithLauncher(env: NodeJS.ProcessEnv = process.env): void {
  const launcher = Number(env[LAUNCHER_PID_VARIABLE]);
  if (!Number.isInteger(launcher) || launcher <= 0 || process.ppid !== launcher) return;
  // Checked again after arming the signal: the launcher may have died in between.
  if (exitWithParent() && process.ppid === launcher) return;
  if (process.ppid !== launcher) process.exit(1);
  const timer = setInterval(() => {
    if (process.ppid !== launcher) {
      console.error(`vbt: the launcher (pid ${launcher}) is gone: exiting`);
      process.exit(1);
    }
  }, 1000);
  timer.unref();
}
