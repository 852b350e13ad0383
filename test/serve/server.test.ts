/**
 * `vbt serve` as a separate process on a free loopback port: good files of
 * every format (raw bodies and multipart forms), broken, unsupported, empty,
 * oversized and too long audio, 50 concurrent requests (batched on the
 * device, the same numbers as a Predictor in this process), the server's
 * memory back near its baseline afterwards, and a graceful SIGTERM. The
 * in-flight limit is checked on a server started in this process.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskOutputs } from '../../src/predict/prediction-outputs.js';
import { Predictor } from '../../src/predict/predictor.js';
import { startServer } from '../../src/serve/server.js';
import { TASK_SPECS } from '../../src/tasks.js';
import * as T from '../../src/torch/index.js';
import { ENCODING_NAMES, encodeAs, haveFfmpeg, writeTestWav } from '../audio/encoded-formats.js';
import { tinyBackbone } from '../fixtures/backbones.js';
import { fakeRun } from '../predict/run-fixtures.js';

const work = mkdtempSync(path.join(tmpdir(), 'vbt-serve-'));
const entry = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'cli-entry.ts');
const tsx = import.meta.resolve('tsx');

let run: string;
let server: ChildProcess;
let base: string;
let stderr = '';
let exited: Promise<number | null>;
const files: Record<string, string> = {};
let reference: Predictor;

interface Line {
  file: string | null;
  start: number;
  end: number;
  outputs: TaskOutputs;
}

/** VmRSS of a process in MiB, from /proc (the server's own view is not needed). */
function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]);
  return kb / 1024;
}

/** Server outputs (JSON numbers written shortest) against the Predictor's: within 1e-5 (batches differ). */
function expectClose(actual: TaskOutputs, expected: TaskOutputs, what: string): void {
  for (const task of reference.tasks) {
    const a = actual[task];
    const e = expected[task];
    if (typeof a === 'object' && typeof e === 'object') {
      // Same classes (top-K: the same K, in the same order), close values.
      expect(Object.keys(a), `${what} ${task}`).toEqual(Object.keys(e));
      for (const [label, v] of Object.entries(a)) expect(Math.abs(v - e[label]!), `${what} ${task} ${label}`).toBeLessThan(1e-5);
    } else {
      expect(Math.abs((a as number) - (e as number)), `${what} ${task}`).toBeLessThan(1e-5);
    }
  }
}

