#!/usr/bin/env python3
"""Bad sources give one clear error each, never a partial load.

Each case builds a broken source (from the synthetic Hugging Face folders and
fairseq checkpoints of make_fake_hf / make_fake_fairseq), runs the exporter
(API or CLI), and checks the error class and that the message names the
offending keys or files. One case checks that a checkpoint carrying a
code-running pickle payload is read without running it.

Prints one JSON line; exits 0 when every case behaves, else 1.
"""

import argparse
import contextlib
import io
import json
import os
import shutil
import sys
import tempfile
from typing import Callable, List

import torch

from support import emit  # first: puts models/ on sys.path
import export as export_cli  # noqa: E402
from make_fake_fairseq import make_fake_fairseq  # noqa: E402
from make_fake_hf import make_fake_hf  # noqa: E402
from safetensors_writer import write_safetensors  # noqa: E402
from vbt_models import (  # noqa: E402
    ExportError,
    SourceError,
    UnknownConfigError,
    WeightMismatchError,
    load_backbone,
    named_config,
)

CASES: List[dict] = []


def case(name: str):
    def register(fn: Callable):
        CASES.append({"name": name, "fn": fn})
        return fn

    return register


def expect_error(fn: Callable, error_class: type, *needles: str) -> dict:
    """Runs fn; passes when it raises error_class with every needle in the message."""
    try:
        fn()
    except ExportError as error:
        message = str(error)
        missing = [n for n in needles if n not in message]
        return {
            "passed": isinstance(error, error_class) and not missing,
            "error_class": type(error).__name__,
            "message": message,
            "missing_in_message": missing,
        }
    return {"passed": False, "error_class": None, "message": "no error raised"}


def run_cli(argv) -> dict:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = export_cli.main(argv)
        except SystemExit as exit_:
            code = exit_.code
    lines = out.getvalue().strip().splitlines()
    return {"code": code, "json": json.loads(lines[-1]) if lines else None, "stderr": err.getvalue().strip()}


def expect_cli_error(argv, kind: str, *needles: str) -> dict:
    result = run_cli(argv)
    error = (result["json"] or {}).get("error") or {}
    message = error.get("message", "")
    missing = [n for n in needles if n not in message]
    stderr_lines = result["stderr"].splitlines()
    one_line = len(stderr_lines) == 1 and stderr_lines[0].startswith("vbt export: error:")
    return {
        "passed": result["code"] == 2 and error.get("kind") == kind and not missing and one_line,
        "exit_code": result["code"],
        "error_kind": error.get("kind"),
        "message": message,
        "stderr": result["stderr"],
        "missing_in_message": missing,
    }


def hf_folder(root: str, name: str, family: str = "wav2vec2", head: str = "ctc", fmt: str = "safetensors"):
    folder = os.path.join(root, name)
    _, state = make_fake_hf(folder, family, head, fmt)
    return folder, state


def rewrite_weights(folder: str, state: dict) -> None:
    os.remove(os.path.join(folder, "model.safetensors"))
    write_safetensors(os.path.join(folder, "model.safetensors"), state)


@case("unknown key")
def unknown_key(root):
    folder, state = hf_folder(root, "unknown")
    state["wav2vec2.encoder.mystery.weight"] = torch.zeros(3)
    rewrite_weights(folder, state)
    return expect_error(
        lambda: load_backbone("wav2vec2", "huggingface", path=folder),
        WeightMismatchError,
        "1 unknown key",
        "wav2vec2.encoder.mystery.weight",
    )


@case("many unknown keys are listed ten at most, with a count")
def many_unknown(root):
    folder, state = hf_folder(root, "many")
    for i in range(15):
        state[f"wav2vec2.extra.k{i:02d}"] = torch.zeros(1)
    rewrite_weights(folder, state)
    result = expect_error(
        lambda: load_backbone("wav2vec2", "huggingface", path=folder),
        WeightMismatchError,
        "15 unknown key(s)",
        "wav2vec2.extra.k00",
        "(and 5 more)",
    )
    result["passed"] = result["passed"] and "wav2vec2.extra.k14" not in result["message"]
    return result


