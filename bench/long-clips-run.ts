/**
 * One training-and-prediction run on a manifest corpus of short clips
 * (1–1.5 s), optionally with a 60 s and a 600 s clip in both Train and Val,
 * under the demo recipe's length limits (4 s rows, 48 s of padded audio per
 * batch) and the tiny backbone. Prints one JSON line: peak RSS, time, and
 * the long clips' predictions. Run by bench/long-clips.ts and by the
 * long-clip memory test.
 *
 *   npx tsx bench/long-clips-run.ts <folder> [--long] [--backbone FILE] [--epochs N]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { encodeWav } from '../src/audio/wav-encode.js';
import { resolveConfig } from '../src/config/load.js';
import { InferenceSession } from '../src/predict/inference-session.js';
import { Trainer } from '../src/train/trainer.js';
import { Rng } from '../src/util/rng.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { long: { type: 'boolean', default: false }, backbone: { type: 'string' }, epochs: { type: 'string', default: '1' } },
});
const dir = path.resolve(positionals[0] ?? 'long-clips-run');
const rate = 16000;

function writeTone(file: string, seconds: number, seed: number): void {
  const rng = new Rng(seed);
  const samples = Float32Array.from({ length: Math.round(seconds * rate) }, (_, i) => 0.3 * Math.sin((2 * Math.PI * (180 + seed * 7) * i) / rate) + rng.uniform(-0.05, 0.05));
  writeFileSync(file, encodeWav([samples], rate, { format: 'pcm16' }));
}

mkdirSync(path.join(dir, 'wav'), { recursive: true });
const rows: string[] = ['id,path,split,Valence,Arousal'];
for (let i = 0; i < 54; i++) {
  writeTone(path.join(dir, 'wav', `s${i}.wav`), 1 + (i % 6) / 10, i);
  rows.push(`s${i},wav/s${i}.wav,${i % 3 === 0 ? 'Val' : 'Train'},${(i % 5) / 4},${(i % 7) / 6}`);
}
if (values.long) {
  for (const seconds of [60, 600]) {
    for (const split of ['Train', 'Val']) {
      const name = `long${seconds}-${split}`;
      writeTone(path.join(dir, 'wav', `${name}.wav`), seconds, seconds + split.length);
      rows.push(`${name},wav/${name}.wav,${split},0.5,0.5`);
    }
  }
}
writeFileSync(path.join(dir, 'list.csv'), `${rows.join('\n')}\n`);

const t0 = performance.now();
const config = resolveConfig({
  recipe: 'demo',
  overrides: [
    ['data.corpus', { kind: 'manifest', path: path.join(dir, 'list.csv') }],
    ['data.cacheDir', path.join(dir, 'cache')],
    ['data.numWorkers', 1],
    ['model.tasks', ['two']],
    ['train.progress', 'none'],
    ['train.threads', 1],
    ['train.stages', [{ name: 'finetune', freeze: 'none', lr: 1e-3, epochs: Number(values.epochs), patience: 2 }]],
    ['output.dir', path.join(dir, 'runs')],
    ['output.name', 'run'],
    ['output.overwrite', true],
    ...(values.backbone ? [['backbone.path', values.backbone] as const] : []),
  ],
});
const trainer = await Trainer.create({ config });
let result;
try {
  result = await trainer.fit();
} finally {
  await trainer.close();
}
const trainSeconds = (performance.now() - t0) / 1000;
const session = await InferenceSession.open(result.runDir, { log: () => {} });
let predictions: Record<string, number[]> = {};
try {
  const evaluation = await session.evaluate('Val');
  const p = evaluation.predictions!;
  const two = p.byTask.two!;
  predictions = Object.fromEntries(p.ids.filter((id) => id.startsWith('long')).map((id) => [id, two.values.slice(p.ids.indexOf(id) * 2, p.ids.indexOf(id) * 2 + 2)]));
} finally {
  await session.close();
}
process.stdout.write(
  `${JSON.stringify({
    long: values.long,
    status: result.status,
    steps: result.globalStep,
    trainSeconds: Number(trainSeconds.toFixed(2)),
    totalSeconds: Number(((performance.now() - t0) / 1000).toFixed(2)),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    predictions,
  })}\n`,
);
