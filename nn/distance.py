"""Norms and distances of vectors along an axis: ``normalize``, ``cosine_similarity`` and
``pairwise_distance`` (and the modules ``CosineSimilarity`` and ``PairwiseDistance``),
composed of autograd_lite ops (no derivative is written here).

Their norm is written so that its gradient at the zero vector is 0 (as PyTorch's), not the
0/0 of differentiating ``sqrt`` at 0.
"""

from __future__ import annotations

import math
from typing import Any

import autograd_lite as ag
from autograd_lite import Tensor
from autograd_lite.spellings import torch_spellings
from autograd_lite.tensor import as_input, as_inputs

from .module import Module


def vector_norm(x: Tensor, p: float, axis: int, keepdims: bool) -> Tensor:
    """The p-norm ``sum(|x|**p) ** (1/p)`` along ``axis`` (max |x| for p=inf, min for -inf,
    the count of non-zeros for p=0), with a zero gradient at the zero vector.

    Raises ValueError for a negative finite p.
    """
    if p == math.inf:
        return ag.max(ag.abs(x), axis=axis, keepdims=keepdims)
    if p == -math.inf:
        return ag.min(ag.abs(x), axis=axis, keepdims=keepdims)
    if p < 0:
        raise ValueError(f"vector_norm: p must be non-negative or +-inf, got {p}")
    if p == 0:
        return ag.sum((x != 0).astype(x.dtype), axis=axis, keepdims=keepdims)
    if p == 1:
        return ag.sum(ag.abs(x), axis=axis, keepdims=keepdims)
    powered = ag.sum(ag.square(x) if p == 2 else ag.abs(x) ** p, axis=axis, keepdims=keepdims)
    positive = powered > 0
    # The inner where keeps the root's gradient finite where the sum is 0; the outer one
    # gives those entries the value 0 and no gradient.
    root = ag.sqrt(ag.where(positive, powered, 1.0)) if p == 2 else (
        ag.where(positive, powered, 1.0) ** (1.0 / p))
    return ag.where(positive, root, 0.0)


@torch_spellings
def normalize(input: Any, p: float = 2.0, axis: int = 1, eps: float = 1e-12) -> Tensor:
    """``x / max(||x||_p, eps)`` along ``axis`` (default 1, as PyTorch): unit vectors, and
    vectors shorter than ``eps`` divided by ``eps`` (so the zero vector stays zero).

    Raises ValueError (from the axis check) for an axis the input does not have.
    """
    x = as_input(input, "normalize")
    return x / ag.clip(vector_norm(x, p, axis, keepdims=True), min=eps)


@torch_spellings
def cosine_similarity(x1: Any, x2: Any, axis: int = 1, eps: float = 1e-8) -> Tensor:
    """Cosine of the angle between ``x1`` and ``x2`` along ``axis`` (broadcast against each
    other): ``sum(x1/max(||x1||, eps) * x2/max(||x2||, eps))``, PyTorch's formula, so a
    vector shorter than ``eps`` counts as having length ``eps``. The axis is removed.
    """
    x1, x2 = as_inputs((x1, x2), "cosine_similarity")
    unit1 = x1 / ag.clip(vector_norm(x1, 2, axis, keepdims=True), min=eps)
    unit2 = x2 / ag.clip(vector_norm(x2, 2, axis, keepdims=True), min=eps)
    return ag.sum(unit1 * unit2, axis=axis)


@torch_spellings
def pairwise_distance(x1: Any, x2: Any, p: float = 2.0, eps: float = 1e-6,
                      keepdims: bool = False) -> Tensor:
    """``||x1 - x2 + eps||_p`` along the last axis, row by row (broadcasting), as PyTorch;
    ``eps`` keeps the gradient defined for identical rows. (N, D), (N, D) -> (N,).
    """
    x1, x2 = as_inputs((x1, x2), "pairwise_distance")
    difference = x1 - x2 + eps
    return vector_norm(difference, p, -1 if difference.ndim else None, keepdims)


class CosineSimilarity(Module):
    """``cosine_similarity(x1, x2, axis, eps)`` as a module, called as ``module(x1, x2)``."""

    @torch_spellings
    def __init__(self, axis: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.axis, self.eps = axis, eps

    def forward(self, x1: Any, x2: Any) -> Tensor:
        """The cosine of each pair of vectors along ``axis``."""
        return cosine_similarity(x1, x2, self.axis, self.eps)


class PairwiseDistance(Module):
    """``pairwise_distance(x1, x2, p, eps, keepdims)`` as a module, called as
    ``module(x1, x2)``."""

    @torch_spellings
    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdims: bool = False) -> None:
        super().__init__()
        self.p, self.eps, self.keepdims = p, eps, keepdims

    def forward(self, x1: Any, x2: Any) -> Tensor:
        """The p-norm distance of each pair of rows."""
        return pairwise_distance(x1, x2, self.p, self.eps, self.keepdims)
