"""The reference side of bench/finetune-step.ts: recipe A's fine-tuning step
written as a plain PyTorch script, on the TorchScript export, head weights,
class weights and batches the TypeScript side wrote.

Usage: python3 bench/finetune_step.py DIR
  DIR holds settings.json, and for each model size S (tiny, base) S.pt (the
  TorchScript export vbt trains), S-heads.safetensors and class-weights.safetensors,
  plus the batch files the `data` command names, all written by the TypeScript side.

The step, as a user would write it for recipe A: backbone (the archive,
torch.jit.load, trainable, train mode) → masked mean pooling → one
Linear → GELU → Linear head per task (high and culture clamped to [0, 1]) →
CCC loss for the regression tasks (1 − CCC per output over the batch,
population moments, averaged over the outputs), class-weighted cross-entropy
for the classification tasks → learned uncertainty weighting
(Σ L_t·exp(−2·p_t) + p_t) → backward → torch.optim.AdamW (PyTorch's default
implementation for the CPU) → zero_grad. Nothing here is vbt code.

Commands, one per line on stdin, one JSON line back for each:
  load SIZE H      load SIZE.pt (frames of width H) and its heads, build a fresh AdamW
  data FILE        read the batches of one grid point (b<i>.waveforms, b<i>.lengths, b<i>.<task>)
  check N          eval mode (no dropout): the no-grad loss of batch 0, then the
                   losses of N training steps on batches 0.. (the TypeScript side
                   must get the same numbers); back to train mode after
  seed S           torch.manual_seed(S)
  steps N          N training steps on the batches in turn: wall and CPU ms per
                   step, minor page faults per step (getrusage, all threads)
  rss              peak resident set size (MB)
"""

import json
import os
import resource
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models"))

from vbt_models.safetensors_reader import read_safetensors  # noqa: E402
from recipe_a_heads import Heads, masked_mean  # noqa: E402
from line_commands import serve  # noqa: E402


def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class PhaseClock:
    """Wall time and minor page faults of each phase of a step, summed over a block."""

    PHASES = ("batch", "forward", "backward", "optimizer")

    def __init__(self):
        self.sums = {p: [0.0, 0] for p in self.PHASES}
        self.t = self.f = 0

    def start(self):
        self.t, self.f = time.perf_counter(), faults()

    def lap(self, phase):
        t, f = time.perf_counter(), faults()
        self.sums[phase][0] += (t - self.t) * 1000
        self.sums[phase][1] += f - self.f
        self.t, self.f = t, f

    def per_step(self, n):
        return {p: {"ms": ms / n, "faults": f / n} for p, (ms, f) in self.sums.items()}


class Bench:
    def __init__(self, folder):
        self.folder = folder
        with open(os.path.join(folder, "settings.json")) as f:
            self.settings = json.load(f)
        torch.set_num_threads(self.settings["threads"])
        torch._C._set_graph_executor_optimize(self.settings["jitOptimize"])
        self.batches = []
        self.next = 0

    def load(self, size, hidden_size):
        s = self.settings
        self.backbone = None
        self.optimizer = None
        self.backbone = torch.jit.load(os.path.join(self.folder, f"{size}.pt"), map_location="cpu")
        self.heads = Heads(hidden_size, s)
        self.heads.load_vbt(
            read_safetensors(os.path.join(self.folder, f"{size}-heads.safetensors")),
            read_safetensors(os.path.join(self.folder, "class-weights.safetensors")),
        )
        self.backbone.train()
        self.heads.train()
        params = list(self.heads.parameters()) + list(self.backbone.parameters())
        self.optimizer = torch.optim.AdamW(params, lr=s["lr"], weight_decay=s["weightDecay"])
        return {"parameters": sum(p.numel() for p in params)}

    def data(self, file):
        raw = read_safetensors(os.path.join(self.folder, file))
        count = 1 + max(int(k.split(".", 1)[0][1:]) for k in raw)
        self.batches = [{k.split(".", 1)[1]: v for k, v in raw.items() if k.startswith(f"b{i}.")} for i in range(count)]
        self.next = 0
        return {"batches": count}

    def loss(self, batch):
        frames, frame_lengths = self.backbone(batch["waveforms"], batch["lengths"])
        targets = {t: batch[t] for t in self.heads.tasks}
        return self.heads(masked_mean(frames, frame_lengths), targets)

    def step(self, batch, clock=None):
        clock = clock or PhaseClock()
        clock.start()
        loss = self.loss(batch)
        clock.lap("forward")
        loss.backward()
        clock.lap("backward")
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        clock.lap("optimizer")
        return loss.detach()

    def check(self, n):
        self.backbone.eval()
        self.heads.eval()
        with torch.no_grad():
            first = self.loss(self.batches[0]).item()
        losses = [self.step(self.batches[i % len(self.batches)]).item() for i in range(n)]
        self.backbone.train()
        self.heads.train()
        return {"evalLoss": first, "stepLosses": losses}

    def steps(self, n):
        loss_sum = torch.zeros(())
        clock = PhaseClock()
        f0, c0, t0 = faults(), cpu_seconds(), time.perf_counter()
        for _ in range(n):
            batch = self.batches[self.next % len(self.batches)]
            self.next += 1
            loss_sum += self.step(batch, clock)
        seconds = time.perf_counter() - t0
        return {
            "stepMs": seconds * 1000 / n,
            "cpuMs": (cpu_seconds() - c0) * 1000 / n,
            "faultsPerStep": (faults() - f0) / n,
            "meanLoss": loss_sum.item() / n,
            "phases": clock.per_step(n),
        }


def main():
    bench = Bench(sys.argv[1])

    def seed(args):
        torch.manual_seed(int(args[0]))
        return {"seed": int(args[0])}

    serve(
        {"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads()},
        {
            "load": lambda args: bench.load(args[0], int(args[1])),
            "data": lambda args: bench.data(args[0]),
            "check": lambda args: bench.check(int(args[0])),
            "seed": seed,
            "steps": lambda args: bench.steps(int(args[0])),
            "rss": lambda args: {"peakRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024},
        },
    )


if __name__ == "__main__":
    main()
