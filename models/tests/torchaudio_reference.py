"""torchaudio's wav2vec2_model as an independent reference for wav2vec2 and HuBERT."""

import re
from typing import Dict

import torch

from support import MODELS_DIR  # noqa: F401  (puts models/ on sys.path)
from vbt_models.config import BackboneConfig

try:
    import torchaudio
except ImportError:  # the scripts report a skip; the project's setup installs python3-torchaudio
    torchaudio = None

SKIPPED = 3
SKIP_RESULT = {"ok": False, "skipped": True, "reason": "skipped: torchaudio not installed"}


def available() -> bool:
    return torchaudio is not None


class Data2VecPositionalStack(torch.nn.Module):
    """data2vec-audio's positional embedding, written from Hugging Face's module description.

    Each layer: grouped Conv1d (padding k//2), drop the last frame if k is even,
    non-affine LayerNorm over channels, GELU. Used to turn torchaudio's model
    into a data2vec-audio reference (torchaudio has no data2vec).
    """

    def __init__(self, hidden: int, kernel: int, groups: int, layers: int) -> None:
        super().__init__()
        self.embed_dim = hidden
        self.kernel = kernel
        self.layers = torch.nn.ModuleList(
            [
                torch.nn.ModuleDict(
                    {"conv": torch.nn.Conv1d(hidden, hidden, kernel, padding=kernel // 2, groups=groups)}
                )
                for _ in range(layers)
            ]
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x.transpose(1, 2)
        for layer in self.layers:
            h = layer["conv"](h)
            if self.kernel % 2 == 0:
                h = h[:, :, :-1]
            h = torch.nn.functional.layer_norm(h.transpose(1, 2), (self.embed_dim,)).transpose(1, 2)
            h = torch.nn.functional.gelu(h)
        return h.transpose(1, 2)


def torchaudio_model(config: BackboneConfig) -> torch.nn.Module:
    """torchaudio's Wav2Vec2Model with the architecture and dropouts of `config`.

    For data2vec-audio, torchaudio's layer-norm conv encoder and post-LN
    transformer are kept and the positional convolution is swapped for
    Data2VecPositionalStack.
    """
    if not config.feat_proj_layer_norm or config.layer_norm_eps != 1e-5:
        raise ValueError("torchaudio's model always has a 1e-5 feature-projection layer norm")
    model = _torchaudio_wav2vec2(config)
    if config.family == "data2vec":
        model.encoder.transformer.pos_conv_embed = Data2VecPositionalStack(
            config.hidden_size, config.pos_conv_kernel, config.pos_conv_groups, config.pos_conv_layers
        )
    return model


def _torchaudio_wav2vec2(config: BackboneConfig) -> torch.nn.Module:
    return torchaudio.models.wav2vec2_model(
        extractor_mode=f"{config.feat_extract_norm}_norm",
        extractor_conv_layer_config=list(zip(config.conv_dim, config.conv_kernel, config.conv_stride)),
        extractor_conv_bias=config.conv_bias,
        encoder_embed_dim=config.hidden_size,
        encoder_projection_dropout=config.feat_proj_dropout,
        encoder_pos_conv_kernel=config.pos_conv_kernel,
        encoder_pos_conv_groups=config.pos_conv_groups,
        encoder_num_layers=config.num_layers,
        encoder_num_heads=config.num_heads,
        encoder_attention_dropout=config.attention_dropout,
        encoder_ff_interm_features=config.intermediate_size,
        encoder_ff_interm_dropout=config.activation_dropout,
        encoder_dropout=config.hidden_dropout,
        encoder_layer_norm_first=config.stable_layer_norm,
        encoder_layer_drop=config.layerdrop,
        aux_num_out=None,
    )


_OURS_TO_TORCHAUDIO = [
    (r"^feature_extractor\.conv_layers\.(\d+)\.conv\.", r"feature_extractor.conv_layers.\1.conv."),
    (r"^feature_extractor\.conv_layers\.(\d+)\.norm\.", r"feature_extractor.conv_layers.\1.layer_norm."),
    (r"^feature_projection\.", r"encoder.feature_projection."),
    (r"^encoder\.pos_conv_embed\.(weight_g|weight_v|bias)$", r"encoder.transformer.pos_conv_embed.conv.\1"),
    (r"^encoder\.pos_conv_embed\.layers\.", r"encoder.transformer.pos_conv_embed.layers."),
    (r"^encoder\.layer_norm\.", r"encoder.transformer.layer_norm."),
    (r"^encoder\.layers\.", r"encoder.transformer.layers."),
]


def ours_to_torchaudio(state: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """Our parameter names to torchaudio's (the encoder layers share sub-names)."""
    renamed = {}
    for name, tensor in state.items():
        if name == "masked_spec_embed":
            continue  # time masking's vector: training only, no part of torchaudio's inference model
        for pattern, replacement in _OURS_TO_TORCHAUDIO:
            if re.match(pattern, name):
                renamed[re.sub(pattern, replacement, name)] = tensor
                break
        else:
            raise KeyError(f"no torchaudio name for {name}")
    return renamed


def hf_to_torchaudio(state: Dict[str, torch.Tensor], prefix: str) -> Dict[str, torch.Tensor]:
    """Hugging Face names to torchaudio's, by the prefix rule torchaudio's own importer applies.

    HF feature_extractor.* -> feature_extractor.*, feature_projection.* ->
    encoder.feature_projection.*, encoder.* -> encoder.transformer.*; the weight
    norm may be stored as parametrizations (original0 = g, original1 = v).
    Written independently of vbt's importer, to check it.
    """
    renamed = {}
    for key, tensor in state.items():
        if key.startswith(prefix):
            key = key[len(prefix) :]
        if key.startswith(("lm_head.", "quantizer.", "project_", "projector.", "classifier.")) or key in (
            "masked_spec_embed",
            "layer_weights",
        ):
            continue
        key = key.replace("pos_conv_embed.conv.parametrizations.weight.original0", "pos_conv_embed.conv.weight_g")
        key = key.replace("pos_conv_embed.conv.parametrizations.weight.original1", "pos_conv_embed.conv.weight_v")
        if key.startswith("feature_projection."):
            key = "encoder." + key
        elif key.startswith("encoder."):
            key = "encoder.transformer." + key[len("encoder.") :]
        renamed[key] = tensor.to(torch.float32)
    return renamed


def torchaudio_version():
    return torchaudio.__version__ if torchaudio is not None else None