async function post(body: Uint8Array | string | FormData, query = '', headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${base}/v1/predict${query}`, { method: 'POST', body, headers });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

const ffmpeg = haveFfmpeg();

describe.runIf(ffmpeg)('vbt serve', () => {
  beforeAll(async () => {
    const backbone = await tinyBackbone('hubert');
    run = await fakeRun({ work, name: 'served', recipe: 'demo', backbone });
    const wav = writeTestWav(path.join(work, 'clip.wav'), 2.2, 44100, 2, 9);
    files.wav = wav;
    for (const format of ENCODING_NAMES) files[format] = encodeAs(wav, format);
    for (let i = 0; i < 6; i++) files[`short${i}`] = writeTestWav(path.join(work, `short${i}.wav`), 1 + 0.5 * i, 16000, 1, 30 + i);
    files.long = writeTestWav(path.join(work, 'long.wav'), 6, 16000, 1, 40);
    reference = await Predictor.open(run, { maxBatch: 1, log: () => {} });
    server = spawn(
      process.execPath,
      ['--import', tsx, entry, 'serve', '--run', run, '--port', '0', '--max-body-mb', '1', '--max-audio-seconds', '5', '--batch-window-ms', '20'],
      { cwd: work, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } },
    );
    server.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    exited = new Promise((resolve) => server.on('exit', (code) => resolve(code)));
    base = await new Promise<string>((resolve, reject) => {
      let stdout = '';
      server.stdout!.on('data', (chunk: Buffer) => {
        stdout += chunk.toString('utf8');
        const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
        if (match) resolve(match[1]!);
      });
      server.on('exit', (code) => reject(new Error(`vbt serve exited (${code}): ${stderr}`)));
    });
  }, 600_000);

  afterAll(async () => {
    if (server && server.exitCode === null) server.kill('SIGKILL');
    await reference?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('binds to loopback and answers /healthz, /v1/model and /v1/openapi.json', async () => {
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = (await (await fetch(`${base}/healthz`)).json()) as { status: string };
    expect(health.status).toBe('ok');
    const model = (await (await fetch(`${base}/v1/model`)).json()) as Record<string, unknown> & {
      tasks: { task: string; labels: string[] }[];
      backbone: { family: string };
      training: { globalStep: number };
      limits: { maxBodyMiB: number; maxAudioSeconds: number };
    };
    expect(model.tasks.map((t) => t.task)).toEqual(['high', 'culture', 'two', 'type', 'country']);
    expect(model.tasks.find((t) => t.task === 'type')!.labels).toEqual([...TASK_SPECS.type.labels]);
    expect(model.backbone.family).toBe('hubert');
    expect(model.training.globalStep).toBe(0);
    expect(model.limits).toMatchObject({ maxBodyMiB: 1, maxAudioSeconds: 5 });
    const openapi = (await (await fetch(`${base}/v1/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown>; components: { schemas: { Outputs: { required: string[] } } } };
    expect(openapi.openapi).toMatch(/^3\./);
    expect(Object.keys(openapi.paths).sort()).toEqual(['/healthz', '/v1/model', '/v1/openapi.json', '/v1/predict']);
    expect(openapi.components.schemas.Outputs.required).toEqual(['high', 'culture', 'two', 'type', 'country']);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    const wrong = await fetch(`${base}/v1/predict`);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
  });

  it('predicts a raw body of every format: the Predictor\'s numbers', async () => {
    for (const format of ['wav', ...ENCODING_NAMES]) {
      const bytes = readFileSync(files[format]!);
      const { status, json } = await post(bytes, `?name=${format}-upload`, { 'Content-Type': 'application/octet-stream' });
      expect(status, `${format}: ${JSON.stringify(json)}`).toBe(200);
      const results = json.results as Line[];
      expect(results).toHaveLength(1);
      expect(results[0]!.file).toBe(`${format}-upload`);
      const expected = await reference.predict({ bytes });
      expect(results[0]!.end).toBe(expected.windows[0]!.end);
      expectClose(results[0]!.outputs, expected.windows[0]!.outputs, format);
    }
  });

  it('predicts a multipart form of several files, in order, with windows and top-K', async () => {
    const form = new FormData();
    for (const name of ['flac', 'mp3', 'short1']) form.append('file', new Blob([readFileSync(files[name]!)]), path.basename(files[name]!));
    const { status, json } = await post(form, '?window=1&top=3');
    expect(status, JSON.stringify(json)).toBe(200);
    const results = json.results as Line[];
    expect(results.map((r) => [r.file, r.start])).toEqual([
      ['clip.flac', 0], ['clip.flac', 1], ['clip.flac', 2],
      ['clip.mp3', 0], ['clip.mp3', 1], ['clip.mp3', 2],
      ['short1.wav', 0], ['short1.wav', 1],
    ]);
    for (const r of results) expect(Object.keys(r.outputs.type!)).toHaveLength(3);
    const expected = await reference.predict(files.short1!, { window: 1, top: 3 });
    expectClose(results[7]!.outputs, expected.windows[1]!.outputs, 'short1 window 2');
  });

  it('answers bad requests with the documented status and a reason', async () => {
    const broken = Buffer.concat([Buffer.from('fLaC'), Buffer.alloc(4000, 3)]);
    const cases: [string, Promise<{ status: number; json: Record<string, unknown> }>, number, RegExp][] = [
      ['broken FLAC', post(broken, '?name=broken.flac'), 422, /^broken\.flac: cannot decode FLAC: /],
      ['text', post('just some text, no audio'), 415, /unsupported audio format \(not WAV, FLAC, MP3/],
      ['empty body', post(new Uint8Array(0)), 400, /empty body/],
      ['oversized body', post(new Uint8Array(1.5 * 2 ** 20)), 413, /over the limit of 1048576 bytes/],
      ['too long audio', post(readFileSync(files.long!), '?name=long.wav'), 413, /^long\.wav: audio is longer than the limit of 5 s \(6\.0 s\)/],
      ['bad query', post(readFileSync(files.wav!), '?window=-1'), 400, /window=-1: expected a positive number/],
      ['hop without window', post(readFileSync(files.wav!), '?hop=1'), 400, /hop needs window/],
      ['form without files', post((() => { const f = new FormData(); f.append('window', '1'); return f; })()), 400, /no file/],
      ['too short', post(readFileSync(writeTestWav(path.join(work, 'blip.wav'), 0.01, 16000, 1, 2))), 422, /shorter than one frame/],
    ];
    for (const [what, pending, status, message] of cases) {
      const r = await pending;
      expect(r.status, `${what}: ${JSON.stringify(r.json)}`).toBe(status);
      expect(r.json.status, what).toBe(status);
      expect(r.json.error, what).toMatch(message);
    }
    // A chunked body over the limit (no Content-Length to refuse it by) is 413 as well.
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 24; i++) controller.enqueue(new Uint8Array(64 * 1024));
        controller.close();
      },
    });
    const chunked = await fetch(`${base}/v1/predict`, { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
    expect(chunked.status).toBe(413);
    // And the server still works.
    expect((await post(readFileSync(files.wav!))).status).toBe(200);
  });

  it('serves 50 concurrent requests in shared device batches, with the Predictor\'s numbers; memory returns near its baseline', async () => {
    const names = [0, 1, 2, 3, 4, 5].map((i) => `short${i}`);
    const expected = new Map<string, TaskOutputs>();
    for (const name of names) expected.set(name, (await reference.predict(files[name]!)).windows[0]!.outputs);
    const pid = server.pid!;
    const round = async () => {
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) => {
          const name = names[i % names.length]!;
          return post(readFileSync(files[name]!), `?name=${name}`).then((r) => ({ name, ...r }));
        }),
      );
      for (const a of answers) {
        expect(a.status, JSON.stringify(a.json)).toBe(200);
        const line = (a.json.results as Line[])[0]!;
        expect(line.file).toBe(a.name);
        expectClose(line.outputs, expected.get(a.name)!, a.name);
      }
    };
    // Warm-up at the same load: LibTorch's and the C library's allocators keep freed memory for reuse,
    // so the baseline is the server's level under this load; a leak would grow beyond it round after round.
    await round();
    await round();
    await new Promise((r) => setTimeout(r, 500));
    const baseline = rssMiB(pid);
    const before = ((await (await fetch(`${base}/healthz`)).json()) as { batches: { runs: number; items: number } }).batches;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 20);
    try {
      for (let i = 0; i < 3; i++) await round();
    } finally {
      clearInterval(sampler);
    }
    const after = ((await (await fetch(`${base}/healthz`)).json()) as { batches: { runs: number; items: number } }).batches;
    expect(after.items - before.items).toBe(150);
    expect(after.runs - before.runs).toBeLessThan(100); // batched: fewer device runs than requests
    // Settled: the lowest of a few readings over 3 s (collection and allocator trimming take a moment).
    let settled = Infinity;
    for (let i = 0; i < 12; i++) {
      await new Promise((r) => setTimeout(r, 250));
      settled = Math.min(settled, rssMiB(pid));
    }
    console.log(`server RSS: baseline ${baseline.toFixed(0)} MiB, peak ${peak.toFixed(0)} MiB, after ${settled.toFixed(0)} MiB; ${after.runs - before.runs} device batches for 150 requests`);
    expect(settled - baseline).toBeLessThan(48);
  });

  it('on SIGTERM finishes the requests in progress, refuses new ones, and exits 0', async () => {
    // A request held in progress for certain: its body is sent in two halves, the signal comes in between.
    const body = readFileSync(files.short5!);
    let request!: http.ClientRequest;
    const slow = new Promise<{ status: number; json: Record<string, unknown> }>((resolve, reject) => {
      request = http.request(`${base}/v1/predict`, { method: 'POST', headers: { 'Content-Length': String(body.length) } }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode!, json: JSON.parse(text) as Record<string, unknown> }));
      });
      request.on('error', reject);
      request.write(body.subarray(0, body.length >> 1));
    });
    const waitFor = async (what: string, ready: () => Promise<boolean> | boolean) => {
      for (let i = 0; i < 400; i++) {
        if (await ready()) return;
        await new Promise((r) => setTimeout(r, 5));
      }
      throw new Error(`timed out waiting for ${what}`);
    };
    await waitFor('the request in progress', async () => ((await (await fetch(`${base}/healthz`)).json()) as { inFlight: number }).inFlight === 1);
    server.kill('SIGTERM');
    await waitFor('the signal', () => /SIGTERM: finishing 1 request in progress/.test(stderr));
    // A new request is refused: the listener is closed (connection refused) or, on a kept-alive connection, 503.
    const late = await post(readFileSync(files.short0!)).catch((error: unknown) => error);
    if (!(late instanceof Error)) expect(late).toMatchObject({ status: 503, json: { error: 'the server is shutting down' } });
    request.end(body.subarray(body.length >> 1));
    const answer = await slow;
    expect(answer.status, JSON.stringify(answer.json)).toBe(200);
    expect(Object.keys((answer.json.results as Line[])[0]!.outputs.high!)).toHaveLength(TASK_SPECS.high.size);
    expect(await exited).toBe(0);
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });
});

