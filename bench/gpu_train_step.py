"""The reference side of bench/gpu-train-step.ts: recipe A's training step in
plain Python PyTorch (eager), on the weights and batches the TypeScript side
wrote, so both sides run the same step on the same GPU in one run.

Usage: python3 bench/gpu_train_step.py DIR DEVICE PRECISION
  DIR        holds backbone.pt (the TorchScript export vbt trains), heads.safetensors,
             batches.safetensors and settings.json, all written by the TypeScript side
  DEVICE     cuda, cuda:N or cpu
  PRECISION  bf16 (torch.autocast bfloat16 for forward and loss) or fp32

The backbone is the same definition vbt exports (models/vbt_models, eager),
loaded with the archive's weights. Then one command per line on stdin, one
JSON line back for each:
  check          loss of batch 0 in eval mode, fp32, TF32 off (vbt must match it)
  setup VARIANT  build a fresh model and AdamW: eager (the reference: PyTorch's
                 default AdamW, foreach on CUDA), eager-loop (AdamW with
                 foreach=False, one kernel chain per parameter as LibTorch's C++
                 AdamW does), jit (the TorchScript archive itself, default graph
                 executor), jit-noopt (the archive with the graph executor's
                 optimisations off)
  steps N        run N training steps; wall time per step (synchronised at the
                 end only), samples and audio seconds, mean loss
  peak           peak allocated CUDA bytes since the last `peak` or setup, then reset
"""

import json
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models"))

from vbt_models import build_backbone, named_config  # noqa: E402
from vbt_models.safetensors_reader import read_safetensors  # noqa: E402

SAMPLE_RATE = 16000


class Heads(torch.nn.Module):
    """Recipe A: one Linear(H, hidden) → GELU → Linear(hidden, k) per task on the
    pooled features, learned uncertainty weighting in the log-sigma form."""

    def __init__(self, hidden_size, settings):
        super().__init__()
        self.tasks = settings["tasks"]
        self.kinds = settings["taskKinds"]
        self.clamped = set(settings["clampedTasks"])
        # Keys are prefixed: a task named "type" would shadow Module.type.
        self.mlps = torch.nn.ModuleDict(
            {
                f"task_{t}": torch.nn.Sequential(
                    torch.nn.Linear(hidden_size, settings["headHidden"]),
                    torch.nn.GELU(),
                    torch.nn.Linear(settings["headHidden"], settings["taskSizes"][t]),
                )
                for t in self.tasks
            }
        )
        self.log_sigma = torch.nn.ParameterDict({f"task_{t}": torch.nn.Parameter(torch.zeros(())) for t in self.tasks})

    def load_vbt(self, tensors):
        """Weights named as vbt's head state dict: <task>.0.weight, ..., weighting.logSigma.<task>."""
        with torch.no_grad():
            for t in self.tasks:
                for i in (0, 2):
                    self.mlps[f"task_{t}"][i].weight.copy_(tensors[f"{t}.{i}.weight"])
                    self.mlps[f"task_{t}"][i].bias.copy_(tensors[f"{t}.{i}.bias"])
                self.log_sigma[f"task_{t}"].copy_(tensors[f"weighting.logSigma.{t}"])

    def forward(self, pooled, targets):
        total = None
        for t in self.tasks:
            raw = self.mlps[f"task_{t}"](pooled)
            if self.kinds[t] == "classification":
                loss = F.cross_entropy(raw, targets[t])
            else:
                out = raw.clamp(0, 1) if t in self.clamped else raw.sigmoid()
                loss = ccc_loss(out, targets[t])
            p = self.log_sigma[f"task_{t}"]
            term = loss * torch.exp(-2 * p) + p
            total = term if total is None else total + term
        return total


def ccc_loss(x, y):
    """Mean over outputs of 1 − CCC over the batch (population moments), as vbt's cccLoss."""
    mx, my = x.mean(0, keepdim=True), y.mean(0, keepdim=True)
    dx, dy = x - mx, y - my
    vx, vy, cov = (dx * dx).mean(0), (dy * dy).mean(0), (dx * dy).mean(0)
    return (1 - 2 * cov / (vx + vy + (mx - my).squeeze(0) ** 2)).mean()


def masked_mean(frames, frame_lengths):
    mask = (torch.arange(frames.size(1), device=frames.device).unsqueeze(0) < frame_lengths.unsqueeze(1)).to(frames.dtype)
    return (frames * mask.unsqueeze(2)).sum(1) / mask.sum(1, keepdim=True).clamp(min=1)


