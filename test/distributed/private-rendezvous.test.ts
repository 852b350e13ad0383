/**
 * A single-machine `vbt train --nproc 2` opens nothing beyond loopback:
 * from its start until it trains, no process of the run (the launcher, its
 * workers) listens on a TCP socket outside 127.0.0.0/8 and ::1. The
 * rendezvous is a file in a private folder, removed when the run ends;
 * Gloo's connections bind to 127.0.0.1.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeSyntheticCorpus } from '../../src/synth/index.js';
import { tinyBackbone } from '../fixtures/backbones.js';
import { type TcpSocket, isLoopbackAddress, procAvailable, processTree, tcpSockets } from './sockets.js';
import { FIXTURES, alive, finished, startTs } from './spawn.js';

const root = mkdtempSync(path.join(tmpdir(), 'vbt-private-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe.runIf(procAvailable())('vbt train --nproc 2 on one machine', () => {
  it('listens on no TCP socket outside loopback from its start until it trains, and removes its rendezvous folder at the end', async () => {
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
    const launcher = startTs(path.join(FIXTURES, 'cli.ts'), [
      'train', '--nproc', '2', '--config', configFile, '--out-dir', path.join(root, 'runs'), '--name', 'private', '--progress', 'plain', '--dist-timeout', '30',
    ]);
    const done = finished(launcher, 120_000);
    let text = '';
    launcher.stdout!.on('data', (d: Buffer) => (text += d.toString()));
    launcher.stderr!.on('data', (d: Buffer) => (text += d.toString()));

    // Sample the run's TCP sockets from its start until the ranks have trained a while.
    const seen = new Map<number, TcpSocket>();
    const pids = new Set<number>();
    let trainingSince: number | undefined;
    while (launcher.exitCode === null && launcher.signalCode === null) {
      const tree = processTree(launcher.pid!);
      for (const pid of tree) pids.add(pid);
      for (const s of tcpSockets(tree)) seen.set(s.inode, s);
      if (trainingSince === undefined && text.includes('[finetune] starting')) trainingSince = performance.now();
      if (trainingSince !== undefined && performance.now() - trainingSince > 2000) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(trainingSince, `the run ended before training:\n${text}`).toBeDefined();
    const rendezvous = /rendezvous through the private file (\S+) \(no port opened\)/.exec(text)?.[1];
    expect(rendezvous, text).toBeDefined();
    expect(existsSync(rendezvous!)).toBe(true);

    launcher.kill('SIGTERM');
    const end = await done;
    const sockets = [...seen.values()];
    const listening = sockets.filter((s) => s.state === 'listen');
    const connections = sockets.filter((s) => s.state === 'established');
    const show = (list: TcpSocket[]) => list.map((s) => `${s.address}:${s.port} (pid ${s.pid})`).join(', ') || 'nothing';
    console.log(
      `${pids.size} processes of the run; listening: ${show(listening)}; connected from: ${show(connections)}; ` +
        `the launcher exited with ${end.code ?? end.signal}`,
    );
    expect(listening.filter((s) => !isLoopbackAddress(s.address))).toEqual([]);
    // The scan does see the run's sockets: Gloo's connections between the ranks, on loopback too.
    expect(connections.length).toBeGreaterThan(0);
    expect(connections.filter((s) => !isLoopbackAddress(s.address))).toEqual([]);
    expect(existsSync(path.dirname(rendezvous!))).toBe(false);
    const workers = (/pids (\d+) (\d+)/.exec(text) ?? []).slice(1).map(Number);
    expect(workers).toHaveLength(2);
    for (const pid of workers) expect(alive(pid), `worker ${pid}`).toBe(false);
  }, 150_000);
});
