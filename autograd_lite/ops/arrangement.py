"""Rearranging elements: diagonals and triangles, rolling, tiling, repeating, rotating,
stacking in NumPy's ways (hstack, vstack, dstack, column_stack, append) and meshgrid.

All are composites of the shape primitives (getitem, index_add_to, reshape, broadcast_to,
concatenate, transpose) and ``where``, so their gradients come from those.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..spellings import torch_spellings
from ..tensor import Tensor, as_input
from .elementwise import where
from .indexing import _index_array
from .shape import (
    _tensor_list,
    broadcast_to,
    concatenate,
    flip,
    getitem,
    index_add_to,
    normalize_axis,
    reshape,
    transpose,
)

# --- diagonals and triangles ------------------------------------------------------------------


def _two_axes(axis1: int, axis2: int, ndim: int, name: str) -> tuple[int, int]:
    first, second = normalize_axis(axis1, ndim, name), normalize_axis(axis2, ndim, name)
    if first == second:
        raise ValueError(f"{name}: axis1 and axis2 must differ, got {axis1} and {axis2}")
    return first, second


def _diagonal_positions(rows: int, cols: int, offset: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column indices of the diagonal ``offset`` of a rows x cols matrix."""
    length = max(0, min(rows, cols - offset) if offset >= 0 else min(rows + offset, cols))
    steps = np.arange(length)
    return (steps, steps + offset) if offset >= 0 else (steps - offset, steps)


