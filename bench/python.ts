/** The Python interpreter with torch that reference benchmarks run on. */
import { spawnSync } from 'node:child_process';

/** VBT_PYTHON, else /usr/bin/python3, else python3 — the first that imports torch. */
export function findTorchPython(): string {
  for (const py of [process.env.VBT_PYTHON, '/usr/bin/python3', 'python3']) {
    if (py && spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0) return py;
  }
  throw new Error('no Python with torch found: apt-get install python3-torch, or set VBT_PYTHON');
}
