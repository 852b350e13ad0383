#!/usr/bin/env python3
"""Synthetic fairseq checkpoints round-trip through the exporter CLI.

For wav2vec2 and HuBERT, pre-trained and CTC fine-tuned, settings stored as a
`cfg` dict or as an old `args` Namespace (the latter also in torch's legacy,
non-zip file layout), and both conv-encoder variants: write a fake checkpoint
(make_fake_fairseq), export it with export.py, load the archive with
torch.jit.load, and compare it with torchaudio's model built from the
checkpoint's settings and loaded through torchaudio's own fairseq name map
(torchaudio.models.wav2vec2.utils.import_fairseq._convert_state_dict), which
is independent of vbt's. Checks that every fairseq key was consumed (loaded or
deliberately dropped) and that dropouts and input normalisation were read.

Prints one JSON line; exits 0 when all cases pass, else 1 (3, with a "skipped"
line, where torchaudio is not installed).
"""

import contextlib
import io
import json
import os
import sys
import tempfile

import torch

from support import emit, max_diff_valid, random_batch  # first: puts models/ on sys.path
import export as export_cli  # noqa: E402
from make_fake_fairseq import CONV_SHAPES, make_fake_fairseq  # noqa: E402
from torchaudio_reference import SKIP_RESULT, SKIPPED, available, torchaudio  # noqa: E402
from vbt_models.exporting import read_metadata  # noqa: E402

TOLERANCE = 1e-4
CASES = [
    # family, fine-tuned, settings style, legacy file layout, conv variant
    ("wav2vec2", False, "cfg", False, "group"),
    ("wav2vec2", True, "cfg", False, "layer"),
    ("wav2vec2", False, "args", False, "layer"),
    ("wav2vec2", True, "args", True, "group"),
    ("hubert", False, "cfg", False, "group"),
    ("hubert", True, "cfg", False, "layer"),
    ("hubert", False, "args", True, "layer"),
]
EXPECTED_DROPPED_PREFIXES = (
    "mask_emb",
    "quantizer.",
    "project_q.",
    "final_proj.",
    "label_embs_concat",
    "w2v_encoder.proj.",
    "w2v_encoder.w2v_model.mask_emb",
)


def torchaudio_reference(settings: dict) -> torch.nn.Module:
    """torchaudio's model for fairseq settings (written from fairseq's field names)."""
    return torchaudio.models.wav2vec2_model(
        extractor_mode="group_norm" if settings["extractor_mode"] == "default" else "layer_norm",
        extractor_conv_layer_config=CONV_SHAPES,
        extractor_conv_bias=settings["conv_bias"],
        encoder_embed_dim=settings["encoder_embed_dim"],
        encoder_projection_dropout=0.0,
        encoder_pos_conv_kernel=settings["conv_pos"],
        encoder_pos_conv_groups=settings["conv_pos_groups"],
        encoder_num_layers=settings["encoder_layers"],
        encoder_num_heads=settings["encoder_attention_heads"],
        encoder_attention_dropout=0.0,
        encoder_ff_interm_features=settings["encoder_ffn_embed_dim"],
        encoder_ff_interm_dropout=0.0,
        encoder_dropout=0.0,
        encoder_layer_norm_first=settings["layer_norm_first"],
        encoder_layer_drop=0.0,
        aux_num_out=None,
    )


def torchaudio_state(state: dict) -> dict:
    """fairseq state dict -> torchaudio names, by torchaudio's own converter."""
    from torchaudio.models.wav2vec2.utils.import_fairseq import _convert_state_dict

    # torchaudio converts the state of the encoder module itself (w2v_model.*, proj.*).
    inner = {k[len("w2v_encoder.") :] if k.startswith("w2v_encoder.") else k: v for k, v in state.items()}
    converted = _convert_state_dict(inner)
    return {k: v for k, v in converted.items() if not k.startswith("aux.") and k != "label_embs_concat"}


def run_case(root: str, index: int, family: str, finetuned: bool, style: str, legacy: bool, variant: str) -> dict:
    path = os.path.join(root, f"fairseq-{index}.pt")
    settings, state = make_fake_fairseq(path, family, finetuned, style, variant, seed=30 + index)
    if legacy:
        checkpoint = torch.load(path, weights_only=False)  # written by this test
        torch.save(checkpoint, path, _use_new_zipfile_serialization=False)
    out = os.path.join(root, f"fairseq-{index}.export.pt")
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(io.StringIO()):
        code = export_cli.main(["--family", family, "--fairseq", path, "--out", out])
    result = {
        "family": family,
        "fine_tuned": finetuned,
        "settings": style,
        "legacy_layout": legacy,
        "variant": variant,
        "exit_code": code,
    }
    if code != 0:
        result.update(passed=False, error=json.loads(buffer.getvalue().strip().splitlines()[-1]).get("error"))
        return result
    scripted = torch.jit.load(out).eval()
    reference = torchaudio_reference(settings).eval()
    reference.load_state_dict(torchaudio_state(state), strict=True)
    waveforms, lengths = random_batch([16000, 10000, 2500], 40 + index)
    with torch.no_grad():
        frames, frame_lengths = scripted(waveforms, lengths)
        ref_frames, ref_lengths = reference(waveforms, lengths)
    diff = max_diff_valid(frames, ref_frames, frame_lengths)
    metadata = read_metadata(out)
    details = metadata["source_details"]
    dropped = details["dropped_keys"]
    expected_dropout = 0.1 if finetuned else settings["encoder_layerdrop"]
    checks = {
        "matches_torchaudio": diff <= TOLERANCE and ref_lengths.tolist() == frame_lengths.tolist(),
        "every_key_consumed": details["loaded_source_keys"] + len(dropped) == len(state),
        "only_heads_dropped": all(k.startswith(EXPECTED_DROPPED_PREFIXES) for k in dropped),
        "settings_record": details["settings_record"] == style,
        "layerdrop_read": metadata["dropout"]["layerdrop"] == expected_dropout,
        "input_normalization_read": metadata["input_normalization"] == (variant == "layer"),
        "pre_ln_read": metadata["stable_layer_norm"] == (variant == "layer"),
    }
    result.update(
        max_abs_diff=diff,
        frame_lengths=frame_lengths.tolist(),
        dropped=len(dropped),
        loaded=details["loaded_source_keys"],
        checks=checks,
        passed=all(checks.values()),
    )
    return result


def main() -> int:
    if not available():
        emit(SKIP_RESULT)
        return SKIPPED
    with tempfile.TemporaryDirectory(prefix="vbt-roundtrip-fairseq-") as root:
        cases = [run_case(root, i, *case) for i, case in enumerate(CASES)]
    ok = all(c["passed"] for c in cases)
    emit({"ok": ok, "tolerance": TOLERANCE, "torchaudio": torchaudio.__version__, "cases": cases})
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
