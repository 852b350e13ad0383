"""The reference side of bench/gpu-train-step.ts: recipe A's training step in
plain Python PyTorch (eager), on the weights and batches the TypeScript side
wrote, so both sides run the same step on the same GPU in one run.

Usage: python3 bench/gpu_train_step.py DIR DEVICE PRECISION
  DIR        holds backbone.pt (the TorchScript export vbt trains), heads.safetensors,
             batches.safetensors and settings.json, all written by the TypeScript side
  DEVICE     cuda, cuda:N or cpu
  PRECISION  bf16 (torch.autocast bfloat16 for forward and loss) or fp32

The backbone is the same definition vbt exports (models/vbt_models, eager),
loaded with the archive's weights. Three levels of Python are vbt's peers:

  eager        that model as it is, PyTorch's default AdamW (foreach on CUDA)
  sdpa-fused   its attention computed by torch.nn.functional.scaled_dot_product_attention
               (this script's own attention code, same weights; flash or
               memory-efficient kernels where PyTorch picks them) and
               AdamW(fused=True)
  compile      sdpa-fused with the whole step's model (backbone, pooling, heads,
               losses) compiled by torch.compile (default mode, inductor)

SDPA, fused AdamW and torch.compile need PyTorch 2.x (on the CPU, fused AdamW
needs 2.4); where one is missing, `setup` says the level is unavailable and
why, and the TypeScript side reports that instead of a figure. Diagnostic
variants: eager-loop (AdamW with foreach=False, one kernel chain per
parameter as LibTorch's C++ AdamW does), jit (the TorchScript archive itself,
default graph executor), jit-noopt (the archive with the graph executor's
optimisations off).

Then one command per line on stdin, one JSON line back for each:
  check VARIANT  loss of batch 0 in eval mode, fp32, TF32 off (vbt must match it),
                 for eager or sdpa-fused
  setup VARIANT  build a fresh model and AdamW of that variant: {"available": true},
                 or {"available": false, "reason": ...}
  steps N        run N training steps; wall time per step (synchronised at the
                 end only), samples and audio seconds, mean loss
  peak           peak allocated CUDA bytes since the last `peak` or setup, then reset
  compiled       what torch.compile did so far: graphs compiled, graph breaks (empty before 2.x)
"""

import inspect
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models"))

from vbt_models import build_backbone, named_config  # noqa: E402
from vbt_models.attention import SelfAttention  # noqa: E402
from vbt_models.safetensors_reader import read_safetensors  # noqa: E402
from recipe_a_heads import Heads, masked_mean  # noqa: E402
from line_commands import serve  # noqa: E402

SAMPLE_RATE = 16000


class SdpaSelfAttention(SelfAttention):
    """The same attention (same weights and mask) through scaled_dot_product_attention."""

    def forward(self, x, key_bias):
        batch, frames, hidden = x.shape
        shape = [batch, frames, self.num_heads, self.head_dim]
        q = self.q_proj(x).view(shape).transpose(1, 2)
        k = self.k_proj(x).view(shape).transpose(1, 2)
        v = self.v_proj(x).view(shape).transpose(1, 2)
        out = F.scaled_dot_product_attention(
            q, k, v, attn_mask=key_bias.to(q.dtype), dropout_p=self.dropout.p if self.training else 0.0
        )
        return self.out_proj(out.transpose(1, 2).reshape(batch, frames, hidden))


def use_sdpa(backbone):
    """Switch every attention block of the eager backbone to SdpaSelfAttention (weights untouched)."""
    count = 0
    for module in backbone.modules():
        if type(module) is SelfAttention:
            module.__class__ = SdpaSelfAttention
            count += 1
    return count


def unavailable(variant):
    """Why this PyTorch cannot run `variant`, or None."""
    version = torch.__version__
    if variant == "compile" and not hasattr(torch, "compile"):
        return f"torch {version} has no torch.compile (PyTorch >= 2.0)"
    if variant in ("sdpa-fused", "compile"):
        if not hasattr(F, "scaled_dot_product_attention"):
            return f"torch {version} has no scaled_dot_product_attention (PyTorch >= 2.0)"
        if "fused" not in inspect.signature(torch.optim.AdamW).parameters:
            return f"torch {version}: AdamW has no fused option (PyTorch >= 2.0)"
    return None


