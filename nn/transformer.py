"""``TransformerEncoderLayer``: self-attention and a feed-forward block, each with a residual
connection and LayerNorm, in PyTorch's sub-module names so that state_dicts match key for key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from autograd_lite import Tensor

from . import functional as F
from .attention import MultiheadAttention
from .layers import Dropout, LayerNorm, Linear
from .module import Module


def _exact_gelu(x: Tensor) -> Tensor:
    return F.gelu(x, approximate="none")


ACTIVATIONS: dict[str, Callable[[Tensor], Tensor]] = {"relu": F.relu, "gelu": _exact_gelu}


class TransformerEncoderLayer(Module):
    """PyTorch's ``nn.TransformerEncoderLayer``: ``x + SelfAttention(x)`` then ``x + FF(x)``,
    with FF(x) = linear2(dropout(activation(linear1(x)))).

    ``TransformerEncoderLayer(d_model, nhead, dim_feedforward=2048, dropout=0.1,
    activation='relu', layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True)``.
    Sub-modules (PyTorch's names): self_attn (MultiheadAttention), linear1, dropout, linear2,
    norm1, norm2, dropout1, dropout2. ``norm_first=False`` (post-norm, PyTorch's default)
    computes ``x = norm1(x + sa(x)); x = norm2(x + ff(x))``; ``norm_first=True`` (pre-norm)
    computes ``x = x + sa(norm1(x)); x = x + ff(norm2(x))``. ``activation`` is 'relu', 'gelu'
    (the exact, erf form, as PyTorch) or a callable (e.g. ``nn.GELU(approximate='tanh')``).
    Raises ValueError for another activation name.
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: str | Callable[[Tensor], Tensor] = "relu",
                 layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True) -> None:
        super().__init__()
        if isinstance(activation, str) and activation not in ACTIVATIONS:
            raise ValueError(f"TransformerEncoderLayer: activation must be 'relu', 'gelu' or a "
                             f"callable, got {activation!r}")
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.activation = ACTIVATIONS[activation] if isinstance(activation, str) else activation
        self.batch_first = batch_first

    def forward(self, src: Any, src_mask: Any = None, src_key_padding_mask: Any = None,
                is_causal: bool = False) -> Tensor:
        """Transform ``src`` (L, N, d_model) ((N, L, d_model) with batch_first, (L, d_model)
        unbatched) into the same shape. ``src_mask`` and ``src_key_padding_mask`` are
        MultiheadAttention's ``attn_mask`` and ``key_padding_mask`` (bool True = blocked);
        ``is_causal`` says that ``src_mask`` is the causal mask."""
        x = src
        if self.norm_first:
            x = x + self._self_attention(self.norm1(x), src_mask, src_key_padding_mask,
                                         is_causal)
            return x + self._feed_forward(self.norm2(x))
        x = self.norm1(x + self._self_attention(x, src_mask, src_key_padding_mask, is_causal))
        return self.norm2(x + self._feed_forward(x))

    def _self_attention(self, x: Tensor, mask: Any, key_padding_mask: Any, is_causal: bool
                        ) -> Tensor:
        out, _ = self.self_attn(x, x, x, attn_mask=mask, key_padding_mask=key_padding_mask,
                                need_weights=False, is_causal=is_causal)
        return self.dropout1(out)

    def _feed_forward(self, x: Tensor) -> Tensor:
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))
