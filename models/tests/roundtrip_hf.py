#!/usr/bin/env python3
"""Synthetic Hugging Face folders round-trip through the exporter CLI.

For each family, head (bare model, CTC; also wav2vec2 pre-training and HuBERT
sequence classification), file format (safetensors, sharded safetensors,
pytorch_model.bin) and weight-norm storage: write a fake
folder (make_fake_hf), export it with export.py, load the archive with
torch.jit.load, and compare it with (a) our eager module loaded from the same
folder, and (b) torchaudio's model loaded from the raw Hugging Face state dict by
torchaudio's own prefix rule, independent of our importer (for data2vec-audio,
which torchaudio lacks, with the test's own positional stack swapped in; this
check is left out, and "torchaudio" is null in the result, where torchaudio is
not installed). Also checks vbt.json and that the source dtype (float16) is handled.

Prints one JSON line; exits 0 when all cases pass, else 1.
"""

import contextlib
import io
import json
import os
import sys
import tempfile
import time

import torch

from support import emit, max_diff_valid, random_batch  # first: puts models/ on sys.path
import export as export_cli  # noqa: E402
from make_fake_hf import PREFIX, make_fake_hf  # noqa: E402
from torchaudio_reference import available, hf_to_torchaudio, torchaudio_model, torchaudio_version
from vbt_models.exporting import read_metadata
from vbt_models.sources import load_backbone

TOLERANCE = 1e-4
LENGTHS = [16000, 9000, 3300]

CASES = [
    # family, head, format, weight norm storage, dtype
    ("wav2vec2", "none", "safetensors", "legacy", torch.float32),
    ("wav2vec2", "ctc", "bin", "parametrizations", torch.float32),
    ("wav2vec2", "pretraining", "safetensors", "parametrizations", torch.float16),
    ("hubert", "none", "bin", "legacy", torch.float32),
    ("hubert", "ctc", "safetensors", "parametrizations", torch.float32),
    ("hubert", "classification", "safetensors-sharded", "legacy", torch.float32),
    ("wav2vec2", "none", "bin", "plain", torch.float32),
    ("data2vec", "none", "safetensors", "legacy", torch.float32),
    ("data2vec", "ctc", "bin", "legacy", torch.float32),
    ("data2vec", "ctc", "safetensors", "legacy", torch.bfloat16),
]


def run_cli(argv):
    """Runs export.py's main in-process; returns (exit code, parsed JSON line)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = export_cli.main(argv)
    return code, json.loads(out.getvalue().strip().splitlines()[-1])


def run_case(root: str, index: int, family: str, head: str, fmt: str, weight_norm: str, dtype: torch.dtype) -> dict:
    folder = os.path.join(root, f"hf-{index}-{family}-{head}-{fmt}")
    hf_config, hf_state = make_fake_hf(folder, family, head, fmt, weight_norm, seed=10 + index, dtype=dtype)
    out = os.path.join(root, f"export-{index}.pt")
    started = time.perf_counter()
    code, summary = run_cli(["--family", family, "--hf", folder, "--out", out])
    seconds = time.perf_counter() - started
    result = {
        "family": family,
        "head": head,
        "format": fmt,
        "weight_norm": weight_norm,
        "dtype": str(dtype).replace("torch.", ""),
        "exit_code": code,
        "export_seconds": round(seconds, 3),
    }
    if code != 0:
        result.update(passed=False, error=summary.get("error"))
        return result
    scripted = torch.jit.load(out)
    scripted.eval()
    loaded = load_backbone(family, "huggingface", path=folder)
    eager = loaded.model.eval()
    waveforms, lengths = random_batch(LENGTHS, 20 + index)
    with torch.no_grad():
        frames, frame_lengths = scripted(waveforms, lengths)
        eager_frames, _ = eager(waveforms, lengths)
    result["exported_vs_eager_max_abs_diff"] = max_diff_valid(frames, eager_frames, frame_lengths)
    result["frame_lengths"] = frame_lengths.tolist()
    # Independent reference: torchaudio (data2vec: with the test's own positional stack),
    # loaded from the raw Hugging Face tensors by torchaudio's prefix rule.
    independent = None
    if available():
        reference = torchaudio_model(loaded.config).eval()
        if weight_norm == "plain":
            torch.nn.utils.remove_weight_norm(reference.encoder.transformer.pos_conv_embed.conv)
        reference.load_state_dict(hf_to_torchaudio(hf_state, PREFIX[family]), strict=True)
        with torch.no_grad():
            ref_frames, ref_lengths = reference(waveforms, lengths)
        independent = max_diff_valid(frames, ref_frames, frame_lengths)
        result["torchaudio_frame_lengths_equal"] = ref_lengths.tolist() == frame_lengths.tolist()
    result["exported_vs_torchaudio_max_abs_diff"] = independent
    metadata = read_metadata(out)
    dropped = set(metadata["source_details"]["dropped_keys"])
    # Heads are dropped; the time-masking vector masked_spec_embed is kept (loaded) for training.
    expected_dropped = {
        k
        for k in hf_state
        if k.startswith(("lm_head.", "quantizer.", "project_hid.", "project_q.", "projector.", "classifier."))
        or k == "layer_weights"
    }
    embed_keys = [k for k in hf_state if k.endswith("masked_spec_embed")]
    exported_embed = dict(scripted.named_parameters())["masked_spec_embed"]
    checks = {
        "metadata_family": metadata["family"] == family,
        "metadata_config_tiny": metadata["config"] == "tiny",
        "metadata_dropout_from_config": metadata["dropout"]["layerdrop"] == hf_config["layerdrop"]
        and metadata["dropout"]["activation_dropout"] == hf_config["activation_dropout"],
        "metadata_matches_summary": metadata == summary["metadata"],
        "dropped_keys_are_heads_and_mask": dropped == expected_dropped,
        "every_key_accounted": metadata["source_details"]["loaded_source_keys"] + len(dropped) == len(hf_state),
        "input_normalization_read": metadata["input_normalization"] is True
        and "preprocessor_config.json" in metadata["input_normalization_source"],
        "time_masking_read": metadata["time_masking"]["mask_time_prob"] == hf_config.get("mask_time_prob", 0.05)
        and metadata["time_masking"]["mask_time_length"] == hf_config.get("mask_time_length", 10)
        and tuple(scripted.time_masking())[:2]
        == (hf_config.get("mask_time_prob", 0.05), hf_config.get("mask_time_length", 10)),
        "masked_spec_embed_loaded": bool(embed_keys)
        and torch.equal(exported_embed.detach(), hf_state[embed_keys[0]].to(torch.float32)),
        "exported_matches_eager": result["exported_vs_eager_max_abs_diff"] <= 1e-6,
        "frame_lengths_int64": frame_lengths.dtype == torch.int64,
    }
    if independent is not None:
        checks["matches_torchaudio"] = independent <= TOLERANCE and result["torchaudio_frame_lengths_equal"]
    result["checks"] = checks
    result["passed"] = all(checks.values())
    return result


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="vbt-roundtrip-hf-") as root:
        cases = [run_case(root, i, *case) for i, case in enumerate(CASES)]
    ok = all(c["passed"] for c in cases)
    emit({"ok": ok, "tolerance": TOLERANCE, "torchaudio": torchaudio_version(), "cases": cases})
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
