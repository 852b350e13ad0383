"""Shared helpers of the Python test scripts: random weights, batches, comparisons, JSON output."""

import json
import math
import os
import sys
import traceback
from typing import Dict, List, Sequence, Tuple

MODELS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if MODELS_DIR not in sys.path:
    sys.path.insert(0, MODELS_DIR)

import torch  # noqa: E402


def randomise_state(shapes: Dict[str, Sequence[int]], seed: int) -> Dict[str, torch.Tensor]:
    """Random values for every tensor, by name, so that a misplaced tensor changes outputs.

    Unlike a real initialisation, norms get weights != 1 and biases != 0, and
    every bias is non-zero: two layer norms swapped by a bad name map would
    otherwise be indistinguishable. Scales keep activations of order one.
    """
    generator = torch.Generator().manual_seed(seed)
    state: Dict[str, torch.Tensor] = {}
    for name, shape in sorted(shapes.items()):
        shape = list(shape)
        noise = torch.randn(shape, generator=generator)
        if name.endswith("weight_g") or name.endswith("original0"):
            state[name] = None  # filled from the matching weight_v below
        elif len(shape) == 1 and name.endswith("weight"):  # a norm's scale
            state[name] = 1.0 + 0.1 * noise
        elif len(shape) == 1 or name.endswith("bias"):
            state[name] = 0.1 * noise
        else:
            fan_in = math.prod(shape[1:])
            state[name] = noise / math.sqrt(fan_in)
    for name in list(state):
        if state[name] is None:
            v_name = name.replace("weight_g", "weight_v").replace("original0", "original1")
            v = state[v_name]
            norm = v.pow(2).sum(dim=[0, 1], keepdim=True).sqrt()
            scale = 1.0 + 0.2 * torch.rand(norm.shape, generator=generator)
            state[name] = norm * scale
    return state


def random_batch(lengths: List[int], seed: int) -> Tuple[torch.Tensor, torch.Tensor]:
    """Zero-padded waveforms [B, max(lengths)] and int64 lengths."""
    generator = torch.Generator().manual_seed(seed)
    batch = torch.zeros(len(lengths), max(lengths))
    for row, length in enumerate(lengths):
        batch[row, :length] = 0.3 * torch.randn(length, generator=generator)
    return batch, torch.tensor(lengths, dtype=torch.int64)


def max_diff_valid(a: torch.Tensor, b: torch.Tensor, frame_lengths: torch.Tensor) -> float:
    """Largest |a - b| over the valid frames of each row."""
    worst = 0.0
    for row, length in enumerate(frame_lengths.tolist()):
        if length > 0:
            worst = max(worst, (a[row, :length] - b[row, :length]).abs().max().item())
    return worst


def emit(summary: dict) -> None:
    """Prints the one JSON line the vitest side parses."""
    print(json.dumps(summary), flush=True)


def record_failure(result: dict, error: Exception) -> None:
    """Marks a case failed with the error and where it was raised (the last lines of the traceback),
    so that a script reports every case, and says what broke on a new release of a reference."""
    result.update(
        passed=False,
        error=f"{type(error).__name__}: {error}",
        where=traceback.format_exc().strip().splitlines()[-3:],
    )
