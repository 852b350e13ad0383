/**
 * scripts/select-openmp-blas.sh, which `npm run setup` runs: it points the
 * BLAS alternatives at OpenBLAS's OpenMP build where they point at the
 * reference BLAS or the pthread build, and leaves any other choice alone.
 * Run against stub `update-alternatives` and `dpkg-architecture` commands
 * and a library folder of its own.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..', '..');
const work = mkdtempSync(path.join(os.tmpdir(), 'vbt-select-blas-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const ARCH = 'x86_64-linux-gnu';
const LIBS = ['libblas.so.3', 'liblapack.so.3', 'libopenblas.so.0'] as const;

/** Run the script with each alternative currently at `current[lib]` (`<root>`: its library folder); the --set calls it made and its output. */
function run(name: string, current: Record<string, string>, openmpInstalled = true): { sets: string[]; stdout: string } {
  const dir = path.join(work, name);
  const bin = path.join(dir, 'bin');
  const libRoot = path.join(dir, 'lib');
  mkdirSync(bin, { recursive: true });
  mkdirSync(path.join(libRoot, ARCH, 'openblas-openmp'), { recursive: true });
  if (openmpInstalled) for (const lib of LIBS) writeFileSync(path.join(libRoot, ARCH, 'openblas-openmp', lib), '');
  const state = path.join(dir, 'state');
  writeFileSync(state, Object.entries(current).map(([lib, target]) => `${lib}-${ARCH} ${target.replace('<root>', libRoot)}`).join('\n') + '\n');
  const log = path.join(dir, 'sets');
  writeFileSync(log, '');
  const stub = (file: string, body: string) => {
    writeFileSync(path.join(bin, file), `#!/usr/bin/env bash\n${body}\n`);
    chmodSync(path.join(bin, file), 0o755);
  };
  stub('dpkg-architecture', `echo ${ARCH}`);
  stub(
    'update-alternatives',
    `if [ "$1" = --query ]; then v=$(awk -v l="$2" '$1 == l { print $2 }' ${state}); [ -n "$v" ] && echo "Value: $v"; exit 0; fi
if [ "$1" = --quiet ] && [ "$2" = --set ]; then echo "$3 $4" >> ${log}; exit 0; fi
exit 2`,
  );
  const r = spawnSync('bash', [path.join(root, 'scripts', 'select-openmp-blas.sh')], {
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, VBT_BLAS_LIB_ROOT: libRoot },
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  const sets = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  return { sets: sets.map((l) => l.replace(libRoot, '<root>')), stdout: r.stdout };
}

const at = (folder: string) => Object.fromEntries(LIBS.map((lib) => [lib, `/usr/lib/${ARCH}/${folder}/${lib}`]));

describe('select-openmp-blas.sh', () => {
  it('moves all three libraries from the pthread build to the OpenMP build, saying so', () => {
    const { sets, stdout } = run('pthread', at('openblas-pthread'));
    expect(sets).toEqual(LIBS.map((lib) => `${lib}-${ARCH} <root>/${ARCH}/openblas-openmp/${lib}`));
    expect(stdout).toMatch(/libopenblas\.so\.0: OpenBLAS's OpenMP build instead of .*openblas-pthread/);
  });

  it('moves the reference BLAS and LAPACK too', () => {
    const { sets } = run('reference', { 'libblas.so.3': `/usr/lib/${ARCH}/blas/libblas.so.3`, 'liblapack.so.3': `/usr/lib/${ARCH}/lapack/liblapack.so.3` });
    expect(sets).toEqual([`libblas.so.3-${ARCH} <root>/${ARCH}/openblas-openmp/libblas.so.3`, `liblapack.so.3-${ARCH} <root>/${ARCH}/openblas-openmp/liblapack.so.3`]);
  });

  it('leaves another choice, the OpenMP build itself, and a machine without it alone', () => {
    expect(run('mkl', at('mkl')).sets).toEqual([]);
    const openmp = Object.fromEntries(LIBS.map((lib) => [lib, `<root>/${ARCH}/openblas-openmp/${lib}`]));
    expect(run('openmp', openmp).sets).toEqual([]);
    expect(run('unset', {}).sets).toEqual([]);
    expect(run('no-openmp', at('openblas-pthread'), false).sets).toEqual([]);
  });
});
