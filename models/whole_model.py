"""A whole trained vbt model as one TorchScript module: backbone, pooling
(masked mean, or the padded mean of model.pooling 'padded-mean') and the
recipe's heads, from a run's backbone export and its checkpoint's
heads.safetensors.

    forward(waveforms float32 [B, T], lengths int64 [B]) -> Dict[str, Tensor]

Each output is [B, k]: regression values (emotions in [0, 1], age in
years) and class probabilities, as vbt's Predictor gives them. Rows longer
than the run's data.preprocess.maxSeconds are covered by equal windows whose
pooled features are averaged, weighted by length, as vbt's evaluation does.

The heads mirror the TypeScript modules (src/model/avb-mtl-model.ts,
src/model/burst2vec/) layer for layer, so that the checkpoint's parameter
names load strictly: a file that does not fit is an error, never a silent
partial load.
"""

from typing import Dict, List, Optional, Tuple

import torch
from torch import Tensor, nn

# AGE_RANGE of src/tasks.ts: the model predicts age scaled to [0, 1] over 20-39 years.
AGE_MIN = 20.0
AGE_MAX = 39.0

# INTERMEDIATE of src/model/avb-mtl-model.ts: heads that run first, their
# probabilities appended (in this order) to the features the others read.
INTERMEDIATE = {"0/5": [], "1/4": ["country"], "2/3": ["country", "type"]}

# TASK_SPECS of src/tasks.ts: outputs per task, and which are classifications.
TASK_SIZES = {"high": 10, "culture": 40, "two": 2, "type": 8, "country": 4, "age": 1}
CLASSIFICATION = {"type", "country"}
TASK_ORDER = ["high", "culture", "two", "type", "country", "age"]


class HeadError(ValueError):
    """heads.safetensors does not fit the run's config."""


def activation(kind: str) -> nn.Module:
    if kind == "gelu":
        return nn.GELU()
    if kind == "relu":
        return nn.ReLU()
    if kind == "tanh":
        return nn.Tanh()
    raise HeadError(f"unknown activation {kind!r}")


def mlp(in_dim: int, hidden: int, out_dim: int, act: str, dropout: float) -> nn.Sequential:
    """nn.MLP of src/torch/nn/sequential.ts: Linear, activation, [Dropout], Linear."""
    layers: List[nn.Module] = [nn.Linear(in_dim, hidden), activation(act)]
    if dropout:
        layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(hidden, out_dim))
    return nn.Sequential(*layers)


def dense(in_dim: int, out_dim: int, act: str, dropout: float) -> List[nn.Module]:
    """dense() of burst2vec-head.ts: Linear, activation, Dropout unless p = 0."""
    layers: List[nn.Module] = [nn.Linear(in_dim, out_dim), activation(act)]
    if dropout > 0:
        layers.append(nn.Dropout(dropout))
    return layers


def holder(children: Dict[str, nn.Module]) -> nn.Module:
    """A module whose children are registered under exactly these names (a task may be called
    `type`, which nn.Module's own attribute would refuse through add_module)."""
    module = nn.Module()
    for name, child in children.items():
        module._modules[name] = child
    return module


def load_strict(module: nn.Module, state: Dict[str, Tensor], ignore_prefixes: List[str], source: str) -> None:
    """Load every parameter of `module` from `state` (minus the prefixes of training-only parts); anything else is an error."""
    wanted = {k: v for k, v in state.items() if not any(k.startswith(p) for p in ignore_prefixes)}
    own = module.state_dict()
    missing = sorted(set(own) - set(wanted))
    unexpected = sorted(set(wanted) - set(own))
    if missing or unexpected:
        raise HeadError(
            f"{source} does not fit the run's config: "
            + (f"missing {', '.join(missing[:8])}" if missing else "")
            + ("; " if missing and unexpected else "")
            + (f"unexpected {', '.join(unexpected[:8])}" if unexpected else "")
        )
    for name, tensor in wanted.items():
        if tuple(tensor.shape) != tuple(own[name].shape):
            raise HeadError(f"{source}: {name} has shape {list(tensor.shape)}, the config makes {list(own[name].shape)}")
    module.load_state_dict({k: v.to(torch.float32) for k, v in wanted.items()}, strict=True)


