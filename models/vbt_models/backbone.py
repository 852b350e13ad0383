"""The exported backbone: waveforms and lengths in, frames and frame lengths out."""

from typing import Tuple

import torch
from torch import Tensor, nn

from .config import BackboneConfig
from .feature_encoder import FeatureEncoder
from .feature_projection import FeatureProjection
from .transformer import TransformerEncoder

# Parameter-name prefix of the conv feature encoder, so callers can freeze it by name.
FEATURE_ENCODER_PREFIX = "feature_extractor."


class Backbone(nn.Module):
    """wav2vec2 / HuBERT / data2vec-audio encoder.

    forward(waveforms [B, T] float32, lengths [B] int64)
      -> (frames [B, F, H], frame_lengths [B] int64)

    `lengths` are valid samples per row (rows are right-padded); they are moved
    to the waveforms' device and clamped to [0, T]. Frames at or beyond a row's
    frame length are padding: they are masked out of attention, and their
    values are not meaningful. Padding influences valid frames only where the
    reference implementations let it (the group norm of "group" conv encoders,
    and data2vec-audio's stacked positional convolutions).
    """

    def __init__(self, config: BackboneConfig) -> None:
        super().__init__()
        config.validate()
        self.feature_extractor = FeatureEncoder(
            config.conv_dim, config.conv_kernel, config.conv_stride, config.conv_bias, config.feat_extract_norm
        )
        self.feature_projection = FeatureProjection(
            config.conv_dim[-1],
            config.hidden_size,
            config.layer_norm_eps,
            config.feat_proj_dropout,
            config.feat_proj_layer_norm,
        )
        self.encoder = TransformerEncoder(config)

    def forward(self, waveforms: Tensor, lengths: Tensor) -> Tuple[Tensor, Tensor]:
        if waveforms.dim() != 2:
            raise RuntimeError("waveforms must be a 2-D tensor [batch, samples]")
        if lengths.dim() != 1 or lengths.size(0) != waveforms.size(0):
            raise RuntimeError("lengths must be a 1-D tensor with one entry per waveform row")
        lengths = torch.clamp(lengths.to(device=waveforms.device, dtype=torch.long), min=0, max=waveforms.size(1))
        waveforms = waveforms.to(self.feature_projection.projection.weight.dtype)
        features, frame_lengths = self.feature_extractor(waveforms, lengths)
        hidden = self.feature_projection(features)
        frame_index = torch.arange(hidden.size(1), device=hidden.device).unsqueeze(0)
        padding_mask = frame_index >= frame_lengths.unsqueeze(1)
        return self.encoder(hidden, padding_mask), frame_lengths

    @torch.jit.export
    def output_lengths(self, lengths: Tensor) -> Tensor:
        """Frame lengths for sample lengths, without running the network."""
        return self.feature_extractor.output_lengths(torch.clamp(lengths.to(torch.long), min=0))


def build_backbone(config: BackboneConfig) -> Backbone:
    """An eager Backbone for `config`, initialised as in `init_weights.initialise`."""
    from .init_weights import initialise

    model = Backbone(config)
    initialise(model, config)
    return model
