/**
 * The launcher: which role a `vbt train` process takes, what each worker is
 * told, and that one failing worker takes the whole run down at once, with
 * real processes (plain Node scripts, then the real CLI on a tiny run).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { writeSyntheticCorpus } from '../../src/synth/index.js';
import { distributedFromEnv, launchWorkers, planLaunch, workerArguments } from '../../src/distributed/index.js';
import { tinyBackbone } from '../fixtures/backbones.js';
import { FIXTURES, alive, finished, startTs } from './spawn.js';

function sink(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  return { stream, text: () => text };
}

describe('planLaunch and workerArguments', () => {
  it('launcher flags start workers; RANK/WORLD_SIZE make a worker; neither is a plain run', () => {
    expect(planLaunch({}, {})).toEqual({ kind: 'single' });
    expect(planLaunch({ nproc: 2 }, {})).toEqual({ kind: 'launch', nproc: 2, nnodes: 1, nodeRank: 0, masterAddr: undefined, masterPort: undefined });
    expect(planLaunch({ nproc: 4, nnodes: 2, nodeRank: 1, masterAddr: '10.0.0.1', masterPort: 29400 }, {})).toMatchObject({ kind: 'launch', nnodes: 2, nodeRank: 1 });
    const env = { RANK: '3', WORLD_SIZE: '8', LOCAL_RANK: '1', MASTER_ADDR: '10.0.0.1', MASTER_PORT: '29400' };
    expect(planLaunch({}, env, { backend: 'gloo', timeoutSeconds: 30 })).toEqual({
      kind: 'worker',
      options: { rank: 3, worldSize: 8, localRank: 1, masterAddr: '10.0.0.1', masterPort: 29400, backend: 'gloo', timeoutSeconds: 30 },
    });
    expect(planLaunch({ masterPort: 29999 }, env)).toMatchObject({ kind: 'worker', options: { masterPort: 29999 } });
    // Under torchrun its agent serves the store: rank 0 must connect to it, in this attempt's key space.
    expect(distributedFromEnv({ ...env, TORCHELASTIC_USE_AGENT_STORE: 'True', TORCHELASTIC_RESTART_COUNT: '2' })).toMatchObject({ agentStore: true, attempt: 2 });
    expect(distributedFromEnv(env)).not.toHaveProperty('agentStore');
    // The launcher's workers on one machine meet through its private file.
    expect(distributedFromEnv({ ...env, VBT_RENDEZVOUS_FILE: '/tmp/vbt-rendezvous-x/store' })).toMatchObject({ rendezvousFile: '/tmp/vbt-rendezvous-x/store' });
    expect(distributedFromEnv(env)).not.toHaveProperty('rendezvousFile');
    expect(() => distributedFromEnv({ ...env, VBT_RENDEZVOUS_FILE: '/tmp/f', TORCHELASTIC_USE_AGENT_STORE: 'True' })).toThrow(/unset VBT_RENDEZVOUS_FILE/);
  });

  it('refuses contradictions with the fix', () => {
    expect(() => planLaunch({ nproc: 2 }, { RANK: '0', WORLD_SIZE: '2' })).toThrow(/already set .*drop the launcher flags/);
    expect(() => planLaunch({ nproc: 0 }, {})).toThrow(ConfigError);
    expect(() => planLaunch({ nproc: 2, nnodes: 2, nodeRank: 2, masterAddr: '10.0.0.1' }, {})).toThrow(/--node-rank must be in 0\.\.1/);
    expect(() => planLaunch({ nproc: 2, nnodes: 2 }, {})).toThrow(/needs --master-addr/);
    expect(() => planLaunch({ nproc: 2, nnodes: 2, masterAddr: '127.0.0.1' }, {})).toThrow(/loopback address/);
    expect(() => planLaunch({ masterAddr: '10.0.0.1' }, {})).toThrow(/need --nproc/);
    expect(() => distributedFromEnv({ RANK: '1' })).toThrow(/RANK and WORLD_SIZE must be set together/);
    expect(() => distributedFromEnv({ RANK: '2', WORLD_SIZE: '2' })).toThrow(/rank must be an integer in 0\.\.1/);
    expect(() => distributedFromEnv({ RANK: 'x', WORLD_SIZE: '2' })).toThrow(/RANK='x' is not a non-negative integer/);
  });

  it('passes every argument to the workers except the launcher flags', () => {
    expect(
      workerArguments(['train', '--nproc', '2', '--recipe', 'demo', '--master-port=29400', '--node-rank', '0', '--nnodes=1', '--masterAddr', 'h', '--dist-timeout', '30', '--epochs', '3']),
    ).toEqual(['train', '--recipe', 'demo', '--dist-timeout', '30', '--epochs', '3']);
  });
});

describe('launchWorkers', () => {
  it("tells each worker its place with torchrun's variables and a private rendezvous file, and succeeds when all do", async () => {
    const out = sink();
    const messages = sink();
    const result = await launchWorkers({
      nproc: 3,
      command: process.execPath,
      args: [
        '-e',
        "const e=process.env,fs=require('fs'),path=require('path');const f=e.VBT_RENDEZVOUS_FILE;" +
          'const dir=fs.statSync(path.dirname(f));' +
          'console.log(JSON.stringify({RANK:e.RANK,WORLD_SIZE:e.WORLD_SIZE,LOCAL_RANK:e.LOCAL_RANK,MASTER_ADDR:e.MASTER_ADDR,MASTER_PORT:e.MASTER_PORT,OMP:e.OMP_NUM_THREADS,FILE:f,MODE:(dir.mode&0o777).toString(8),OWNER:dir.uid}))',
      ],
      // An inherited file or port must not leak through.
      env: { ...process.env, VBT_RENDEZVOUS_FILE: '/tmp/not-this-one', MASTER_PORT: undefined },
      output: out.stream,
      messages: messages.stream,
      forwardSignals: false,
    });
    expect(result.exitCode).toBe(0);
    // Rank 0 writes to the launcher's own stdout; the others' lines come prefixed.
    const lines = out.text().trim().split('\n').sort();
    expect(lines).toHaveLength(2);
    const seen = lines.map((l) => {
      const m = /^\[rank (\d)\] (.*)$/.exec(l)!;
      return { prefix: Number(m[1]), env: JSON.parse(m[2]!) as Record<string, string> };
    });
    for (const { prefix, env } of seen) {
      expect(env.RANK).toBe(String(prefix));
      expect(env.LOCAL_RANK).toBe(String(prefix));
      expect(env.WORLD_SIZE).toBe('3');
      // Gloo binds there; the rendezvous itself is a file in a folder only this user can enter, and no port is named.
      expect(env.MASTER_ADDR).toBe('127.0.0.1');
      expect(env.MASTER_PORT).toBeUndefined();
      expect(env.FILE).toBe(seen[0]!.env.FILE);
      expect(env.FILE).toMatch(/vbt-rendezvous-[^/]+\/store$/);
      expect(env.MODE).toBe('700');
      expect(Number(env.OWNER)).toBe(process.getuid!());
      expect(Number(env.OMP)).toBeGreaterThanOrEqual(1);
    }
    expect(messages.text()).toMatch(/started 3 workers \(ranks 0\.\.2 of 3\), pids \d+ \d+ \d+, rendezvous through the private file .*store \(no port opened\)/);
    // The launcher removes the folder once its workers are gone.
    expect(existsSync(path.dirname(seen[0]!.env.FILE!))).toBe(false);
  });

  it('across machines, rank 0 serves a TCP store on the given address, and the launcher says what it exposes', async () => {
    const out = sink();
    const messages = sink();
    const result = await launchWorkers({
      nproc: 2,
      nnodes: 2,
      nodeRank: 0,
      masterAddr: '10.1.2.3',
      masterPort: 29411,
      command: process.execPath,
      args: ['-e', 'const e=process.env;console.log(JSON.stringify({ADDR:e.MASTER_ADDR,PORT:e.MASTER_PORT,FILE:e.VBT_RENDEZVOUS_FILE ?? null}))'],
      env: { ...process.env, VBT_RENDEZVOUS_FILE: '/tmp/not-this-one' },
      output: out.stream,
      messages: messages.stream,
      forwardSignals: false,
    });
    expect(result.exitCode).toBe(0);
    // Rank 0 writes to the launcher's own stdout; rank 1's line comes prefixed.
    expect(JSON.parse(out.text().replace(/^\[rank 1\] /, ''))).toEqual({ ADDR: '10.1.2.3', PORT: '29411', FILE: null });
    expect(messages.text()).toMatch(
      /rendezvous 10\.1\.2\.3:29411 \(a TCP store that rank 0 serves on this machine, listening on (every interface \(port 29411\), not only 10\.1\.2\.3, as LibTorch < 2\.3 does|10\.1\.2\.3 only), without authentication: keep runs across machines on a trusted network\)/,
    );
  });

  it('one worker failing stops the others at once and gives its exit code', async () => {
    const messages = sink();
    const t0 = performance.now();
    const result = await launchWorkers({
      nproc: 3,
      command: process.execPath,
      args: ['-e', "if (process.env.RANK === '1') setTimeout(() => { console.error('boom'); process.exit(3); }, 300); else setTimeout(() => {}, 60000);"],
      output: sink().stream,
      messages: messages.stream,
      killGraceSeconds: 2,
      forwardSignals: false,
    });
    expect(result.exitCode).toBe(3);
    expect(result.failedRank).toBe(1);
    expect((performance.now() - t0) / 1000).toBeLessThan(10);
    expect(messages.text()).toMatch(/\[rank 1\] boom/);
    expect(messages.text()).toMatch(/rank 1 \(pid \d+\) exited with code 3: stopping the other workers/);
    for (const pid of result.pids) expect(alive(pid)).toBe(false);
  });

  it('a worker that ignores SIGTERM is killed after the grace period; a worker killed by a signal counts as failed', async () => {
    const result = await launchWorkers({
      nproc: 2,
      command: process.execPath,
      args: ['-e', "process.on('SIGTERM', () => {}); if (process.env.RANK === '0') setTimeout(() => process.kill(process.pid, 'SIGKILL'), 300); setInterval(() => {}, 1000);"],
      output: sink().stream,
      messages: sink().stream,
      killGraceSeconds: 1,
      forwardSignals: false,
    });
    expect(result.exitCode).toBe(128 + 9);
    expect(result.failedRank).toBe(0);
    for (const pid of result.pids) expect(alive(pid)).toBe(false);
  });
});

describe('workers of a killed launcher', () => {
  it('exit even while busy in synchronous work (the kernel signals them when their parent dies)', async () => {
    const launcher = startTs(path.join(FIXTURES, 'launcher.ts'), ['2', path.join(FIXTURES, 'busy-worker.ts')]);
    const done = finished(launcher, 60_000);
    let text = '';
    const pids = await new Promise<number[]>((resolve) => {
      const onData = (d: Buffer) => {
        text += d.toString();
        const found = [...text.matchAll(/busy \d (\d+)/g)].map((m) => Number(m[1]));
        if (found.length === 2) resolve(found);
      };
      launcher.stdout!.on('data', onData);
      launcher.stderr!.on('data', onData);
    });
    launcher.kill('SIGKILL');
    await done;
    const t0 = performance.now();
    while (pids.some(alive) && performance.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 50));
    for (const pid of pids) expect(alive(pid), `worker ${pid}`).toBe(false);
    // A launcher killed outright cannot remove its private rendezvous folder: this test does.
    const folder = /rendezvous through the private file (\S+)\/store /.exec(text)?.[1];
    expect(folder, text).toBeDefined();
    rmSync(folder!, { recursive: true, force: true });
  }, 60_000);
});

describe('vbt train --nproc 2 (the real CLI)', () => {
  it('killing one worker makes the launcher exit non-zero within the collective timeout, leaving no worker behind', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'vbt-launch-'));
    const corpus = path.join(root, 'corpus');
    writeSyntheticCorpus({ dir: corpus, layout: 'avb', seed: 2, clips: 64 });
    const backbone = await tinyBackbone('data2vec');
    const configFile = path.join(root, 'config.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        recipe: 'demo',
        data: { corpus: { kind: 'synthetic', layout: 'avb', clips: 64, seed: 2, dir: corpus }, batchSize: 4, numWorkers: 0 },
        backbone: { path: backbone },
        train: { device: 'cpu', precision: 'fp32', threads: 1, stages: [{ name: 'finetune', freeze: 'none', lr: 1e-3, epochs: 1000, patience: 1000 }] },
      }),
    );
    const timeout = 20;
    const launcher = startTs(path.join(FIXTURES, 'cli.ts'), [
      'train', '--nproc', '2', '--config', configFile, '--out-dir', path.join(root, 'runs'), '--name', 'killed', '--progress', 'plain', '--dist-timeout', String(timeout),
    ]);
    const done = finished(launcher, 120_000);
    // Wait until the workers train, then kill rank 1 outright.
    let resolved = false;
    let text = '';
    const pids = await new Promise<number[]>((resolve, reject) => {
      const onData = (d: Buffer) => {
        text += d.toString();
        const m = /pids (\d+) (\d+)/.exec(text);
        // Training started; a moment later the ranks are inside their step loop.
        if (m && !resolved && text.includes('[finetune] starting')) {
          resolved = true;
          setTimeout(() => resolve([Number(m[1]), Number(m[2])]), 1500);
        }
      };
      launcher.stdout!.on('data', onData);
      launcher.stderr!.on('data', onData);
      launcher.on('close', () => reject(new Error(`the launcher exited before training started:\n${text}`)));
    });
    const killedAt = performance.now();
    process.kill(pids[1]!, 'SIGKILL');
    const end = await done;
    const seconds = (performance.now() - killedAt) / 1000;
    console.log(`launcher exited with code ${end.code} ${seconds.toFixed(2)} s after rank 1 was killed`);
    expect(end.code, end.stderr).not.toBe(0);
    expect(end.code).not.toBeNull();
    expect(seconds).toBeLessThan(timeout);
    expect(end.stderr).toMatch(/rank 1 \(pid \d+\) was killed by SIGKILL: stopping the other workers/);
    for (const pid of pids) expect(alive(pid)).toBe(false);
    rmSync(root, { recursive: true, force: true });
  }, 120_000);
});