class TaskHead(nn.Module):
    """One recipe A head and its output function: 'softmax', 'sigmoid' or 'clamp'."""

    def __init__(self, task: str, net: nn.Sequential, output: str) -> None:
        super().__init__()
        self.task = task
        self.net = net
        self.output = output

    def raw(self, x: Tensor) -> Tensor:
        return self.net(x)

    def forward(self, x: Tensor) -> Tensor:
        y = self.net(x)
        if self.output == "softmax":
            return torch.softmax(y, dim=1)
        if self.output == "clamp":
            return torch.clamp(y, 0.0, 1.0)
        return torch.sigmoid(y)


class AvbMtlHeads(nn.Module):
    """Recipe A: one MLP per task; intermediate tasks first, their probabilities appended to the features."""

    def __init__(self, config: Dict, feature_dim: int, state: Dict[str, Tensor], source: str) -> None:
        super().__init__()
        tasks = list(dict.fromkeys(config["tasks"]))
        first = INTERMEDIATE[config.get("intermediate", "0/5")]
        for t in first:
            if t not in tasks:
                raise HeadError(f"model.intermediate {config['intermediate']!r} needs task {t}")
        extra = sum(TASK_SIZES[t] for t in first)
        # The TypeScript layout: one MLP registered under each task's name (`high.0.weight`, ...).
        mlps = {
            t: mlp(feature_dim if t in first else feature_dim + extra, config["headHidden"], TASK_SIZES[t], "gelu", config.get("headDropout", 0.0))
            for t in tasks
        }
        load_strict(holder(mlps), state, ["weighting.", "classWeights."], source)

        def output(t: str) -> str:
            if t in CLASSIFICATION:
                return "softmax"
            if config.get("regressionOutput") == "clamp" and t in ("high", "culture"):
                return "clamp"
            return "sigmoid"

        self.first = nn.ModuleList([TaskHead(t, mlps[t], "softmax") for t in first])
        self.rest = nn.ModuleList([TaskHead(t, mlps[t], output(t)) for t in tasks if t not in first])

    def forward(self, features: Tensor) -> Dict[str, Tensor]:
        out: Dict[str, Tensor] = {}
        inputs: List[Tensor] = [features]
        for head in self.first:
            p = head(features)
            out[head.task] = p
            inputs.append(p)
        x = torch.cat(inputs, dim=1) if len(inputs) > 1 else features
        for head in self.rest:
            out[head.task] = head(x)
        return out


class Burst2VecBranch(nn.Module):
    """Recipe B, one task: its specific extractor, concatenation projection and head, and the pass predictions come from."""

    def __init__(self, task: str, specific: nn.Sequential, concat: nn.Sequential, head: nn.Sequential, output: str, predict_from: str) -> None:
        super().__init__()
        self.task = task
        self.specific = specific
        self.concat = concat
        self.head = head
        self.output = output
        self.predict_from = predict_from

    def apply_head(self, x: Tensor) -> Tensor:
        y = self.head(x)
        if self.output == "softmax":
            return torch.softmax(y, dim=1)
        if self.output == "sigmoid":
            return torch.sigmoid(y)
        return y

    def forward(self, shared: Tensor, projected: Tensor) -> Tensor:
        own = self.specific(projected)
        if self.predict_from == "shared":
            return self.apply_head(shared)
        if self.predict_from == "specific":
            return self.apply_head(own)
        joint = self.apply_head(self.concat(torch.cat([shared, own], dim=1)))
        if self.predict_from == "concat":
            return joint
        # 'mean' of the three passes, in the order the TypeScript model adds them.
        return (self.apply_head(shared) + self.apply_head(own) + joint) / 3.0


