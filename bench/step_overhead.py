"""The reference side of bench/step-overhead.ts: the same training step in
plain Python PyTorch, on the weights and data the TypeScript side wrote.

Usage: python3 bench/step_overhead.py DIR THREADS
Then, one command per line on stdin, one JSON line back for each:
  first          the losses of the first three steps
  steps N        ms per step over N steps
  ops N          microseconds per `a + b` on one-element tensors
The TypeScript side alternates its own blocks with these, so both sides see
the same machine load.
"""
import json
import struct
import sys
import time

import torch

from line_commands import serve


def read_safetensors(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8 : 8 + n])
    header.pop("__metadata__", None)
    out = {}
    for name, info in header.items():
        b, e = info["data_offsets"]
        data = bytearray(raw[8 + n + b : 8 + n + e])
        dtype = {"F32": torch.float32, "I64": torch.int64}[info["dtype"]]
        out[name] = torch.frombuffer(data, dtype=dtype).reshape(info["shape"]).clone()
    return out


def main():
    folder, threads = sys.argv[1], int(sys.argv[2])
    torch.set_num_threads(threads)
    weights = read_safetensors(f"{folder}/weights.safetensors")
    data = read_safetensors(f"{folder}/data.safetensors")
    sizes = json.load(open(f"{folder}/sizes.json"))
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        lin = torch.nn.Linear(fan_in, fan_out)
        with torch.no_grad():
            lin.weight.copy_(weights[f"{2 * i}.weight"])
            lin.bias.copy_(weights[f"{2 * i}.bias"])
        layers.append(lin)
        if i < len(sizes) - 2:
            layers.append(torch.nn.GELU())
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    x, y = data["x"], data["y"]
    a, b = torch.ones(1), torch.ones(1)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    def timed(n, body):
        t0 = time.perf_counter()
        for _ in range(n):
            body()
        return time.perf_counter() - t0

    serve(
        {"ready": True, "torch": torch.__version__},
        {
            "first": lambda args: {"firstLosses": [step().item() for _ in range(3)]},
            "steps": lambda args: {"stepMs": timed(int(args[0]), step) * 1000 / int(args[0])},
            "ops": lambda args: {"opUs": timed(int(args[0]), lambda: a + b) * 1e6 / int(args[0])},
        },
    )


if __name__ == "__main__":
    main()
