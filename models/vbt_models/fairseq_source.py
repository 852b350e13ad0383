"""fairseq checkpoints of wav2vec2 and HuBERT (pre-trained or CTC fine-tuned).

A fairseq checkpoint is a torch pickle: {"model": state dict, "cfg": settings}
(newer, hydra) or {"model": ..., "args": argparse.Namespace} (older). fairseq
itself is not needed: the settings are read as plain data (see torch_files), and
parameter names are mapped explicitly:

  feature_extractor.conv_layers.i.0.{weight,bias}   conv
  feature_extractor.conv_layers.0.2.{weight,bias}   group norm (extractor_mode "default")
  feature_extractor.conv_layers.i.2.1.{weight,bias} layer norm (extractor_mode "layer_norm")
  layer_norm, post_extract_proj                     feature projection
  encoder.pos_conv.0.{weight_g,weight_v,bias}       positional conv (weight norm)
  encoder.layers.i.self_attn.{q,k,v,out}_proj, self_attn_layer_norm, fc1, fc2, final_layer_norm
  encoder.layer_norm

Fine-tuned checkpoints prefix all of it with `w2v_encoder.w2v_model.`, keep the
pre-training settings under cfg.model.w2v_args, and override the dropouts at the
top of cfg.model. Pre-training-only modules and the CTC projection are dropped.
"""

import os
import re
from typing import Any, Dict, List, Optional, Tuple

import torch

from .config import BackboneConfig
from .errors import SourceError, UnknownConfigError
from .layer_spec import parse_conv_layers
from .safe_unpickler import to_plain
from .state_loading import MappedWeights
from .torch_files import load_checkpoint

FINETUNED_PREFIX = "w2v_encoder.w2v_model."
# Pre-training heads and masking vectors (wav2vec2: quantizer, project_q, final_proj, target_glu;
# HuBERT: label_embs_concat, final_proj), and the CTC projection of fine-tuned models.
# mask_emb, the learned vector of time masking, becomes masked_spec_embed.
DROPPED_KEY = re.compile(
    r"^(label_embs_concat)$|^(quantizer|project_q|final_proj|target_glu|project_inp)\.|^w2v_encoder\.proj\."
)

_RENAMES: List[Tuple[re.Pattern, str]] = [
    (re.compile(r"^mask_emb$"), "masked_spec_embed"),
    (
        re.compile(r"^feature_extractor\.conv_layers\.(\d+)\.0\.(weight|bias)$"),
        r"feature_extractor.conv_layers.\1.conv.\2",
    ),
    (re.compile(r"^feature_extractor\.conv_layers\.0\.2\.(weight|bias)$"), r"feature_extractor.conv_layers.0.norm.\1"),
    (
        re.compile(r"^feature_extractor\.conv_layers\.(\d+)\.2\.1\.(weight|bias)$"),
        r"feature_extractor.conv_layers.\1.norm.\2",
    ),
    (re.compile(r"^layer_norm\.(weight|bias)$"), r"feature_projection.layer_norm.\1"),
    (re.compile(r"^post_extract_proj\.(weight|bias)$"), r"feature_projection.projection.\1"),
    (re.compile(r"^encoder\.pos_conv\.0\.(weight_g|weight_v|bias)$"), r"encoder.pos_conv_embed.\1"),
    (re.compile(r"^encoder\.pos_conv\.0\.parametrizations\.weight\.original0$"), r"encoder.pos_conv_embed.weight_g"),
    (re.compile(r"^encoder\.pos_conv\.0\.parametrizations\.weight\.original1$"), r"encoder.pos_conv_embed.weight_v"),
    (re.compile(r"^encoder\.layer_norm\.(weight|bias)$"), r"encoder.layer_norm.\1"),
    (
        re.compile(r"^encoder\.layers\.(\d+)\.self_attn\.(q_proj|k_proj|v_proj|out_proj)\.(weight|bias)$"),
        r"encoder.layers.\1.attention.\2.\3",
    ),
    (re.compile(r"^encoder\.layers\.(\d+)\.self_attn_layer_norm\.(weight|bias)$"), r"encoder.layers.\1.layer_norm.\2"),
    (
        re.compile(r"^encoder\.layers\.(\d+)\.fc1\.(weight|bias)$"),
        r"encoder.layers.\1.feed_forward.intermediate_dense.\2",
    ),
    (re.compile(r"^encoder\.layers\.(\d+)\.fc2\.(weight|bias)$"), r"encoder.layers.\1.feed_forward.output_dense.\2"),
    (
        re.compile(r"^encoder\.layers\.(\d+)\.final_layer_norm\.(weight|bias)$"),
        r"encoder.layers.\1.final_layer_norm.\2",
    ),
]

