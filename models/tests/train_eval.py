#!/usr/bin/env python3
"""Train/eval behaviour, gradients, frame lengths and padding of exported tiny backbones.

Works on archives exported by export.py and loaded with torch.jit.load, as
the Node side uses them:
  - eval mode: two forwards are identical;
  - train mode with dropout > 0: two forwards differ;
  - all dropouts and layer-drop 0: train equals eval;
  - layer-drop 1: every layer is skipped in train mode, none in eval mode;
    layer-drop 0.5: several different layer subsets over repeated forwards;
  - backward in train mode reaches every parameter; freezing by the metadata's
    feature_encoder_prefix stops exactly the conv encoder's gradients;
  - frame lengths follow floor((L - 400) / 320) + 1, also via output_lengths();
  - padding: valid frames of a clip alone vs in a longer padded batch.

Prints one JSON line; exits 0 when all checks pass, else 1.
"""

import contextlib
import copy
import io
import os
import sys
import tempfile

import torch

from support import emit, max_diff_valid, random_batch  # first: puts models/ on sys.path
import export as export_cli  # noqa: E402
from vbt_models import load_backbone  # noqa: E402
from vbt_models.exporting import read_metadata  # noqa: E402

FAMILIES = ("wav2vec2", "hubert", "data2vec")
NO_DROPOUT = [
    "--hidden-dropout",
    "0",
    "--attention-dropout",
    "0",
    "--activation-dropout",
    "0",
    "--feat-proj-dropout",
    "0",
]


def export(root: str, family: str, name: str, extra) -> str:
    out = os.path.join(root, f"{family}-{name}.pt")
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(io.StringIO()):
        code = export_cli.main(
            ["--family", family, "--config", "tiny", "--random", "--seed", "3", "--out", out] + list(extra)
        )
    if code != 0:
        raise RuntimeError(f"export failed: {buffer.getvalue()}")
    return out


def forward(module, waveforms, lengths, train: bool):
    module.train(train)
    with torch.no_grad():
        return module(waveforms, lengths)


