/**
 * `runs/<name>/run-info.json`: what a run ran on and how long it took, one
 * entry per training session (a `--resume` adds one, and may run on other
 * hardware): vbt, LibTorch and Node versions, device, precision, CPU
 * threads and BLAS, the number of processes, the steps and the wall time.
 * Written at the start of training, at each validation and at the end;
 * shown in report.html and by `vbt compare`.
 */
import os from 'node:os';
import { z } from 'zod';
import { readValidatedJson } from '../run/run-dir.js';
import { blasInUse, buildInfo, getNumThreads } from '../torch/index.js';
import { vbtVersion } from '../util/package-info.js';
import { escapeHtml, formatDuration } from './html.js';

export const RUN_INFO_FILE = 'run-info.json';

/** Versions and hardware of one session. */
export const RunEnvironmentSchema = z.object({
  vbt: z.string(),
  node: z.string(),
  libtorch: z.string(),
  /** Whether LibTorch was built with CUDA. */
  cudaBuild: z.boolean(),
  /** CUDA runtime and cuDNN versions ("12.4", "9.1.0"), when built with CUDA. */
  cudaRuntime: z.string().nullable(),
  cudnn: z.string().nullable(),
  /** The training device ("cpu", "cuda:0") and, on a GPU, its name. */
  device: z.string(),
  deviceName: z.string().nullable(),
  /** "fp32" or "bf16" (autocast). */
  precision: z.string(),
  /** LibTorch's CPU threads and the BLAS doing its matrix products. */
  cpuThreads: z.number().int().positive(),
  blas: z.string(),
  /** Processes of a data-parallel run (1 otherwise). */
  processes: z.number().int().positive(),
  /** "linux x64", and the CPU model. */
  platform: z.string(),
  cpu: z.string().nullable(),
});
export type RunEnvironment = z.infer<typeof RunEnvironmentSchema>;

export const RUN_STATUSES = ['running', 'completed', 'stopped', 'interrupted', 'failed'] as const;
/** Where a training session stands: going on, or how it ended ('failed': an error ended it). */
export type RunStatus = (typeof RUN_STATUSES)[number];

export const RunSessionSchema = z.object({
  /** When the session started training and when this entry was last written, ISO 8601. */
  started: z.string(),
  updated: z.string(),
  /** Seconds from the start of training to the last write. */
  wallSeconds: z.number().nonnegative(),
  /** Global steps at the start and at the last write. */
  fromStep: z.number().int().nonnegative(),
  toStep: z.number().int().nonnegative(),
  status: z.enum(RUN_STATUSES),
  /** Why training stopped early, when it did. */
  reason: z.string().optional(),
  environment: RunEnvironmentSchema,
});
export type RunSession = z.infer<typeof RunSessionSchema>;

export const RunInfoSchema = z.object({
  version: z.literal(1),
  sessions: z.array(RunSessionSchema).min(1),
});
export type RunInfo = z.infer<typeof RunInfoSchema>;

/** Read and validate a run-info.json; errors name the file and the field. */
export function readRunInfo(file: string): RunInfo {
  return readValidatedJson(file, RunInfoSchema);
}

function cudaVersion(v: number | undefined, kind: 'cuda' | 'cudnn'): string | null {
  if (v === undefined) return null;
  // CUDA runtime: 1000·major + 10·minor; cuDNN 9: major·10000 + minor·100 + patch; cuDNN 8: 1000·major + 100·minor + patch.
  if (kind === 'cuda') return `${Math.floor(v / 1000)}.${Math.floor((v % 1000) / 10)}`;
  return v >= 90000 ? `${Math.floor(v / 10000)}.${Math.floor((v % 10000) / 100)}.${v % 100}` : `${Math.floor(v / 1000)}.${Math.floor((v % 1000) / 100)}.${v % 100}`;
}

