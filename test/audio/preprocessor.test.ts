import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AudioError, WavDecodeError } from '../../src/audio/audio-error.js';
import { AudioCache } from '../../src/audio/audio-cache.js';
import { rmsDbfs } from '../../src/audio/loudness.js';
import { AudioPreprocessor } from '../../src/audio/preprocessor.js';
import { buildWav, pcm16Wav, sine } from './wav-builders.js';

const dir = mkdtempSync(join(tmpdir(), 'vbt-preprocess-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeWav(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

function listFiles(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name));
}

describe('AudioPreprocessor', () => {
  it('turns 44.1 kHz stereo into 16 kHz mono at −3 dBFS RMS', () => {
    const left = sine(440, 44100, 44100, 0.2);
    const right = sine(440, 44100, 44100, 0.1);
    const path = writeWav('stereo.wav', pcm16Wav([left, right], 44100));
    const pre = new AudioPreprocessor();
    const out = pre.loadFile(path);
    expect(out.length).toBe(16000);
    expect(pre.outputLength(44100, 44100)).toBe(16000);
    expect(rmsDbfs(out)).toBeCloseTo(-3, 3);
    // Still a 440 Hz tone: one period is 16000/440 ≈ 36.4 samples.
    let crossings = 0;
    for (let i = 1000; i < 15000; i++) if ((out[i - 1] as number) < 0 && (out[i] as number) >= 0) crossings++;
    expect(crossings).toBeGreaterThanOrEqual(384);
    expect(crossings).toBeLessThanOrEqual(386);
  });

  it('keeps levels when normalisation is off and passes 16 kHz mono through unresampled', () => {
    const tone = sine(1000, 16000, 1600, 0.25);
    const path = writeWav('mono16k.wav', buildWav(Array.from(tone, (v) => [v]), 'f32'));
    const out = new AudioPreprocessor({ normalize: false }).loadFile(path);
    expect(Array.from(out)).toEqual(Array.from(tone));
  });

  it('crops to maxSeconds from the start or the centre', () => {
    const ramp = Float32Array.from({ length: 16000 }, (_, i) => i / 16000);
    const path = writeWav('ramp.wav', buildWav(Array.from(ramp, (v) => [v]), 'f32'));
    const start = new AudioPreprocessor({ normalize: false, maxSeconds: 0.25 }).loadFile(path);
    expect(start.length).toBe(4000);
    expect(start[0]).toBe(0);
    const centre = new AudioPreprocessor({ normalize: false, maxSeconds: 0.25, crop: 'center' });
    const c = centre.loadFile(path);
    expect(c[0]).toBeCloseTo(6000 / 16000, 6);
    expect(centre.outputLength(16000, 16000)).toBe(4000);
    expect(centre.outputLength(100, 16000)).toBe(100);
  });

  it('reports a missing file, a bad header and a zero-length clip, naming the file', () => {
    const pre = new AudioPreprocessor();
    expect(() => pre.loadFile(join(dir, 'nope.wav'))).toThrow(/nope\.wav: file not found/);
    const junk = writeWav('junk.wav', new TextEncoder().encode('this is not audio at all'));
    expect(() => pre.loadFile(junk)).toThrow(WavDecodeError);
    const empty = writeWav('empty.wav', buildWav([], 's16'));
    expect(() => pre.loadFile(empty)).toThrow(AudioError);
    expect(() => pre.loadFile(empty)).toThrow(/empty\.wav: zero-length clip/);
  });

  it('rejects a sample rate the resampler cannot serve as an AudioError', () => {
    const odd = writeWav('rate.wav', buildWav([[1], [2]], 's16', { sampleRate: 300 }));
    expect(() => new AudioPreprocessor().loadFile(odd)).toThrow(/rate\.wav: cannot resample/);
  });
});

describe('preprocessed-audio cache', () => {
  const source = sine(300, 48000, 24000, 0.3);
  const path = writeWav('cached.wav', pcm16Wav([source], 48000));

  it('decodes once: a second load (new preprocessor, same folder) is a cache hit with identical samples', () => {
    const cacheDir = join(dir, 'cache-a');
    const first = new AudioPreprocessor({}, cacheDir);
    const a = first.loadFile(path);
    expect(first.stats).toEqual({ cacheHits: 0, decoded: 1 });
    const second = new AudioPreprocessor({}, cacheDir);
    const b = second.loadFile(path);
    expect(second.stats).toEqual({ cacheHits: 1, decoded: 0 });
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(b.buffer.byteLength).toBe(b.byteLength); // owns its buffer
    const files = listFiles(cacheDir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/\.f32$/);
  });

  it('misses when a setting that changes the samples changes, hits when only the crop changes', () => {
    const cacheDir = join(dir, 'cache-b');
    new AudioPreprocessor({}, cacheDir).loadFile(path);
    const louder = new AudioPreprocessor({ targetDbfs: -1 }, cacheDir);
    louder.loadFile(path);
    expect(louder.stats.decoded).toBe(1);
    const cropped = new AudioPreprocessor({ maxSeconds: 0.1 }, cacheDir);
    expect(cropped.loadFile(path).length).toBe(1600);
    expect(cropped.stats.cacheHits).toBe(1);
  });

  it('misses when the file content changes', () => {
    const cacheDir = join(dir, 'cache-c');
    const changing = writeWav('changing.wav', pcm16Wav([source], 48000));
    new AudioPreprocessor({}, cacheDir).loadFile(changing);
    writeFileSync(changing, pcm16Wav([sine(500, 48000, 24000, 0.3)], 48000));
    const again = new AudioPreprocessor({}, cacheDir);
    again.loadFile(changing);
    expect(again.stats).toEqual({ cacheHits: 0, decoded: 1 });
  });

  it('treats a corrupt entry as a miss and rewrites it; leaves no temporary files', () => {
    const cacheDir = join(dir, 'cache-d');
    const good = new AudioPreprocessor({}, cacheDir).loadFile(path);
    const [entry] = listFiles(cacheDir);
    writeFileSync(entry as string, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]));
    const repaired = new AudioPreprocessor({}, cacheDir);
    expect(Array.from(repaired.loadFile(path))).toEqual(Array.from(good));
    expect(repaired.stats.decoded).toBe(1);
    const reread = new AudioPreprocessor({}, cacheDir);
    reread.loadFile(path);
    expect(reread.stats.cacheHits).toBe(1);
    expect(listFiles(cacheDir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('stores the documented format: magic, version, rate, count, float32 samples', () => {
    const cache = new AudioCache(join(dir, 'cache-e'));
    const key = AudioCache.key(new Uint8Array([1, 2, 3]), 'settings');
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(AudioCache.key(new Uint8Array([1, 2, 3]), 'other')).not.toBe(key);
    cache.put(key, 16000, new Float32Array([0.5, -0.25]));
    const bytes = new Uint8Array(readFileSync(cache.entryPath(key)));
    expect(String.fromCharCode(...bytes.subarray(0, 4))).toBe('VBTA');
    const view = new DataView(bytes.buffer);
    expect([view.getUint32(4, true), view.getUint32(8, true), view.getUint32(12, true)]).toEqual([1, 16000, 2]);
    expect([view.getFloat32(16, true), view.getFloat32(20, true)]).toEqual([0.5, -0.25]);
    expect(cache.get(key)).toEqual({ sampleRate: 16000, samples: new Float32Array([0.5, -0.25]) });
    expect(cache.get(AudioCache.key(new Uint8Array([9]), 'settings'))).toBeUndefined();
  });
});