def diagonal(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    """The diagonal over ``axis1`` and ``axis2``, as ``np.diagonal`` (and ``torch.diagonal``).

    ``offset`` > 0 takes a diagonal above the main one, < 0 below. The two axes are removed and
    the diagonal becomes the last axis: shape (2, 3, 4) with the defaults gives (4, 2).
    ValueError for fewer than 2 dimensions or equal axes.
    """
    x = as_input(x, "diagonal")
    if x.ndim < 2:
        raise ValueError(f"diagonal: needs at least 2 dimensions, got shape {x.shape}")
    first, second = _two_axes(axis1, axis2, x.ndim, "diagonal")
    _integer(offset, "diagonal", "offset")
    rest = tuple(i for i in range(x.ndim) if i not in (first, second))
    moved = transpose(x, rest + (first, second))
    rows, cols = _diagonal_positions(x.shape[first], x.shape[second], int(offset))
    return getitem(moved, (Ellipsis, rows, cols))


def diag(v: Any, k: int = 0) -> Tensor:
    """As ``np.diag``: a 1-D ``v`` becomes a square matrix with ``v`` on diagonal ``k``; a 2-D
    ``v`` gives its diagonal ``k``. ValueError for other ranks."""
    v = as_input(v, "diag")
    _integer(k, "diag", "k")
    if v.ndim == 2:
        return diagonal(v, k)
    if v.ndim != 1:
        raise ValueError(f"diag: expects a 1-D or 2-D tensor, got shape {v.shape}; use "
                         f"diagonal for more dimensions")
    side = v.shape[0] + abs(int(k))
    return index_add_to(v, _diagonal_positions(side, side, int(k)), (side, side))


def _triangle(x: Any, k: int, name: str, lower: bool) -> Tensor:
    x = as_input(x, name)
    if x.ndim < 2:
        raise ValueError(f"{name}: needs a matrix (at least 2 dimensions), got shape "
                         f"{x.shape}")
    _integer(k, name, "k")
    rows, cols = x.shape[-2:]
    mask = np.tri(rows, cols, int(k), dtype=bool) if lower else ~np.tri(
        rows, cols, int(k) - 1, dtype=bool)
    return where(mask, x, 0)


def tril(x: Any, k: int = 0) -> Tensor:
    """The lower triangle of the last two axes: entries above diagonal ``k`` become 0."""
    return _triangle(x, k, "tril", lower=True)


def triu(x: Any, k: int = 0) -> Tensor:
    """The upper triangle of the last two axes: entries below diagonal ``k`` become 0."""
    return _triangle(x, k, "triu", lower=False)


# --- rolling, tiling, repeating, rotating ------------------------------------------------------


def _integer(value: Any, name: str, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name}: {what} must be an int, got {value!r}")
    return int(value)


def _integers(value: Any, name: str, what: str) -> tuple[int, ...]:
    values = value if isinstance(value, (tuple, list)) else (value,)
    return tuple(_integer(v, name, what) for v in values)


@torch_spellings
def roll(x: Any, shift: Any, axis: Any = None) -> Tensor:
    """Shift elements along ``axis`` cyclically, as ``np.roll`` (``torch.roll``'s shifts/dims).

    ``shift`` and ``axis`` are ints or equally long tuples (several axes at once; the shifts
    of a repeated axis add up). With ``axis=None`` the flattened tensor rolls and keeps its
    shape.
    """
    x = as_input(x, "roll")
    shifts = _integers(shift, "roll", "shift")
    if axis is None:
        return reshape(roll(reshape(x, (-1,)), sum(shifts), 0), x.shape)
    axes = _integers(axis, "roll", "axis")
    if len(shifts) == 1:
        shifts = shifts * len(axes)
    if len(axes) == 1:
        axes = axes * len(shifts)
    if len(shifts) != len(axes):
        raise ValueError(f"roll: {len(shifts)} shifts for {len(axes)} axes; give one shift "
                         f"per axis")
    total = [0] * x.ndim
    for s, a in zip(shifts, axes):
        total[normalize_axis(a, x.ndim, "roll")] += s
    for a, s in enumerate(total):
        size = x.shape[a]
        if size and s % size:
            cut = size - s % size
            before = (slice(None),) * a
            x = concatenate([getitem(x, before + (slice(cut, None),)),
                             getitem(x, before + (slice(None, cut),))], axis=a)
    return x


def tile(x: Any, reps: Any) -> Tensor:
    """Repeat the whole tensor ``reps`` times along each axis, as ``np.tile``.

    ``reps`` is an int or a tuple; the shorter of ``reps`` and the shape is padded with leading
    1s: shape (2, 3) tiled by (2, 1, 2) gives (2, 2, 6). ``Tensor.repeat`` is this function.
    """
    x = as_input(x, "tile")
    reps = _integers(reps, "tile", "reps")
    if any(r < 0 for r in reps):
        raise ValueError(f"tile: reps must be non-negative, got {reps}")
    ndim = max(x.ndim, len(reps))
    shape = (1,) * (ndim - x.ndim) + x.shape
    reps = (1,) * (ndim - len(reps)) + reps
    spread = reshape(x, tuple(s for side in shape for s in (1, side)))
    stretched = broadcast_to(spread, tuple(s for pair in zip(reps, shape) for s in pair))
    return reshape(stretched, tuple(r * side for r, side in zip(reps, shape)))


@torch_spellings
def repeat(x: Any, repeats: Any, axis: int | None = None) -> Tensor:
    """Repeat each element ``repeats`` times along ``axis``, as ``np.repeat`` (and
    ``torch.repeat_interleave``): ``repeat([1, 2], 2)`` is ``[1, 1, 2, 2]``.

    ``repeats`` is an int or one count per element of the axis (a list, array or integer
    tensor). ``axis=None`` repeats the flattened tensor. ValueError for negative counts or a
    count list of the wrong length.
    """
    x = as_input(x, "repeat")
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    axis = normalize_axis(axis, x.ndim, "repeat")
    counts = _index_array(repeats, "repeat")
    if counts.ndim > 1:
        raise TypeError(f"repeat: repeats must be an int or a 1-D sequence of ints, got "
                        f"{repeats!r}")
    if (counts < 0).any():
        raise ValueError(f"repeat: repeats must be non-negative, got {repeats!r}")
    size = x.shape[axis]
    if counts.ndim == 0:
        count = int(counts)
        before, after = x.shape[:axis + 1], x.shape[axis + 1:]
        spread = broadcast_to(reshape(x, before + (1,) + after), before + (count,) + after)
        return reshape(spread, x.shape[:axis] + (size * count,) + after)
    if counts.shape[0] not in (1, size):
        raise ValueError(f"repeat: {counts.shape[0]} repeat counts for axis {axis} of size "
                         f"{size} (shape {x.shape})")
    positions = np.repeat(np.arange(size), np.broadcast_to(counts, (size,)))
    return getitem(x, (slice(None),) * axis + (positions,))


def rot90(x: Any, k: int = 1, axes: Sequence[int] = (0, 1)) -> Tensor:
    """Rotate by 90 degrees ``k`` times in the plane of ``axes``, from the first axis towards
    the second, as ``np.rot90`` (and ``torch.rot90``'s dims). ValueError for fewer than 2
    dimensions or equal axes."""
    x = as_input(x, "rot90")
    k = _integer(k, "rot90", "k") % 4
    axes = _integers(axes, "rot90", "axes")
    if len(axes) != 2:
        raise ValueError(f"rot90: axes must be two axes, got {axes}")
    if x.ndim < 2:
        raise ValueError(f"rot90: needs at least 2 dimensions, got shape {x.shape}")
    first, second = _two_axes(axes[0], axes[1], x.ndim, "rot90")
    if k == 0:
        return reshape(x, x.shape)
    if k == 2:
        return flip(x, (first, second))
    order = list(range(x.ndim))
    order[first], order[second] = order[second], order[first]
    if k == 1:
        return transpose(flip(x, second), order)
    return flip(transpose(x, order), second)


# --- stacking in NumPy's ways ------------------------------------------------------------------


def _join(tensors: list[Tensor], axis: int, name: str) -> Tensor:
    """concatenate, with its errors naming ``name``."""
    try:
        return concatenate(tensors, axis)
    except ValueError as error:
        raise ValueError(f"{name}: {str(error).removeprefix('concatenate: ')}") from None


def _at_least(x: Tensor, shape: tuple[int, ...]) -> Tensor:
    return reshape(x, shape) if x.shape != shape else x


def hstack(tensors: Sequence[Any]) -> Tensor:
    """Join along the second axis (the first for 1-D tensors), as ``np.hstack``."""
    tensors = [_at_least(t, t.shape or (1,)) for t in _tensor_list(tensors, "hstack")]
    return _join(tensors, 0 if tensors[0].ndim == 1 else 1, "hstack")


def vstack(tensors: Sequence[Any]) -> Tensor:
    """Join along the first axis, 1-D tensors as rows (1, n), as ``np.vstack``."""
    tensors = [_at_least(t, (1,) * (2 - t.ndim) + t.shape if t.ndim < 2 else t.shape)
               for t in _tensor_list(tensors, "vstack")]
    return _join(tensors, 0, "vstack")


def _as_3d(t: Tensor) -> Tensor:
    if t.ndim == 0:
        return reshape(t, (1, 1, 1))
    if t.ndim == 1:
        return reshape(t, (1, t.shape[0], 1))
    return reshape(t, t.shape + (1,)) if t.ndim == 2 else t


def dstack(tensors: Sequence[Any]) -> Tensor:
    """Join along the third axis, as ``np.dstack``: (n,) becomes (1, n, 1), (m, n) becomes
    (m, n, 1)."""
    return _join([_as_3d(t) for t in _tensor_list(tensors, "dstack")], 2, "dstack")


def column_stack(tensors: Sequence[Any]) -> Tensor:
    """Join 1-D tensors as columns (n,) -> (n, 1), and 2-D ones along axis 1, as
    ``np.column_stack``."""
    tensors = [reshape(t, (-1, 1)) if t.ndim < 2 else t
               for t in _tensor_list(tensors, "column_stack")]
    return _join(tensors, 1, "column_stack")


@torch_spellings
def append(x: Any, values: Any, axis: int | None = None) -> Tensor:
    """``values`` appended after ``x``, as ``np.append``: both flattened when ``axis`` is None,
    else joined along ``axis`` (the other axes must match)."""
    x, values = _tensor_list([x, values], "append")
    if axis is None:
        return _join([reshape(x, (-1,)), reshape(values, (-1,))], 0, "append")
    if x.ndim == 0 or values.ndim != x.ndim:
        raise ValueError(f"append: shapes {x.shape} and {values.shape} need the same number "
                         f"of dimensions (at least 1) to be joined along axis {axis}")
    return _join([x, values], normalize_axis(axis, x.ndim, "append"), "append")


def meshgrid(*tensors: Any, indexing: str | None = None) -> tuple[Tensor, ...]:
    """Coordinate grids from 1-D coordinate vectors, as ``np.meshgrid`` / ``torch.meshgrid``.

    ``indexing`` must be given: ``'xy'`` (NumPy's default; with two inputs of sizes n and m
    the grids have shape (m, n)) or ``'ij'`` (PyTorch's default; shape (n, m)). The two
    libraries disagree when it is left out, so leaving it out raises a TypeError rather than
    silently picking one. Inputs of any shape are flattened first, as NumPy does. Returns a
    tuple with one grid per input; gradients sum over the grid.
    """
    if indexing not in ("xy", "ij"):
        raise TypeError(f"meshgrid: pass indexing='xy' (NumPy's default: shape (len(y), "
                        f"len(x))) or indexing='ij' (PyTorch's default: shape (len(x), "
                        f"len(y))), got {indexing!r}; the two libraries differ, so there "
                        f"is no default")
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if not tensors:
        return ()
    vectors = [reshape(t, (-1,)) for t in _tensor_list(list(tensors), "meshgrid")]
    sizes = [v.shape[0] for v in vectors]
    axes = list(range(len(vectors)))
    if indexing == "xy" and len(vectors) > 1:
        axes[0], axes[1] = 1, 0
    shape = [0] * len(vectors)
    for a, size in zip(axes, sizes):
        shape[a] = size
    grids = []
    for a, v in zip(axes, vectors):
        placed = tuple(-1 if i == a else 1 for i in range(len(vectors)))
        grids.append(broadcast_to(reshape(v, placed), tuple(shape)))
    return tuple(grids)