/** What this process runs on, for a session entry. */
export function currentEnvironment(run: { device: string; precision: string; processes: number }): RunEnvironment {
  const info = buildInfo();
  const cuda = /^cuda(?::(\d+))?$/.exec(run.device);
  const gpu = cuda ? info.devices.find((d) => d.index === Number(cuda[1] ?? 0)) : undefined;
  return {
    vbt: vbtVersion(),
    node: process.version,
    libtorch: info.torchVersion,
    cudaBuild: info.cudaBuild,
    cudaRuntime: cudaVersion(info.cudaRuntime, 'cuda'),
    cudnn: cudaVersion(info.cudnn, 'cudnn'),
    device: run.device,
    deviceName: gpu?.name ?? null,
    precision: run.precision,
    cpuThreads: Math.max(1, getNumThreads()),
    blas: blasInUse().name,
    processes: run.processes,
    platform: `${os.platform()} ${os.arch()}`,
    cpu: os.cpus()[0]?.model?.trim() || null,
  };
}

/** Total wall time and steps over the sessions. */
export function runTotals(info: RunInfo): { wallSeconds: number; steps: number } {
  const last = info.sessions[info.sessions.length - 1]!;
  return { wallSeconds: info.sessions.reduce((s, x) => s + x.wallSeconds, 0), steps: last.toStep };
}

/** "LibTorch 2.5.1 (CUDA 12.4, cuDNN 9.1.0)" or "LibTorch 2.5.1 (CPU-only build)". */
export function describeLibtorch(env: RunEnvironment): string {
  if (!env.cudaBuild) return `${env.libtorch} (CPU-only build)`;
  return `${env.libtorch} (CUDA ${env.cudaRuntime ?? '?'}${env.cudnn !== null ? `, cuDNN ${env.cudnn}` : ''})`;
}

/** "cuda:0 (NVIDIA H200)", "cpu (AMD EPYC …)", plus the processes of a data-parallel run. */
export function describeDevice(env: RunEnvironment): string {
  const name = env.deviceName ?? (env.device === 'cpu' ? env.cpu : null);
  return `${env.device}${name !== null ? ` (${name})` : ''}${env.processes > 1 ? `, ${env.processes} processes` : ''}`;
}

function sameEnvironment(a: RunEnvironment, b: RunEnvironment): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The run-info table of report.html. */
export function runInfoHtml(info: RunInfo): string {
  const last = info.sessions[info.sessions.length - 1]!;
  const env = last.environment;
  const totals = runTotals(info);
  const rows: [string, string][] = [
    ['vbt', env.vbt],
    ['LibTorch', describeLibtorch(env)],
    ['Node.js', env.node],
    ['Device', describeDevice(env)],
    ['Precision', env.precision],
    ['CPU threads', `${env.cpuThreads}, BLAS: ${env.blas}`],
    ['Platform', `${env.platform}${env.cpu !== null ? `, ${env.cpu}` : ''}`],
    ['Started', info.sessions[0]!.started],
    ['Steps', String(totals.steps)],
    ['Wall time', `${formatDuration(totals.wallSeconds)}${info.sessions.length > 1 ? ` over ${info.sessions.length} sessions (a resume starts a new one)` : ''}`],
  ];
  let html = `<table class="info"><tbody>${rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</tbody></table>`;
  if (info.sessions.length > 1) {
    const differs = info.sessions.some((s) => !sameEnvironment(s.environment, env));
    html +=
      '<table class="sessions"><caption>Sessions</caption><thead><tr><th>#</th><th>Started</th><th>Steps</th><th>Wall time</th><th>Ended</th>' +
      `${differs ? '<th>vbt</th><th>LibTorch</th><th>Device</th><th>Precision</th><th>Threads</th>' : ''}</tr></thead><tbody>` +
      info.sessions
        .map((s, i) => {
          const e = s.environment;
          const extra = differs
            ? `<td>${escapeHtml(e.vbt)}</td><td>${escapeHtml(describeLibtorch(e))}</td><td>${escapeHtml(describeDevice(e))}</td><td>${escapeHtml(e.precision)}</td><td class="num">${e.cpuThreads}</td>`
            : '';
          return `<tr><td class="num">${i + 1}</td><td>${escapeHtml(s.started)}</td><td>${s.fromStep}–${s.toStep}</td><td class="num">${escapeHtml(formatDuration(s.wallSeconds))}</td><td>${escapeHtml(s.status)}${s.reason !== undefined ? `: ${escapeHtml(s.reason)}` : ''}</td>${extra}</tr>`;
        })
        .join('') +
      '</tbody></table>';
  }
  return html;
}