@case("missing key")
def missing_key(root):
    folder, state = hf_folder(root, "missing")
    del state["wav2vec2.encoder.layers.1.final_layer_norm.bias"]
    rewrite_weights(folder, state)
    return expect_error(
        lambda: load_backbone("wav2vec2", "huggingface", path=folder),
        WeightMismatchError,
        "1 missing key",
        "encoder.layers.1.final_layer_norm.bias",
    )


@case("shape mismatch")
def shape_mismatch(root):
    folder, state = hf_folder(root, "shape")
    state["wav2vec2.feature_projection.projection.weight"] = torch.zeros(64, 31)
    rewrite_weights(folder, state)
    return expect_error(
        lambda: load_backbone("wav2vec2", "huggingface", path=folder),
        WeightMismatchError,
        "shape mismatch",
        "wav2vec2.feature_projection.projection.weight [64, 31] (expected [64, 32])",
    )


@case("unknown family (API)")
def unknown_family_api(root):
    return expect_error(
        lambda: load_backbone("wav2vec3", "random", config_name="tiny"),
        UnknownConfigError,
        "unknown backbone family 'wav2vec3'",
    )


@case("unknown family (CLI)")
def unknown_family_cli(root):
    return expect_cli_error(
        ["--family", "wav2vec3", "--config", "tiny", "--random", "--out", os.path.join(root, "x.pt")],
        "usage",
        "wav2vec3",
    )


@case("unknown config name (API)")
def unknown_config_api(root):
    return expect_error(lambda: named_config("hubert", "huge"), UnknownConfigError, "unknown configuration 'huge'")


@case("unknown config name (CLI)")
def unknown_config_cli(root):
    return expect_cli_error(
        ["--family", "hubert", "--config", "huge", "--random", "--out", os.path.join(root, "x.pt")], "usage", "huge"
    )


@case("random without a config name")
def random_without_config(root):
    return expect_cli_error(
        ["--family", "hubert", "--random", "--out", os.path.join(root, "x.pt")],
        "unknown_config",
        "needs a named config",
    )


@case("missing folder")
def missing_folder(root):
    path = os.path.join(root, "does-not-exist")
    return expect_cli_error(
        ["--family", "data2vec", "--hf", path, "--out", os.path.join(root, "x.pt")],
        "source_error",
        "folder not found",
        path,
    )


@case("config.json that is not JSON")
def config_not_json(root):
    folder, _ = hf_folder(root, "notjson", family="data2vec")
    with open(os.path.join(folder, "config.json"), "w") as handle:
        handle.write("{ this is not json")
    return expect_error(
        lambda: load_backbone("data2vec", "huggingface", path=folder), SourceError, "config.json is not valid JSON"
    )


@case("folder without weights")
def no_weights(root):
    folder, _ = hf_folder(root, "noweights", family="hubert")
    os.remove(os.path.join(folder, "model.safetensors"))
    return expect_error(
        lambda: load_backbone("hubert", "huggingface", path=folder),
        SourceError,
        "has no model.safetensors or pytorch_model.bin",
    )


@case("family does not match config.json")
def family_mismatch(root):
    folder, _ = hf_folder(root, "hubert-as-wav2vec2", family="hubert")
    return expect_error(
        lambda: load_backbone("wav2vec2", "huggingface", path=folder), UnknownConfigError, "model_type 'hubert'"
    )


@case("named config does not match the checkpoint")
def named_mismatch(root):
    folder, _ = hf_folder(root, "tiny-as-base")
    return expect_error(
        lambda: load_backbone("wav2vec2", "huggingface", config_name="base", path=folder),
        UnknownConfigError,
        "not the wav2vec2 'base' architecture",
        "hidden_size=64",
    )


@case("unsupported config.json option")
def unsupported_option(root):
    folder, _ = hf_folder(root, "adapter")
    path = os.path.join(folder, "config.json")
    with open(path) as handle:
        cfg = json.load(handle)
    cfg["add_adapter"] = True
    with open(path, "w") as handle:
        json.dump(cfg, handle)
    return expect_error(
        lambda: load_backbone("wav2vec2", "huggingface", path=folder), UnknownConfigError, "add_adapter"
    )


