"""The transformer encoder: positional convolution, layers with layer-drop, final norm."""

import torch
from torch import Tensor, nn

from .config import BackboneConfig
from .encoder_layer import EncoderLayer
from .positional import StackedPositionalConv, WeightNormPositionalConv

# Added to attention scores of padded keys. exp(-1e4) is 0 in float32 and
# bfloat16, and the value fits float16 too (unlike dtype-min tricks).
MASKED_SCORE = -10000.0


class TransformerEncoder(nn.Module):
    """Zeroes padded frames, adds the positional convolution, runs the layers.

    post-LN: LN after the positional embedding, before the layers.
    pre-LN ("stable layer norm"): LN after the last layer.
    Layer-drop skips each layer with probability `layerdrop`, in train mode only.
    """

    def __init__(self, config: BackboneConfig) -> None:
        super().__init__()
        hidden = config.hidden_size
        if config.positional_kind == "weight_norm":
            self.pos_conv_embed: nn.Module = WeightNormPositionalConv(
                hidden, config.pos_conv_kernel, config.pos_conv_groups
            )
        else:
            self.pos_conv_embed = StackedPositionalConv(
                hidden, config.pos_conv_kernel, config.pos_conv_groups, config.pos_conv_layers
            )
        self.layer_norm = nn.LayerNorm(hidden, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout)
        self.stable_layer_norm = config.stable_layer_norm
        self.layerdrop = float(config.layerdrop)
        self.masked_score = MASKED_SCORE
        self.layers = nn.ModuleList(
            [
                EncoderLayer(
                    hidden,
                    config.num_heads,
                    config.intermediate_size,
                    config.layer_norm_eps,
                    config.hidden_dropout,
                    config.attention_dropout,
                    config.activation_dropout,
                    config.stable_layer_norm,
                )
                for _ in range(config.num_layers)
            ]
        )

    def forward(self, x: Tensor, padding_mask: Tensor) -> Tensor:
        """x: [B, F, H]; padding_mask: [B, F] bool, True on padded frames."""
        x = x.masked_fill(padding_mask.unsqueeze(-1), 0.0)
        key_bias = torch.zeros(padding_mask.shape, dtype=x.dtype, device=x.device)
        key_bias = key_bias.masked_fill(padding_mask, self.masked_score).unsqueeze(1).unsqueeze(1)
        x = x + self.pos_conv_embed(x)
        if not self.stable_layer_norm:
            x = self.layer_norm(x)
        x = self.dropout(x)
        for layer in self.layers:
            # The draw uses the CPU generator: no device synchronisation.
            skip = self.training and self.layerdrop > 0.0 and float(torch.rand(1).item()) < self.layerdrop
            if not skip:
                x = layer(x, key_bias)
        if self.stable_layer_norm:
            x = self.layer_norm(x)
        return x
