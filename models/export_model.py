#!/usr/bin/env python3
"""Export a whole trained vbt model (backbone + pooling + heads) to one TorchScript file.

  python3 models/export_model.py --spec spec.json

`vbt export-model` writes the spec (a JSON object): "backbone" (the run's
backbone export), "heads" (the checkpoint's heads.safetensors), "model" (the
run's model config), "max_seconds" (data.preprocess.maxSeconds or null),
"out" (where to save) and "metadata" (the vbt.json record to store, which this
script completes with the backbone's facts).

Prints one JSON line on stdout: {"ok": true, "out": ..., "seconds": ..., "metadata": {...}},
or {"ok": false, "error": {"kind", "message"}} with a one-line message on stderr and exit 2.
The file loads with torch.jit.load alone.
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402

from vbt_models.errors import SourceError  # noqa: E402
from vbt_models.safetensors_reader import read_safetensors  # noqa: E402
from whole_model import HeadError, TASK_ORDER, build_whole_model  # noqa: E402

METADATA_FILE = "vbt.json"


def fail(kind: str, message: str) -> int:
    print(json.dumps({"ok": False, "error": {"kind": kind, "message": message}}))
    print(f"vbt export-model: error: {message}", file=sys.stderr)
    return 2


def backbone_facts(meta: dict) -> dict:
    keys = ["family", "config", "hidden_size", "num_layers", "num_heads", "parameter_count", "frame_rate", "receptive_field", "input_normalization", "source"]
    return {k: meta.get(k) for k in keys}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="export_model.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--spec", required=True, help="JSON spec written by vbt export-model")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        with open(args.spec, "r", encoding="utf-8") as handle:
            spec = json.load(handle)
    except (OSError, json.JSONDecodeError) as error:
        return fail("usage", f"cannot read the spec {args.spec}: {error}")

    extra = {METADATA_FILE: ""}
    try:
        backbone = torch.jit.load(spec["backbone"], map_location="cpu", _extra_files=extra)
    except Exception as error:  # noqa: BLE001 - any load failure is one line naming the file
        return fail("backbone", f"cannot load the backbone {spec['backbone']}: {str(error).splitlines()[0] if str(error) else type(error).__name__}")
    try:
        backbone_meta = json.loads(extra[METADATA_FILE])
    except json.JSONDecodeError:
        return fail("backbone", f"{spec['backbone']} has no valid {METADATA_FILE}: not a vbt backbone export")

    try:
        state = read_safetensors(spec["heads"])
    except SourceError as error:
        return fail("heads", str(error))

    try:
        model = build_whole_model(backbone, backbone_meta, spec["model"], state, spec["heads"], spec.get("max_seconds"))
        scripted = torch.jit.script(model)
    except HeadError as error:
        return fail("heads", str(error))

    metadata = dict(spec.get("metadata", {}))
    metadata["sample_rate"] = int(backbone_meta["sample_rate"])
    metadata["windows"] = {"max_seconds": spec.get("max_seconds"), "max_samples": model.max_samples}
    metadata["pooling"] = {"kind": "padded-mean", "pad_to": model.pad_to} if model.pad_to > 0 else {"kind": "mean"}
    metadata["backbone"] = backbone_facts(backbone_meta)
    metadata["output_order"] = [t for t in TASK_ORDER if t in spec["model"]["tasks"]]
    metadata["torch_version"] = torch.__version__
    try:
        scripted.save(spec["out"], _extra_files={METADATA_FILE: json.dumps(metadata)})
    except Exception as error:  # noqa: BLE001
        return fail("write", f"cannot write {spec['out']}: {error}")
    print(json.dumps({"ok": True, "out": spec["out"], "seconds": round(time.perf_counter() - started, 3), "metadata": metadata}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
