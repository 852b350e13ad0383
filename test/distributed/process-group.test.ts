/**
 * The native c10d layer over Gloo on loopback, with real processes:
 * collectives give the right numbers over either rendezvous (a TCP store,
 * a file store), and every way a run can go wrong (port taken, a process
 * missing, a peer gone, a peer hung, a rendezvous file gone, bad arguments)
 * is a TorchError saying what to check, within its timeout, never a hang.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProcessGroup, Rendezvous, availableBackends, freePort } from '../../src/distributed/index.js';
import { TorchError, tensor } from '../../src/torch/index.js';
import { FIXTURES, jsonLines, runTs } from './spawn.js';

const script = path.join(FIXTURES, 'collectives.ts');

/** Run `scenario` as `worldSize` ranks meeting in a TCP store on a free port, or in a file store in `file`. */
async function runRanks(scenario: string, worldSize: number, file?: string): Promise<{ outputs: Record<string, unknown>[]; stderr: string[] }> {
  const where = file !== undefined ? `file:${file}` : String(await freePort());
  const runs = await Promise.all(Array.from({ length: worldSize }, (_, r) => runTs(script, [scenario, String(r), String(worldSize), where])));
  return { outputs: runs.flatMap((r) => jsonLines<Record<string, unknown>>(r.stdout)), stderr: runs.map((r) => r.stderr) };
}

