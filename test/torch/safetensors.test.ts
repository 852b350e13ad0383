import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as T from '../../src/torch/index.js';
import { runPython } from '../fixtures/python.js';

const dir = () => mkdtempSync(path.join(tmpdir(), 'vbt-st-'));

// An independent reader and writer of the format in Python (json + struct +
// torch), so the files are checked against the specification, not against
// our own decoder.
const PY_READ = `
import json, struct, sys, torch
raw = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
header = json.loads(raw[8:8 + n])
assert (8 + n) % 8 == 0, "data must start 8-byte aligned"
dt = {"F32": torch.float32, "F64": torch.float64, "BF16": torch.bfloat16, "I64": torch.int64, "U8": torch.uint8}
out = {"__metadata__": header.pop("__metadata__", {})}
ends = []
for name, info in header.items():
    b, e = info["data_offsets"]
    ends.append((b, e))
    data = bytearray(raw[8 + n + b: 8 + n + e])
    t = torch.frombuffer(data, dtype=dt[info["dtype"]]).reshape(info["shape"]) if data else torch.empty(info["shape"])
    out[name] = {"dtype": info["dtype"], "shape": info["shape"], "values": t.float().flatten().tolist()}
ends.sort()
assert ends[0][0] == 0 and all(a[1] == b[0] for a, b in zip(ends, ends[1:])) and ends[-1][1] == len(raw) - 8 - n, "no holes"
print(json.dumps(out))
`;

const PY_WRITE = `
import json, struct, sys, torch
tensors = {"w": torch.arange(6, dtype=torch.float32).reshape(2, 3) / 4, "ids": torch.tensor([5, -7], dtype=torch.int64),
           "h": torch.tensor([1.5, -0.25], dtype=torch.bfloat16)}
header, blobs, off = {"__metadata__": {"source": "python"}}, [], 0
for k, t in tensors.items():
    b = t.contiguous().view(torch.uint8).numpy().tobytes() if t.dtype != torch.bfloat16 else t.view(torch.int16).numpy().tobytes()
    header[k] = {"dtype": {torch.float32: "F32", torch.int64: "I64", torch.bfloat16: "BF16"}[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
    blobs.append(b); off += len(b)
h = json.dumps(header).encode()
open(sys.argv[1], "wb").write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
`;

describe('safetensors', () => {
  it('writes files an independent Python reader decodes exactly', () => {
    const file = path.join(dir(), 'a.safetensors');
    T.saveSafetensors(
      file,
      {
        weight: T.tensor([[1.5, -2], [0.25, 8]]),
        steps: T.tensor([3, 1234567], { dtype: 'int64' }),
        half: T.tensor([1, -0.5, 3.25]).to('bfloat16'),
        mask: T.tensor([1, 0, 1], { dtype: 'uint8' }),
        empty: T.zeros([0, 4]),
      },
      { recipe: 'avb-mtl' },
    );
    const read = JSON.parse(runPython(PY_READ, [file])) as Record<string, { dtype: string; shape: number[]; values: number[] }>;
    expect(read.__metadata__).toEqual({ recipe: 'avb-mtl' });
    expect(read.weight).toEqual({ dtype: 'F32', shape: [2, 2], values: [1.5, -2, 0.25, 8] });
    expect(read.steps).toEqual({ dtype: 'I64', shape: [2], values: [3, 1234567] });
    expect(read.half).toEqual({ dtype: 'BF16', shape: [3], values: [1, -0.5, 3.25] });
    expect(read.mask!.values).toEqual([1, 0, 1]);
    expect(read.empty!.shape).toEqual([0, 4]);
  });

  it('reads files written by an independent Python writer', () => {
    const file = path.join(dir(), 'py.safetensors');
    runPython(PY_WRITE, [file]);
    const { tensors, metadata } = T.loadSafetensors(file);
    expect(metadata).toEqual({ source: 'python' });
    expect(tensors.get('w')!.shape).toEqual([2, 3]);
    expect(tensors.get('w')!.toNumbers()).toEqual([0, 0.25, 0.5, 0.75, 1, 1.25]);
    expect(tensors.get('ids')!.dtype).toBe('int64');
    expect(tensors.get('ids')!.toNumbers()).toEqual([5, -7]);
    expect(tensors.get('h')!.dtype).toBe('bfloat16');
    expect(tensors.get('h')!.toNumbers()).toEqual([1.5, -0.25]);
  });

  it('rejects malformed files with errors naming the file and the problem', () => {
    const d = dir();
    const good = T.encodeSafetensors({ a: T.tensor([1, 2, 3]) });
    const cases: [string, Buffer, RegExp][] = [
      ['short.st', Buffer.from([1, 2, 3]), /shorter than its 8-byte header/],
      ['huge-header.st', Buffer.concat([Buffer.from([255, 255, 255, 255, 0, 0, 0, 0]), Buffer.alloc(16)]), /exceeds the file/],
      ['not-json.st', Buffer.concat([Buffer.from([4, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{{{{')]), /header is not JSON/],
      ['truncated.st', good.subarray(0, good.length - 4), /lies outside the data/],
    ];
    const badDtype = Buffer.from(good);
    badDtype.write('"F99"', badDtype.indexOf('"F32"'));
    cases.push(['dtype.st', badDtype, /unsupported dtype "F99"/]);
    for (const [name, bytes, pattern] of cases) {
      const file = path.join(d, name);
      writeFileSync(file, bytes);
      expect(() => T.loadSafetensors(file)).toThrow(pattern);
      expect(() => T.loadSafetensors(file)).toThrow(file);
    }
    expect(() => T.loadSafetensors(path.join(d, 'missing.st'))).toThrow(/cannot read safetensors file/);
  });

  it('writes atomically: the target is either absent or complete', () => {
    const d = dir();
    const file = path.join(d, 'w.safetensors');
    T.saveSafetensors(file, { a: T.ones([1000]) });
    const bytes = readFileSync(file);
    expect(T.decodeSafetensors(bytes).tensors.get('a')!.numel).toBe(1000);
  });
});