class Burst2VecHeads(nn.Module):
    """Recipe B: projection, shared extractor, per task a specific extractor, a concatenation projection and a head."""

    def __init__(self, config: Dict, feature_dim: int, state: Dict[str, Tensor], source: str) -> None:
        super().__init__()
        tasks = list(dict.fromkeys(config["tasks"]))
        act = config["activation"]
        p, e, h = config["projectionDim"], config["extractorDim"], config["headHidden"]
        dropout = config["dropout"]

        def extractor() -> nn.Sequential:
            return nn.Sequential(*dense(p, e, act, dropout), nn.Linear(e, e), activation(act))

        # The TypeScript layout: projection.*, shared.*, specific.<task>.*, concat.<task>.*, heads.<task>.*
        projection = nn.Sequential(*dense(feature_dim, p, act, dropout))
        shared = extractor()
        specific = {t: extractor() for t in tasks}
        concat = {t: nn.Sequential(nn.Linear(2 * e, e), activation(act)) for t in tasks}
        heads = {t: mlp(e, h, TASK_SIZES[t], act, dropout) for t in tasks}
        layout = holder(
            {"projection": projection, "shared": shared, "specific": holder(specific), "concat": holder(concat), "heads": holder(heads)}
        )
        # The discriminator trains the extractors adversarially; it predicts nothing.
        load_strict(layout, state, ["discriminator.", "classWeights."], source)

        def output(t: str) -> str:
            if t in CLASSIFICATION:
                return "softmax"
            return "linear" if config.get("regressionOutput") == "linear" else "sigmoid"

        self.projection = projection
        self.shared = shared
        predict_from = config.get("predictFrom", "concat")
        self.branches = nn.ModuleList([Burst2VecBranch(t, specific[t], concat[t], heads[t], output(t), predict_from) for t in tasks])

    def forward(self, features: Tensor) -> Dict[str, Tensor]:
        projected = self.projection(features)
        shared = self.shared(projected)
        out: Dict[str, Tensor] = {}
        for branch in self.branches:
            out[branch.task] = branch(shared, projected)
        return out


def normalize_waveforms(waveforms: Tensor, lengths: Tensor) -> Tensor:
    """src/model/input-normalization.ts: zero mean, unit variance per row over its valid samples; padding stays 0."""
    mask = (torch.arange(waveforms.size(1), device=waveforms.device).unsqueeze(0) < lengths.unsqueeze(1)).to(waveforms.dtype)
    n = mask.sum(1, keepdim=True).clamp(min=1.0)
    mean = (waveforms * mask).sum(1, keepdim=True) / n
    centred = (waveforms - mean) * mask
    variance = centred.square().sum(1, keepdim=True) / n
    return centred / torch.sqrt(variance + 1e-7)


def masked_mean(frames: Tensor, frame_lengths: Tensor) -> Tensor:
    """src/model/pooling.ts: mean over each row's valid frames ([B, F, H] -> [B, H])."""
    mask = (torch.arange(frames.size(1), device=frames.device).unsqueeze(0) < frame_lengths.unsqueeze(1)).to(frames.dtype)
    summed = (frames * mask.unsqueeze(2)).sum(1)
    return summed / mask.sum(1, keepdim=True).clamp(min=1.0)


