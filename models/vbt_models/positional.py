"""Convolutional positional embeddings, added to the projected features.

wav2vec2 and HuBERT: one grouped convolution (kernel 128, 16 groups) with
weight normalisation over the kernel axis, "same" padding, GELU.
data2vec-audio: a stack of grouped convolutions (kernel 19, 16 groups), each
followed by a non-affine layer norm and GELU.

With an even kernel, padding k//2 on both sides yields one frame too many;
the last one is dropped, as in every reference implementation.
"""

import math

import torch
from torch import Tensor, nn


class WeightNormPositionalConv(nn.Module):
    """Grouped conv whose weight is g * v / ||v|| (norm over all axes but the kernel one).

    The two factors stay separate parameters, `weight_g` [1, 1, K] and
    `weight_v` [H, H/groups, K], so fine-tuning updates them as the reference
    training did; the weight is recomputed on every forward. This is the
    TorchScript-friendly form of `torch.nn.utils.weight_norm(conv, dim=2)` and
    is the same on every torch version.
    """

    def __init__(self, hidden_size: int, kernel_size: int, groups: int) -> None:
        super().__init__()
        self.groups = groups
        self.padding = kernel_size // 2
        self.num_remove = 1 if kernel_size % 2 == 0 else 0
        self.weight_g = nn.Parameter(torch.empty(1, 1, kernel_size))
        self.weight_v = nn.Parameter(torch.empty(hidden_size, hidden_size // groups, kernel_size))
        self.bias = nn.Parameter(torch.empty(hidden_size))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Hugging Face's initialisation: weight ~ N(0, 2/sqrt(K * in)), zero bias, g = ||v||."""
        kernel = self.weight_v.shape[2]
        in_per_group = self.weight_v.shape[1]
        with torch.no_grad():
            self.weight_v.normal_(0.0, 2.0 * math.sqrt(1.0 / (kernel * in_per_group)))
            self.weight_g.copy_(self.weight_v.pow(2).sum(dim=[0, 1], keepdim=True).sqrt())
            self.bias.zero_()

    def weight(self) -> Tensor:
        norm = self.weight_v.pow(2).sum(dim=[0, 1], keepdim=True).sqrt()
        return self.weight_v * (self.weight_g / norm)

    def forward(self, x: Tensor) -> Tensor:
        """x: [B, F, H] -> [B, F, H]."""
        y = nn.functional.conv1d(x.transpose(1, 2), self.weight(), self.bias, padding=self.padding, groups=self.groups)
        if self.num_remove > 0:
            y = y[:, :, : -self.num_remove]
        return nn.functional.gelu(y).transpose(1, 2)


class PositionalConvLayer(nn.Module):
    """One data2vec-audio positional layer: grouped conv, trim, non-affine layer norm, GELU."""

    def __init__(self, hidden_size: int, kernel_size: int, groups: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(hidden_size, hidden_size, kernel_size, padding=kernel_size // 2, groups=groups)
        self.num_remove = 1 if kernel_size % 2 == 0 else 0
        # Hugging Face uses the default epsilon here, not config.layer_norm_eps.
        self.layer_norm = nn.LayerNorm(hidden_size, eps=1e-5, elementwise_affine=False)

    def forward(self, x: Tensor) -> Tensor:
        """x: [B, H, F] -> [B, H, F]."""
        x = self.conv(x)
        if self.num_remove > 0:
            x = x[:, :, : -self.num_remove]
        x = self.layer_norm(x.transpose(1, 2)).transpose(1, 2)
        return nn.functional.gelu(x)


class StackedPositionalConv(nn.Module):
    """data2vec-audio's stack of PositionalConvLayers. Parameter names start with `layers.`."""

    def __init__(self, hidden_size: int, kernel_size: int, groups: int, num_layers: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList([PositionalConvLayer(hidden_size, kernel_size, groups) for _ in range(num_layers)])

    def forward(self, x: Tensor) -> Tensor:
        """x: [B, F, H] -> [B, F, H]."""
        x = x.transpose(1, 2)
        for layer in self.layers:
            x = layer(x)
        return x.transpose(1, 2)