# fairseq's defaults (Wav2Vec2Config / HubertConfig) for settings a checkpoint omits.
_DEFAULTS: Dict[str, Any] = dict(
    extractor_mode="default",
    encoder_layers=12,
    encoder_embed_dim=768,
    encoder_ffn_embed_dim=3072,
    encoder_attention_heads=12,
    activation_fn="gelu",
    layer_type="transformer",
    dropout=0.1,
    attention_dropout=0.1,
    activation_dropout=0.0,
    encoder_layerdrop=0.0,
    dropout_input=0.0,
    layer_norm_first=False,
    conv_feature_layers="[(512, 10, 5)] + [(512, 3, 2)] * 4 + [(512,2,2)] + [(512,2,2)]",
    conv_bias=False,
    conv_pos=128,
    conv_pos_groups=16,
    pos_conv_depth=1,
)


def map_fairseq_state_dict(state: Dict[str, torch.Tensor]) -> MappedWeights:
    """Renames a fairseq wav2vec2/HuBERT state dict to our parameter names."""
    mapped = MappedWeights()
    for key, tensor in state.items():
        if DROPPED_KEY.search(key):
            mapped.dropped.append(key)
            continue
        inner = key[len(FINETUNED_PREFIX) :] if key.startswith(FINETUNED_PREFIX) else key
        if DROPPED_KEY.search(inner):
            mapped.dropped.append(key)
            continue
        target = None
        for pattern, replacement in _RENAMES:
            if pattern.match(inner):
                target = pattern.sub(replacement, inner)
                break
        if target is None:
            mapped.unknown.append(key)
        else:
            mapped.put(target, tensor, key)
    return mapped


def settings_of(checkpoint: Dict[str, Any]) -> Tuple[Dict[str, Any], Dict[str, Any], Dict[str, Any], bool]:
    """(architecture, dropouts, task settings, whether fine-tuning's w2v_args were found), as plain data."""
    raw = checkpoint.get("cfg")
    if raw is None:
        raw = checkpoint.get("args")
    settings = to_plain(raw)
    if not isinstance(settings, dict):
        raise SourceError("the checkpoint has neither a 'cfg' nor an 'args' settings record")
    model = settings.get("model") if isinstance(settings.get("model"), dict) else settings
    task = settings.get("task") if isinstance(settings.get("task"), dict) else settings
    w2v_args = to_plain(model.get("w2v_args"))
    if isinstance(w2v_args, dict):
        # Fine-tuned: architecture from the pre-training settings, dropouts from the fine-tuning ones.
        architecture = w2v_args.get("model") if isinstance(w2v_args.get("model"), dict) else w2v_args
        dropouts = {
            "dropout": model.get("dropout"),
            "attention_dropout": model.get("attention_dropout"),
            "activation_dropout": model.get("activation_dropout"),
            "dropout_input": model.get("dropout_input"),
            "encoder_layerdrop": model.get("layerdrop"),
        }
        if task is settings and isinstance(w2v_args.get("task"), dict):
            task = w2v_args["task"]
    else:
        architecture = model
        dropouts = {
            k: model.get(k)
            for k in ("dropout", "attention_dropout", "activation_dropout", "dropout_input", "encoder_layerdrop")
        }
    return architecture, dropouts, task, isinstance(w2v_args, dict)