class StepModel(torch.nn.Module):
    """Backbone, pooling, heads and losses as one module: what torch.compile compiles."""

    def __init__(self, backbone, heads, bf16, device_type):
        super().__init__()
        self.backbone = backbone
        self.heads = heads
        self.bf16 = bf16
        self.device_type = device_type

    def forward(self, wave, lengths, targets):
        with torch.autocast(self.device_type, dtype=torch.bfloat16, enabled=self.bf16):
            frames, frame_lengths = self.backbone(wave, lengths)
            return self.heads(masked_mean(frames, frame_lengths), targets)


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
        """A fresh model and optimizer of `variant`; returns why it cannot run here, or None."""
        self.model = None
        self.optimizer = None
        self.step_model = None
        if self.cuda:
            torch.cuda.empty_cache()
        why = unavailable(variant)
        if why:
            return why
        s = self.settings
        if variant.startswith("jit"):
            torch._C._set_graph_executor_optimize(variant == "jit")
            backbone = torch.jit.load(self.archive, map_location=self.device)
        else:
            torch._C._set_graph_executor_optimize(True)
            backbone = build_backbone(named_config(s["family"], s["config"]))
            backbone.load_state_dict(self.weights)
            if variant in ("sdpa-fused", "compile"):
                use_sdpa(backbone)
        heads = Heads(s["hiddenSize"], s)
        heads.load_vbt(self.head_weights)
        backbone.to(self.device).train()
        heads.to(self.device).train()
        groups = [
            {"params": list(heads.parameters()), "lr": s["lr"]},
            {"params": list(backbone.parameters()), "lr": s["lr"]},
        ]
        options = dict(lr=s["lr"], weight_decay=s["weightDecay"])
        if variant == "eager-loop":
            options["foreach"] = False
        if variant in ("sdpa-fused", "compile"):
            options["fused"] = True
        try:
            self.optimizer = torch.optim.AdamW(groups, **options)
        except (RuntimeError, ValueError) as err:  # fused AdamW on a device this PyTorch has no fused kernel for
            return f"torch {torch.__version__}: AdamW(fused=True) here: {err}"
        self.model = (backbone, heads)
        self.step_model = StepModel(backbone, heads, self.bf16, self.device.type)
        if variant == "compile":
            # Default mode, as a user first writes it. Batch lengths change from batch
            # to batch: each new length recompiles, up to torch._dynamo's recompile
            # limit, past which that frame runs eager (the JSON's `compiled` counts
            # graphs and breaks; layerdrop's random draw is a graph break).
            # dynamic=True warmed up slower on the CPU smoke run (343 s against 40 s)
            # and still hit the limit.
            self.step_model = torch.compile(self.step_model)
        self.loss_sum = torch.zeros((), device=self.device)
        if self.cuda:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats(self.device)
        return None

    def loss(self, batch):
        to = dict(device=self.device, non_blocking=True)
        wave, lengths = batch["waveforms"].to(**to), batch["lengths"].to(**to)
        targets = {t: batch[t].to(**to) for t in self.settings["tasks"]}
        return self.step_model(wave, lengths, targets)

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

    def check(self, variant):
        why = self.build(variant)
        if why:
            return {"available": False, "reason": why}
        backbone, heads = self.model
        backbone.eval()
        heads.eval()
        tf32 = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
        self.step_model.bf16 = False
        with torch.no_grad():
            value = self.loss(self.batches[0]).item()
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = tf32
        self.model = None
        self.step_model = None
        return {"available": True, "loss": value}

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

    def compiled(self):
        try:
            from torch._dynamo.utils import counters
        except ImportError:
            return {}
        return {
            "uniqueGraphs": int(counters["stats"].get("unique_graphs", 0)),
            "graphBreaks": int(sum(counters["graph_break"].values())),
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

    def setup(args):
        why = bench.build(args[0])
        return {"variant": args[0], "available": why is None, **({"reason": why} if why else {})}

    serve(
        {"ready": True, "torch": torch.__version__, "cuda": torch.version.cuda},
        {
            "check": lambda args: bench.check(args[0]),
            "setup": setup,
            "steps": lambda args: bench.steps(int(args[0])),
            "peak": lambda args: bench.peak(),
            "compiled": lambda args: bench.compiled(),
        },
    )


if __name__ == "__main__":
    main()
