"""Hugging Face model folders: config.json plus model.safetensors or pytorch_model.bin.

Reads the architecture from config.json with the defaults of the family's
Hugging Face config class, and renames parameters explicitly. Handles the bare
models (Wav2Vec2Model, HubertModel, Data2VecAudioModel), their CTC, pre-training
and classification wrappers (backbone under `wav2vec2.` / `hubert.` /
`data2vec_audio.`, heads dropped), and both storages of the positional conv's
weight norm (`weight_g`/`weight_v`, and torch 2.x's
`parametrizations.weight.original0/original1`).
"""

import json
import os
import re
from typing import Any, Dict, List, Optional, Tuple

import torch

from .config import BackboneConfig
from .errors import SourceError, UnknownConfigError
from .state_loading import MappedWeights
from .torch_files import load_weights_only
from .safetensors_reader import read_safetensors

MODEL_TYPES = {"wav2vec2": "wav2vec2", "hubert": "hubert", "data2vec": "data2vec-audio"}
BACKBONE_PREFIXES = {"wav2vec2": "wav2vec2.", "hubert": "hubert.", "data2vec": "data2vec_audio."}

# Keys of task heads and pre-training modules around the backbone (ForCTC, ForPreTraining,
# ForSequenceClassification): not part of the exported encoder.
HEAD_KEY = re.compile(r"^(lm_head|quantizer|project_hid|project_q|projector|classifier)\.|^layer_weights$")
# Inside the backbone: nothing is dropped (SpecAugment's learned mask vector, masked_spec_embed,
# is kept for time masking in training).
DROPPED_BACKBONE_KEY = re.compile(r"^$")

_RENAMES: List[Tuple[re.Pattern, str]] = [
    (re.compile(r"^masked_spec_embed$"), "masked_spec_embed"),
    (
        re.compile(r"^feature_extractor\.conv_layers\.(\d+)\.conv\.(weight|bias)$"),
        r"feature_extractor.conv_layers.\1.conv.\2",
    ),
    (
        re.compile(r"^feature_extractor\.conv_layers\.(\d+)\.layer_norm\.(weight|bias)$"),
        r"feature_extractor.conv_layers.\1.norm.\2",
    ),
    (re.compile(r"^feature_projection\.(layer_norm|projection)\.(weight|bias)$"), r"feature_projection.\1.\2"),
    (re.compile(r"^encoder\.pos_conv_embed\.conv\.(weight_g|weight_v|bias)$"), r"encoder.pos_conv_embed.\1"),
    (
        re.compile(r"^encoder\.pos_conv_embed\.conv\.parametrizations\.weight\.original0$"),
        r"encoder.pos_conv_embed.weight_g",
    ),
    (
        re.compile(r"^encoder\.pos_conv_embed\.conv\.parametrizations\.weight\.original1$"),
        r"encoder.pos_conv_embed.weight_v",
    ),
    (
        re.compile(r"^encoder\.pos_conv_embed\.layers\.(\d+)\.conv\.(weight|bias)$"),
        r"encoder.pos_conv_embed.layers.\1.conv.\2",
    ),
    (re.compile(r"^encoder\.layer_norm\.(weight|bias)$"), r"encoder.layer_norm.\1"),
    (
        re.compile(r"^encoder\.layers\.(\d+)\.attention\.(q_proj|k_proj|v_proj|out_proj)\.(weight|bias)$"),
        r"encoder.layers.\1.attention.\2.\3",
    ),
    (re.compile(r"^encoder\.layers\.(\d+)\.(layer_norm|final_layer_norm)\.(weight|bias)$"), r"encoder.layers.\1.\2.\3"),
    (
        re.compile(r"^encoder\.layers\.(\d+)\.feed_forward\.(intermediate_dense|output_dense)\.(weight|bias)$"),
        r"encoder.layers.\1.feed_forward.\2.\3",
    ),
]
# A plain (weight-norm removed) positional conv weight: folded back into g and v.
_PLAIN_POS_WEIGHT = re.compile(r"^encoder\.pos_conv_embed\.conv\.weight$")

# Defaults of the Hugging Face config classes, used for keys a config.json omits.
_DEFAULTS: Dict[str, Any] = dict(
    conv_dim=[512] * 7,
    conv_stride=[5, 2, 2, 2, 2, 2, 2],
    conv_kernel=[10, 3, 3, 3, 3, 2, 2],
    conv_bias=False,
    hidden_size=768,
    num_hidden_layers=12,
    num_attention_heads=12,
    intermediate_size=3072,
    layer_norm_eps=1e-5,
    hidden_act="gelu",
    feat_extract_activation="gelu",
    hidden_dropout=0.1,
    attention_dropout=0.1,
    activation_dropout=0.1,
    feat_proj_dropout=0.0,
    layerdrop=0.1,
    num_conv_pos_embedding_groups=16,
)


