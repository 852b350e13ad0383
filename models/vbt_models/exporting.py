"""TorchScript export: script the eager backbone and save it with its metadata."""

import json
import os
import shutil
import tempfile
from typing import Any, Dict

import torch

from .errors import ExportError, OutputExistsError
from .metadata import METADATA_FILE, build_metadata
from .sources import LoadedBackbone


def check_output(path: str, overwrite: bool) -> None:
    """Fails early (before any heavy work) if `path` exists and may not be replaced."""
    if os.path.exists(path) and not overwrite:
        raise OutputExistsError(f"{path} exists; pass --overwrite to replace it")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ExportError(f"output folder does not exist: {folder}")


def export_torchscript(loaded: LoadedBackbone, path: str, overwrite: bool = False) -> Dict[str, Any]:
    """Scripts `loaded.model` (saved in eval mode) to `path` with `vbt.json`; returns the metadata.

    The archive is written in a temporary folder beside `path` and renamed,
    so a reader never sees a half-written file.
    """
    check_output(path, overwrite)
    model = loaded.model.eval()
    metadata = build_metadata(model, loaded.config, loaded.source, loaded.source_details)
    masking = metadata.get("time_masking") or {}
    if masking:
        # The archive starts with the source's own settings (what a run's "checkpoint" default reads).
        model.set_time_masking(
            float(masking["mask_time_prob"]), int(masking["mask_time_length"]), int(masking["mask_time_min_masks"])
        )
    scripted = torch.jit.script(model)
    # Written under its final file name (the archive's inner folder is named after it)
    # in a private folder beside the target, then renamed into place.
    folder = tempfile.mkdtemp(prefix=".vbt-export-", dir=os.path.dirname(os.path.abspath(path)))
    try:
        temporary = os.path.join(folder, os.path.basename(path))
        torch.jit.save(scripted, temporary, _extra_files={METADATA_FILE: json.dumps(metadata, indent=1)})
        os.replace(temporary, path)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return metadata


def read_metadata(path: str) -> Dict[str, Any]:
    """The vbt.json of an exported archive."""
    extra = {METADATA_FILE: ""}
    torch.jit.load(path, map_location="cpu", _extra_files=extra)
    return json.loads(extra[METADATA_FILE])
