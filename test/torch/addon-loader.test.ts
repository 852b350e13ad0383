import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type LibTorchInstall, type PrebuildManifest, listPrebuilds, prebuildMatches } from '../../src/torch/addon-loader.js';

function manifest(version: string, cudaTag: string, cxx11Abi = 1, platform: string = process.platform): PrebuildManifest {
  return {
    format: 'vbt-prebuild',
    formatVersion: 1,
    platform,
    arch: process.arch,
    libtorch: { version, torchVersion: version, cudaTag, cudaVersion: cudaTag === 'cpu' ? null : '13.0', cxx11Abi, source: 'test' },
    compiler: 'g++',
    cxxStandard: 17,
    napiVersion: 8,
    git: { commit: 'abc', dirty: false },
    vbtVersion: '0.1.0',
    builtAt: '2026-11-23T00:00:00Z',
  };
}

const install = (version: string, cudaTag: string, cxx11Abi = 1) => ({ version, cudaTag, cxx11Abi }) as unknown as LibTorchInstall;

describe('prebuild selection', () => {
  it('matches on LibTorch version, CUDA tag and C++ ABI', () => {
    expect(prebuildMatches(manifest('2.11.0', 'cu130'), install('2.11.0', 'cu130'))).toBe(true);
    expect(prebuildMatches(manifest('2.11.0', 'cu130'), install('2.11.1', 'cu130'))).toBe(false);
    expect(prebuildMatches(manifest('2.11.0', 'cu130'), install('2.11.0', 'cpu'))).toBe(false);
    expect(prebuildMatches(manifest('2.11.0', 'cpu'), install('2.11.0', 'cu130'))).toBe(false);
    expect(prebuildMatches(manifest('2.11.0', 'cu130', 0), install('2.11.0', 'cu130', 1))).toBe(false);
    // A CUDA LibTorch that does not record its CUDA version takes a CUDA prebuild of its version.
    expect(prebuildMatches(manifest('2.11.0', 'cu126'), install('2.11.0', 'cuda'))).toBe(true);
  });

  it('lists only complete prebuilds of this platform', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vbt-prebuilds-'));
    const add = (name: string, m: unknown, withAddon = true) => {
      mkdirSync(path.join(dir, name));
      writeFileSync(path.join(dir, name, 'manifest.json'), JSON.stringify(m));
      if (withAddon) writeFileSync(path.join(dir, name, 'vbt.node'), '');
    };
    add('linux-x64-torch2.11.0-cu130', manifest('2.11.0', 'cu130'));
    add('no-addon', manifest('2.11.0', 'cpu'), false);
    add('other-platform', manifest('2.11.0', 'cpu', 1, 'win32'));
    add('not-a-manifest', { hello: 'world' });
    mkdirSync(path.join(dir, 'empty'));
    const found = listPrebuilds(dir);
    expect(found.map((p) => path.basename(p.dir))).toEqual(['linux-x64-torch2.11.0-cu130']);
    expect(listPrebuilds(path.join(dir, 'missing'))).toEqual([]);
  });

  it('names prebuild folders by platform, architecture, LibTorch version and CUDA tag', () => {
    const rules = createRequire(import.meta.url)('../../scripts/prebuild-rules.cjs') as {
      prebuildName(lt: { version: string; cudaTag: string }, platform?: string, arch?: string): string;
    };
    expect(rules.prebuildName({ version: '2.11.0', cudaTag: 'cu130' }, 'linux', 'x64')).toBe('linux-x64-torch2.11.0-cu130');
    expect(rules.prebuildName({ version: '1.13.1', cudaTag: 'cpu' })).toBe(`${process.platform}-${process.arch}-torch1.13.1-cpu`);
  });
});
