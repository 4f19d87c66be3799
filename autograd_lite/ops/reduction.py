"""Reductions over axes: sum, mean, max, min, logsumexp, var, std, prod, argmax, argmin,
and the normalisations along an axis built on logsumexp: log_softmax and softmax.

Public functions take ``axis`` as None, an int or a tuple (negative allowed) and ``keepdims``;
they normalise the axis once and hand the primitive a sorted tuple of non-negative axes. VJP
rules use Python operators for the primitives they stand for (``x == ...``, ``/``, ``*``) and
``F.`` for named functions (``F.reshape``, ``F.sum``), so one rule serves arrays and tensors.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from ..primitive import primitive
from ..spellings import torch_spellings
from ..tensor import Tensor, as_input
from .elementwise import exp as _exp
from .shape import keepdims_flag, normalize_axes, normalize_axis


def _kept_shape(shape: tuple[int, ...], axis: tuple[int, ...]) -> tuple[int, ...]:
    """The shape of a reduction over ``axis`` with keepdims=True."""
    return tuple(1 if i in axis else size for i, size in enumerate(shape))


def _spread(F, g, x, axis, keepdims):
    """Broadcast a reduced gradient back over the reduced axes of x."""
    if not keepdims:
        g = F.reshape(g, shape=_kept_shape(x.shape, axis))
    return F.broadcast_to(g, shape=x.shape)



@primitive("sum", lambda F, g, ans, x, axis, keepdims: _spread(F, g, x, axis, keepdims))
def _sum(x: Any, axis: tuple[int, ...], keepdims: bool) -> np.ndarray:
    return np.sum(x, axis=axis, keepdims=keepdims)


@torch_spellings
def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Sum over ``axis`` (None: all axes; int or tuple, negative allowed).

    Example: ``ag.sum(x, axis=0)`` turns shape (3, 4) into (4,); ``keepdims=True`` gives (1, 4).
    """
    x = as_input(x, "sum")
    axes = normalize_axes(axis, x.ndim, "sum")
    return _sum(x, axis=axes, keepdims=keepdims_flag(keepdims, "sum"))