class Bench:
    def __init__(self, folder, device, precision):
        self.folder = folder
        self.device = torch.device(device)
        self.cuda = self.device.type == "cuda"
        self.bf16 = precision == "bf16"
        with open(os.path.join(folder, "settings.json")) as f:
            self.settings = json.load(f)
        self.archive = os.path.join(folder, "backbone.pt")
        self.weights = torch.jit.load(self.archive, map_location="cpu").state_dict()
        self.head_weights = read_safetensors(os.path.join(folder, "heads.safetensors"))
        self.batches = self._read_batches()
        self.model = None
        self.next_batch = 0

    def _read_batches(self):
        raw = read_safetensors(os.path.join(self.folder, "batches.safetensors"))
        out = []
        for i in range(self.settings["batches"]):
            batch = {k.split(".", 1)[1]: v for k, v in raw.items() if k.startswith(f"b{i}.")}
            if self.cuda:
                # Pinned host memory, copied with non_blocking: what DataLoader(pin_memory=True) gives.
                batch = {k: v.pin_memory() for k, v in batch.items()}
            out.append(batch)
        return out

    def build(self, variant):
        self.model = None
        if self.cuda:
            torch.cuda.empty_cache()
        s = self.settings
        if variant.startswith("jit"):
            torch._C._set_graph_executor_optimize(variant == "jit")
            backbone = torch.jit.load(self.archive, map_location=self.device)
        else:
            torch._C._set_graph_executor_optimize(True)
            backbone = build_backbone(named_config(s["family"], s["config"]))
            backbone.load_state_dict(self.weights)
        heads = Heads(s["hiddenSize"], s)
        heads.load_vbt(self.head_weights)
        backbone.to(self.device).train()
        heads.to(self.device).train()
        groups = [
            {"params": list(heads.parameters()), "lr": s["lr"]},
            {"params": list(backbone.parameters()), "lr": s["lr"]},
        ]
        foreach = None if variant != "eager-loop" else False
        self.optimizer = torch.optim.AdamW(groups, lr=s["lr"], weight_decay=s["weightDecay"], foreach=foreach)
        self.model = (backbone, heads)
        self.loss_sum = torch.zeros((), device=self.device)
        if self.cuda:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats(self.device)

    def loss(self, batch):
        backbone, heads = self.model
        to = dict(device=self.device, non_blocking=True)
        wave, lengths = batch["waveforms"].to(**to), batch["lengths"].to(**to)
        targets = {t: batch[t].to(**to) for t in heads.tasks}
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.bf16):
            frames, frame_lengths = backbone(wave, lengths)
            return heads(masked_mean(frames, frame_lengths), targets)

    def step(self):
        batch = self.batches[self.next_batch % len(self.batches)]
        self.next_batch += 1
        self.optimizer.zero_grad(set_to_none=True)
        loss = self.loss(batch)
        loss.backward()
        self.optimizer.step()
        self.loss_sum += loss.detach().float()
        return batch

    def sync(self):
        if self.cuda:
            torch.cuda.synchronize(self.device)

    def check(self):
        self.build("eager")
        backbone, heads = self.model
        backbone.eval()
        heads.eval()
        tf32 = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
        bf16, self.bf16 = self.bf16, False
        with torch.no_grad():
            value = self.loss(self.batches[0]).item()
        self.bf16 = bf16
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = tf32
        self.model = None
        return {"loss": value}

    def steps(self, n):
        self.sync()
        start_loss = self.loss_sum.item()
        samples = 0
        audio = 0.0
        t0 = time.perf_counter()
        for _ in range(n):
            batch = self.step()
            samples += batch["lengths"].numel()
            audio += float(batch["lengths"].sum()) / SAMPLE_RATE
        self.sync()
        seconds = time.perf_counter() - t0
        return {
            "stepMs": seconds * 1000 / n,
            "samples": samples,
            "audioSeconds": audio,
            "seconds": seconds,
            "meanLoss": (self.loss_sum.item() - start_loss) / n,
        }

    def peak(self):
        if not self.cuda:
            return {"peakBytes": None}
        value = torch.cuda.max_memory_allocated(self.device)
        torch.cuda.reset_peak_memory_stats(self.device)
        return {"peakBytes": value}


def main():
    folder, device, precision = sys.argv[1], sys.argv[2], sys.argv[3]
    if device.startswith("cuda"):
        # As vbt does on CUDA: TF32 for float32 matmuls and convolutions.
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = False
    bench = Bench(folder, device, precision)
    print(json.dumps({"ready": True, "torch": torch.__version__, "cuda": torch.version.cuda}), flush=True)
    for line in sys.stdin:
        cmd = line.split()
        if not cmd:
            continue
        try:
            if cmd[0] == "check":
                out = bench.check()
            elif cmd[0] == "setup":
                bench.build(cmd[1])
                out = {"variant": cmd[1]}
            elif cmd[0] == "steps":
                out = bench.steps(int(cmd[1]))
            elif cmd[0] == "peak":
                out = bench.peak()
            else:
                out = {"error": f"unknown command {cmd[0]}"}
        except Exception as err:  # reported to the TypeScript side, which stops
            out = {"error": f"{type(err).__name__}: {err}"}
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
