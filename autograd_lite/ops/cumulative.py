"""Running results along an axis: cumsum, cumprod (primitives), cummax, cummin and diff.

The VJP of a cumulative sum is a cumulative sum running the other way (flip, cumsum, flip),
written with ``g[index]`` and ``F.cumsum`` so it serves arrays and tensors alike.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..primitive import primitive
from ..spellings import torch_spellings
from ..tensor import Tensor, as_input
from .arrangement import _integer
from .elementwise import sub
from .indexing import ValuesIndices, take_along_axis
from .shape import _tensor_list, broadcast_to, concatenate, getitem, normalize_axis, reshape


def _reversed(axis: int, ndim: int) -> tuple:
    return (slice(None),) * axis + (slice(None, None, -1),) + (slice(None),) * (ndim - axis - 1)


def _reverse_cumsum(F, v, axis):
    """sum over k >= i of v[k], along ``axis``."""
    flip = _reversed(axis, v.ndim)
    return F.cumsum(v[flip], axis=axis)[flip]


@primitive("cumsum", lambda F, g, ans, x, axis: _reverse_cumsum(F, g, axis))
def _cumsum(x: Any, axis: int) -> np.ndarray:
    return np.cumsum(x, axis=axis)


def _cumprod_vjp(F, g, ans, x, axis):
    # d y_k / d x_i is the product of x_j for j <= k, j != i. Without zeros that is y_k / x_i,
    # so the gradient is a reverse cumsum of g * y divided by x. With zeros, y_k / x_i is 0/0
    # from the first zero z on: before z the formula still holds (x_i != 0, and the terms
    # k >= z are really 0); at z the gradient is the reverse cumsum of g * cumprod(x with x_z
    # replaced by 1); after z every product contains x_z, so it is 0. Its derivative in x_z is
    # not 0, so with create_graph (tensors) it is x_z (= 0) times the gradient of cumprod with
    # x_z replaced by 1, which handles the next zero the same way.
    without_zeros = _reverse_cumsum(F, g * ans, axis)
    is_zero = x == 0
    if not np.asarray(is_zero).any():
        return without_zeros / x
    zeros_so_far = F.cumsum(is_zero, axis=axis)
    before = zeros_so_far == 0
    first = is_zero * (zeros_so_far == 1)  # a product of masks: logical and
    x_one = F.where(first, 1, x)
    product_one = F.cumprod(x_one, axis=axis)
    at_first = _reverse_cumsum(F, g * product_one, axis)
    after = 0
    if not isinstance(x, np.ndarray):
        first_zero = F.sum(F.where(first, x, 0), axis=(axis,), keepdims=True)
        after = first_zero * _cumprod_vjp(F, g, product_one, x_one, axis)
    return F.where(before, without_zeros / F.where(before, x, 1),
                   F.where(first, at_first, after))


@primitive("cumprod", _cumprod_vjp)
def _cumprod(x: Any, axis: int) -> np.ndarray:
    return np.cumprod(x, axis=axis)


def _along(x: Any, axis: int | None, name: str) -> tuple[Tensor, int]:
    """The tensor and the axis a cumulative op runs along (the flattened tensor for None)."""
    x = as_input(x, name)
    if axis is None:
        return reshape(x, (-1,)), 0
    return x, normalize_axis(axis, x.ndim, name)


@torch_spellings
def cumsum(x: Any, axis: int | None = None) -> Tensor:
    """Running sum along ``axis``, as ``np.cumsum`` (``axis=None``: of the flattened tensor).

    ``Tensor.cumsum(dim)`` takes the axis as PyTorch does. Bool tensors count (int64).
    """
    x, axis = _along(x, axis, "cumsum")
    return _cumsum(x, axis=axis)


@torch_spellings
def cumprod(x: Any, axis: int | None = None) -> Tensor:
    """Running product along ``axis``, as ``np.cumprod`` (``axis=None``: flattened).

    A primitive, because its gradient needs care: it is right with zeros in the input (one or
    several; the naive y / x rule gives NaN there), as PyTorch's, and so is its second
    derivative (``create_graph=True``).
    """
    x, axis = _along(x, axis, "cumprod")
    return _cumprod(x, axis=axis)


def _running_extreme(x: Any, axis: int, name: str, ufunc: np.ufunc) -> ValuesIndices:
    x = as_input(x, name)
    axis = normalize_axis(axis, x.ndim, name)
    data = x.data
    running = ufunc.accumulate(data, axis=axis)
    # The index moves to every element that equals the running extreme (ties go to the
    # latest, as PyTorch's), and to every NaN, which then stays the extreme.
    takes_over = (data == running) | (data != data)
    positions = np.arange(data.shape[axis]).reshape((-1,) + (1,) * (x.ndim - axis - 1))
    indices = np.maximum.accumulate(np.where(takes_over, positions, 0), axis=axis)
    return ValuesIndices(take_along_axis(x, indices, axis), Tensor._from_op(indices))


@torch_spellings
def cummax(x: Any, axis: int) -> ValuesIndices:
    """Running maximum along ``axis`` and where it was found, as ``torch.cummax``.

    Returns ``(values, indices)`` (also ``.values``, ``.indices``; indices int64). On ties the
    index is the latest equal element, as in PyTorch, and the gradient of each value goes to
    the element its index names (so a repeated maximum collects several gradients).
    """
    return _running_extreme(x, axis, "cummax", np.maximum)


@torch_spellings
def cummin(x: Any, axis: int) -> ValuesIndices:
    """Running minimum along ``axis`` and where it was found, as ``torch.cummin`` (the rules
    of ``cummax``)."""
    return _running_extreme(x, axis, "cummin", np.minimum)


def _edge(value: Any, x: Tensor, axis: int, name: str) -> Tensor:
    """``prepend``/``append`` of diff: a number or a tensor, broadcast to size 1 on ``axis``
    when it has fewer dimensions (NumPy's rule)."""
    value = _tensor_list([x, value], name)[1]
    if value.ndim == 0:
        return broadcast_to(value, x.shape[:axis] + (1,) + x.shape[axis + 1:])
    return value


@torch_spellings
def diff(x: Any, n: int = 1, axis: int = -1, prepend: Any = None, append: Any = None
         ) -> Tensor:
    """The ``n``-th discrete difference along ``axis``, as ``np.diff`` (and ``torch.diff``):
    ``x[1:] - x[:-1]``, repeated ``n`` times; ``prepend``/``append`` values (numbers or
    tensors) are joined on first. The axis shrinks by ``n``; ``n=0`` returns x as it is."""
    x = as_input(x, "diff")
    n = _integer(n, "diff", "n")
    if n < 0:
        raise ValueError(f"diff: n must be non-negative, got {n}")
    if x.ndim == 0:
        raise ValueError("diff: needs at least one dimension, got a 0-d tensor")
    axis = normalize_axis(axis, x.ndim, "diff")
    if n == 0:
        return x  # NumPy's rule: prepend and append are ignored then
    parts = [_edge(prepend, x, axis, "diff")] if prepend is not None else []
    parts.append(x)
    if append is not None:
        parts.append(_edge(append, x, axis, "diff"))
    if len(parts) > 1:
        try:
            x = concatenate(parts, axis)
        except ValueError as error:
            raise ValueError(f"diff: {str(error).removeprefix('concatenate: ')}") from None
    before = (slice(None),) * axis
    for _ in range(min(n, x.shape[axis] + 1)):  # after that the axis stays empty
        x = sub(getitem(x, before + (slice(1, None),)), getitem(x, before + (slice(None, -1),)))
    return x