describe('c10d process groups over Gloo (real processes on loopback)', () => {
  it('this build has the Gloo backend (libgloo-dev is a set-up requirement)', () => {
    expect(availableBackends().gloo).toBe(true);
  });

  it('all-reduces (sum, mean, max, min over coalesced lists), broadcasts and exchanges bytes and JSON between 3 ranks', async () => {
    const { outputs, stderr } = await runRanks('collectives', 3);
    expect(outputs, stderr.join('\n')).toHaveLength(3);
    for (const o of outputs) {
      // sum over ranks 0,1,2 of [r+1, 10(r+1)] and [[r, 2r, 3r]]
      expect(o.sum).toEqual([
        [6, 60],
        [3, 6, 9],
      ]);
      expect(o.mean).toEqual([2, 4]); // mean of [r+1, 4r]
      expect(o.max).toEqual([2, 0]);
      expect(o.min).toEqual([0, -2]);
      expect(o.broadcast).toEqual([15, 16]); // root 2's [7r+1, 7r+2]
      expect(o.bytes).toBe('hello from rank 0');
      expect(o.nothing).toBeNull();
      expect(o.gathered).toEqual([
        { rank: 0, payload: '' },
        { rank: 1, payload: 'xxx' },
        { rank: 2, payload: 'xxxxxx' },
      ]);
      expect(o.any).toBe(true);
      expect(o.none).toBe(false);
      expect(o.decided).toBe(true);
      expect((o.stats as { calls: number }).calls).toBeGreaterThan(10);
    }
  }, 60_000);

  it('the same collectives work when the ranks meet in a file store (no port opened)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vbt-filestore-'));
    try {
      const { outputs, stderr } = await runRanks('collectives', 3, path.join(dir, 'store'));
      expect(outputs, stderr.join('\n')).toHaveLength(3);
      for (const o of outputs) {
        expect(o.sum).toEqual([
          [6, 60],
          [3, 6, 9],
        ]);
        expect(o.broadcast).toEqual([15, 16]);
        expect(o.gathered).toEqual([
          { rank: 0, payload: '' },
          { rank: 1, payload: 'xxx' },
          { rank: 2, payload: 'xxxxxx' },
        ]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('a file store names the file and what to check: processes missing, its folder missing, its file removed during the run', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vbt-filestore-'));
    try {
      const file = path.join(dir, 'store');
      const t0 = performance.now();
      expect(() => Rendezvous.join({ file, rank: 0, worldSize: 3, timeoutMs: 1500 })).toThrow(
        /only 1 of 3 processes joined through the file .*store within 1\.5 s: check that every worker was started with the same VBT_RENDEZVOUS_FILE and WORLD_SIZE/,
      );
      expect((performance.now() - t0) / 1000).toBeLessThan(5);
      // c10d would wait for a missing folder until the timeout: it is named at once.
      const t1 = performance.now();
      expect(() => Rendezvous.join({ file: path.join(dir, 'gone', 'store'), rank: 0, worldSize: 1, timeoutMs: 60_000 })).toThrow(
        /the folder of the rendezvous file .*gone\/store does not exist \(No such file or directory\): the launcher creates it/,
      );
      expect((performance.now() - t1) / 1000).toBeLessThan(2);
      const second = path.join(dir, 'second');
      using store = Rendezvous.join({ file: second, rank: 0, worldSize: 1, timeoutMs: 60_000 });
      store.setJson('k', { a: 1 });
      expect(store.getJson('k', 1000)).toEqual({ a: 1 });
      expect(() => store.getJson('missing', 300)).toThrow(/'missing' was not published within 0\.3 s/);
      rmSync(second);
      const t2 = performance.now();
      expect(() => store.getJson('k', 60_000)).toThrow(/storeGet: the rendezvous file .*second cannot be used \(was it or its folder removed\?/);
      expect(() => store.setJson('k', 2)).toThrow(/storeSet: the rendezvous file .*second cannot be used/);
      expect((performance.now() - t2) / 1000).toBeLessThan(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('a peer that exits makes the next collective fail at once, naming the cause, and the group stays failed', async () => {
    const { outputs } = await runRanks('peer-exits', 2);
    const r0 = outputs.find((o) => o.rank === 0) as { first: { error?: string; seconds: number }; second: { error?: string } };
    expect(r0.first.error).toMatch(/TorchError: allReduce failed on rank 0 of 2 \(gloo\): a peer process probably exited/);
    expect(r0.first.seconds).toBeLessThan(10); // the timeout was 15 s: a closed connection is noticed at once
    expect(r0.second.error).toMatch(/unusable after an earlier failure/);
  }, 60_000);

  it('a peer that hangs makes the collective time out after its timeout', async () => {
    const { outputs } = await runRanks('peer-hangs', 2);
    const r0 = outputs.find((o) => o.rank === 0) as { result: { error?: string; seconds: number } };
    expect(r0.result.error).toMatch(/allReduce timed out after 1\.5 s on rank 0 of 2 \(gloo\).*--dist-timeout/);
    expect(r0.result.seconds).toBeGreaterThan(1.4);
    expect(r0.result.seconds).toBeLessThan(3.4);
  }, 60_000);

  it('a taken port is named as such', async () => {
    const server = createServer();
    const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
    try {
      expect(() => Rendezvous.join({ host: '127.0.0.1', port, rank: 0, worldSize: 2, timeoutMs: 2000 })).toThrow(
        new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use .*--master-port`),
      );
    } finally {
      server.close();
    }
  });

  it('processes that never join time out with what to check, on rank 0 and on the others', async () => {
    const port = await freePort();
    const t0 = performance.now();
    expect(() => Rendezvous.join({ host: '127.0.0.1', port, rank: 0, worldSize: 3, timeoutMs: 1500 })).toThrow(
      /only 1 of 3 processes joined at 127\.0\.0\.1:\d+ within 1\.5 s: check that every worker was started with the same MASTER_ADDR, MASTER_PORT and WORLD_SIZE/,
    );
    expect((performance.now() - t0) / 1000).toBeLessThan(5);
    const other = await freePort();
    expect(() => Rendezvous.join({ host: '127.0.0.1', port: other, rank: 1, worldSize: 2, timeoutMs: 1500 })).toThrow(
      /could not join the run at 127\.0\.0\.1:\d+ within 1\.5 s: check that rank 0 is running/,
    );
  }, 30_000);

  it('refuses bad arguments with TorchErrors, and a world of one works alone', async () => {
    const port = await freePort();
    using store = Rendezvous.join({ host: '127.0.0.1', port, rank: 0, worldSize: 1, timeoutMs: 5000 });
    expect(() => ProcessGroup.create(store, { rank: 0, worldSize: 1, backend: 'mpi' as 'gloo', timeoutMs: 1000 })).toThrow(/backend must be 'gloo' or 'nccl'/);
    if (!availableBackends().nccl) {
      expect(() => ProcessGroup.create(store, { rank: 0, worldSize: 1, backend: 'nccl', timeoutMs: 1000 })).toThrow(/no NCCL backend/);
    }
    expect(() => ProcessGroup.create(store, { rank: 2, worldSize: 1, backend: 'gloo', timeoutMs: 1000 })).toThrow(/rank 2 is outside 0\.\.0/);
    const group = ProcessGroup.create(store, { rank: 0, worldSize: 1, backend: 'gloo', timeoutMs: 5000, glooHostname: '127.0.0.1' });
    const x = tensor([1, 2, 3]);
    group.allReduce([x], 'mean');
    expect(x.toNumbers()).toEqual([1, 2, 3]);
    expect(() => group.allReduce([x, tensor([1], { dtype: 'int64' })], 'sum')).toThrow(TorchError);
    expect(() => group.allReduce([x, tensor([1], { dtype: 'int64' })], 'sum')).toThrow(/must share dtype and device/);
    expect(() => group.allReduce([tensor([1], { dtype: 'int64' })], 'mean')).toThrow(/'mean' needs floating-point tensors/);
    expect(() => group.allReduce([x], 'prod' as 'sum')).toThrow(/op must be/);
    expect(() => group.allReduce([x], 'sum', 0)).toThrow(/timeoutMs must be a positive number/);
    expect(() => group.allReduce([], 'sum')).toThrow(/at least one tensor/);
    // A parameter that requires grad is updated in place without autograd complaining.
    const p = tensor([1, 2], { requiresGrad: true });
    group.broadcast([p, tensor([5])]);
    expect(p.requiresGrad).toBe(true);
    group.dispose();
    expect(() => group.barrier()).toThrow(/used after dispose/);
  });
});