class WholeModel(nn.Module):
    """Backbone, pooling (with windows over long rows) and heads; outputs in users' units."""

    def __init__(self, backbone: nn.Module, heads: nn.Module, normalize_input: bool, max_samples: int, tasks: List[str], pad_to: int = 0) -> None:
        super().__init__()
        self.backbone = backbone
        self.heads = heads
        self.normalize_input = normalize_input
        self.max_samples = max_samples
        # 0: masked mean; otherwise Backbone.paddedPooled of src/model/backbone.ts.
        self.pad_to = pad_to
        self.has_age = "age" in tasks
        self.age_min = AGE_MIN
        self.age_span = AGE_MAX - AGE_MIN

    def pooled(self, rows: Tensor, lengths: Tensor) -> Tensor:
        """The pooled backbone frames per row: [R, H]. The masked mean over each
        row's frames; or, with pad_to, the rows zero-padded to pad_to samples
        (wider rows keep their width) and the mean over all frames, padding
        included, the attention mask still keeping padding out."""
        if self.pad_to > rows.size(1):
            rows = torch.cat([rows, torch.zeros(rows.size(0), self.pad_to - rows.size(1), dtype=rows.dtype, device=rows.device)], 1)
        x = normalize_waveforms(rows, lengths) if self.normalize_input else rows
        frames, frame_lengths = self.backbone(x, lengths)
        if self.pad_to > 0:
            return frames.mean(1).to(torch.float32)
        return masked_mean(frames, frame_lengths).to(torch.float32)

    def windows(self, waveforms: Tensor, lengths: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        """Rows cut into ceil(n / max_samples) equal windows (clipWindows of eval-batches.ts), and [B, R] length weights."""
        lens: List[int] = lengths.tolist()
        m = self.max_samples
        starts: List[int] = []
        sizes: List[int] = []
        owners: List[int] = []
        for b in range(len(lens)):
            n = lens[b]
            k = max(1, (n + m - 1) // m)
            for j in range(k):
                # Math.round(j * n / k) in integers (exact for these rationals).
                start = (2 * j * n + k) // (2 * k)
                end = (2 * (j + 1) * n + k) // (2 * k)
                starts.append(start)
                sizes.append(end - start)
                owners.append(b)
        width = max(sizes)
        rows = torch.zeros(len(sizes), width, dtype=waveforms.dtype, device=waveforms.device)
        for r in range(len(sizes)):
            if sizes[r] > 0:
                rows[r, : sizes[r]] = waveforms[owners[r], starts[r] : starts[r] + sizes[r]]
        totals: List[float] = [0.0] * len(lens)
        for r in range(len(sizes)):
            totals[owners[r]] += float(sizes[r])
        weights = torch.zeros(len(lens), len(sizes), dtype=torch.float64)
        for r in range(len(sizes)):
            if totals[owners[r]] > 0:
                weights[owners[r], r] = float(sizes[r]) / totals[owners[r]]
        row_lengths = torch.tensor(sizes, dtype=torch.long, device=waveforms.device)
        return rows, row_lengths, weights.to(torch.float32).to(waveforms.device)

    def forward(self, waveforms: Tensor, lengths: Tensor) -> Dict[str, Tensor]:
        if waveforms.dim() != 2:
            raise RuntimeError("waveforms must be float32 [batch, samples]")
        if lengths.dim() != 1 or lengths.size(0) != waveforms.size(0):
            raise RuntimeError("lengths must be int64 [batch], one per row of waveforms")
        waveforms = waveforms.to(torch.float32)
        lengths = torch.clamp(lengths.to(device=waveforms.device, dtype=torch.long), min=0, max=waveforms.size(1))
        if self.max_samples > 0 and bool((lengths > self.max_samples).any()):
            rows, row_lengths, weights = self.windows(waveforms, lengths)
            features = weights.matmul(self.pooled(rows, row_lengths))
        else:
            features = self.pooled(waveforms, lengths)
        out = self.heads(features)
        if self.has_age:
            # Years, computed in float64 and rounded once, as vbt does.
            out["age"] = (out["age"].to(torch.float64) * self.age_span + self.age_min).to(torch.float32)
        return out


def build_whole_model(backbone: nn.Module, backbone_meta: Dict, model_config: Dict, heads_state: Dict[str, Tensor], heads_source: str, max_seconds: Optional[float]) -> WholeModel:
    """The eager WholeModel (in eval mode), ready for torch.jit.script."""
    feature_dim = int(backbone_meta["hidden_size"])
    kind = model_config.get("kind")
    if kind == "avb-mtl":
        heads: nn.Module = AvbMtlHeads(model_config, feature_dim, heads_state, heads_source)
    elif kind == "burst2vec":
        heads = Burst2VecHeads(model_config, feature_dim, heads_state, heads_source)
    else:
        raise HeadError(f"unknown model kind {kind!r}")
    rate = int(backbone_meta["sample_rate"])
    # rowLimits of src/run/assemble.ts: Math.max(1, Math.round(maxSeconds * sampleRate)).
    max_samples = 0 if max_seconds is None else max(1, int(float(max_seconds) * rate + 0.5))
    tasks = [t for t in TASK_ORDER if t in model_config["tasks"]]
    pad_to = int(model_config["padTo"]) if model_config.get("pooling") == "padded-mean" else 0
    model = WholeModel(backbone, heads, backbone_meta.get("input_normalization") is True, max_samples, tasks, pad_to)
    return model.eval()
