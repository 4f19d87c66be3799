"""Composites of primitives that are not tensor methods: softmax and log_softmax."""

from __future__ import annotations

from typing import Any

from .ops import exp, logsumexp
from .ops.shape import normalize_axis
from .tensor import Tensor, as_input


def _input_and_axis(x: Any, axis: int, name: str) -> tuple[Tensor, int]:
    """``x`` as a tensor and ``axis`` as a non-negative int; errors name ``name``."""
    x = as_input(x, name)
    return x, normalize_axis(axis, x.ndim, name)


def log_softmax(x: Any, axis: int = -1) -> Tensor:
    """log(softmax(x)) along ``axis``, as x - logsumexp(x): stable for any logits."""
    x, axis = _input_and_axis(x, axis, "log_softmax")
    return x - logsumexp(x, axis=axis, keepdims=True)


def softmax(x: Any, axis: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along ``axis``, computed as exp(log_softmax(x)) (never overflows)."""
    x, axis = _input_and_axis(x, axis, "softmax")
    return exp(log_softmax(x, axis))
