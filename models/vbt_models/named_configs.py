"""Named configurations: the published base and large models, and tiny test models.

Architectures follow the Hugging Face config.json of the published checkpoints:

  wav2vec2 base   facebook/wav2vec2-base, -base-960h     group-norm conv, no conv bias, post-LN
  wav2vec2 large  facebook/wav2vec2-large-960h           group-norm conv, no conv bias, post-LN
  hubert base     facebook/hubert-base-ls960             group-norm conv, no conv bias, post-LN
  hubert large    facebook/hubert-large-ls960-ft         layer-norm conv, conv bias, pre-LN ("stable")
  data2vec base   facebook/data2vec-audio-base(-960h)    layer-norm conv, no conv bias, post-LN,
                                                         5 stacked positional convs (kernel 19)
  data2vec large  facebook/data2vec-audio-large(-960h)   as base, 24 layers of width 1024

Dropout and layer-drop here are the Hugging Face defaults of each family; an
export from a checkpoint folder or file takes the checkpoint's own values, and
the CLI can override them.

The tiny configurations keep the 7-layer conv encoder with total stride 320
(50 frames/s, 400-sample receptive field) and every code path of their family,
at a size that exports in seconds and trains on a CPU: 2 layers, width 64, 4
heads, feed-forward 128, 32 conv channels. wav2vec2 and data2vec tiny mirror
their base models; HuBERT tiny mirrors HuBERT large (layer-norm conv with bias,
pre-LN transformer), so the three tiny models between them cover both conv
normalisations and both transformer variants.
"""

from typing import Dict, List

from .config import FAMILIES, BackboneConfig
from .errors import UnknownConfigError

CONFIG_NAMES = ("tiny", "base", "large")

_TINY_SIZES = dict(
    conv_dim=[32] * 7,
    hidden_size=64,
    num_layers=2,
    num_heads=4,
    intermediate_size=128,
)
_BASE_SIZES = dict(hidden_size=768, num_layers=12, num_heads=12, intermediate_size=3072)
_LARGE_SIZES = dict(hidden_size=1024, num_layers=24, num_heads=16, intermediate_size=4096)

_FAMILY_DROPOUTS = dict(
    hidden_dropout=0.1,
    attention_dropout=0.1,
    activation_dropout=0.1,
    feat_proj_dropout=0.0,
    layerdrop=0.1,
)

_GROUP_POST_LN = dict(feat_extract_norm="group", conv_bias=False, stable_layer_norm=False)
_LAYER_PRE_LN = dict(feat_extract_norm="layer", conv_bias=True, stable_layer_norm=True)
_DATA2VEC = dict(
    feat_extract_norm="layer",
    conv_bias=False,
    stable_layer_norm=False,
    pos_conv_kernel=19,
    pos_conv_groups=16,
    pos_conv_layers=5,
)

_TABLE: Dict[str, Dict[str, dict]] = {
    "wav2vec2": {
        "tiny": {**_GROUP_POST_LN, **_TINY_SIZES},
        "base": {**_GROUP_POST_LN, **_BASE_SIZES},
        "large": {**_GROUP_POST_LN, **_LARGE_SIZES},
    },
    "hubert": {
        "tiny": {**_LAYER_PRE_LN, **_TINY_SIZES},
        "base": {**_GROUP_POST_LN, **_BASE_SIZES},
        "large": {**_LAYER_PRE_LN, **_LARGE_SIZES},
    },
    "data2vec": {
        "tiny": {**_DATA2VEC, **_TINY_SIZES},
        "base": {**_DATA2VEC, **_BASE_SIZES},
        "large": {**_DATA2VEC, **_LARGE_SIZES},
    },
}


def named_config(family: str, name: str) -> BackboneConfig:
    """The named configuration `name` of `family`; UnknownConfigError if there is none."""
    if family not in FAMILIES:
        raise UnknownConfigError(f"unknown backbone family {family!r}; expected one of {', '.join(FAMILIES)}")
    if name not in _TABLE[family]:
        raise UnknownConfigError(
            f"unknown configuration {name!r} for {family}; expected one of {', '.join(CONFIG_NAMES)}"
        )
    fields = {**_FAMILY_DROPOUTS, **_TABLE[family][name]}
    fields["conv_dim"] = list(fields.get("conv_dim", [512] * 7))
    config = BackboneConfig(family=family, name=name, **fields)
    config.validate()
    return config


def match_named_config(config: BackboneConfig) -> str:
    """The name of the named config with the same architecture, else "custom"."""
    for name in CONFIG_NAMES:
        if named_config(config.family, name).architecture() == config.architecture():
            return name
    return "custom"


def all_named() -> List[BackboneConfig]:
    return [named_config(family, name) for family in FAMILIES for name in CONFIG_NAMES]
