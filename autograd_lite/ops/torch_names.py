"""PyTorch's names and conventions for ops autograd_lite has under NumPy's: ``cat``, ``clamp``,
``chunk``, ``unbind``, ``masked_fill``, ``any``/``all``, ``~``, and the helpers behind the
Tensor methods ``split``, ``expand`` and ``t``.

Everything here is a composite of the primitives in ``shape`` and ``elementwise``, except
``any``, ``all`` and ``bitwise_not``, which give booleans and so have no gradient (their
primitives are declared non-differentiable). Axis arguments are NumPy's ``axis=``; PyTorch's
``dim=`` is accepted through ``torch_spellings``.
"""

from __future__ import annotations

import builtins  # any, all, max and sum are shadowed by the ops of those names
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..primitive import primitive
from ..spellings import torch_spellings
from ..tensor import Tensor, as_input
from .elementwise import astype, clip, where
from .shape import (
    broadcast_to,
    concatenate,
    getitem,
    keepdims_flag,
    normalize_axes,
    normalize_axis,
    reshape,
    swapaxes,
)


def _array_of(value: Any, what: str, where: str) -> np.ndarray:
    """A tensor's array, or ``value`` as an array; TypeError naming ``where`` for ragged data."""
    if isinstance(value, Tensor):
        return value._data
    try:
        return np.asarray(value)
    except ValueError:
        raise TypeError(f"{where}: {what} must be array-like, got {value!r:.60}") from None


