"""One transformer layer: self-attention and feed-forward, post-LN or pre-LN."""

from torch import Tensor, nn

from .attention import SelfAttention


class FeedForward(nn.Module):
    """Linear, GELU, dropout ("activation_dropout"), linear, dropout ("hidden_dropout")."""

    def __init__(
        self, hidden_size: int, intermediate_size: int, activation_dropout: float, hidden_dropout: float
    ) -> None:
        super().__init__()
        self.intermediate_dense = nn.Linear(hidden_size, intermediate_size)
        self.intermediate_dropout = nn.Dropout(activation_dropout)
        self.output_dense = nn.Linear(intermediate_size, hidden_size)
        self.output_dropout = nn.Dropout(hidden_dropout)

    def forward(self, x: Tensor) -> Tensor:
        x = self.intermediate_dropout(nn.functional.gelu(self.intermediate_dense(x)))
        return self.output_dropout(self.output_dense(x))


class EncoderLayer(nn.Module):
    """Post-LN (base models, data2vec-audio) or pre-LN ("stable layer norm", large-lv60 and HuBERT large).

    post-LN: x = LN1(x + drop(attn(x)));  x = LN2(x + ff(x))
    pre-LN:  x = x + drop(attn(LN1(x)));   x = x + ff(LN2(x))
    """

    def __init__(
        self,
        hidden_size: int,
        num_heads: int,
        intermediate_size: int,
        eps: float,
        hidden_dropout: float,
        attention_dropout: float,
        activation_dropout: float,
        pre_norm: bool,
    ) -> None:
        super().__init__()
        self.pre_norm = pre_norm
        self.attention = SelfAttention(hidden_size, num_heads, attention_dropout)
        self.dropout = nn.Dropout(hidden_dropout)
        self.layer_norm = nn.LayerNorm(hidden_size, eps=eps)
        self.feed_forward = FeedForward(hidden_size, intermediate_size, activation_dropout, hidden_dropout)
        self.final_layer_norm = nn.LayerNorm(hidden_size, eps=eps)

    def forward(self, x: Tensor, key_bias: Tensor) -> Tensor:
        if self.pre_norm:
            x = x + self.dropout(self.attention(self.layer_norm(x), key_bias))
            return x + self.feed_forward(self.final_layer_norm(x))
        x = self.layer_norm(x + self.dropout(self.attention(x, key_bias)))
        return self.final_layer_norm(x + self.feed_forward(x))
