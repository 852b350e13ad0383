/**
 * Long clips: peak memory and time of a short training run and a
 * prediction pass on a corpus of short clips with a 60 s and a 600 s clip
 * in Train and Val, against the same corpus without them (the reference),
 * under the demo recipe's limits (4 s rows, 48 s of padded audio per
 * batch), tiny backbone, CPU. Each condition runs in a fresh process, so
 * peak RSS is its own.
 *
 * Run: npx tsx bench/long-clips.ts [--epochs N]   (prints one JSON object)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { epochs: { type: 'string', default: '2' } } });
const runner = path.join(import.meta.dirname, 'long-clips-run.ts');

function run(long: boolean): Record<string, unknown> {
  const dir = mkdtempSync(path.join(tmpdir(), 'vbt-bench-long-'));
  try {
    const r = spawnSync(process.execPath, ['--import', 'tsx', runner, dir, '--epochs', values.epochs!, ...(long ? ['--long'] : [])], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`long-clips run failed (${r.status}): ${r.stderr}`);
    return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const reference = run(false);
const withLong = run(true);
process.stdout.write(
  `${JSON.stringify({
    bench: 'long-clips',
    epochs: Number(values.epochs),
    shortOnly: { peakRssMb: reference.peakRssMb, trainSeconds: reference.trainSeconds, totalSeconds: reference.totalSeconds },
    withLongClips: { peakRssMb: withLong.peakRssMb, trainSeconds: withLong.trainSeconds, totalSeconds: withLong.totalSeconds },
    rssRatio: Number(((withLong.peakRssMb as number) / (reference.peakRssMb as number)).toFixed(2)),
  })}\n`,
);
