"""Indexing by integer tensors and sorting: take, take_along_axis, gather, scatter,
scatter_add, index_select, masked_select, nonzero, argwhere, sort, argsort, topk.

The NumPy-named ones (take, take_along_axis) follow NumPy (negative indices count from the
end); the PyTorch-named ones (gather, scatter, scatter_add, index_select, masked_select) take
PyTorch's ``(dim, index)`` arguments and rules (indices in [0, size)). All selections are
``getitem`` with integer arrays, whose gradient scatter-adds, so repeated indices accumulate.
``scatter`` is a primitive, because its gradient follows PyTorch's rule (below), which is not
the derivative of a composite. Sorting returns values by ``getitem`` at the sorted indices, so
the gradient of each value goes to the element its index names (ties included).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ..primitive import primitive
from ..spellings import torch_spellings
from ..tensor import Tensor, as_input
from .shape import broadcast_to, getitem, index_add_to, normalize_axis, reshape


class ValuesIndices(NamedTuple):
    """``(values, indices)``, also ``.values`` and ``.indices``: what PyTorch's sort, topk,
    cummax and cummin return."""

    values: Tensor
    indices: Tensor


def _index_array(index: Any, name: str) -> np.ndarray:
    """An integer index as an array (a Tensor, array, list or int); TypeError otherwise."""
    try:
        array = np.asarray(index.data if isinstance(index, Tensor) else index)
    except ValueError:
        raise ValueError(f"{name}: could not make an index array of {index!r} (ragged "
                         f"lists?)") from None
    if array.dtype.kind not in "iu":
        raise TypeError(f"{name}: the index must hold integers, got dtype {array.dtype}; "
                        f"ag.tensor makes Python ints float32, so make the index with "
                        f"ag.tensor(..., dtype='int64'), pass a list or NumPy array, or "
                        f"convert it with index.astype('int64')")
    return array


def _check_bounds(index: np.ndarray, size: int, axis: int, name: str, negative: bool) -> None:
    low = -size if negative else 0
    if index.size and (index.min() < low or index.max() >= size):
        bad = index[(index < low) | (index >= size)].flat[0]
        allowed = f"[{low}, {size})"
        raise IndexError(f"{name}: index {bad} is out of range for axis {axis} of size {size} "
                         f"(indices must lie in {allowed})")


def _axis(axis: int, ndim: int, name: str) -> int:
    if ndim == 0:
        raise ValueError(f"{name}: needs at least one dimension, got a 0-d tensor")
    return normalize_axis(axis, ndim, name)


def _along_axis(index: np.ndarray, axis: int, sizes: tuple[int, ...]) -> tuple:
    """The ``getitem`` index that picks ``index`` along ``axis`` and position i along every
    other axis d, for i < sizes[d] (the arrays broadcast to the result's shape)."""
    ndim = len(sizes)
    return tuple(index if d == axis else
                 np.arange(sizes[d]).reshape((-1,) + (1,) * (ndim - d - 1))
                 for d in range(ndim))


# --- NumPy's take and take_along_axis ----------------------------------------------------------


@torch_spellings
def take(x: Any, indices: Any, axis: int | None = None) -> Tensor:
    """Elements at ``indices`` along ``axis``, as ``np.take`` (``axis=None``: of the
    flattened tensor). The result has x's shape with that axis replaced by the indices'
    shape. Negative indices count from the end; IndexError outside; repeated indices
    accumulate their gradients."""
    x = as_input(x, "take")
    index = _index_array(indices, "take")
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    axis = _axis(axis, x.ndim, "take")
    _check_bounds(index, x.shape[axis], axis, "take", negative=True)
    return getitem(x, (slice(None),) * axis + (index,))


@torch_spellings
def take_along_axis(x: Any, indices: Any, axis: int | None = -1) -> Tensor:
    """``x`` picked at ``indices`` along ``axis``, as ``np.take_along_axis``: out[i, j] =
    x[indices[i, j], j] for axis 0. ``indices`` has x's number of dimensions (the others
    broadcast); with ``axis=None`` x is flattened and ``indices`` is 1-D. Pairs with argsort
    and argmax(keepdims=True). Negative indices count from the end."""
    x = as_input(x, "take_along_axis")
    index = _index_array(indices, "take_along_axis")
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    if index.ndim != x.ndim:
        raise ValueError(f"take_along_axis: indices of shape {index.shape} need the "
                         f"{x.ndim} dimensions of x (shape {x.shape})")
    axis = _axis(axis, x.ndim, "take_along_axis")
    others = [i for i in range(x.ndim) if i != axis]
    try:
        np.broadcast_shapes(tuple(x.shape[i] for i in others),
                            tuple(index.shape[i] for i in others))
    except ValueError:
        raise ValueError(f"take_along_axis: indices of shape {index.shape} do not broadcast "
                         f"with x of shape {x.shape} outside axis {axis}") from None
    _check_bounds(index, x.shape[axis], axis, "take_along_axis", negative=True)
    return getitem(x, _along_axis(index, axis, x.shape))


# --- PyTorch's gather, scatter, index_select, masked_select ------------------------------------


def _dim_index(x: Tensor, dim: int, index: Any, name: str) -> tuple[int, np.ndarray]:
    """Check PyTorch's rules: index has x's rank, is no larger outside ``dim``, and its
    entries lie in [0, x.shape[dim])."""
    index = _index_array(index, name)
    dim = _axis(dim, x.ndim, name)
    if index.ndim != x.ndim or any(index.shape[d] > x.shape[d]
                                   for d in range(x.ndim) if d != dim):
        raise ValueError(f"{name}: index of shape {index.shape} must have the {x.ndim} "
                         f"dimensions of the input (shape {x.shape}) and be no larger outside "
                         f"dim {dim}")
    _check_bounds(index, x.shape[dim], dim, name, negative=False)
    return dim, index


def gather(x: Any, dim: int, index: Any) -> Tensor:
    """PyTorch's gather: ``out[i][j] = x[index[i][j]][j]`` for dim 0, ``x[i][index[i][j]]``
    for dim 1. The result has index's shape; index has x's rank and is no larger than x
    outside ``dim`` (no broadcasting). IndexError for entries outside [0, x.shape[dim]).
    Repeated indices accumulate their gradients."""
    x = as_input(x, "gather")
    dim, index = _dim_index(x, dim, index, "gather")
    return getitem(x, _along_axis(index, dim, index.shape))


def _scatter_vjp_input(F, g, ans, x, src, index):
    return F.scatter(g, 0.0, index=index)


def _scatter_vjp_src(F, g, ans, x, src, index):
    return g[index]


@primitive("scatter", _scatter_vjp_input, _scatter_vjp_src)
def _scatter(x: Any, src: Any, index: tuple) -> np.ndarray:
    """A copy of x with ``src`` written at ``index``; of repeated targets the last write wins."""
    out = np.array(x, copy=True)
    out[index] = src
    return out


def _source(src: Any, index: np.ndarray, x: Tensor, name: str) -> Any:
    """The values that scatter writes: a number, or src cut to index's shape."""
    if isinstance(src, (int, float, np.number)) and not isinstance(src, (bool, np.bool_)):
        return float(src) if x.dtype.kind == "f" else src
    src = as_input(src, name)
    if src.ndim != index.ndim or any(i > s for i, s in zip(index.shape, src.shape)):
        raise ValueError(f"{name}: src of shape {src.shape} must have the dimensions of "
                         f"index (shape {index.shape}) and be at least as large")
    if src.dtype != x.dtype:
        raise TypeError(f"{name}: src has dtype {src.dtype} but the input has {x.dtype}; "
                        f"convert one, e.g. src.astype({str(x.dtype)!r})")
    return getitem(src, tuple(slice(0, n) for n in index.shape))


def scatter(x: Any, dim: int, index: Any, src: Any = None, *, value: Any = None) -> Tensor:
    """PyTorch's out-of-place scatter: a copy of ``x`` with ``src[i][j]`` written at
    ``[index[i][j]][j]`` (dim 0) or ``[i][index[i][j]]`` (dim 1).

    ``src`` is a tensor at least as large as ``index`` (only its first index.shape part is
    used) or a number; ``value=`` is the number form. Where index repeats a target, the last
    write wins (what PyTorch does on the CPU), and, as in PyTorch, the gradient of src goes
    to every duplicate (``g.gather(dim, index)``; the true derivative would give it to the
    last only). The input's gradient is g with zeros at the written places. Index rules and
    errors as in ``gather``; src must have x's dtype (TypeError).
    """
    x = as_input(x, "scatter")
    if (src is None) == (value is None):
        raise TypeError("scatter: give exactly one of src (a tensor or number) and value")
    dim, index = _dim_index(x, dim, index, "scatter")
    source = _source(src if src is not None else value, index, x, "scatter")
    return _scatter(x, source, index=_along_axis(index, dim, index.shape))


def scatter_add(x: Any, dim: int, index: Any, src: Any) -> Tensor:
    """PyTorch's out-of-place scatter_add: ``x`` plus ``src[i][j]`` added at
    ``[index[i][j]][j]`` (dim 0); repeated targets accumulate. The rules of ``scatter``;
    the gradient of src is ``g.gather(dim, index)`` (exact here)."""
    x = as_input(x, "scatter_add")
    dim, index = _dim_index(x, dim, index, "scatter_add")
    source = _source(src, index, x, "scatter_add")
    if not isinstance(source, Tensor):
        source = broadcast_to(as_input(source, "scatter_add"), index.shape)
    return x + index_add_to(source, _along_axis(index, dim, index.shape), x.shape)


def index_select(x: Any, dim: int, index: Any) -> Tensor:
    """PyTorch's index_select: the slices at the 1-D ``index`` along ``dim`` (entries in
    [0, size), IndexError outside); the dim's size becomes len(index)."""
    x = as_input(x, "index_select")
    index = _index_array(index, "index_select")
    if index.ndim > 1:
        raise ValueError(f"index_select: index must be 1-D, got shape {index.shape}")
    dim = _axis(dim, x.ndim, "index_select")
    _check_bounds(index, x.shape[dim], dim, "index_select", negative=False)
    return getitem(x, (slice(None),) * dim + (index.reshape(-1),))


def masked_select(x: Any, mask: Any) -> Tensor:
    """PyTorch's masked_select: the elements of ``x`` where the boolean ``mask`` is true, as
    a 1-D tensor (x and mask broadcast together first)."""
    x = as_input(x, "masked_select")
    try:
        array = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
    except ValueError:
        raise ValueError(f"masked_select: could not make a mask array of {mask!r} (ragged "
                         f"lists?)") from None
    if array.dtype != np.bool_:
        raise TypeError(f"masked_select: the mask must be boolean, got dtype {array.dtype}")
    try:
        shape = np.broadcast_shapes(x.shape, array.shape)
    except ValueError:
        raise ValueError(f"masked_select: x of shape {x.shape} and a mask of shape "
                         f"{array.shape} do not broadcast together") from None
    if x.shape != shape:
        x = broadcast_to(x, shape)
    return getitem(x, np.broadcast_to(array, shape))


def nonzero(x: Any) -> tuple[Tensor, ...]:
    """The indices of the non-zero (true) elements, as ``np.nonzero``: one int64 tensor per
    axis, so ``x[ag.nonzero(x)]`` gives them. No gradient. (``torch.nonzero`` returns one
    (n, ndim) tensor: that is ``ag.argwhere``.) ValueError for a 0-d tensor, as in NumPy."""
    x = as_input(x, "nonzero")
    if x.ndim == 0:
        raise ValueError("nonzero: a 0-d tensor has no axes to index; use x.reshape(1)")
    return tuple(Tensor._from_op(i) for i in np.nonzero(x.data))


def argwhere(x: Any) -> Tensor:
    """The indices of the non-zero (true) elements as one (n, ndim) int64 tensor, as
    ``np.argwhere`` and ``torch.nonzero``. No gradient."""
    x = as_input(x, "argwhere")
    return Tensor._from_op(np.argwhere(x.data))


# --- sorting ------------------------------------------------------------------------------------


@primitive("argsort", differentiable=False)
def _argsort(x: Any, axis: int, descending: bool) -> np.ndarray:
    """Stable argsort; descending keeps equal elements in their order and puts NaN first, as
    PyTorch (an ascending stable sort of the reversed array, reversed back)."""
    if not descending:
        return np.argsort(x, axis=axis, kind="stable")
    last = np.shape(x)[axis] - 1
    order = np.argsort(np.flip(x, axis), axis=axis, kind="stable")
    return np.flip(last - order, axis)


_SORT_KINDS = (None, "quicksort", "mergesort", "heapsort", "stable")


def _sort_axis(x: Any, axis: int | None, descending: bool, stable: bool, name: str,
               kind: str | None = None) -> tuple[Tensor, int]:
    x = as_input(x, name)
    if not isinstance(kind, (str, type(None))) or kind not in _SORT_KINDS:
        raise ValueError(f"{name}: kind must be one of {_SORT_KINDS[1:]} or None, got "
                         f"{kind!r} (for PyTorch's descending, write descending=True)")
    for flag, what in ((descending, "descending"), (stable, "stable")):
        if not isinstance(flag, (bool, np.bool_)):
            raise TypeError(f"{name}: {what} must be True or False, got {flag!r}")
    if axis is None:
        return reshape(x, (-1,)), 0
    return x, _axis(axis, x.ndim, name)


@torch_spellings
def argsort(x: Any, axis: int | None = -1, kind: str | None = None, *,
            descending: bool = False, stable: bool = False) -> Tensor:
    """Indices that sort ``x`` along ``axis`` (int64), as ``np.argsort``
    (``axis=None``: of the flattened tensor); ``descending=True`` sorts from largest, as in
    PyTorch. The sort is always stable (equal elements keep their order; NumPy's ``kind`` and
    ``stable`` are accepted and change nothing), as PyTorch's ``stable=True``; PyTorch's
    default may order ties differently on larger tensors. NaN sorts as the largest value, as
    in PyTorch. ValueError
    for an unknown ``kind`` (``torch.argsort(x, 0, True)`` lands there: pass
    ``descending=True`` by name)."""
    x, axis = _sort_axis(x, axis, descending, stable, "argsort", kind)
    return _argsort(x, axis=axis, descending=bool(descending))


def _torch_sort(x: Any, axis: int | None = -1, kind: str | None = None, *,
                descending: bool = False, stable: bool = False) -> ValuesIndices:
    """``torch.sort``, what ``ag.sort`` gives when called with ``dim=``: (values, indices)."""
    if kind is not None:
        raise TypeError(f"sort: kind={kind!r} is NumPy's argument; a call with dim= is "
                        f"PyTorch's torch.sort, which takes descending= and stable= by name")
    return sort_with_indices(x, axis, descending, stable)


@torch_spellings(torch_variant=_torch_sort)
def sort(x: Any, axis: int | None = -1, kind: str | None = None, *, descending: bool = False,
         stable: bool = False) -> Tensor:
    """``x`` sorted along ``axis``, as ``np.sort``: the values only. Called with PyTorch's
    ``dim=`` it is ``torch.sort``, returning ``(values, indices)`` as ``Tensor.sort`` does.
    The rules of ``argsort``; the gradient of each sorted value
    goes to the element it came from (of tied elements, to the one its index names)."""
    x, axis = _sort_axis(x, axis, descending, stable, "sort", kind)
    return take_along_axis(x, _argsort(x, axis=axis, descending=bool(descending)).data, axis)


def sort_with_indices(x: Any, axis: int | None = -1, descending: bool = False,
                      stable: bool = False) -> ValuesIndices:
    """``(values, indices)`` of ``sort`` and ``argsort`` in one pass: PyTorch's
    ``torch.sort``, which ``Tensor.sort`` calls."""
    x, axis = _sort_axis(x, axis, descending, stable, "sort")
    order = _argsort(x, axis=axis, descending=bool(descending))
    return ValuesIndices(take_along_axis(x, order.data, axis), order)


@torch_spellings
def topk(x: Any, k: int, axis: int = -1, largest: bool = True, sorted: bool = True
         ) -> ValuesIndices:
    """The ``k`` largest (``largest=False``: smallest) elements along ``axis`` and their
    indices, as ``torch.topk``: ``(values, indices)``, also ``.values`` and ``.indices``.

    The results are always sorted (largest first; smallest first with ``largest=False``),
    which ``sorted=False`` allows. Of tied elements the ones with lower indices come first;
    PyTorch leaves the choice among ties to its implementation, so its indices may differ
    there (the values agree). Gradients go to the elements the indices name. ValueError
    unless 0 <= k <= the axis size.
    """
    x = as_input(x, "topk")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"topk: k must be an int, got {k!r}")
    if not isinstance(largest, (bool, np.bool_)) or not isinstance(sorted, (bool, np.bool_)):
        raise TypeError(f"topk: largest and sorted must be True or False, got {largest!r} "
                        f"and {sorted!r}")
    axis = _axis(axis, x.ndim, "topk")
    if not 0 <= k <= x.shape[axis]:
        raise ValueError(f"topk: k={k} is out of range for axis {axis} of size "
                         f"{x.shape[axis]}")
    order = _argsort(x, axis=axis, descending=bool(largest)).data
    chosen = order[(slice(None),) * axis + (slice(0, int(k)),)]
    return ValuesIndices(take_along_axis(x, chosen, axis), Tensor._from_op(chosen))
