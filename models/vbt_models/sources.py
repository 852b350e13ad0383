"""Builds a Backbone from a weight source: random init, a Hugging Face folder, or a fairseq file."""

import hashlib
import os
from dataclasses import dataclass, field
from typing import Any, Dict, Optional

import torch

from .backbone import Backbone, build_backbone
from .config import BackboneConfig
from .errors import UnknownConfigError
from .fairseq_source import read_fairseq_checkpoint
from .hf_source import read_hf_folder
from .named_configs import match_named_config, named_config
from .normalization import resolve_normalization
from .state_loading import MappedWeights, load_strict

# Time masking of a random initialisation: off until asked for (the span and minimum as Hugging Face's defaults).
RANDOM_TIME_MASKING = {
    "mask_time_prob": 0.0,
    "mask_time_length": 10,
    "mask_time_min_masks": 2,
    "source": "random initialisation: off unless set",
}

SOURCE_KINDS = ("random", "huggingface", "fairseq")


@dataclass
class LoadedBackbone:
    """An eager Backbone with its configuration and where its weights came from."""

    model: Backbone
    config: BackboneConfig
    source: str
    source_details: Dict[str, Any] = field(default_factory=dict)


def load_backbone(
    family: str,
    kind: str,
    config_name: Optional[str] = None,
    path: Optional[str] = None,
    seed: int = 0,
    overrides: Optional[Dict[str, Any]] = None,
    normalize: Optional[bool] = None,
) -> LoadedBackbone:
    """Builds the backbone of `family` from source `kind` ("random", "huggingface", "fairseq").

    `config_name` is required for "random"; for a checkpoint it is optional and,
    when given, the checkpoint's architecture must be that named config.
    `overrides` replaces dropout / layer-drop values (None entries are ignored).
    `normalize` is the user's choice of input normalisation (None: as the source
    says, see normalization.py; an error where nothing settles it).
    """
    overrides = overrides or {}
    if kind == "random":
        if config_name is None:
            raise UnknownConfigError("a random initialisation needs a named config (tiny, base or large)")
        config = named_config(family, config_name).with_overrides(**overrides)
        # A private generator state: the caller's global RNG is left as it was.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = build_backbone(config)
        value, origin = resolve_normalization(family, kind, None, None, normalize, None)
        details = {"seed": seed, "do_normalize": value, "do_normalize_from": origin, "time_masking": dict(RANDOM_TIME_MASKING)}
        return LoadedBackbone(model, config, f"random initialisation of {family} {config_name}, seed {seed}", details)
    if kind == "huggingface":
        reader = read_hf_folder
        label = "Hugging Face folder"
    elif kind == "fairseq":
        reader = read_fairseq_checkpoint
        label = "fairseq checkpoint"
    else:
        raise UnknownConfigError(f"unknown source kind {kind!r}; expected one of {', '.join(SOURCE_KINDS)}")
    if path is None:
        raise UnknownConfigError(f"a {label} source needs a path")
    source_config, weights, details = reader(path, family)
    value, origin = resolve_normalization(
        family, kind, details.get("do_normalize"), details.get("do_normalize_from"), normalize, path
    )
    if config_name is not None:
        _require_named(source_config, family, config_name)
        name = config_name
    else:
        name = match_named_config(source_config)
    config = source_config.with_overrides(name=name, **overrides)
    model = Backbone(config)
    embed_note = None
    if "masked_spec_embed" not in weights.tensors:
        # A checkpoint without the time-masking vector (e.g. mask_time_prob 0): a fresh one, as at
        # Hugging Face's initialisation, drawn from its own seeded generator.
        generator = torch.Generator().manual_seed(seed)
        weights.tensors["masked_spec_embed"] = torch.rand(config.hidden_size, generator=generator)
        weights.origin["masked_spec_embed"] = "(initialised)"
        embed_note = f"initialised U(0, 1), seed {seed} (the source has none)"
    load_strict(model, weights, f"{label} {os.path.basename(os.path.normpath(path))}")
    if embed_note is not None:
        del weights.tensors["masked_spec_embed"]
        del weights.origin["masked_spec_embed"]
    details = dict(details)
    details["do_normalize"] = value
    details["do_normalize_from"] = origin
    masking = dict(details.get("time_masking") or RANDOM_TIME_MASKING)
    if embed_note is not None:
        masking["masked_spec_embed"] = embed_note
    details["time_masking"] = masking
    details.update(_account(weights))
    details["sha256"] = {os.path.basename(f): file_sha256(_resolve(path, f)) for f in details.get("files", [])}
    description = f"{label} {os.path.basename(os.path.normpath(path))}"
    if details.get("architectures"):
        description += f" ({', '.join(details['architectures'])})"
    return LoadedBackbone(model, config, description, details)


def _require_named(config: BackboneConfig, family: str, config_name: str) -> None:
    expected = named_config(family, config_name).architecture()
    actual = config.architecture()
    differences = [f"{k}={actual[k]!r} (expected {expected[k]!r})" for k in expected if expected[k] != actual[k]]
    if differences:
        raise UnknownConfigError(
            f"the checkpoint is not the {family} {config_name!r} architecture: " + ", ".join(differences[:6])
        )


def _account(weights: MappedWeights) -> Dict[str, Any]:
    return {
        "loaded_tensors": len(weights.tensors),
        "loaded_source_keys": len(set(weights.origin.values())),
        "dropped_keys": sorted(weights.dropped),
        "source_dtypes": sorted(weights.source_dtypes),
    }


def _resolve(path: str, name: str) -> str:
    return os.path.join(path, name) if os.path.isdir(path) else path


def file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
