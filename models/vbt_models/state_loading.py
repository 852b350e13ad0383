"""Strict loading of renamed weights into a Backbone.

Sources produce a `MappedWeights`: tensors under our parameter names, the
source keys they deliberately dropped (task heads, pre-training-only modules),
and the source keys no rule knew. Loading succeeds only when no source key is
unknown, every parameter is provided, nothing extra is provided, and every
shape fits; otherwise one WeightMismatchError names the offending keys.
"""

from dataclasses import dataclass, field
from typing import Dict, List, Set

import torch
from torch import nn

from .errors import WeightMismatchError, list_some


@dataclass
class MappedWeights:
    """Weights renamed to our parameter names, plus an account of every source key."""

    tensors: Dict[str, torch.Tensor] = field(default_factory=dict)
    # our name -> the source key it came from
    origin: Dict[str, str] = field(default_factory=dict)
    dropped: List[str] = field(default_factory=list)
    unknown: List[str] = field(default_factory=list)
    duplicates: List[str] = field(default_factory=list)
    source_dtypes: Set[str] = field(default_factory=set)

    def put(self, name: str, tensor: torch.Tensor, source_key: str) -> None:
        if name in self.tensors:
            self.duplicates.append(f"{source_key} (and {self.origin[name]}) -> {name}")
            return
        self.tensors[name] = tensor
        self.origin[name] = source_key
        self.source_dtypes.add(str(tensor.dtype).replace("torch.", ""))


def load_strict(model: nn.Module, weights: MappedWeights, source: str) -> None:
    """Copies `weights` into `model` (as float32) or raises WeightMismatchError."""
    expected = {name: tuple(t.shape) for name, t in model.state_dict().items()}
    provided = weights.tensors
    missing = [n for n in expected if n not in provided]
    unexpected = [f"{weights.origin[n]} -> {n}" for n in provided if n not in expected]
    misshapen = [
        f"{weights.origin[n]} {list(provided[n].shape)} (expected {list(expected[n])})"
        for n in provided
        if n in expected and tuple(provided[n].shape) != expected[n]
    ]
    not_float = [weights.origin[n] for n in provided if not provided[n].is_floating_point()]
    problems = []
    if weights.unknown:
        problems.append(f"{len(weights.unknown)} unknown key(s): {list_some(weights.unknown)}")
    if weights.duplicates:
        problems.append(f"{len(weights.duplicates)} duplicate key(s): {list_some(weights.duplicates)}")
    if missing:
        problems.append(f"{len(missing)} missing key(s): {list_some(missing)}")
    if unexpected:
        problems.append(f"{len(unexpected)} key(s) that this architecture has no place for: {list_some(unexpected)}")
    if misshapen:
        problems.append(f"{len(misshapen)} shape mismatch(es): {list_some(misshapen)}")
    if not_float:
        problems.append(f"{len(not_float)} non-floating-point tensor(s): {list_some(not_float)}")
    if problems:
        raise WeightMismatchError(f"weights from {source} do not fit the architecture: " + "; ".join(problems))
    state = {name: tensor.detach().to(torch.float32) for name, tensor in provided.items()}
    model.load_state_dict(state, strict=True)