@torch_spellings
def cat(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """PyTorch's name for ``concatenate``: join tensors along an existing axis
    (``ag.cat([a, b], dim=1)``). Same shapes rule and errors as ``concatenate``."""
    return concatenate(tensors, axis)


def clamp(x: Any, min: float | None = None, max: float | None = None) -> Tensor:
    """PyTorch's name for ``clip``: limit x to [min, max], either bound may be None.

    As in PyTorch (and NumPy), ``min > max`` gives ``max`` everywhere, with no gradient. The
    gradient passes where min <= x <= max. ValueError when both bounds are None.
    """
    return clip(x, min, max)


def clone(x: Any) -> Tensor:
    """A copy of x in new memory that stays in the graph (the gradient passes through
    unchanged), as ``torch.clone``; ``detach()`` is the copy outside the graph."""
    x = as_input(x, "clone")
    return astype(x, x.dtype)


def masked_fill(x: Any, mask: Any, value: Any) -> Tensor:
    """``value`` where the boolean ``mask`` is true, x elsewhere (``torch.masked_fill``).

    ``mask`` broadcasts with x (the result has the broadcast shape, as PyTorch's out-of-place
    ``masked_fill``); ``value`` is a number or a 0-d tensor (its gradient is the sum of the
    gradient over the filled places). An integer or bool x keeps its dtype (the value is cast,
    as PyTorch does). TypeError for a mask that is not boolean or a value that is not 0-d;
    ValueError when the shapes do not broadcast.
    """
    x = as_input(x, "masked_fill")
    array = _array_of(mask, "mask", "masked_fill")
    if array.dtype != np.bool_:
        raise TypeError(f"masked_fill: the mask must be boolean, got dtype {array.dtype}; make "
                        f"one with a comparison (x > 0) or mask.bool()")
    if _array_of(value, "value", "masked_fill").ndim != 0:
        raise TypeError(f"masked_fill: value must be a number or a 0-d tensor, got shape "
                        f"{np.shape(value)}; for a tensor of values use ag.where(mask, values, x)")
    try:
        np.broadcast_shapes(array.shape, x.shape)
    except ValueError:
        raise ValueError(f"masked_fill: the mask of shape {array.shape} does not broadcast "
                         f"with the tensor of shape {x.shape}") from None
    if x.dtype.kind != "f" and not isinstance(value, Tensor):
        value = np.asarray(value).astype(x.dtype)
    return where(array, value, x)


@torch_spellings
def chunk(x: Any, chunks: int, axis: int = 0) -> tuple[Tensor, ...]:
    """Split along ``axis`` into at most ``chunks`` pieces (a tuple), as ``torch.chunk``.

    Every piece has ceil(n / chunks) elements along the axis but the last, which is smaller;
    so there may be fewer than ``chunks`` pieces (6 elements in 4 chunks: 2, 2, 2). ValueError
    for ``chunks < 1`` or a 0-d tensor.
    """
    x = as_input(x, "chunk")
    if isinstance(chunks, bool) or not isinstance(chunks, (int, np.integer)) or chunks < 1:
        raise ValueError(f"chunk: chunks must be a positive int, got {chunks!r}")
    if x.ndim == 0:
        raise ValueError("chunk: cannot chunk a zero-dimensional tensor")
    length = x.shape[normalize_axis(axis, x.ndim, "chunk")]
    return split_by_size(x, builtins.max(-(-length // int(chunks)), 1), axis, "chunk")


def split_by_size(x: Any, split_size_or_sections: int | Sequence[int], axis: int = 0,
                  name: str = "Tensor.split") -> tuple[Tensor, ...]:
    """PyTorch's ``split``: a tuple of pieces of ``split_size`` along ``axis`` (the last one
    smaller), or of the listed sizes, which must add up to the axis's length. (``ag.split`` is
    NumPy's: a number of equal sections or indices to cut at.) ValueError naming ``name``
    otherwise."""
    x = as_input(x, name)
    if x.ndim == 0:
        raise ValueError(f"{name}: cannot split a zero-dimensional tensor")
    axis = normalize_axis(axis, x.ndim, name)
    length = x.shape[axis]
    if isinstance(split_size_or_sections, (int, np.integer)) and not isinstance(
            split_size_or_sections, bool):
        size = int(split_size_or_sections)
        if size < 0 or (size == 0 and length):
            raise ValueError(f"{name}: split_size must be positive (0 only for an empty axis), "
                             f"got {size}")
        pieces = [size] * (length // size) + [length % size] * bool(length % size) if size else []
        sizes = pieces or [0]  # an empty axis gives one empty piece
    elif isinstance(split_size_or_sections, (list, tuple)) and builtins.all(
            isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s >= 0
            for s in split_size_or_sections):
        sizes = [int(s) for s in split_size_or_sections]
        if builtins.sum(sizes) != length:
            raise ValueError(f"{name}: the sizes {sizes} add up to {builtins.sum(sizes)}, but "
                             f"axis {axis} of shape {x.shape} has {length} elements")
    else:
        raise TypeError(f"{name}: expected a piece size (int) or a list of non-negative sizes, "
                        f"got {split_size_or_sections!r}; for NumPy's sections or cut indices "
                        f"use ag.split(x, ...)")
    bounds = np.cumsum([0] + sizes).tolist()
    return tuple(getitem(x, (slice(None),) * axis + (slice(a, b),))
                 for a, b in zip(bounds[:-1], bounds[1:]))


@torch_spellings
def unbind(x: Any, axis: int = 0) -> tuple[Tensor, ...]:
    """The slices of x along ``axis``, with that axis removed (``torch.unbind``): shape
    (2, 3) along axis 1 gives three tensors of shape (2,). ValueError for a 0-d tensor."""
    x = as_input(x, "unbind")
    if x.ndim == 0:
        raise ValueError("unbind: cannot unbind a zero-dimensional tensor")
    axis = normalize_axis(axis, x.ndim, "unbind")
    return tuple(getitem(x, (slice(None),) * axis + (i,)) for i in range(x.shape[axis]))


def ravel(x: Any) -> Tensor:
    """x as one dimension (``reshape(x, -1)``; a 0-d tensor gives shape (1,))."""
    return reshape(x, -1)


def expand(x: Any, sizes: Sequence[int], name: str = "Tensor.expand") -> Tensor:
    """PyTorch's ``expand``: ``broadcast_to`` where a size of -1 keeps that axis's size.

    New axes go in front and cannot be -1; ValueError naming ``name`` otherwise.
    """
    x = as_input(x, name)
    sizes = tuple(sizes)
    new = len(sizes) - x.ndim
    if new < 0:
        raise ValueError(f"{name}: {len(sizes)} sizes {sizes} for a tensor with {x.ndim} "
                         f"dimensions (shape {x.shape}); give at least one size per axis")
    if builtins.any(s == -1 for s in sizes[:new]):
        raise ValueError(f"{name}: -1 is not allowed for the new leading axes in {sizes}")
    shape = tuple(x.shape[i - new] if s == -1 and i >= new else s for i, s in enumerate(sizes))
    return broadcast_to(x, shape)


def matrix_transpose(x: Any) -> Tensor:
    """PyTorch's ``t()``: the transpose of a matrix; a 0-d or 1-d tensor is returned as is.
    ValueError for more than 2 dimensions (use ``transpose(0, 1)`` or ``permute``)."""
    x = as_input(x, "Tensor.t")
    if x.ndim > 2:
        raise ValueError(f"Tensor.t: expects a tensor with at most 2 dimensions, got shape "
                         f"{x.shape}; use x.transpose(0, 1) or x.permute(...) for more")
    return swapaxes(x, 0, 1) if x.ndim == 2 else reshape(x, x.shape)


# --- booleans: no gradient ------------------------------------------------------------------


@primitive("any", differentiable=False)
def _any(x: Any, axis: tuple[int, ...], keepdims: bool) -> np.ndarray:
    return np.any(x, axis=axis, keepdims=keepdims)


@primitive("all", differentiable=False)
def _all(x: Any, axis: tuple[int, ...], keepdims: bool) -> np.ndarray:
    return np.all(x, axis=axis, keepdims=keepdims)


@torch_spellings
def any(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Whether any element over ``axis`` is nonzero (None: all axes; int or tuple), as a bool
    tensor; the ``any`` of no elements is False."""
    x = as_input(x, "any")
    return _any(x, axis=normalize_axes(axis, x.ndim, "any"),
                keepdims=keepdims_flag(keepdims, "any"))


@torch_spellings
def all(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Whether every element over ``axis`` is nonzero, as a bool tensor; the ``all`` of no
    elements is True."""
    x = as_input(x, "all")
    return _all(x, axis=normalize_axes(axis, x.ndim, "all"),
                keepdims=keepdims_flag(keepdims, "all"))


@primitive("bitwise_not", differentiable=False)
def _bitwise_not(x: Any) -> np.ndarray:
    return np.invert(x)


def bitwise_not(x: Any) -> Tensor:
    """``~x``: logical not of a bool tensor, bitwise not of an integer one (as PyTorch).

    TypeError for a float tensor: compare first (``~(x > 0)``).
    """
    x = as_input(x, "bitwise_not")
    if x.dtype.kind not in "biu":
        raise TypeError(f"bitwise_not: ~ needs a bool or integer tensor, got dtype {x.dtype}; "
                        f"for a mask compare first, e.g. ~(x > 0)")
    return _bitwise_not(x)
