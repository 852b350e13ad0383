/**
 * `vbt predict` on audio files of every format and on folders, with a tiny
 * trained run: one JSON line per file (per window with --window), CSV, a
 * broken file named on stderr while the others are predicted, and the
 * corpus mode's submission files chosen by the run's layout.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Predictor } from '../../src/predict/predictor.js';
import { BURST_TYPES, COUNTRIES, EMOTIONS, TASK_SPECS } from '../../src/tasks.js';
import { encodeAs, haveFfmpeg, writeTestWav } from '../audio/encoded-formats.js';
import { tinyBackbone } from '../fixtures/backbones.js';
import { runCli } from '../fixtures/cli.js';
import { fakeRun } from './run-fixtures.js';

const work = mkdtempSync(path.join(tmpdir(), 'vbt-predict-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let run: string;
let backbone: string;
const inputs = path.join(work, 'inputs');

interface Line {
  file: string;
  start: number;
  end: number;
  outputs: Record<string, Record<string, number> | number>;
}

function jsonLines(stdout: string): Line[] {
  return stdout
    .trim()
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Line);
}

describe.runIf(haveFfmpeg())('vbt predict on audio files', () => {
  beforeAll(async () => {
    backbone = await tinyBackbone('hubert');
    const corpus = path.join(work, 'corpus');
    expect(runCli(['synth', corpus, '--clips', '40', '--seed', '5'], { cwd: work }).code).toBe(0);
    const train = runCli(
      [
        'train', '--data', corpus, '--layout', 'avb', '--backbone', backbone, '--name', 'r1', '--progress', 'none',
        '--cache-dir', path.join(work, 'cache'), '--batch-size', '8',
        '--set', 'train.stages.0.epochs=2', '--set', 'train.stages.1.epochs=1', '--set', 'train.stages.1.maxSteps=2',
      ],
      { cwd: work },
    );
    expect(train.code, train.stderr).toBe(0);
    run = path.join(work, 'runs', 'r1');
    mkdirSync(path.join(inputs, 'folder', 'nested'), { recursive: true });
    const wav = (name: string, seconds: number, rate: number, channels: number, seed: number) =>
      writeTestWav(path.join(inputs, name), seconds, rate, channels, seed);
    wav('a.wav', 1.3, 16000, 1, 1);
    encodeAs(wav('b.wav', 1.6, 44100, 2, 2), 'flac', path.join(inputs, 'b.flac'));
    encodeAs(wav('c.wav', 2.1, 22050, 1, 3), 'mp3', path.join(inputs, 'c.mp3'));
    encodeAs(wav('d.wav', 1.1, 48000, 2, 4), 'ogg', path.join(inputs, 'd.ogg'));
    encodeAs(wav('e.wav', 1.4, 48000, 1, 5), 'opus', path.join(inputs, 'folder', 'e.opus'));
    encodeAs(wav('f.wav', 1.8, 44100, 2, 6), 'm4a', path.join(inputs, 'folder', 'f.m4a'));
    encodeAs(wav('g.wav', 1.2, 32000, 1, 7), 'aac', path.join(inputs, 'folder', 'nested', 'g.aac'));
    writeFileSync(path.join(inputs, 'folder', 'notes.txt'), 'not audio, and not named like audio: skipped');
    writeFileSync(path.join(inputs, 'corrupt.mp3'), 'this is text with an .mp3 name');
    for (const f of ['b', 'c', 'd', 'e', 'f', 'g']) rmSync(path.join(inputs, `${f}.wav`));
  }, 600_000);

  it('prints one JSON line per file, names a broken file on stderr, predicts the others, and exits non-zero', () => {
    const args = ['a.wav', 'b.flac', 'c.mp3', 'corrupt.mp3', 'd.ogg', 'folder'];
    const r = runCli(['predict', '--run', run, ...args], { cwd: inputs });
    expect(r.code).toBe(1);
    const lines = jsonLines(r.stdout);
    expect(lines.map((l) => l.file)).toEqual([
      'a.wav', 'b.flac', 'c.mp3', 'd.ogg', path.join('folder', 'e.opus'), path.join('folder', 'f.m4a'), path.join('folder', 'nested', 'g.aac'),
    ]);
    const errors = r.stderr.trim().split('\n').filter((l) => l.startsWith('vbt: '));
    expect(errors[0]).toMatch(/^vbt: corrupt\.mp3: unsupported audio format \(not WAV, FLAC, MP3/);
    expect(errors.filter((l) => l.includes('corrupt.mp3'))).toHaveLength(1);
    expect(errors.at(-1)).toBe('vbt: 1 of 8 inputs could not be predicted');
    const durations = [1.3, 1.6, 2.1, 1.1, 1.4, 1.8, 1.2];
    lines.forEach((line, i) => {
      expect(line.start).toBe(0);
      expect(Math.abs(line.end - durations[i]!), line.file).toBeLessThan(0.08); // lossy encoders may pad a frame
      const out = line.outputs;
      expect(Object.keys(out)).toEqual(['high', 'culture', 'two', 'type', 'country']);
      expect(Object.keys(out.high as object)).toEqual([...EMOTIONS]);
      expect(Object.keys(out.type as object)).toEqual([...BURST_TYPES]);
      expect(Object.keys(out.country as object)).toEqual([...COUNTRIES]);
      expect(Object.keys(out.culture as object)).toEqual([...TASK_SPECS.culture.labels]);
      const sum = Object.values(out.type as Record<string, number>).reduce((a, b) => a + b, 0);
      expect(sum).toBeCloseTo(1, 5);
      for (const v of Object.values(out.high as Record<string, number>)) expect(v).toBeGreaterThanOrEqual(0);
    });
  });

  it('prints exactly the Predictor\'s numbers (each JSON number reads back as the same float32)', async () => {
    const r = runCli(['predict', '--run', run, 'a.wav', 'c.mp3'], { cwd: inputs });
    expect(r.code, r.stderr).toBe(0);
    const lines = jsonLines(r.stdout);
    const predictor = await Predictor.open(run, { log: () => {} });
    try {
      for (const line of lines) {
        const expected = await predictor.predict(path.join(inputs, line.file));
        const outputs = expected.windows[0]!.outputs;
        for (const [task, value] of Object.entries(line.outputs)) {
          const want = outputs[task as keyof typeof outputs]!;
          for (const [label, v] of Object.entries(value as Record<string, number>)) {
            expect(Math.fround(v), `${line.file} ${task} ${label}`).toBe((want as Record<string, number>)[label]);
          }
        }
        expect(line.end).toBe(expected.windows[0]!.end);
      }
    } finally {
      await predictor.close();
    }
  });

  it('windows, CSV and top-K', () => {
    const r = runCli(['predict', '--run', run, 'c.mp3', 'a.wav', '--window', '1', '--hop', '0.5', '--format', 'csv', '--top', '2'], { cwd: inputs });
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.trim().split('\n');
    const header = rows[0]!.split(',');
    expect(header.slice(0, 4)).toEqual(['file', 'start', 'end', 'high:Awe']);
    expect(header.slice(-8)).toEqual(['type:1', 'type:1:p', 'type:2', 'type:2:p', 'country:1', 'country:1:p', 'country:2', 'country:2:p']);
    const body = rows.slice(1).map((row) => row.split(','));
    // c.mp3 (2.1 s): windows at 0, 0.5, 1, 1.5; a.wav (1.3 s): 0, 0.5 (the second reaches the end).
    expect(body.map((c) => `${c[0]}@${c[1]}-${c[2]}`)).toEqual([
      'c.mp3@0-1', 'c.mp3@0.5-1.5', 'c.mp3@1-2', expect.stringMatching(/^c\.mp3@1\.5-2\.1\d*$/), 'a.wav@0-1', 'a.wav@0.5-1.3',
    ]);
    for (const c of body) {
      expect(c).toHaveLength(header.length);
      expect(BURST_TYPES).toContain(c[header.indexOf('type:1')]);
      expect(Number(c[header.indexOf('type:1:p')])).toBeGreaterThanOrEqual(Number(c[header.indexOf('type:2:p')]));
    }
    const json = jsonLines(runCli(['predict', '--run', run, 'a.wav', '--window', '0.5'], { cwd: inputs }).stdout);
    expect(json.map((l) => [l.start, l.end])).toEqual([[0, 0.5], [0.5, 1], [1, 1.3]]);
  });

  it('without ffmpeg, names what to install for the files that need it and still predicts WAV', () => {
    const saved = process.env.VBT_FFMPEG;
    process.env.VBT_FFMPEG = path.join(work, 'no-ffmpeg-here');
    try {
      const r = runCli(['predict', '--run', run, 'b.flac', 'a.wav'], { cwd: inputs });
      expect(r.code).toBe(1);
      expect(jsonLines(r.stdout).map((l) => l.file)).toEqual(['a.wav']);
      expect(r.stderr).toMatch(/^vbt: b\.flac: decoding FLAC needs ffmpeg, which is not on the PATH: install it \(Debian\/Ubuntu: sudo apt-get install ffmpeg\)/m);
    } finally {
      if (saved === undefined) delete process.env.VBT_FFMPEG;
      else process.env.VBT_FFMPEG = saved;
    }
  });

  it('says what is wrong with the arguments, in one line', () => {
    const missing = runCli(['predict', '--run', run, 'nothing-here.wav'], { cwd: inputs });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^vbt: nothing-here\.wav: file not found$/m);
    const hop = runCli(['predict', '--run', run, 'a.wav', '--hop', '1'], { cwd: inputs });
    expect(hop.stderr.trim()).toBe('vbt: --hop needs --window');
    const window = runCli(['predict', '--run', run, '--window', '1'], { cwd: inputs });
    expect(window.stderr.trim().split('\n').at(-1)).toBe('vbt: --window applies to predicting audio files: name them after the options');
    for (const cmd of ['predict', 'serve', 'export-model']) {
      const help = runCli([cmd, '--help'], { cwd: work });
      expect(help.code, cmd).toBe(0);
      expect(help.stdout, cmd).toMatch(/Examples:/);
    }
  });

  it('corpus mode writes the submission files of the run\'s layout only', async () => {
    const avb = runCli(['predict', '--run', run], { cwd: work });
    expect(avb.code, avb.stderr).toBe(0);
    expect(readdirSync(path.join(run, 'predictions', 'Test')).sort()).toEqual(['avb_culture.csv', 'avb_high.csv', 'avb_two.csv', 'avb_type.csv', 'predictions.csv']);
    const exvoRun = await fakeRun({ work, name: 'exvo', recipe: 'demo-exvo', backbone });
    const exvo = runCli(['predict', '--run', exvoRun], { cwd: work });
    expect(exvo.code, exvo.stderr).toBe(0);
    const dir = path.join(exvoRun, 'predictions', 'Test');
    expect(readdirSync(dir).sort()).toEqual(['exvo-submission.csv', 'predictions.csv']);
    expect(existsSync(path.join(dir, 'avb_high.csv'))).toBe(false);
  });
});
