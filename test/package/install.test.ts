/**
 * The package as users get it: packed, installed into an empty project on
 * this machine's LibTorch with the prebuild made here, nothing compiled; the
 * CLI trains the demo from there; the examples compile with `tsc --strict`
 * against the installed declarations and run.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const work = mkdtempSync(path.join(tmpdir(), 'vbt-package-'));
let installed: { compiled: boolean; prebuildChosen: string | null; project: string; installSeconds: number; files: number };

function run(command: string, args: string[], cwd: string, timeout = 240_000): { status: number | null; stdout: string; stderr: string } {
  // Nothing of this checkout's environment may help the installed package find itself.
  const { VBT_NATIVE_PATH: _addon, NODE_OPTIONS: _options, ...env } = process.env;
  const r = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  expect(existsSync(path.join(ROOT, 'dist', 'index.d.ts')), 'the package needs the TypeScript build (npm run build)').toBe(true);
  const r = run(process.execPath, [path.join(ROOT, 'scripts', 'pack-install.mjs'), '--work', work, '--prebuild'], ROOT);
  expect(r.status, r.stderr).toBe(0);
  installed = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
}, 300_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the packed package', () => {
  it('installs with the prebuild for this LibTorch, compiling nothing, and ships no source maps', () => {
    expect(installed.compiled).toBe(false);
    expect(installed.prebuildChosen).toMatch(/^linux-x64-torch[\d.]+-(cpu|cu\d+)$/);
    const vbt = path.join(installed.project, 'node_modules', 'vbt');
    expect(existsSync(path.join(vbt, 'LICENSE'))).toBe(true);
    const maps = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? maps(path.join(dir, e.name)) : e.name.endsWith('.map') ? [e.name] : []));
    expect(maps(path.join(vbt, 'dist'))).toEqual([]);
  });

  it('loads the prebuild and trains the demo from the installed package', () => {
    const project = installed.project;
    const info = run('npx', ['vbt', 'info', '--json'], project);
    expect(info.status, info.stderr).toBe(0);
    const summary = JSON.parse(info.stdout) as { addonKind: string; vbt: string };
    expect(summary.addonKind).toBe('prebuild');
    const train = run(
      'npx',
      ['vbt', 'train', '--epochs', '1', '--set', 'train.stages.0.maxSteps=4', '--set', 'train.stages.1.maxSteps=4', '--progress', 'plain', '--json', '--threads', '1'],
      project,
    );
    expect(train.status, train.stderr).toBe(0);
    const result = JSON.parse(train.stdout.trim().split('\n').at(-1)!) as { status: string; runDir: string; final: { tasks: Record<string, { value: number }> } };
    expect(result.status).toBe('completed');
    expect(existsSync(path.join(result.runDir, 'checkpoints', 'best', 'heads.safetensors'))).toBe(true);
    expect(Object.keys(result.final.tasks).sort()).toEqual(['country', 'culture', 'high', 'two', 'type']);
    expect(existsSync(path.join(project, 'node_modules', 'vbt', 'build'))).toBe(false);
  }, 300_000);

  it('compiles the examples with tsc --strict against the installed declarations, and runs them', () => {
    const project = installed.project;
    for (const f of readdirSync(path.join(ROOT, 'examples'))) cpSync(path.join(ROOT, 'examples', f), path.join(project, f));
    const tsc = run(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], project);
    expect(tsc.status, `${tsc.stdout}\n${tsc.stderr}`).toBe(0);
    const example = run(process.execPath, [path.join('out', 'train-from-code.js')], project);
    expect(example.status, example.stderr).toBe(0);
    expect(example.stdout).toMatch(/^completed after 6 steps; run folder /m);
    expect(example.stdout).toMatch(/^step \d+: score -?\d\.\d{4}/m);
  }, 300_000);
});
