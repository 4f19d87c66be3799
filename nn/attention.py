"""Attention: ``scaled_dot_product_attention`` (re-exported by ``nn.functional``) and
``MultiheadAttention``, with PyTorch's arguments, mask conventions, parameters and shapes.

Two mask conventions, as in PyTorch (a trap when porting): in ``scaled_dot_product_attention``
a boolean ``attn_mask`` is True where a query MAY attend; in ``MultiheadAttention`` boolean
``attn_mask`` and ``key_padding_mask`` are True where it may NOT. A float mask is added to the
scores in both. A query whose every key is masked attends to nothing: its output (and weights)
are 0, as PyTorch's ``scaled_dot_product_attention`` gives. No derivative is written here.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import autograd_lite as ag
from autograd_lite import Tensor
from autograd_lite.tensor import as_input

from . import functional as F
from . import init
from .inputs import layer_input
from .layers import Linear
from .module import Module, Parameter


def _mask_value(mask: Any, where: str) -> Any:
    """A mask as a bool array, or a float mask to add (a float Tensor stays differentiable).

    Raises TypeError for another dtype (PyTorch takes only bool and float masks)."""
    value = mask.data if isinstance(mask, Tensor) and mask.dtype == np.bool_ else mask
    value = value if isinstance(value, Tensor) else np.asarray(value)
    if value.dtype != np.bool_ and value.dtype.kind != "f":
        raise TypeError(f"{where}: a mask must be bool or float, got dtype {value.dtype}; "
                        f"convert it with .astype(bool)")
    return value


def _masked_softmax(scores: Tensor, masks: list[tuple[Any, bool]]) -> Tensor:
    """softmax(scores) along the last axis after applying ``masks``, pairs (mask, whether a
    bool mask's True blocks): a bool mask blocks scores, a float mask is added. Rows with every
    key blocked come out as 0."""
    blocked = np.zeros((), dtype=bool)
    for mask, true_blocks in masks:
        if isinstance(mask, np.ndarray) and mask.dtype == np.bool_:
            mask_blocks = mask if true_blocks else ~mask
            scores = ag.where(mask_blocks, -np.inf, scores)
        else:
            scores = scores + mask
            mask_blocks = np.isneginf(mask.data if isinstance(mask, Tensor) else mask)
        blocked = blocked | mask_blocks
    empty = np.broadcast_to(blocked, scores.shape).all(axis=-1, keepdims=True)
    if not empty.any():
        return ag.softmax(scores, axis=-1)
    # A row without keys would be 0/0: softmax it over zeros instead (no NaN in the value or
    # the gradient) and give it weight 0.
    return ag.where(empty, 0.0, ag.softmax(ag.where(empty, 0.0, scores), axis=-1))


def _check_attention_shapes(query: Tensor, key: Tensor, value: Tensor, where: str) -> None:
    if query.ndim < 2 or key.ndim < 2 or value.ndim < 2:
        raise ValueError(f"{where}: query, key and value need shapes (..., L, E), (..., S, E), "
                         f"(..., S, Ev); got {query.shape}, {key.shape}, {value.shape}")
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise ValueError(f"{where}: query (..., L, E), key (..., S, E) and value (..., S, Ev) "
                         f"must agree on E and S; got {query.shape}, {key.shape}, {value.shape}")


def _grouped(x: Tensor, heads: int, where: str) -> Tensor:
    """Repeat each of x's heads (axis -3) so that there are ``heads`` of them (GQA)."""
    if x.ndim < 3 or heads % x.shape[-3]:
        raise ValueError(f"{where}: enable_gqa needs the query's heads ({heads}) to be a "
                         f"multiple of the key's and value's (axis -3 of {x.shape})")
    repeat = heads // x.shape[-3]
    return x if repeat == 1 else x[..., np.repeat(np.arange(x.shape[-3]), repeat), :, :]


def scaled_dot_product_attention(query: Any, key: Any, value: Any, attn_mask: Any = None,
                                 dropout_p: float = 0.0, is_causal: bool = False,
                                 scale: float | None = None, enable_gqa: bool = False
                                 ) -> Tensor:
    """softmax(query @ key^T * scale + mask) @ value, PyTorch's ``F.scaled_dot_product_attention``.

    Shapes: query (..., L, E), key (..., S, E), value (..., S, Ev) -> (..., L, Ev); the leading
    axes broadcast. ``scale`` defaults to 1 / sqrt(E). ``attn_mask`` broadcasts to (..., L, S):
    a bool mask is True where a query may attend (PyTorch's rule here; MultiheadAttention's is
    the opposite), a float mask is added to the scores. ``is_causal``: query i attends to keys
    0..i (the top-left lower triangle of (L, S)). ``dropout_p`` drops attention weights (always,
    like PyTorch's function: pass 0.0 in eval mode). ``enable_gqa``: the key and value may have
    fewer heads (axis -3) than the query, each shared by a group of query heads. A query with no
    key to attend to gets a zero output. Raises ValueError for mismatched shapes, or for
    ``attn_mask`` together with ``is_causal``.
    """
    where = "scaled_dot_product_attention"
    query, key, value = (as_input(x, where) for x in (query, key, value))
    _check_attention_shapes(query, key, value, where)
    if enable_gqa:
        key, value = _grouped(key, query.shape[-3], where), _grouped(value, query.shape[-3], where)
    masks: list[tuple[Any, bool]] = []
    if is_causal:
        if attn_mask is not None:
            raise ValueError(f"{where}: give either attn_mask or is_causal=True, not both (the "
                             f"causal mask is built for you)")
        length, source = query.shape[-2], key.shape[-2]
        masks.append((np.tril(np.ones((length, source), dtype=bool)), False))
    elif attn_mask is not None:
        masks.append((_mask_value(attn_mask, where), False))
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    weights = _masked_softmax(ag.matmul(query, key.swapaxes(-1, -2)) * scale, masks)
    if dropout_p > 0.0:
        weights = F.dropout(weights, dropout_p, True)
    return ag.matmul(weights, value)


class MultiheadAttention(Module):
    """PyTorch's ``nn.MultiheadAttention``: project query, key and value, attend in
    ``num_heads`` heads of size embed_dim // num_heads, concatenate, project out.

    Parameters as PyTorch's: ``in_proj_weight`` (3 * embed_dim, embed_dim) (Xavier uniform)
    and ``in_proj_bias`` (3 * embed_dim,) (zeros) hold the query, key and value projections
    stacked; with ``kdim``/``vdim`` different from embed_dim they are ``q_proj_weight``,
    ``k_proj_weight`` (embed_dim, kdim) and ``v_proj_weight`` (embed_dim, vdim) instead;
    ``out_proj`` is a Linear(embed_dim, embed_dim) with a zero bias. ``bias=False`` drops both
    biases. ``dropout`` acts on the attention weights in training mode. ``add_bias_kv`` and
    ``add_zero_attn`` are not supported (ValueError).

    ``forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False) -> (output, weights)``; see ``forward``.
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False,
                 kdim: int | None = None, vdim: int | None = None, batch_first: bool = False
                 ) -> None:
        super().__init__()
        if num_heads < 1 or embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: embed_dim ({embed_dim}) must be divisible by "
                             f"num_heads ({num_heads}), each head getting embed_dim // "
                             f"num_heads features; choose a number of heads that divides it")
        if add_bias_kv or add_zero_attn:
            raise ValueError("MultiheadAttention: add_bias_kv and add_zero_attn are not "
                             "supported; leave them False")
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"MultiheadAttention: dropout must lie in [0, 1], got {dropout}")
        self.embed_dim = embed_dim
        self.kdim = embed_dim if kdim is None else kdim
        self.vdim = embed_dim if vdim is None else vdim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.head_dim = embed_dim // num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(ag.zeros(3 * embed_dim, embed_dim))
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.register_parameter("in_proj_weight", None)
            self.q_proj_weight = Parameter(ag.zeros(embed_dim, embed_dim))
            self.k_proj_weight = Parameter(ag.zeros(embed_dim, self.kdim))
            self.v_proj_weight = Parameter(ag.zeros(embed_dim, self.vdim))
        self.register_parameter(
            "in_proj_bias", Parameter(ag.zeros(3 * embed_dim)) if bias else None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's init: Xavier uniform projections, zero biases (out_proj's weight keeps
        Linear's init)."""
        for name in ("in_proj_weight", "q_proj_weight", "k_proj_weight", "v_proj_weight"):
            if self._parameters[name] is not None:
                init.xavier_uniform_(self._parameters[name])
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)

    def _projections(self, query: Tensor, key: Tensor, value: Tensor
                     ) -> tuple[Tensor, Tensor, Tensor]:
        """q, k, v = the inputs times their projection weights (plus biases)."""
        biases = [None] * 3 if self.in_proj_bias is None else ag.split(self.in_proj_bias, 3)
        if self._qkv_same_embed_dim:
            if query is key and key is value:  # self-attention: one product
                return tuple(ag.split(F.linear(query, self.in_proj_weight, self.in_proj_bias),
                                      3, axis=-1))
            weights = ag.split(self.in_proj_weight, 3)
        else:
            weights = [self.q_proj_weight, self.k_proj_weight, self.v_proj_weight]
        return tuple(F.linear(x, w, b) for x, w, b in zip((query, key, value), weights, biases))

    def forward(self, query: Any, key: Any, value: Any, key_padding_mask: Any = None,
                need_weights: bool = True, attn_mask: Any = None,
                average_attn_weights: bool = True, is_causal: bool = False
                ) -> tuple[Tensor, Tensor | None]:
        """Attend from ``query`` to ``key``/``value``; return ``(output, weights)``.

        Shapes (batch_first=False; batch_first puts N first): query (L, N, E), key (S, N,
        kdim), value (S, N, vdim), or unbatched (L, E), (S, kdim), (S, vdim); output like
        query. ``key_padding_mask`` (N, S) ((S,) unbatched): True (bool) marks keys to ignore,
        a float mask is added. ``attn_mask`` (L, S) or (N * num_heads, L, S): True (bool)
        blocks a query-key pair, a float mask is added. ``is_causal`` is PyTorch's hint that
        ``attn_mask`` is the causal mask (it must be given). ``weights`` is (N, L, S), averaged
        over heads, or (N, num_heads, L, S) with ``average_attn_weights=False`` (no N
        unbatched); None unless ``need_weights``. Unlike PyTorch with need_weights=True, a
        query whose every key is masked gets 0s rather than NaNs.
        """
        where = "MultiheadAttention"
        weight = self.in_proj_weight if self._qkv_same_embed_dim else self.q_proj_weight
        same = key is query, value is key
        query = layer_input(query, weight, where)
        key = query if same[0] else layer_input(key, weight, where)
        value = key if same[1] else layer_input(value, weight, where)
        if is_causal and attn_mask is None:
            raise ValueError(f"{where}: is_causal=True is a hint that attn_mask is causal, and "
                             f"needs attn_mask; build it with np.triu(np.ones((L, L), bool), "
                             f"k=1) (True = blocked)")
        batched = query.ndim == 3
        self._check_inputs(query, key, value, batched)
        if not batched:
            query, key, value = (x.unsqueeze(0) for x in (query, key, value))
            if key_padding_mask is not None:
                key_padding_mask = _mask_value(key_padding_mask, where)[None]
        elif not self.batch_first:
            query, key, value = (x.swapaxes(0, 1) for x in (query, key, value))
        if same[0] and same[1]:
            key = value = query
        batch, length, source = query.shape[0], query.shape[1], key.shape[1]
        q, k, v = (x.reshape(batch, x.shape[1], self.num_heads, self.head_dim).swapaxes(1, 2)
                   for x in self._projections(query, key, value))
        masks = self._masks(attn_mask, key_padding_mask, batch, length, source)
        weights = _masked_softmax(ag.matmul(q * (1.0 / math.sqrt(self.head_dim)),
                                            k.swapaxes(-1, -2)), masks)
        if self.training and self.dropout > 0.0:
            weights = F.dropout(weights, self.dropout, True)
        heads = ag.matmul(weights, v)  # (N, H, L, head_dim)
        output = self.out_proj(heads.swapaxes(1, 2).reshape(batch, length, self.embed_dim))
        if not batched:
            output = output.squeeze(0)
        elif not self.batch_first:
            output = output.swapaxes(0, 1)
        if not need_weights:
            return output, None
        if average_attn_weights:
            weights = weights.mean(axis=1)
        return output, weights if batched else weights.squeeze(0)

    def _check_inputs(self, query: Tensor, key: Tensor, value: Tensor, batched: bool) -> None:
        rank = 3 if batched else 2
        sizes = (self.embed_dim, self.kdim, self.vdim)
        if (any(x.ndim != rank for x in (query, key, value))
                or any(x.shape[-1] != size for x, size in zip((query, key, value), sizes))
                or key.shape[:-1] != value.shape[:-1]
                or (batched and query.shape[1 - self.batch_first] != key.shape[
                    1 - self.batch_first])):
            layout = "(N, L, {})" if self.batch_first else "(L, N, {})"
            expected = ", ".join(layout.format(s) for s in sizes) if batched else (
                f"(L, {sizes[0]}), (S, {sizes[1]}), (S, {sizes[2]})")
            raise ValueError(f"MultiheadAttention: expected query, key and value of shapes "
                             f"{expected} (key and value of the same length S), got "
                             f"{query.shape}, {key.shape}, {value.shape}")

    def _masks(self, attn_mask: Any, key_padding_mask: Any, batch: int, length: int,
               source: int) -> list[tuple[Any, bool]]:
        """The masks as (mask broadcasting to (N, H, L, S), True where blocked) pairs."""
        masks = []
        if attn_mask is not None:
            mask = _mask_value(attn_mask, "MultiheadAttention")
            if mask.shape == (batch * self.num_heads, length, source):
                mask = mask.reshape(batch, self.num_heads, length, source)
            elif mask.shape != (length, source):
                raise ValueError(f"MultiheadAttention: attn_mask must have shape {(length, source)}"
                                 f" (L, S) or {(batch * self.num_heads, length, source)} (N * "
                                 f"num_heads, L, S), got {mask.shape}")
            masks.append((mask, True))
        if key_padding_mask is not None:
            mask = _mask_value(key_padding_mask, "MultiheadAttention")
            if mask.shape != (batch, source):
                raise ValueError(f"MultiheadAttention: key_padding_mask must have shape "
                                 f"{(batch, source)} (N, S), got {mask.shape}")
            masks.append((mask.reshape(batch, 1, 1, source), True))
        return masks

    def extra_repr(self) -> str:
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}"
