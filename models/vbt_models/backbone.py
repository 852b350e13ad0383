"""The exported backbone: waveforms and lengths in, frames and frame lengths out."""

from typing import List, Tuple

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
        # SpecAugment-style time masking (wav2vec2 / HuBERT / data2vec fine-tuning): in train mode,
        # spans of `mask_time_length` frames of the projected features are replaced by this learned
        # vector. Off (probability 0) until set_time_masking() turns it on.
        self.masked_spec_embed = nn.Parameter(torch.zeros(config.hidden_size))
        self.mask_time_prob: float = 0.0
        self.mask_time_length: int = 10
        self.mask_time_min_masks: int = 2

    def forward(self, waveforms: Tensor, lengths: Tensor) -> Tuple[Tensor, Tensor]:
        hidden, frame_lengths, _ = self.masked_features(waveforms, lengths)
        frame_index = torch.arange(hidden.size(1), device=hidden.device).unsqueeze(0)
        padding_mask = frame_index >= frame_lengths.unsqueeze(1)
        return self.encoder(hidden, padding_mask), frame_lengths

    @torch.jit.export
    def masked_features(self, waveforms: Tensor, lengths: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        """The transformer's input: projected conv features [B, F, H] after time masking (train mode
        only), frame lengths [B], and the mask [B, F] (bool, all false when nothing was masked)."""
        if waveforms.dim() != 2:
            raise RuntimeError("waveforms must be a 2-D tensor [batch, samples]")
        if lengths.dim() != 1 or lengths.size(0) != waveforms.size(0):
            raise RuntimeError("lengths must be a 1-D tensor with one entry per waveform row")
        lengths = torch.clamp(lengths.to(device=waveforms.device, dtype=torch.long), min=0, max=waveforms.size(1))
        waveforms = waveforms.to(self.feature_projection.projection.weight.dtype)
        features, frame_lengths = self.feature_extractor(waveforms, lengths)
        hidden = self.feature_projection(features)
        if self.training and self.mask_time_prob > 0.0:
            mask = self.time_mask(frame_lengths, hidden.size(1)).to(hidden.device)
            embed = self.masked_spec_embed.to(hidden.dtype).view(1, 1, -1)
            hidden = torch.where(mask.unsqueeze(2), embed, hidden)
        else:
            mask = torch.zeros(hidden.size(0), hidden.size(1), dtype=torch.bool, device=hidden.device)
        return hidden, frame_lengths, mask

    @torch.jit.export
    def set_time_masking(self, prob: float, length: int, min_masks: int) -> None:
        """Time masking in train mode: the share of each clip's frames to mask (an upper bound:
        spans may overlap), the span length in frames, and the fewest spans per clip."""
        if prob < 0.0 or prob > 1.0:
            raise RuntimeError("time masking probability must be in [0, 1]")
        if length < 1 or min_masks < 0:
            raise RuntimeError("time masking span length must be >= 1 and min_masks >= 0")
        self.mask_time_prob = prob
        self.mask_time_length = length
        self.mask_time_min_masks = min_masks

    @torch.jit.export
    def time_masking(self) -> Tuple[float, int, int]:
        """(probability, span length, fewest spans) of the time masking."""
        return self.mask_time_prob, self.mask_time_length, self.mask_time_min_masks

    @torch.jit.export
    def time_mask(self, frame_lengths: Tensor, num_frames: int) -> Tensor:
        """A random time mask [B, num_frames] (bool, on the CPU), drawn with torch's default generator.

        Per clip of n valid frames: int(prob * n / length + u) spans (u ~ U(0, 1), one draw per
        batch: probabilistic rounding), at least min_masks, never more than fit; span starts drawn
        without replacement from the n - length + 1 positions that keep a span inside the clip.
        Spans may overlap, so prob is an upper bound of the masked share. The rule of Hugging
        Face's wav2vec2 SpecAugment, which the published checkpoints were fine-tuned with.
        """
        batch = frame_lengths.size(0)
        span = self.mask_time_length
        mask = torch.zeros(batch, num_frames, dtype=torch.bool)
        if span > num_frames or batch == 0:
            return mask
        rounding = float(torch.rand(1).item())
        valid: List[int] = frame_lengths.cpu().tolist()
        offsets = torch.arange(span)
        for row in range(batch):
            n = min(valid[row], num_frames)
            count = int(self.mask_time_prob * n / span + rounding)
            count = max(count, self.mask_time_min_masks)
            if count * span > num_frames:
                count = num_frames // span
            if n - (span - 1) < count:
                count = max(n - (span - 1), 0)
            if count == 0:
                continue
            starts = torch.randperm(n - span + 1)[:count]
            mask[row, (starts.unsqueeze(1) + offsets.unsqueeze(0)).reshape(-1)] = True
        return mask

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
