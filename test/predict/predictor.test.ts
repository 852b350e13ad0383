/**
 * Predictor: the same numbers as InferenceSession (the evaluation path) for
 * the same clips, whatever the input form (path, bytes, samples) or format;
 * concurrent calls batched on the device; windows with timestamps; clear
 * errors; nothing leaked.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AudioError } from '../../src/audio/audio-error.js';
import { AudioTooLongError } from '../../src/audio/decode-audio.js';
import { decodeWavMono } from '../../src/audio/wav-decode.js';
import { InferenceSession } from '../../src/predict/inference-session.js';
import type { TaskOutputs } from '../../src/predict/prediction-outputs.js';
import { Predictor, paddingGroups, predictionSpans } from '../../src/predict/predictor.js';
import { TASK_SPECS, type Task } from '../../src/tasks.js';
import { liveTensors } from '../../src/torch/index.js';
import { encodeAs, haveFfmpeg, writeTestWav } from '../audio/encoded-formats.js';
import { tinyBackbone } from '../fixtures/backbones.js';
import { fakeRun } from './run-fixtures.js';

const work = mkdtempSync(path.join(tmpdir(), 'vbt-predictor-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let avbRun: string;
let exvoRun: string;

beforeAll(async () => {
  const backbone = await tinyBackbone('hubert');
  // 1 s rows: the synthetic clips (1-2.5 s) are mostly covered by averaged windows.
  avbRun = await fakeRun({ work, name: 'avb', recipe: 'demo', backbone, overrides: [['data.preprocess.maxSeconds', 1]] });
  exvoRun = await fakeRun({ work, name: 'exvo', recipe: 'demo-exvo', backbone, overrides: [['data.preprocess.maxSeconds', 1.5]] });
}, 300_000);

/** Outputs back to the flat per-task arrays of ClipPredictions (age in years). */
function flat(outputs: TaskOutputs, task: Task): number[] {
  const value = outputs[task];
  if (typeof value === 'number') return [value];
  return TASK_SPECS[task].labels.map((l) => value![l]!);
}

async function sessionPredictions(run: string): Promise<{ byId: Map<string, Map<Task, number[]>>; audio: Map<string, string> }> {
  const session = await InferenceSession.open(run, { batchSize: 1, log: () => {} });
  try {
    const result = await session.evaluate('Val');
    const p = result.predictions!;
    const byId = new Map<string, Map<Task, number[]>>();
    p.ids.forEach((id, row) => {
      const tasks = new Map<Task, number[]>();
      for (const [task, entry] of Object.entries(p.byTask) as [Task, { size: number; values: number[] }][]) {
        tasks.set(task, entry.values.slice(row * entry.size, (row + 1) * entry.size));
      }
      byId.set(id, tasks);
    });
    const audio = new Map(session.corpus.clips.filter((c) => c.split === 'Val').map((c) => [c.id, c.audioPath] as const));
    return { byId, audio };
  } finally {
    await session.close();
  }
}

for (const which of ['avb', 'exvo'] as const) {
  describe(`Predictor (${which === 'avb' ? 'recipe A' : 'recipe B'})`, () => {
    it('gives exactly InferenceSession\'s predictions for each clip when clips go alone, and the same within 1e-5 when batched', async () => {
      const run = which === 'avb' ? avbRun : exvoRun;
      const { byId, audio } = await sessionPredictions(run);
      expect(byId.size).toBeGreaterThan(3);
      const alone = await Predictor.open(run, { maxBatch: 1, log: () => {} });
      const batched = await Predictor.open(run, { maxBatch: 8, batchWindowMs: 20, log: () => {} });
      try {
        const ids = [...byId.keys()];
        const together = await batched.predict(ids.map((id) => audio.get(id)!));
        expect(batched.batchStats.largest).toBeGreaterThan(1);
        let windowed = 0;
        for (const [i, id] of ids.entries()) {
          const one = await alone.predict(audio.get(id)!);
          expect(one.windows).toHaveLength(1);
          if (one.duration > (which === 'avb' ? 1 : 1.5)) windowed++;
          for (const task of alone.tasks) {
            const expected = byId.get(id)!.get(task)!;
            expect(flat(one.windows[0]!.outputs, task), `${id} ${task}`).toEqual(expected);
            const b = flat(together[i]!.windows[0]!.outputs, task);
            b.forEach((v, k) => expect(Math.abs(v - expected[k]!), `${id} ${task} batched`).toBeLessThan(task === 'age' ? 1e-4 : 1e-5));
          }
        }
        expect(windowed).toBeGreaterThan(0); // long clips were covered by averaged windows
        expect(alone.batchStats.largest).toBe(1);
      } finally {
        await alone.close();
        await batched.close();
      }
    });
  });
}