@torch_spellings
def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Arithmetic mean over ``axis`` (same axis rules as ``sum``).

    The mean of no elements is NaN (with NumPy's RuntimeWarning), as in NumPy and PyTorch.
    """
    x = as_input(x, "mean")
    axes = normalize_axes(axis, x.ndim, "mean")
    count = math.prod(x.shape[i] for i in axes)
    return _sum(x, axis=axes, keepdims=keepdims_flag(keepdims, "mean")) / count


def _extreme_vjp(F, g, ans, x, axis, keepdims):
    """Gradient of max/min: shared evenly among the elements equal to the extreme."""
    kept = _kept_shape(x.shape, axis)
    winners = F.astype(x == F.reshape(ans, shape=kept), dtype=g.dtype)
    share = winners / F.sum(winners, axis=axis, keepdims=True)
    return _spread(F, g, x, axis, keepdims) * share


@primitive("max", _extreme_vjp)
def _max(x: Any, axis: tuple[int, ...], keepdims: bool) -> np.ndarray:
    return np.max(x, axis=axis, keepdims=keepdims)


@primitive("min", _extreme_vjp)
def _min(x: Any, axis: tuple[int, ...], keepdims: bool) -> np.ndarray:
    return np.min(x, axis=axis, keepdims=keepdims)


def _reduce_nonempty(prim, x: Any, axis: Any, keepdims: bool, name: str) -> Tensor:
    x = as_input(x, name)
    axes = normalize_axes(axis, x.ndim, name)
    if any(x.shape[i] == 0 for i in axes):
        raise ValueError(f"{name}: cannot reduce over an empty axis (shape {x.shape}, "
                         f"axis {axis})")
    return prim(x, axis=axes, keepdims=keepdims_flag(keepdims, name))


def _axis_not_tensor(axis: Any, name: str, elementwise: str) -> None:
    """``torch.max(a, b)`` is elementwise; here the second argument is an axis, so say so."""
    if isinstance(axis, (Tensor, np.ndarray)):
        raise TypeError(f"{name}: the second argument is an axis, but got a {type(axis).__name__} "
                        f"of shape {axis.shape}; for the elementwise {elementwise} of two "
                        f"tensors use ag.{elementwise}(a, b)")


class ValuesIndices(NamedTuple):
    """What ``max``/``min`` return when called with PyTorch's ``dim=``, as ``torch.max`` does:
    ``values, indices = ag.max(x, dim=1)``, ``.values``, ``.indices``."""

    values: Tensor
    indices: Tensor


def _with_indices(extreme: Any, arg_extreme: Any) -> Any:
    """The PyTorch variant of ``max``/``min`` (see ``torch_spellings``): values and int64
    indices over one ``dim``; the values alone over all axes, as ``torch.max(x)``, and over a
    tuple of axes, as ``torch.amax``."""
    def values_and_indices(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
        values = extreme(x, axis, keepdims)
        if axis is None or isinstance(axis, (tuple, list)):
            return values
        return ValuesIndices(values, arg_extreme(x, axis, keepdims))

    return values_and_indices


@torch_spellings(torch_variant=_with_indices(lambda *a: max(*a), lambda *a: argmax(*a)))
def max(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Largest element over ``axis``; tied maxima share the gradient evenly.

    With PyTorch's ``dim=`` an int (``ag.max(x, dim=1)``, ``x.max(dim=1, keepdim=True)``) the
    result is PyTorch's ``(values, indices)`` named tuple; with ``axis=`` it is the values, as
    NumPy's.
    Raises TypeError when ``axis`` is a tensor (``torch.max(a, b)``): use ``ag.maximum(a, b)``.
    """
    _axis_not_tensor(axis, "max", "maximum")
    return _reduce_nonempty(_max, x, axis, keepdims, "max")


@torch_spellings(torch_variant=_with_indices(lambda *a: min(*a), lambda *a: argmin(*a)))
def min(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Smallest element over ``axis``; tied minima share the gradient evenly.

    With PyTorch's ``dim=`` the result is ``(values, indices)``, as for ``max``.

    Raises TypeError when ``axis`` is a tensor (``torch.min(a, b)``): use ``ag.minimum(a, b)``.
    """
    _axis_not_tensor(axis, "min", "minimum")
    return _reduce_nonempty(_min, x, axis, keepdims, "min")


def _logsumexp_vjp(F, g, ans, x, axis, keepdims):
    kept = _kept_shape(x.shape, axis)
    softmax = F.exp(x - F.reshape(ans, shape=kept))
    return _spread(F, g, x, axis, keepdims) * softmax


@primitive("logsumexp", _logsumexp_vjp)
def _logsumexp(x: Any, axis: tuple[int, ...], keepdims: bool) -> np.ndarray:
    peak = np.max(x, axis=axis, keepdims=True)
    peak = np.where(np.isfinite(peak), peak, 0)
    total = np.log(np.sum(np.exp(x - peak), axis=axis, keepdims=True)) + peak
    return total if keepdims else np.reshape(total, np.delete(total.shape, axis))


@torch_spellings
def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """log(sum(exp(x))) over ``axis``, computed without overflow (a primitive for stability)."""
    return _reduce_nonempty(_logsumexp, x, axis, keepdims, "logsumexp")


@torch_spellings
def log_softmax(x: Any, axis: int = -1) -> Tensor:
    """log(softmax(x)) along ``axis``, as x - logsumexp(x): stable for any logits."""
    x = as_input(x, "log_softmax")
    axis = normalize_axis(axis, x.ndim, "log_softmax")
    return x - logsumexp(x, axis=axis, keepdims=True)


@torch_spellings
def softmax(x: Any, axis: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along ``axis``, computed as exp(log_softmax(x)) (never overflows)."""
    x = as_input(x, "softmax")
    return _exp(log_softmax(x, normalize_axis(axis, x.ndim, "softmax")))


def _pytorchs_correction(spread: Any) -> Any:
    """The PyTorch variant of ``var``/``std`` (see ``torch_spellings``): PyTorch's default
    ``correction=1`` when the call gives none."""
    def with_pytorchs_default(x: Any, axis: Any = None, keepdims: bool = False, ddof: float = 1
                              ) -> Tensor:
        return spread(x, axis, keepdims, ddof)

    return with_pytorchs_default


@torch_spellings(torch_variant=_pytorchs_correction(lambda *a: var(*a)))
def var(x: Any, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
    """Variance over ``axis`` (NumPy's convention: ``ddof=0`` divides by N; 1 gives unbiased).

    A call in PyTorch's spelling (``dim=``, ``keepdim=``, ``correction=``, ``unbiased=``) gets
    PyTorch's default, ``correction=1`` (divide by N - 1): ``x.var(dim=0)`` is PyTorch's
    ``x.var(dim=0)``, ``x.var(axis=0)`` NumPy's. Raises ValueError when fewer than
    ``ddof + 1`` elements are reduced.
    """
    x = as_input(x, "var")
    axes = normalize_axes(axis, x.ndim, "var")
    count = math.prod(x.shape[i] for i in axes)
    if count - ddof <= 0:
        raise ValueError(f"var: {count} elements over axis {axis} of shape {x.shape} are too "
                         f"few for ddof={ddof}")
    centered = x - mean(x, axes, keepdims=True)
    squares = _sum(centered * centered, axis=axes, keepdims=keepdims_flag(keepdims, "var"))
    return squares / (count - ddof)


@torch_spellings(torch_variant=_pytorchs_correction(lambda *a: std(*a)))
def std(x: Any, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
    """Standard deviation over ``axis``: sqrt of ``var`` (same ``ddof`` rule, and PyTorch's
    default ``correction=1`` for a call in PyTorch's spelling, as ``var``).

    Where the standard deviation is 0 (one element, a constant input) its gradient is 0, as in
    PyTorch, not the 0 / 0 = NaN of sqrt's derivative.
    """
    from .elementwise import eq, sqrt, where

    variance = var(x, axis, keepdims, ddof)
    is_zero = eq(variance, 0)
    # sqrt of 1 where the variance is 0, so that no derivative of any order meets 1 / sqrt(0).
    return where(is_zero, 0, sqrt(where(is_zero, 1, variance)))


def _prod_vjp(F, g, ans, x, axis, keepdims):
    # The gradient of each element is the product of the others. Without zeros that is
    # ans / x; with one zero only the zero gets a gradient; with two or more none does.
    kept = _kept_shape(x.shape, axis)
    is_zero = x == 0
    zero_count = F.sum(F.astype(is_zero, dtype=np.dtype(np.int64)), axis=axis, keepdims=True)
    nonzero = F.where(is_zero, 1, x)
    product_of_nonzero = F.prod(nonzero, axis=axis, keepdims=True)
    without_zeros = F.reshape(ans, shape=kept) / nonzero
    only_zero = F.where(is_zero, product_of_nonzero, 0)
    others = F.where(zero_count == 0, without_zeros, F.where(zero_count == 1, only_zero, 0))
    return _spread(F, g, x, axis, keepdims) * others


@primitive("prod", _prod_vjp)
def _prod(x: Any, axis: tuple[int, ...], keepdims: bool) -> np.ndarray:
    return np.prod(x, axis=axis, keepdims=keepdims)


@torch_spellings
def prod(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Product over ``axis``; the gradient is right with zeros in the input."""
    x = as_input(x, "prod")
    axes = normalize_axes(axis, x.ndim, "prod")
    return _prod(x, axis=axes, keepdims=keepdims_flag(keepdims, "prod"))


@primitive("argmax", differentiable=False)
def _argmax(x: Any, axis: int | None, keepdims: bool) -> np.ndarray:
    return np.argmax(x, axis=axis, keepdims=keepdims)


@primitive("argmin", differentiable=False)
def _argmin(x: Any, axis: int | None, keepdims: bool) -> np.ndarray:
    return np.argmin(x, axis=axis, keepdims=keepdims)


def _arg_extreme(prim, x: Any, axis: int | None, keepdims: bool, name: str) -> Tensor:
    x = as_input(x, name)
    if x.size == 0:
        raise ValueError(f"{name}: the tensor is empty (shape {x.shape})")
    if axis is not None:
        axis = normalize_axis(axis, x.ndim, name)
    return prim(x, axis=axis, keepdims=keepdims_flag(keepdims, name))


@torch_spellings
def argmax(x: Any, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """Index of the largest element (over the flattened tensor when ``axis`` is None); int64."""
    return _arg_extreme(_argmax, x, axis, keepdims, "argmax")


@torch_spellings
def argmin(x: Any, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """Index of the smallest element (over the flattened tensor when ``axis`` is None); int64."""
    return _arg_extreme(_argmin, x, axis, keepdims, "argmin")
