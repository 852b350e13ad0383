#!/usr/bin/env python3
"""Parity of vbt's scripted backbone with torchaudio's wav2vec2_model on the same weights.

For wav2vec2 and HuBERT (tiny and base by default; --configs adds large), and
tiny variants that flip each architecture switch, builds our module and
torchaudio's from one set of random weights (every tensor random, norms and
biases included), scripts ours, runs one zero-padded batch of several lengths
in eval mode, and compares the valid frames and the frame lengths.

data2vec-audio, which torchaudio lacks, is checked the same way against
torchaudio's layer-norm conv encoder and post-LN transformer with the
positional convolution swapped for the test's own data2vec stack (the full
Hugging Face comparison is parity_transformers.py).

Prints one JSON line; exits 0 when every case is within the tolerance, else 1
(3, with a "skipped" line, where torchaudio is not installed).
"""

import argparse
import dataclasses
import sys
import time

import torch

from support import emit, max_diff_valid, random_batch, randomise_state
from torchaudio_reference import (
    SKIP_RESULT,
    SKIPPED,
    available,
    ours_to_torchaudio,
    torchaudio_model,
    torchaudio_version,
)
from vbt_models.backbone import Backbone
from vbt_models.named_configs import named_config

TOLERANCE = 1e-4
LENGTHS = {
    "tiny": [16000, 11040, 5200, 400],
    "base": [6400, 4000, 2400],
    "large": [4800, 3200],
}
VARIANTS = {
    "named": {},
    "layer-norm-conv+pre-ln": dict(feat_extract_norm="layer", conv_bias=True, stable_layer_norm=True),
    "group-norm-conv+post-ln": dict(feat_extract_norm="group", conv_bias=False, stable_layer_norm=False),
    "odd-positional-kernel": dict(pos_conv_kernel=31),
}


def run_case(family: str, size: str, variant: str, seed: int) -> dict:
    config = dataclasses.replace(named_config(family, size), **VARIANTS[variant])
    config.validate()
    ours = Backbone(config).eval()
    state = randomise_state({k: v.shape for k, v in ours.state_dict().items()}, seed)
    ours.load_state_dict(state)
    reference = torchaudio_model(config).eval()
    reference.load_state_dict(ours_to_torchaudio(state), strict=True)
    scripted = torch.jit.script(ours)
    waveforms, lengths = random_batch(LENGTHS[size], seed + 1)
    started = time.perf_counter()
    with torch.no_grad():
        frames, frame_lengths = scripted(waveforms, lengths)
        # The eager pass is skipped for large sizes: it only checks scripting, which tiny covers.
        eager_frames = ours(waveforms, lengths)[0] if size == "tiny" else frames
        ref_frames, ref_lengths = reference(waveforms, lengths)
    diff = max_diff_valid(frames, ref_frames, frame_lengths)
    same_lengths = frame_lengths.tolist() == ref_lengths.tolist() and frame_lengths.dtype == torch.int64
    return {
        "family": family,
        "config": size,
        "variant": variant,
        "max_abs_diff": diff,
        "scripted_vs_eager_max_abs_diff": max_diff_valid(frames, eager_frames, frame_lengths)
        if size == "tiny"
        else None,
        "frame_lengths": frame_lengths.tolist(),
        "reference_frame_lengths": ref_lengths.tolist(),
        "frame_lengths_equal": same_lengths,
        "output_shape": list(frames.shape),
        "output_mean_abs": frames.abs().mean().item(),
        "seconds": round(time.perf_counter() - started, 3),
        "passed": diff <= TOLERANCE and same_lengths and list(frames.shape[:2]) == list(ref_frames.shape[:2]),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--configs", default="tiny,base", help="comma-separated sizes (tiny,base,large)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if not available():
        emit(SKIP_RESULT)
        return SKIPPED
    torch.manual_seed(args.seed)
    cases = []
    for size in args.configs.split(","):
        for family in ("wav2vec2", "hubert", "data2vec"):
            variants = ["named"]
            if size == "tiny" and family != "data2vec":
                variants += [
                    "layer-norm-conv+pre-ln" if family == "wav2vec2" else "group-norm-conv+post-ln",
                    "odd-positional-kernel",
                ]
            for variant in variants:
                seed = args.seed + 100 * ("wav2vec2", "hubert", "data2vec").index(family)
                cases.append(run_case(family, size, variant, seed))
    ok = all(case["passed"] for case in cases)
    emit(
        {
            "ok": ok,
            "tolerance": TOLERANCE,
            "torch": torch.__version__,
            "torchaudio": torchaudio_version(),
            "cases": cases,
        }
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
