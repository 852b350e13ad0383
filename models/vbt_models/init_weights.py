"""Random initialisation of a Backbone, following Hugging Face's `_init_weights`.

Linear: N(0, 0.02), zero bias. Layer/group norm: ones and zeros. Conv encoder:
Kaiming normal, zero bias. Feature projection: U(-k, k), k = 1/sqrt(in).
Positional convolutions: see WeightNormPositionalConv.reset_parameters; data2vec's
plain positional convs keep PyTorch's default weight init with a zero bias.
"""

import math

import torch
from torch import nn

from .config import BackboneConfig
from .feature_projection import FeatureProjection
from .positional import PositionalConvLayer, WeightNormPositionalConv

INITIALIZER_RANGE = 0.02


def initialise(model: nn.Module, config: BackboneConfig) -> None:
    """Initialises every parameter of `model` in place (uses the global torch RNG)."""
    # Submodules that a parent rule initialises; the generic rules leave them alone.
    handled = set()
    for module in model.modules():
        if isinstance(module, FeatureProjection):
            handled.add(id(module.projection))
        elif isinstance(module, PositionalConvLayer):
            handled.add(id(module.conv))
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, FeatureProjection):
                bound = math.sqrt(1.0 / module.projection.in_features)
                module.projection.weight.uniform_(-bound, bound)
                module.projection.bias.uniform_(-bound, bound)
            elif isinstance(module, WeightNormPositionalConv):
                module.reset_parameters()
            elif isinstance(module, PositionalConvLayer):
                module.conv.reset_parameters()
                module.conv.bias.zero_()
            elif id(module) in handled:
                continue
            elif isinstance(module, nn.Linear):
                module.weight.normal_(0.0, INITIALIZER_RANGE)
                if module.bias is not None:
                    module.bias.zero_()
            elif isinstance(module, (nn.LayerNorm, nn.GroupNorm)):
                if module.weight is not None:
                    module.weight.fill_(1.0)
                if module.bias is not None:
                    module.bias.zero_()
            elif isinstance(module, nn.Conv1d):
                nn.init.kaiming_normal_(module.weight)
                if module.bias is not None:
                    module.bias.zero_()
        # Last, so that adding it changed no other parameter of a seeded initialisation.
        embed = getattr(model, "masked_spec_embed", None)
        if isinstance(embed, torch.Tensor):
            embed.uniform_()