def config_from_fairseq(architecture: Dict[str, Any], dropouts: Dict[str, Any], family: str) -> BackboneConfig:
    def get(key: str) -> Any:
        value = architecture.get(key)
        return _DEFAULTS[key] if value is None else value

    def dropout(key: str) -> float:
        value = dropouts.get(key)
        return float(get(key) if value is None else value)

    name = str(architecture.get("_name") or architecture.get("arch") or "")
    other = "hubert" if family == "wav2vec2" else "wav2vec"
    if other in name.lower():
        raise UnknownConfigError(f"the checkpoint is a {name!r} model, not {family}")
    if get("activation_fn") != "gelu":
        raise UnknownConfigError(f"activation_fn={get('activation_fn')!r} is not supported (only 'gelu')")
    if get("layer_type") != "transformer":
        raise UnknownConfigError(f"layer_type={get('layer_type')!r} is not supported (only 'transformer')")
    if int(get("pos_conv_depth")) != 1:
        raise UnknownConfigError(f"pos_conv_depth={get('pos_conv_depth')} is not supported (only 1)")
    mode = get("extractor_mode")
    if mode not in ("default", "layer_norm"):
        raise UnknownConfigError(f"extractor_mode={mode!r} is not supported")
    layers = parse_conv_layers(str(get("conv_feature_layers")))
    config = BackboneConfig(
        family=family,
        conv_dim=[c for c, _, _ in layers],
        conv_kernel=[k for _, k, _ in layers],
        conv_stride=[s for _, _, s in layers],
        conv_bias=bool(get("conv_bias")),
        feat_extract_norm="group" if mode == "default" else "layer",
        hidden_size=int(get("encoder_embed_dim")),
        num_layers=int(get("encoder_layers")),
        num_heads=int(get("encoder_attention_heads")),
        intermediate_size=int(get("encoder_ffn_embed_dim")),
        layer_norm_eps=1e-5,
        feat_proj_layer_norm=True,
        pos_conv_kernel=int(get("conv_pos")),
        pos_conv_groups=int(get("conv_pos_groups")),
        pos_conv_layers=1,
        stable_layer_norm=bool(get("layer_norm_first")),
        hidden_dropout=dropout("dropout"),
        attention_dropout=dropout("attention_dropout"),
        activation_dropout=dropout("activation_dropout"),
        feat_proj_dropout=dropout("dropout_input"),
        layerdrop=dropout("encoder_layerdrop"),
    )
    config.validate()
    return config


def read_fairseq_checkpoint(path: str, family: str) -> Tuple[BackboneConfig, MappedWeights, Dict[str, Any]]:
    """Config, renamed weights and provenance details of a fairseq checkpoint file."""
    if family not in ("wav2vec2", "hubert"):
        raise UnknownConfigError(f"fairseq checkpoints are supported for wav2vec2 and hubert, not {family!r}")
    if not os.path.isfile(path):
        raise SourceError(f"fairseq checkpoint not found: {path}")
    checkpoint = load_checkpoint(path)
    if not isinstance(checkpoint, dict) or not isinstance(checkpoint.get("model"), dict):
        raise SourceError(f"{path} is not a fairseq checkpoint (no 'model' state dict)")
    state = checkpoint["model"]
    if not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise SourceError(f"{path}: the 'model' entry holds values other than tensors")
    architecture, dropouts, task, has_w2v_args = settings_of(checkpoint)
    # Time masking as the checkpoint was last trained: the fine-tuning settings, else the model's own.
    raw = to_plain(checkpoint.get("cfg") if checkpoint.get("cfg") is not None else checkpoint.get("args"))
    top = raw.get("model") if isinstance(raw, dict) and isinstance(raw.get("model"), dict) else raw
    mask_settings = top if isinstance(top, dict) and top.get("mask_prob") is not None else architecture
    finetuned = any(k.startswith(FINETUNED_PREFIX) for k in state)
    if finetuned and not has_w2v_args:
        raise SourceError(
            f"{path} is a fine-tuned checkpoint without its pre-training settings (w2v_args); "
            "its architecture cannot be known safely. Export the Hugging Face conversion of this model instead."
        )
    config = config_from_fairseq(architecture, dropouts, family)
    weights = map_fairseq_state_dict(state)
    # fairseq's audio tasks default to normalize=False.
    normalize = False
    normalize_from = "fairseq task settings without normalize: fairseq's default (false)"
    if isinstance(task, dict) and task.get("normalize") is not None:
        normalize = bool(task["normalize"])
        normalize_from = f"fairseq task setting normalize={str(normalize).lower()}"
    details = {
        "settings_record": "cfg" if checkpoint.get("cfg") is not None else "args",
        "fine_tuned": finetuned,
        "model_name": architecture.get("_name") or architecture.get("arch"),
        "files": [os.path.basename(path)],
        "do_normalize": normalize,
        "do_normalize_from": normalize_from,
        "time_masking": {
            "mask_time_prob": float(_setting(mask_settings, "mask_prob", 0.0)),
            "mask_time_length": int(_setting(mask_settings, "mask_length", 10)),
            "mask_time_min_masks": 2,
            "source": "fairseq " + ("fine-tuning" if finetuned else "model") + " settings mask_prob, mask_length",
        },
    }
    return config, weights, details


def _setting(settings: Dict[str, Any], key: str, default: Any) -> Any:
    value = settings.get(key) if isinstance(settings, dict) else None
    return default if value is None else value