def config_from_hf(hf: Dict[str, Any], family: str, name: str = "custom") -> BackboneConfig:
    """A BackboneConfig from the dict of a Hugging Face config.json."""
    if family not in MODEL_TYPES:
        raise UnknownConfigError(f"unknown backbone family {family!r}; expected one of {', '.join(MODEL_TYPES)}")
    model_type = hf.get("model_type")
    if model_type is not None and model_type != MODEL_TYPES[family]:
        raise UnknownConfigError(
            f"config.json has model_type {model_type!r}, but family {family!r} expects {MODEL_TYPES[family]!r}"
        )

    def get(key: str, *aliases: str) -> Any:
        for candidate in (key,) + aliases:
            if candidate in hf and hf[candidate] is not None:
                return hf[candidate]
        return _DEFAULTS[key]

    for key in ("hidden_act", "feat_extract_activation"):
        if get(key) != "gelu":
            raise UnknownConfigError(f"config.json {key}={get(key)!r} is not supported (only 'gelu')")
    if hf.get("add_adapter"):
        raise UnknownConfigError(
            "config.json add_adapter=true is not supported (an adapter is not part of the encoder)"
        )
    if family == "hubert" and hf.get("conv_pos_batch_norm"):
        raise UnknownConfigError("config.json conv_pos_batch_norm=true is not supported")

    if family == "data2vec":
        feat_extract_norm = "layer"
        stable = False
        pos_kernel = hf.get("conv_pos_kernel_size", 19)
        pos_layers = hf.get("num_conv_pos_embeddings", 5)
    else:
        feat_extract_norm = hf.get("feat_extract_norm", "group")
        stable = bool(hf.get("do_stable_layer_norm", False))
        pos_kernel = hf.get("num_conv_pos_embeddings", 128)
        pos_layers = 1
    conv_dim = list(get("conv_dim"))
    if "num_feat_extract_layers" in hf and hf["num_feat_extract_layers"] != len(conv_dim):
        layers = hf["num_feat_extract_layers"]
        raise UnknownConfigError(f"config.json num_feat_extract_layers={layers} but conv_dim has {len(conv_dim)} items")
    config = BackboneConfig(
        family=family,
        name=name,
        conv_dim=conv_dim,
        conv_kernel=list(get("conv_kernel")),
        conv_stride=list(get("conv_stride")),
        conv_bias=bool(get("conv_bias")),
        feat_extract_norm=feat_extract_norm,
        hidden_size=get("hidden_size"),
        num_layers=get("num_hidden_layers"),
        num_heads=get("num_attention_heads"),
        intermediate_size=get("intermediate_size"),
        layer_norm_eps=float(get("layer_norm_eps")),
        feat_proj_layer_norm=bool(hf.get("feat_proj_layer_norm", True)) if family == "hubert" else True,
        pos_conv_kernel=pos_kernel,
        pos_conv_groups=get("num_conv_pos_embedding_groups"),
        pos_conv_layers=pos_layers,
        stable_layer_norm=stable,
        # Early config.json files used the BERT-style names for two of the dropouts.
        hidden_dropout=float(get("hidden_dropout", "hidden_dropout_prob")),
        attention_dropout=float(get("attention_dropout", "attention_probs_dropout_prob")),
        activation_dropout=float(get("activation_dropout")),
        feat_proj_dropout=float(get("feat_proj_dropout")),
        layerdrop=float(get("layerdrop")),
    )
    config.validate()
    return config


def map_hf_state_dict(state: Dict[str, torch.Tensor], family: str) -> MappedWeights:
    """Renames a Hugging Face state dict (bare or wrapped model) to our parameter names."""
    prefix = BACKBONE_PREFIXES[family]
    mapped = MappedWeights()
    for key, tensor in state.items():
        if key.startswith(prefix):
            inner = key[len(prefix) :]
        elif HEAD_KEY.search(key):
            mapped.dropped.append(key)
            continue
        else:
            inner = key
        if DROPPED_BACKBONE_KEY.match(inner):
            mapped.dropped.append(key)
            continue
        if _PLAIN_POS_WEIGHT.match(inner):
            # g = ||w|| over all axes but the kernel axis, v = w: the same weight, re-split.
            weight = tensor.detach().to(torch.float32)
            mapped.put("encoder.pos_conv_embed.weight_v", weight, key)
            mapped.put("encoder.pos_conv_embed.weight_g", weight.pow(2).sum(dim=[0, 1], keepdim=True).sqrt(), key)
            continue
        target = _rename(inner)
        if target is None:
            mapped.unknown.append(key)
        else:
            mapped.put(target, tensor, key)
    return mapped


