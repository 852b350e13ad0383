/** Helpers of the distributed tests: run TypeScript entry points as real child processes. */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

export const FIXTURES = path.join(import.meta.dirname, 'fixtures');

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** Start `node --import tsx <file> ...args`. */
export function startTs(file: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', file, ...args], {
    cwd: path.resolve(import.meta.dirname, '..', '..'),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Collect a child's output until it exits (killed after `timeoutMs`). */
export function finished(child: ChildProcess, timeoutMs = 60_000): Promise<Finished> {
  const t0 = performance.now();
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, seconds: (performance.now() - t0) / 1000 });
    });
  });
}

/** Run a TypeScript entry point to the end. */
export function runTs(file: string, args: readonly string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 60_000): Promise<Finished> {
  return finished(startTs(file, args, env), timeoutMs);
}

/** The JSON lines a fixture printed. */
export function jsonLines<T>(stdout: string): T[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as T);
}

/** Whether a process id is still alive. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