@case("truncated safetensors")
def truncated(root):
    folder, _ = hf_folder(root, "truncated")
    path = os.path.join(folder, "model.safetensors")
    with open(path, "rb") as handle:
        data = handle.read()
    with open(path, "wb") as handle:
        handle.write(data[: len(data) - 100])
    return expect_error(lambda: load_backbone("wav2vec2", "huggingface", path=folder), SourceError, "model.safetensors")


@case("a TorchScript archive posing as pytorch_model.bin is refused")
def torchscript_bin(root):
    folder, _ = hf_folder(root, "scripted-bin", fmt="bin")
    torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), os.path.join(folder, "pytorch_model.bin"))
    return expect_error(
        lambda: load_backbone("wav2vec2", "huggingface", path=folder), SourceError, "TorchScript archive"
    )


@case("fairseq unknown key")
def fairseq_unknown(root):
    path = os.path.join(root, "unknown.pt")
    make_fake_fairseq(path, "hubert")
    checkpoint = torch.load(path)  # written by this test
    checkpoint["model"]["encoder.layers.0.self_attn.rotary.weight"] = torch.zeros(2)
    torch.save(checkpoint, path)
    return expect_error(
        lambda: load_backbone("hubert", "fairseq", path=path),
        WeightMismatchError,
        "unknown key",
        "encoder.layers.0.self_attn.rotary.weight",
    )


@case("fairseq missing key")
def fairseq_missing(root):
    path = os.path.join(root, "missing.pt")
    make_fake_fairseq(path, "wav2vec2", finetuned=True)
    checkpoint = torch.load(path)
    del checkpoint["model"]["w2v_encoder.w2v_model.encoder.pos_conv.0.weight_g"]
    torch.save(checkpoint, path)
    return expect_error(
        lambda: load_backbone("wav2vec2", "fairseq", path=path),
        WeightMismatchError,
        "missing key",
        "encoder.pos_conv_embed.weight_g",
    )


@case("fairseq fine-tuned checkpoint without w2v_args")
def fairseq_no_w2v_args(root):
    path = os.path.join(root, "no-w2v-args.pt")
    make_fake_fairseq(path, "wav2vec2", finetuned=True)
    checkpoint = torch.load(path)
    checkpoint["cfg"]["model"]["w2v_args"] = None
    torch.save(checkpoint, path)
    return expect_error(lambda: load_backbone("wav2vec2", "fairseq", path=path), SourceError, "w2v_args")


@case("fairseq family mismatch")
def fairseq_family(root):
    path = os.path.join(root, "hubert.pt")
    make_fake_fairseq(path, "hubert")
    return expect_error(
        lambda: load_backbone("wav2vec2", "fairseq", path=path), UnknownConfigError, "'hubert' model, not wav2vec2"
    )


@case("fairseq data2vec is not supported")
def fairseq_data2vec(root):
    path = os.path.join(root, "w2v.pt")
    make_fake_fairseq(path, "wav2vec2")
    return expect_error(
        lambda: load_backbone("data2vec", "fairseq", path=path), UnknownConfigError, "wav2vec2 and hubert"
    )


