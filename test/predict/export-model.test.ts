/**
 * `vbt export-model`: one TorchScript file per run that Python loads with
 * torch.jit.load alone and that gives the Predictor's outputs (≤ 1e-5) on
 * the same preprocessed waveforms, for both recipes and their variants
 * (recipe A's intermediate tasks 0/5, 1/4, 2/3, sigmoid and clamp outputs,
 * age; recipe B's prediction passes, activations, output functions), rows
 * longer than the run's maxSeconds covered by averaged windows, recipe A's
 * padded mean pooling (avb-mtl-code), and a backbone with input normalisation.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportWholeModel } from '../../src/predict/export-model.js';
import type { TaskOutputs } from '../../src/predict/prediction-outputs.js';
import { Predictor } from '../../src/predict/predictor.js';
import { TASK_SPECS, type Task } from '../../src/tasks.js';
import { writeTestWav } from '../audio/encoded-formats.js';
import { tinyBackbone } from '../fixtures/backbones.js';
import { runCli } from '../fixtures/cli.js';
import { fakeRun } from './run-fixtures.js';

const PYTHON = process.env.VBT_PYTHON ?? '/usr/bin/python3';
const work = mkdtempSync(path.join(tmpdir(), 'vbt-export-model-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs an exported file with torch.jit.load alone: no vbt code on the path. */
const RUNNER = `
import json, sys
import torch
spec = json.load(open(sys.argv[1]))
extra = {"vbt.json": ""}
model = torch.jit.load(spec["model"], _extra_files=extra)
rows = [torch.frombuffer(bytearray(open(f, "rb").read()), dtype=torch.float32) for f in spec["inputs"]]
lengths = torch.tensor([r.numel() for r in rows], dtype=torch.int64)
batch = torch.zeros(len(rows), int(lengths.max()))
for i, r in enumerate(rows):
    batch[i, : r.numel()] = r
with torch.no_grad():
    out = model(batch, lengths)
json.dump({"outputs": {k: v.tolist() for k, v in out.items()}, "metadata": json.loads(extra["vbt.json"])}, open(spec["result"], "w"))
`;

interface Variant {
  readonly name: string;
  readonly recipe: 'demo' | 'demo-exvo';
  readonly overrides: readonly (readonly [string, unknown])[];
  readonly normalizedBackbone?: boolean;
}

const VARIANTS: readonly Variant[] = [
  { name: 'avb-0-5-sigmoid', recipe: 'demo', overrides: [['data.preprocess.maxSeconds', 1]] },
  { name: 'avb-1-4-clamp-dropout', recipe: 'demo', overrides: [['model.intermediate', '1/4'], ['model.regressionOutput', 'clamp'], ['model.headDropout', 0.2]] },
  { name: 'avb-2-3-clamp', recipe: 'demo', overrides: [['model.intermediate', '2/3'], ['model.regressionOutput', 'clamp'], ['data.preprocess.maxSeconds', 1.2]] },
  // avb-mtl-code's pooling: windows of at most 1.5 s, each padded to 1.5 s, the mean over all frames.
  { name: 'avb-padded-mean', recipe: 'demo', overrides: [['model.pooling', 'padded-mean'], ['model.padTo', 24000], ['data.preprocess.maxSeconds', 1.5]] },
  {
    name: 'avb-age',
    recipe: 'demo-exvo',
    overrides: [['model', { kind: 'avb-mtl', tasks: ['high', 'country', 'age'], headHidden: 32, intermediate: '1/4', regressionOutput: 'clamp' }]],
  },
  { name: 'b2v-concat-normalized', recipe: 'demo-exvo', overrides: [['data.preprocess.maxSeconds', 1]], normalizedBackbone: true },
  {
    name: 'b2v-mean-linear',
    recipe: 'demo-exvo',
    overrides: [['model.predictFrom', 'mean'], ['model.regressionOutput', 'linear'], ['model.activation', 'relu'], ['model.adversarial', false], ['model.dropout', 0]],
  },
  { name: 'b2v-specific-tanh', recipe: 'demo-exvo', overrides: [['model.predictFrom', 'specific'], ['model.activation', 'tanh']] },
  { name: 'b2v-shared-two-tasks', recipe: 'demo-exvo', overrides: [['model.predictFrom', 'shared'], ['model.tasks', ['country', 'high']]] },
];

let hubert: string;
let normalized: string;
const clips: string[] = [];

beforeAll(async () => {
  hubert = await tinyBackbone('hubert');
  // The same export, marked as trained with per-utterance input normalisation: both sides must apply it.
  normalized = path.join(work, 'hubert-normalized.pt');
  const resave = spawnSync(PYTHON, ['-c', `
import json, sys, torch
extra = {"vbt.json": ""}
m = torch.jit.load(sys.argv[1], _extra_files=extra)
meta = json.loads(extra["vbt.json"]); meta["input_normalization"] = True
m.save(sys.argv[2], _extra_files={"vbt.json": json.dumps(meta)})
`, hubert, normalized], { encoding: 'utf8' });
  expect(resave.status, resave.stderr).toBe(0);
  clips.push(
    writeTestWav(path.join(work, 'short.wav'), 0.7, 16000, 1, 1),
    writeTestWav(path.join(work, 'mid.wav'), 1.6, 44100, 2, 2),
    writeTestWav(path.join(work, 'long.wav'), 2.9, 22050, 1, 3),
  );
  writeFileSync(path.join(work, 'runner.py'), RUNNER);
}, 300_000);