describe.runIf(ffmpeg)('in-flight limit', () => {
  it('answers 503 with Retry-After beyond the limit, and serves the requests it holds', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vbt-serve-limit-'));
    try {
      const backbone = await tinyBackbone('hubert');
      const limited = await fakeRun({ work: dir, name: 'limited', recipe: 'demo', backbone });
      const predictor = await Predictor.open(limited, { log: () => {} });
      const running = await startServer(predictor, { port: 0, maxInFlight: 2, log: () => {} });
      try {
        const wav = readFileSync(writeTestWav(path.join(dir, 'x.wav'), 2, 16000, 1, 1));
        const { port } = new URL(running.url);
        // Two requests whose bodies arrive slowly: both are in progress until their last bytes come.
        const slowRequests: http.ClientRequest[] = [];
        const slow = [0, 1].map(
          () =>
            new Promise<{ status: number; request: http.ClientRequest }>((resolve, reject) => {
              const request = http.request({ host: '127.0.0.1', port, path: '/v1/predict', method: 'POST', headers: { 'Content-Length': wav.length } }, (res) => {
                res.resume();
                res.on('end', () => resolve({ status: res.statusCode ?? 0, request }));
              });
              request.on('error', reject);
              request.write(wav.subarray(0, 1000));
              slowRequests.push(request);
            }),
        );
        for (let i = 0; i < 200 && running.inFlight() < 2; i++) await new Promise((r) => setTimeout(r, 5));
        expect(running.inFlight()).toBe(2);
        const busy = await fetch(`${running.url}/v1/predict`, { method: 'POST', body: wav });
        expect(busy.status).toBe(503);
        expect(busy.headers.get('retry-after')).toBe('1');
        expect(((await busy.json()) as { error: string }).error).toMatch(/busy: 2 requests in progress \(limit 2\)/);
        for (const request of slowRequests) request.end(wav.subarray(1000));
        expect((await Promise.all(slow)).map((r) => r.status)).toEqual([200, 200]);
        // Room again.
        expect((await fetch(`${running.url}/v1/predict`, { method: 'POST', body: wav })).status).toBe(200);
      } finally {
        await running.close();
        await predictor.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('hands the host memory cache back once idle', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vbt-serve-idle-'));
    try {
      const backbone = await tinyBackbone('hubert');
      const idle = await fakeRun({ work: dir, name: 'idle', recipe: 'demo', backbone });
      const predictor = await Predictor.open(idle, { log: () => {} });
      const running = await startServer(predictor, { port: 0, idleReleaseMs: 100, log: () => {} });
      try {
        if (!T.hostMemory().enabled) return; // VBT_HOST_CACHE_MB=0: nothing cached to hand back
        const wav = readFileSync(writeTestWav(path.join(dir, 'x.wav'), 4, 16000, 1, 2));
        const cachedAfterRequests = async (wait: number) => {
          const answers = await Promise.all([0, 1, 2].map(() => fetch(`${running.url}/v1/predict`, { method: 'POST', body: wav })));
          expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
          await new Promise((r) => setTimeout(r, wait));
          return T.hostMemory().cachedBytes;
        };
        // Right after the requests the freed blocks are cached; after the idle time they are gone.
        expect(await cachedAfterRequests(0)).toBeGreaterThan(0);
        expect(await cachedAfterRequests(300)).toBe(0);
      } finally {
        await running.close();
        await predictor.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