class _Payload:
    """Pickles as a call to os.system; unpickling it with the standard pickle would run it."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@case("a code-running pickle payload in fairseq settings is not run")
def payload_not_run(root):
    path = os.path.join(root, "payload.pt")
    make_fake_fairseq(path, "wav2vec2", settings_style="args")
    checkpoint = torch.load(path, weights_only=False)  # written by this test
    marker = os.path.join(root, "payload-ran")
    checkpoint["args"].payload = _Payload(marker)
    torch.save(checkpoint, path)
    try:
        loaded = load_backbone("wav2vec2", "fairseq", path=path)
        outcome = f"loaded ({loaded.config.name})"
    except ExportError as error:
        outcome = f"{type(error).__name__}: {error}"
    ran = os.path.exists(marker)
    return {"passed": not ran and outcome.startswith("loaded"), "payload_ran": ran, "message": outcome}


@case("a code-running pickle payload in pytorch_model.bin is refused without running it")
def bin_payload_refused(root):
    folder, _ = hf_folder(root, "payload-bin", fmt="bin")
    path = os.path.join(folder, "pytorch_model.bin")
    state = torch.load(path)  # written by this test
    marker = os.path.join(root, "bin-payload-ran")
    state["payload"] = _Payload(marker)
    torch.save(state, path)
    result = expect_error(
        lambda: load_backbone("wav2vec2", "huggingface", path=folder), SourceError, "pytorch_model.bin", "posix.system"
    )
    ran = os.path.exists(marker)
    return {**result, "passed": result["passed"] and not ran, "payload_ran": ran}


@case("no pickle is read with torch.load")
def never_torch_load(root):
    folder, _ = hf_folder(root, "plain-bin", fmt="bin")
    fairseq = os.path.join(root, "plain-fairseq.pt")
    make_fake_fairseq(fairseq, "wav2vec2", settings_style="args")
    original = torch.load

    def refuse(*_args, **_kwargs):
        raise AssertionError("torch.load was called")

    torch.load = refuse
    try:
        outcomes = []
        for family, kind, path in [("wav2vec2", "huggingface", folder), ("wav2vec2", "fairseq", fairseq)]:
            try:
                outcomes.append(f"loaded {load_backbone(family, kind, path=path).config.name}")
            except BaseException as error:  # noqa: BLE001 - any failure is the case's result
                outcomes.append(f"{type(error).__name__}: {error}")
    finally:
        torch.load = original
    return {"passed": all(o.startswith("loaded") for o in outcomes), "message": "; ".join(outcomes)}


@case("existing output is not overwritten")
def output_exists(root):
    out = os.path.join(root, "exists.pt")
    with open(out, "w") as handle:
        handle.write("keep me")
    result = expect_cli_error(
        ["--family", "wav2vec2", "--config", "tiny", "--random", "--out", out], "output_exists", "--overwrite"
    )
    with open(out) as handle:
        result["passed"] = result["passed"] and handle.read() == "keep me"
    return result


@case("a wav2vec2 folder without preprocessor_config.json names the --normalize choice")
def normalize_unknown(root):
    folder, _ = hf_folder(root, "no-preprocessor")
    os.remove(os.path.join(folder, "preprocessor_config.json"))
    out = os.path.join(root, "no-preprocessor.pt")
    result = expect_cli_error(
        ["--family", "wav2vec2", "--hf", folder, "--out", out], "source_error", "preprocessor_config.json", "--normalize on", "--normalize off"
    )
    result["passed"] = result["passed"] and not os.path.exists(out)
    return result


@case("--normalize settles it, and the export says so on stderr and in vbt.json")
def normalize_chosen(root):
    folder, _ = hf_folder(root, "no-preprocessor-chosen")
    os.remove(os.path.join(folder, "preprocessor_config.json"))
    out = os.path.join(root, "chosen.pt")
    result = run_cli(["--family", "wav2vec2", "--hf", folder, "--out", out, "--normalize", "off"])
    metadata = (result["json"] or {}).get("metadata") or {}
    passed = (
        result["code"] == 0
        and metadata.get("input_normalization") is False
        and metadata.get("input_normalization_source") == "--normalize off"
        and "input normalisation off (--normalize off)" in result["stderr"]
    )
    return {"passed": passed, "stderr": result["stderr"], "source": metadata.get("input_normalization_source")}


@case("data2vec without preprocessor_config.json: every published checkpoint normalises, and the export says why")
def normalize_family(root):
    folder, _ = hf_folder(root, "d2v-no-preprocessor", family="data2vec")
    os.remove(os.path.join(folder, "preprocessor_config.json"))
    loaded = load_backbone("data2vec", "huggingface", path=folder)
    origin = loaded.source_details.get("do_normalize_from") or ""
    return {"passed": loaded.source_details.get("do_normalize") is True and "published data2vec" in origin, "message": origin}


def main() -> int:
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args()
    root = tempfile.mkdtemp(prefix="vbt-bad-sources-")
    results = []
    try:
        for entry in CASES:
            try:
                result = entry["fn"](root)
            except Exception as error:  # a crash is a failed case, reported with its type
                result = {"passed": False, "crash": f"{type(error).__name__}: {error}"}
            results.append({"name": entry["name"], **result})
    finally:
        shutil.rmtree(root, ignore_errors=True)
    ok = all(r["passed"] for r in results)
    emit({"ok": ok, "cases": results})
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