def family_checks(root: str, family: str) -> dict:
    waveforms, lengths = random_batch([16000, 12000, 6000], 5)
    checks = {}
    numbers = {}

    default = torch.jit.load(export(root, family, "default", []))
    a, frame_lengths = forward(default, waveforms, lengths, False)
    b, _ = forward(default, waveforms, lengths, False)
    numbers["eval_repeat_max_diff"] = max_diff_valid(a, b, frame_lengths)
    checks["eval_is_deterministic"] = numbers["eval_repeat_max_diff"] == 0.0
    c, _ = forward(default, waveforms, lengths, True)
    d, _ = forward(default, waveforms, lengths, True)
    numbers["train_repeat_max_diff"] = max_diff_valid(c, d, frame_lengths)
    checks["train_with_dropout_is_stochastic"] = numbers["train_repeat_max_diff"] > 1e-3

    plain = torch.jit.load(export(root, family, "plain", NO_DROPOUT + ["--layerdrop", "0"]))
    e, _ = forward(plain, waveforms, lengths, True)
    f, _ = forward(plain, waveforms, lengths, False)
    numbers["no_dropout_train_vs_eval_max_diff"] = max_diff_valid(e, f, frame_lengths)
    checks["no_dropout_train_equals_eval"] = numbers["no_dropout_train_vs_eval_max_diff"] <= 1e-6

    all_dropped = torch.jit.load(export(root, family, "layerdrop1", NO_DROPOUT + ["--layerdrop", "1"]))
    eager = load_backbone(
        family,
        "random",
        config_name="tiny",
        seed=3,
        overrides=dict(
            hidden_dropout=0.0, attention_dropout=0.0, activation_dropout=0.0, feat_proj_dropout=0.0, layerdrop=1.0
        ),
    ).model
    no_layers = copy.deepcopy(eager).eval()
    no_layers.encoder.layers = torch.nn.ModuleList()
    g, _ = forward(all_dropped, waveforms, lengths, True)
    h, _ = forward(no_layers, waveforms, lengths, False)
    i, _ = forward(all_dropped, waveforms, lengths, False)
    numbers["layerdrop1_train_vs_no_layers_max_diff"] = max_diff_valid(g, h, frame_lengths)
    numbers["layerdrop1_eval_vs_no_layers_max_diff"] = max_diff_valid(i, h, frame_lengths)
    checks["layerdrop1_skips_every_layer_in_train"] = numbers["layerdrop1_train_vs_no_layers_max_diff"] <= 1e-6
    checks["layerdrop_is_off_in_eval"] = numbers["layerdrop1_eval_vs_no_layers_max_diff"] > 1e-3

    half = torch.jit.load(export(root, family, "layerdrop05", NO_DROPOUT + ["--layerdrop", "0.5"]))
    torch.manual_seed(11)
    outcomes = set()
    for _ in range(30):
        out, _ = forward(half, waveforms, lengths, True)
        # Not a plain sum: layer-norm outputs sum to zero over the features.
        outcomes.add(round(out[0, :, :8].sum().item(), 3))
    numbers["layerdrop05_distinct_outputs_of_30"] = len(outcomes)
    checks["layerdrop05_varies"] = len(outcomes) >= 3

    # Backward through the loaded archive in train mode.
    trained = torch.jit.load(export(root, family, "grad", ["--layerdrop", "0"]))
    trained.train()
    # With time masking on, the learned mask vector is reached too.
    trained.set_time_masking(0.3, 2, 1)
    frames, frame_lengths = trained(waveforms, lengths)
    mask = (torch.arange(frames.shape[1])[None, :] < frame_lengths[:, None]).unsqueeze(-1).float()
    ((frames * mask).sum() / mask.sum()).backward()
    params = dict(trained.named_parameters())
    no_grad = [n for n, p in params.items() if p.grad is None or not torch.isfinite(p.grad).all()]
    zero_grad = [n for n, p in params.items() if p.grad is not None and p.grad.abs().sum().item() == 0.0]
    numbers["parameters"] = len(params)
    numbers["parameters_without_finite_grad"] = no_grad
    numbers["parameters_with_zero_grad"] = zero_grad
    checks["backward_reaches_every_parameter"] = not no_grad and not zero_grad

    metadata = read_metadata(export(root, family, "frozen", ["--layerdrop", "0"]))
    frozen = torch.jit.load(os.path.join(root, f"{family}-frozen.pt"))
    prefix = metadata["feature_encoder_prefix"]
    encoder_params = {n: p for n, p in frozen.named_parameters() if n.startswith(prefix)}
    for p in encoder_params.values():
        p.requires_grad_(False)
    frozen.train()
    frozen.set_time_masking(0.3, 2, 1)
    out, _ = frozen(waveforms, lengths)
    out.mean().backward()
    rest = {n: p for n, p in frozen.named_parameters() if not n.startswith(prefix)}
    numbers["feature_encoder_parameter_count"] = sum(p.numel() for p in encoder_params.values())
    checks["prefix_selects_the_conv_encoder"] = numbers["feature_encoder_parameter_count"] == metadata[
        "feature_encoder_parameter_count"
    ] > 0 and all(".conv_layers." in n for n in encoder_params)
    checks["frozen_encoder_gets_no_grad"] = all(p.grad is None for p in encoder_params.values()) and all(
        p.grad is not None for p in rest.values()
    )

    # Frame lengths: a clip has n frames iff it has at least 400 + (n - 1) * 320 samples.
    sample_lengths = torch.tensor([0, 399, 400, 719, 720, 16000, 16001, 20000], dtype=torch.int64)
    expected = [0 if n < 400 else (n - 400) // 320 + 1 for n in sample_lengths.tolist()]
    numbers["output_lengths"] = plain.output_lengths(sample_lengths).tolist()
    checks["output_lengths_closed_form"] = numbers["output_lengths"] == expected
    long_batch = torch.zeros(2, 20000)
    _, forward_lengths = forward(plain, long_batch, torch.tensor([20000, 400], dtype=torch.int32), False)
    checks["forward_frame_lengths_int64"] = forward_lengths.dtype == torch.int64 and forward_lengths.tolist() == [62, 1]
    _, clamped = forward(plain, waveforms, torch.tensor([99999, 12000, 6000]), False)
    checks["lengths_beyond_batch_are_clamped"] = clamped.tolist() == frame_lengths.tolist()

    # Padding: clip 2 alone vs in the padded batch.
    alone, alone_lengths = forward(plain, waveforms[2:3, :6000], lengths[2:3], False)
    batched, _ = forward(plain, waveforms, lengths, False)
    numbers["padding_effect_max_diff"] = max_diff_valid(alone, batched[2:3], alone_lengths)
    return {"family": family, "checks": checks, "numbers": numbers}


def main() -> int:
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory(prefix="vbt-train-eval-") as root:
        results = [family_checks(root, family) for family in FAMILIES]
    by_family = {r["family"]: r for r in results}
    # HuBERT tiny has a layer-norm conv encoder and one positional conv: padding must not
    # reach valid frames. wav2vec2 tiny's group norm (like wav2vec2-base) and data2vec's
    # stacked positional convs let it in, as in torchaudio and Hugging Face.
    padding = {
        "hubert_is_padding_invariant": by_family["hubert"]["numbers"]["padding_effect_max_diff"] <= 1e-5,
        "wav2vec2_group_norm_sees_padding": by_family["wav2vec2"]["numbers"]["padding_effect_max_diff"] > 1e-4,
    }
    ok = all(all(r["checks"].values()) for r in results) and all(padding.values())
    emit({"ok": ok, "torch": torch.__version__, "families": results, "padding": padding})
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
