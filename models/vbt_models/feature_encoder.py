"""The convolutional feature encoder: raw 16 kHz samples to 50 frames per second.

Seven 1-D convolutions with GELU. "group" mode (wav2vec2/HuBERT base) puts a
per-channel group norm after the first convolution only; "layer" mode (large
models, data2vec-audio) puts a channel layer norm after every convolution.

The group norm normalises each channel over the whole padded time axis, so in
"group" mode padding changes valid frames; torchaudio and Hugging Face do the
same, and so do we (their models were trained that way).
"""

from typing import Optional, Tuple

import torch
from torch import Tensor, nn

# Conv-encoder norms use PyTorch's default epsilon in every reference implementation.
CONV_NORM_EPS = 1e-5


class ConvBlock(nn.Module):
    """Conv1d, optional normalisation, GELU; also maps input lengths to output lengths."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int,
        bias: bool,
        norm: str,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride
        self.conv = nn.Conv1d(in_channels, out_channels, kernel_size, stride=stride, bias=bias)
        self.norm: Optional[nn.Module] = None
        # Layer norm normalises the channel axis, which is not last: transpose around it.
        self.norm_over_channels = norm == "layer"
        if norm == "group":
            self.norm = nn.GroupNorm(out_channels, out_channels, eps=CONV_NORM_EPS, affine=True)
        elif norm == "layer":
            self.norm = nn.LayerNorm(out_channels, eps=CONV_NORM_EPS, elementwise_affine=True)
        elif norm != "none":
            raise ValueError(f"unknown conv norm {norm!r}")

    def forward(self, x: Tensor) -> Tensor:
        """x: [B, C_in, T] -> [B, C_out, T']."""
        x = self.conv(x)
        if self.norm is not None:
            if self.norm_over_channels:
                x = self.norm(x.transpose(1, 2)).transpose(1, 2)
            else:
                x = self.norm(x)
        return nn.functional.gelu(x)

    def output_lengths(self, lengths: Tensor) -> Tensor:
        """Valid output frames for `lengths` valid input frames (never negative)."""
        out = torch.div(lengths - self.kernel_size, self.stride, rounding_mode="floor") + 1
        return torch.clamp(out, min=0)


class FeatureEncoder(nn.Module):
    """The stack of ConvBlocks. Parameter names start with `conv_layers.`."""

    def __init__(self, conv_dim, conv_kernel, conv_stride, conv_bias: bool, norm_mode: str) -> None:
        super().__init__()
        blocks = []
        in_channels = 1
        for index, (channels, kernel, stride) in enumerate(zip(conv_dim, conv_kernel, conv_stride)):
            if norm_mode == "group":
                norm = "group" if index == 0 else "none"
            elif norm_mode == "layer":
                norm = "layer"
            else:
                raise ValueError(f"unknown feat_extract_norm {norm_mode!r}")
            blocks.append(ConvBlock(in_channels, channels, kernel, stride, conv_bias, norm))
            in_channels = channels
        self.conv_layers = nn.ModuleList(blocks)

    def forward(self, waveforms: Tensor, lengths: Tensor) -> Tuple[Tensor, Tensor]:
        """waveforms: [B, T], lengths: [B] -> (features [B, F, C], frame lengths [B])."""
        x = waveforms.unsqueeze(1)
        for block in self.conv_layers:
            x = block(x)
            lengths = block.output_lengths(lengths)
        return x.transpose(1, 2), lengths

    @torch.jit.export
    def output_lengths(self, lengths: Tensor) -> Tensor:
        for block in self.conv_layers:
            lengths = block.output_lengths(lengths)
        return lengths