function flat(outputs: TaskOutputs, task: Task): number[] {
  const value = outputs[task];
  if (typeof value === 'number') return [value];
  return TASK_SPECS[task].labels.map((l) => value![l]!);
}

describe('vbt export-model', () => {
  for (const variant of VARIANTS) {
    it(`${variant.name}: torch.jit.load alone gives the Predictor's outputs (≤ 1e-5)`, async () => {
      const backbone = variant.normalizedBackbone ? normalized : hubert;
      const run = await fakeRun({ work, name: variant.name, recipe: variant.recipe, backbone, overrides: variant.overrides, clips: 20 });
      const out = path.join(work, `${variant.name}.pt`);
      const summary = await exportWholeModel({ run, out, log: () => {} });
      expect(summary.out).toBe(out);

      const predictor = await Predictor.open(run, { log: () => {} });
      try {
        const expected = await predictor.predict(clips);
        const inputs: string[] = [];
        for (const [i, clip] of clips.entries()) {
          const { samples } = await predictor.preprocessInput(clip);
          const file = path.join(work, `${variant.name}-${i}.f32`);
          writeFileSync(file, samples);
          inputs.push(file);
        }
        const spec = path.join(work, `${variant.name}.json`);
        const result = path.join(work, `${variant.name}-result.json`);
        writeFileSync(spec, JSON.stringify({ model: out, inputs, result }));
        const r = spawnSync(PYTHON, [path.join(work, 'runner.py'), spec], { encoding: 'utf8', cwd: work });
        expect(r.status, r.stderr).toBe(0);
        const got = JSON.parse(readFileSync(result, 'utf8')) as { outputs: Record<string, number[][]>; metadata: Record<string, unknown> };
        expect(Object.keys(got.outputs).sort()).toEqual([...predictor.tasks].sort());
        let largest = 0;
        for (const task of predictor.tasks) {
          expected.forEach((e, i) => {
            const want = flat(e.windows[0]!.outputs, task);
            const have = got.outputs[task]![i]!;
            expect(have).toHaveLength(want.length);
            have.forEach((v, k) => {
              // Age is compared in the model's own units (scaled to [0, 1] over 20-39 years); an unbounded
              // (linear) output is compared relative to its size beyond 1.
              const [a, b] = task === 'age' ? [(v - 20) / 19, (want[k]! - 20) / 19] : [v, want[k]!];
              const error = Math.abs(a - b) / Math.max(1, Math.abs(b));
              largest = Math.max(largest, error);
              expect(error, `${task}[${i}][${k}]: ${v} vs ${want[k]}`).toBeLessThanOrEqual(1e-5);
            });
          });
        }
        // The file says what it holds and what the caller must do.
        const meta = got.metadata as {
          format: string;
          sample_rate: number;
          outputs: Record<string, { labels?: string[]; classes?: string[]; unit: string }>;
          windows: { max_samples: number };
          preprocessing: { loudness: { rms_normalize: boolean; target_dbfs?: number } };
          backbone: { input_normalization: boolean | null };
          pooling: { kind: string; pad_to?: number };
        };
        expect(meta.format).toBe('vbt-model');
        expect(meta.sample_rate).toBe(16000);
        expect(meta.windows.max_samples).toBe(Math.round((predictor.config.data.preprocess.maxSeconds ?? 0) * 16000));
        expect(meta.preprocessing.loudness).toMatchObject({ rms_normalize: true, target_dbfs: -3 });
        expect(meta.backbone.input_normalization === true).toBe(variant.normalizedBackbone === true);
        expect(meta.pooling).toEqual(predictor.config.model.kind === 'avb-mtl' && predictor.config.model.pooling === 'padded-mean' ? { kind: 'padded-mean', pad_to: 24000 } : { kind: 'mean' });
        for (const task of predictor.tasks) {
          const o = meta.outputs[task]!;
          expect(o.labels ?? o.classes).toEqual([...TASK_SPECS[task].labels]);
          if (task === 'age') expect(o.unit).toBe('years');
        }
        expect(largest).toBeLessThanOrEqual(1e-5);
      } finally {
        await predictor.close();
      }
    });
  }

  it('the CLI writes the file, refuses to replace it without --overwrite, and names heads that do not fit', async () => {
    const run = await fakeRun({ work, name: 'cli', recipe: 'demo', backbone: hubert, clips: 20 });
    const out = path.join(work, 'cli.pt');
    const first = runCli(['export-model', '--run', run, '--out', out], { cwd: work });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^wrote .*cli\.pt \(best checkpoint; outputs high, culture, two, type, country; /);
    const again = runCli(['export-model', '--run', run, '--out', out], { cwd: work });
    expect(again.code).toBe(1);
    expect(again.stderr.trim()).toMatch(/cli\.pt exists \(choose another --out, or --overwrite\)$/);
    expect(runCli(['export-model', '--run', run, '--out', out, '--overwrite'], { cwd: work }).code).toBe(0);
    // A config that no longer matches the checkpoint (wider heads).
    const config = JSON.parse(readFileSync(path.join(run, 'config.json'), 'utf8')) as { model: { headHidden: number } };
    config.model.headHidden = 96;
    writeFileSync(path.join(run, 'config.json'), JSON.stringify(config));
    const wrong = runCli(['export-model', '--run', run, '--out', path.join(work, 'wrong.pt')], { cwd: work });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr.trim()).toMatch(/^vbt: .*heads\.safetensors: high\.0\.weight has shape \[64, 64\], the config makes \[96, 64\]$/);
  });
});
