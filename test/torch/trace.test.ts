/**
 * VBT_TRACE_TENSORS=1 records where each tensor was created and, at exit,
 * names the creation sites of the tensors still alive.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as T from '../../src/torch/index.js';

const FIXTURE = path.join(import.meta.dirname, 'fixtures', 'leak-tensor.ts');

function runFixture(env: NodeJS.ProcessEnv): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', FIXTURE], {
    cwd: path.resolve(import.meta.dirname, '..', '..'),
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stderr: r.stderr };
}

describe('tensor tracing', () => {
  it('names the creation sites of tensors leaked by a program, with counts, at exit', () => {
    const { status, stderr } = runFixture({ VBT_TRACE_TENSORS: '1' });
    expect(status).toBe(0);
    expect(stderr).toMatch(/4 tensors still alive, created at:/);
    // The loop's line leaked three tensors, the named function one; the scoped tensor is not reported.
    expect(stderr).toMatch(/^\s+3 × .*leak-tensor\.ts:9:\d+/m);
    expect(stderr).toMatch(/^\s+1 × makeForgottenTensor \(.*leak-tensor\.ts:5:\d+\)/m);
  }, 60_000);

  it('prints nothing without the variable', () => {
    const { status, stderr } = runFixture({ VBT_TRACE_TENSORS: '' });
    expect(status).toBe(0);
    expect(stderr).not.toMatch(/still alive/);
  }, 60_000);

  it('forgets disposed tensors and reports live ones in-process', () => {
    T.traceTensors(true);
    try {
      const kept = T.zeros([2]);
      const gone = T.ones([2]);
      gone.dispose();
      const sites = T.liveTensorSites();
      expect(sites).toHaveLength(1);
      expect(sites[0]!.count).toBe(1);
      expect(sites[0]!.site).toMatch(/trace\.test\.ts:\d+:\d+/);
      kept.dispose();
      expect(T.liveTensorSites()).toEqual([]);
      expect(T.formatLiveTensorSites()).toBe('vbt: no traced tensor is alive');
    } finally {
      T.traceTensors(false);
    }
  });
});
