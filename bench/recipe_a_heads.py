"""Recipe A's heads and losses written as a plain PyTorch user would, shared by
the Python references of bench/finetune-step.ts and bench/gpu-train-step.ts.
Nothing here is vbt code."""

import torch
import torch.nn.functional as F


class Heads(torch.nn.Module):
    """One Linear(H, hidden) → GELU → Linear(hidden, k) per task on the pooled
    features; CCC loss (regression) or cross-entropy, class-weighted when
    weights are loaded (classification); learned uncertainty weighting in the
    log-sigma form (Σ L_t·exp(−2·p_t) + p_t)."""

    def __init__(self, hidden_size, settings):
        super().__init__()
        self.tasks = settings["tasks"]
        self.kinds = settings["taskKinds"]
        self.clamped = set(settings["clampedTasks"])
        # Prefixed keys: a task named "type" would shadow Module.type.
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
        self.class_weights = {}

    def load_vbt(self, tensors, class_weights=None):
        """Weights named as vbt's head state dict: <task>.0.weight, ..., weighting.logSigma.<task>."""
        with torch.no_grad():
            for t in self.tasks:
                for i in (0, 2):
                    self.mlps[f"task_{t}"][i].weight.copy_(tensors[f"{t}.{i}.weight"])
                    self.mlps[f"task_{t}"][i].bias.copy_(tensors[f"{t}.{i}.bias"])
                self.log_sigma[f"task_{t}"].copy_(tensors[f"weighting.logSigma.{t}"])
        self.class_weights = {t: w for t, w in (class_weights or {}).items() if t in self.tasks}

    def to(self, *args, **kwargs):
        moved = super().to(*args, **kwargs)
        moved.class_weights = {t: w.to(*args, **kwargs) for t, w in self.class_weights.items()}
        return moved

    def forward(self, pooled, targets):
        total = None
        for t in self.tasks:
            raw = self.mlps[f"task_{t}"](pooled)
            if self.kinds[t] == "classification":
                loss = F.cross_entropy(raw, targets[t], weight=self.class_weights.get(t))
            else:
                loss = ccc_loss(raw.clamp(0, 1) if t in self.clamped else raw.sigmoid(), targets[t])
            p = self.log_sigma[f"task_{t}"]
            term = loss * torch.exp(-2 * p) + p
            total = term if total is None else total + term
        return total


def ccc_loss(x, y):
    """1 − CCC per output column over the batch (population moments), averaged over the columns, as vbt's cccLoss."""
    mx, my = x.mean(0), y.mean(0)
    dx, dy = x - mx, y - my
    vx, vy, cov = (dx * dx).mean(0), (dy * dy).mean(0), (dx * dy).mean(0)
    return (1 - 2 * cov / (vx + vy + (mx - my) ** 2)).mean()


def masked_mean(frames, frame_lengths):
    """Mean over each clip's valid frames (frame_lengths), padding excluded."""
    mask = (torch.arange(frames.size(1), device=frames.device).unsqueeze(0) < frame_lengths.unsqueeze(1)).to(frames.dtype)
    return (frames * mask.unsqueeze(2)).sum(1) / mask.sum(1, keepdim=True).clamp(min=1)
