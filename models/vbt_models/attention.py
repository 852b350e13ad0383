"""Multi-head self-attention with an additive key-padding bias."""

from torch import Tensor, nn


class SelfAttention(nn.Module):
    """Scaled dot-product self-attention; dropout on the attention probabilities."""

    def __init__(self, hidden_size: int, num_heads: int, dropout: float) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = hidden_size // num_heads
        self.scaling = self.head_dim**-0.5
        self.q_proj = nn.Linear(hidden_size, hidden_size)
        self.k_proj = nn.Linear(hidden_size, hidden_size)
        self.v_proj = nn.Linear(hidden_size, hidden_size)
        self.out_proj = nn.Linear(hidden_size, hidden_size)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor, key_bias: Tensor) -> Tensor:
        """x: [B, F, H]; key_bias: [B, 1, 1, F], 0 on valid frames and a large negative on padding."""
        batch, frames, hidden = x.shape
        shape = [batch, frames, self.num_heads, self.head_dim]
        # Scaling q before the product (as the references do) keeps the scores small.
        q = (self.q_proj(x) * self.scaling).view(shape).transpose(1, 2)
        k = self.k_proj(x).view(shape).transpose(1, 2)
        v = self.v_proj(x).view(shape).transpose(1, 2)
        scores = q @ k.transpose(2, 3) + key_bias
        probs = self.dropout(nn.functional.softmax(scores, dim=-1))
        out = (probs @ v).transpose(1, 2).reshape(batch, frames, hidden)
        return self.out_proj(out)