def _rename(inner: str) -> Optional[str]:
    for pattern, replacement in _RENAMES:
        if pattern.match(inner):
            return pattern.sub(replacement, inner)
    return None


def time_masking_from_hf(hf: Dict[str, Any]) -> Dict[str, Any]:
    """The SpecAugment time-masking settings of a config.json (Hugging Face's defaults where absent)."""
    apply = hf.get("apply_spec_augment", True) is not False
    prob = float(hf.get("mask_time_prob", 0.05) or 0.0) if apply else 0.0
    return {
        "time_masking": {
            "mask_time_prob": prob,
            "mask_time_length": int(hf.get("mask_time_length", 10) or 10),
            "mask_time_min_masks": int(hf.get("mask_time_min_masks", 2) if hf.get("mask_time_min_masks") is not None else 2),
            "source": "config.json" + ("" if apply else " (apply_spec_augment false)"),
        }
    }


def read_json(path: str) -> Any:
    try:
        with open(path, "r", encoding="utf-8") as handle:
            return json.load(handle)
    except OSError as error:
        raise SourceError(f"cannot read {path}: {error.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise SourceError(f"{path} is not valid JSON: {error}") from None


def weight_files(folder: str) -> List[str]:
    """The weight files of a folder: safetensors preferred, sharded indexes followed."""
    for single, index in (
        ("model.safetensors", "model.safetensors.index.json"),
        ("pytorch_model.bin", "pytorch_model.bin.index.json"),
    ):
        if os.path.isfile(os.path.join(folder, single)):
            return [os.path.join(folder, single)]
        index_path = os.path.join(folder, index)
        if os.path.isfile(index_path):
            weight_map = read_json(index_path).get("weight_map")
            if not isinstance(weight_map, dict) or not weight_map:
                raise SourceError(f"{index_path} has no weight_map")
            shards = sorted(set(weight_map.values()))
            for shard in shards:
                if not isinstance(shard, str) or os.path.basename(shard) != shard:
                    raise SourceError(f"{index_path} names a shard outside the folder: {shard!r}")
                if not os.path.isfile(os.path.join(folder, shard)):
                    raise SourceError(f"{index_path} names a missing shard: {shard}")
            return [os.path.join(folder, shard) for shard in shards]
    raise SourceError(f"{folder} has no model.safetensors or pytorch_model.bin (nor a sharded index of either)")


def read_state(files: List[str]) -> Dict[str, torch.Tensor]:
    state: Dict[str, torch.Tensor] = {}
    for path in files:
        if path.endswith(".safetensors"):
            part = read_safetensors(path)
        else:
            part = load_weights_only(path)
            if not isinstance(part, dict) or not all(isinstance(v, torch.Tensor) for v in part.values()):
                raise SourceError(f"{path} is not a state dict of tensors")
        overlap = set(state) & set(part)
        if overlap:
            raise SourceError(f"{path} repeats keys of another shard: {sorted(overlap)[:5]}")
        state.update(part)
    return state


def read_hf_folder(folder: str, family: str) -> Tuple[BackboneConfig, MappedWeights, Dict[str, Any]]:
    """Config, renamed weights and provenance details of a Hugging Face folder."""
    if not os.path.isdir(folder):
        raise SourceError(f"Hugging Face model folder not found: {folder}")
    config_path = os.path.join(folder, "config.json")
    if not os.path.isfile(config_path):
        raise SourceError(f"{folder} has no config.json")
    hf_config = read_json(config_path)
    if not isinstance(hf_config, dict):
        raise SourceError(f"{config_path} is not a JSON object")
    config = config_from_hf(hf_config, family)
    files = weight_files(folder)
    weights = map_hf_state_dict(read_state(files), family)
    details: Dict[str, Any] = {
        "architectures": hf_config.get("architectures"),
        "model_type": hf_config.get("model_type"),
        "files": [os.path.basename(f) for f in files],
        "do_normalize": None,
        "do_normalize_from": None,
    }
    preprocessor = os.path.join(folder, "preprocessor_config.json")
    if os.path.isfile(preprocessor):
        pre = read_json(preprocessor)
        if isinstance(pre, dict) and "do_normalize" in pre:
            details["do_normalize"] = bool(pre["do_normalize"])
            details["do_normalize_from"] = f"preprocessor_config.json do_normalize={str(bool(pre['do_normalize'])).lower()}"
        elif isinstance(pre, dict):
            # Hugging Face's Wav2Vec2FeatureExtractor normalises unless told not to.
            details["do_normalize"] = True
            details["do_normalize_from"] = "preprocessor_config.json without do_normalize: the feature extractor's default (true)"
    details.update(time_masking_from_hf(hf_config))
    return config, weights, details