describe('Predictor inputs, windows and errors', () => {
  let predictor: Predictor;
  let wav: string;
  beforeAll(async () => {
    predictor = await Predictor.open(avbRun, { maxBatch: 4, log: () => {} });
    wav = writeTestWav(path.join(work, 'clip.wav'), 2.4, 44100, 2, 5);
  });
  afterAll(() => predictor.close());

  it('takes a path, encoded bytes or samples of the same audio to the same outputs', async () => {
    const byPath = await predictor.predict(wav);
    const byBytes = await predictor.predict({ bytes: readFileSync(wav), name: 'upload.wav' });
    const mono = decodeWavMono(readFileSync(wav));
    const bySamples = await predictor.predict({ samples: mono.samples, sampleRate: mono.sampleRate });
    expect(byPath.file).toBe(wav);
    expect(byBytes.file).toBe('upload.wav');
    expect(bySamples.file).toBeNull();
    expect(byBytes.windows).toEqual(byPath.windows);
    expect(bySamples.windows).toEqual(byPath.windows);
    expect(byPath.duration).toBeCloseTo(2.4, 3);
    // Outputs by name; classification probabilities sum to 1.
    const out = byPath.windows[0]!.outputs;
    expect(Object.keys(out.high!)).toEqual([...TASK_SPECS.high.labels]);
    expect(Object.values(out.type!).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    // The caller's samples are left as they were.
    expect(Array.from(mono.samples)).toEqual(Array.from(decodeWavMono(readFileSync(wav)).samples));
  });

  it.runIf(haveFfmpeg())('a FLAC copy predicts exactly as the WAV', async () => {
    const flac = encodeAs(wav, 'flac');
    expect((await predictor.predict(flac)).windows).toEqual((await predictor.predict(wav)).windows);
  });

  it('windows: timestamps, one prediction each; top keeps the K most probable classes', async () => {
    const result = await predictor.predict(wav, { window: 1, hop: 0.5, top: 2 });
    expect(result.windows.map((w) => [w.start, w.end])).toEqual([
      [0, 1], [0.5, 1.5], [1, 2], [1.5, 2.4],
    ]);
    for (const w of result.windows) {
      const probabilities = Object.values(w.outputs.type!);
      expect(probabilities).toHaveLength(2);
      expect(probabilities[0]).toBeGreaterThanOrEqual(probabilities[1]!);
    }
    const all = await predictor.predict(wav, { window: 1, hop: 0.5 });
    const full = all.windows[1]!.outputs.type!;
    const best = Object.entries(full).sort((a, b) => b[1] - a[1]).slice(0, 2);
    expect(Object.entries(result.windows[1]!.outputs.type!)).toEqual(best);
    // Different windows of a varying signal predict differently.
    expect(all.windows[0]!.outputs.high).not.toEqual(all.windows[3]!.outputs.high);
  });

  it('plans windows as documented: back to back by default, the tail cut at the end, a too-short tail left out', () => {
    expect(predictionSpans(100, 10, {})).toEqual([{ start: 0, end: 100 }]);
    expect(predictionSpans(100, 10, { window: 4 })).toEqual([{ start: 0, end: 40 }, { start: 40, end: 80 }, { start: 80, end: 100 }]);
    expect(predictionSpans(100, 10, { window: 4, hop: 5 })).toEqual([{ start: 0, end: 40 }, { start: 50, end: 90 }]);
    expect(predictionSpans(82, 10, { window: 4 }, 5)).toEqual([{ start: 0, end: 40 }, { start: 40, end: 80 }]);
    expect(predictionSpans(3, 10, { window: 4 }, 5)).toEqual([{ start: 0, end: 3 }]);
    expect(() => predictionSpans(100, 10, { window: 0 })).toThrow(/window must be a positive number/);
    expect(() => predictionSpans(100, 10, { hop: 1 })).toThrow(/hop needs window/);
  });

  it('groups items of similar lengths: padding stays within maxPadding of the real audio', () => {
    // 1, 1.1, 3.9, 4 s (and 1.05 s): two groups, not one padded to 4 s.
    expect(paddingGroups([16000, 17600, 62400, 64000, 16800], 0.25)).toEqual([[0, 4, 1], [2, 3]]);
    expect(paddingGroups([16000, 17600, 62400, 64000], Infinity)).toEqual([[0, 1, 2, 3]]);
    expect(paddingGroups([16000, 16000, 16000], 0)).toEqual([[0, 1, 2]]);
    // A long item counts as its windows (5 rows of 20000 samples here): it goes with the 20000-sample clip.
    expect(paddingGroups([100000, 20000, 5000], 0.1, 20000)).toEqual([[2], [0, 1]]);
    expect(paddingGroups([100000, 20000, 5000], 0.25, 20000)).toEqual([[2, 0, 1]]);
    for (const group of paddingGroups([3, 9, 4, 10, 5, 30, 31, 8, 2], 0.5)) {
      const lengths = group.map((i) => [3, 9, 4, 10, 5, 30, 31, 8, 2][i]!);
      expect(group.length * Math.max(...lengths)).toBeLessThanOrEqual(1.5 * lengths.reduce((a, b) => a + b, 0));
    }
  });

  it('rejects bad audio and bad options with errors naming the input, and keeps working', async () => {
    const junk = path.join(work, 'junk.wav');
    writeFileSync(junk, 'not audio at all, just text');
    await expect(predictor.predict(junk)).rejects.toThrow(AudioError);
    await expect(predictor.predict(junk)).rejects.toThrow(/junk\.wav: unsupported audio format/);
    await expect(predictor.predict(path.join(work, 'absent.mp3'))).rejects.toThrow(/absent\.mp3: file not found/);
    await expect(predictor.predict({ samples: new Float32Array(100), sampleRate: 16000, name: 'tiny' })).rejects.toThrow(/tiny: audio is 0\.00625 s long, shorter than one frame/);
    await expect(predictor.predict({ samples: new Float32Array([0, NaN, 0]), sampleRate: 16000 })).rejects.toThrow(/non-finite value at index 1/);
    await expect(predictor.predict(wav, { maxAudioSeconds: 1 })).rejects.toThrow(AudioTooLongError);
    await expect(predictor.predict(wav, { top: 0 })).rejects.toThrow(RangeError);
    await expect(predictor.predict([wav, junk])).rejects.toThrow(/junk\.wav/);
    expect((await predictor.predict(wav)).windows).toHaveLength(1);
  });

  it('batches concurrent calls: fewer device runs than items, the same outputs as alone', async () => {
    const files = [0, 1, 2, 3, 4, 5, 6].map((i) => writeTestWav(path.join(work, `c${i}.wav`), 0.6 + 0.2 * i, 16000, 1, 20 + i));
    const alone = await Promise.all(files.map((f) => predictor.predict(f)));
    const before = { ...predictor.batchStats };
    const together = await Promise.all(files.map((f) => predictor.predict(f)));
    const runs = predictor.batchStats.runs - before.runs;
    expect(runs).toBeLessThan(files.length);
    expect(runs).toBeGreaterThanOrEqual(2); // at most 4 per batch
    together.forEach((r, i) => {
      for (const task of predictor.tasks) {
        const a = flat(alone[i]!.windows[0]!.outputs, task);
        flat(r.windows[0]!.outputs, task).forEach((v, k) => expect(Math.abs(v - a[k]!)).toBeLessThan(1e-5));
      }
    });
  });

  it('leaks no tensor, and a closed predictor refuses work', async () => {
    await predictor.predict(wav, { window: 0.7 });
    const before = liveTensors();
    await Promise.all([predictor.predict(wav), predictor.predict(wav, { window: 0.5 })]);
    expect(liveTensors()).toBe(before);
    const other = await Predictor.open(avbRun, { log: () => {} });
    const pending = other.predict(wav);
    await other.close(); // waits for the prediction in progress
    expect((await pending).windows).toHaveLength(1);
    await expect(other.predict(wav)).rejects.toThrow(/closed/);
  });

  it('describes the model: tasks, classes, backbone', () => {
    const info = predictor.info();
    expect(info.tasks.map((t) => t.task)).toEqual(['high', 'culture', 'two', 'type', 'country']);
    expect(info.tasks.find((t) => t.task === 'country')!.labels).toEqual(['China', 'South Africa', 'United States', 'Venezuela']);
    expect(info.backbone.family).toBe('hubert');
    expect(info.sampleRate).toBe(16000);
    expect(info.maxSeconds).toBe(1);
  });
});
