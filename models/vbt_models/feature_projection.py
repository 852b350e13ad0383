"""Feature projection: conv features (C channels) to the transformer width (H)."""

from typing import Optional

from torch import Tensor, nn


class FeatureProjection(nn.Module):
    """Layer norm (HuBERT may omit it), linear, dropout ("feat_proj_dropout")."""

    def __init__(self, in_features: int, hidden_size: int, eps: float, dropout: float, layer_norm: bool) -> None:
        super().__init__()
        self.layer_norm: Optional[nn.Module] = nn.LayerNorm(in_features, eps=eps) if layer_norm else None
        self.projection = nn.Linear(in_features, hidden_size)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        if self.layer_norm is not None:
            x = self.layer_norm(x)
        return self.dropout(self.projection(x))
