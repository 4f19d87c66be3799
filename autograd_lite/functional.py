"""Composites of primitives that are not tensor methods: softmax and log_softmax."""

from __future__ import annotations

from typing import Any

from .ops import exp, logsumexp
from .ops.shape import normalize_axis
from .tensor import Tensor


def log_softmax(x: Any, axis: int = -1) -> Tensor:
    """log(softmax(x)) along ``axis``, as x - logsumexp(x): stable for any logits."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    axis = normalize_axis(axis, x.ndim, "log_softmax")
    return x - logsumexp(x, axis=axis, keepdims=True)


def softmax(x: Any, axis: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along ``axis``, computed as exp(log_softmax(x)) (never overflows)."""
    return exp(log_softmax(x, axis))
