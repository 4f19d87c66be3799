"""Shape and indexing: reshape, transpose, broadcasting, joining, splitting, padding, indexing.

The primitives are reshape, transpose, broadcast_to, sum_to, concatenate, pad, getitem and its
adjoint ``index_add_to``; the rest are composites of them. VJP rules index with Python's
``g[index]`` (the ``getitem`` primitive) and call ``F.`` for the named ones (``F.sum_to``), so
one rule serves arrays and tensors.
"""

from __future__ import annotations

import builtins
import math
import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..primitive import primitive
from ..spellings import torch_spellings
from ..tensor import Tensor, as_input, as_inputs


def normalize_axes(axis: Any, ndim: int, name: str) -> tuple[int, ...]:
    """Turn None / an int / a sequence of ints into a sorted tuple of non-negative axes.

    Raises TypeError for non-integers and ValueError (naming ``name``) for an axis out of range
    or repeated.
    """
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if not isinstance(axis, (tuple, list)) else tuple(axis)
    result = []
    for a in axes:
        if isinstance(a, bool) or not isinstance(a, (int, np.integer)):
            raise TypeError(f"{name}: axis must be an int or a tuple of ints, got {axis!r}")
        if not -ndim <= a < ndim:
            raise ValueError(f"{name}: axis {a} is out of range for a tensor with {ndim} "
                             f"dimensions")
        result.append(int(a) % ndim)
    if len(set(result)) != len(result):
        raise ValueError(f"{name}: repeated axis in {axis!r}")
    return tuple(sorted(result))


def keepdims_flag(keepdims: Any, name: str) -> bool:
    """Check that ``keepdims`` is a bool (TypeError naming ``name`` otherwise)."""
    if not isinstance(keepdims, (bool, np.bool_)):
        raise TypeError(f"{name}: keepdims must be True or False, got {keepdims!r}")
    return bool(keepdims)


def _shape_arg(shape: Any, name: str) -> tuple[int, ...]:
    """Turn an int or a sequence of ints into a shape tuple; TypeError naming ``name`` else."""
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        return (int(shape),)
    if isinstance(shape, (tuple, list)) and all(
            isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in shape):
        return tuple(int(s) for s in shape)
    raise TypeError(f"{name}: a shape must be an int or a sequence of ints, got {shape!r}")


def _tensor_list(tensors: Any, name: str) -> list[Tensor]:
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{name}: expected a list or tuple of tensors, got "
                        f"{type(tensors).__name__}")
    if not tensors:
        raise ValueError(f"{name}: needs at least one tensor")
    return as_inputs(tensors, name)


def normalize_axis(axis: int, ndim: int, name: str) -> int:
    """Turn one int axis (negative allowed) into a non-negative one; errors name ``name``."""
    axes = normalize_axes(axis, ndim, name) if axis is not None else ()
    if len(axes) != 1 or isinstance(axis, (tuple, list)):
        raise TypeError(f"{name}: axis must be a single int, got {axis!r}")
    return axes[0]



# --- reshaping -----------------------------------------------------------------------------


@primitive("reshape", lambda F, g, ans, x, shape: F.reshape(g, shape=x.shape))
def _reshape(x: Any, shape: tuple[int, ...]) -> np.ndarray:
    return np.reshape(x, shape)


def reshape(x: Any, shape: Any) -> Tensor:
    """Same data, new ``shape`` (one entry may be -1). ValueError when the sizes differ."""
    x = as_input(x, "reshape")
    shape = _shape_arg(shape, "reshape")
    known = math.prod(s for s in shape if s != -1)
    if shape.count(-1) > 1 or any(s < -1 for s in shape) or (
            -1 not in shape and known != x.size) or (
            -1 in shape and (known == 0 or x.size % known)):
        raise ValueError(f"reshape: cannot reshape a tensor of shape {x.shape} "
                         f"({x.size} elements) into shape {shape}")
    return _reshape(x, shape=shape)


@primitive("transpose",
           lambda F, g, ans, x, axes: F.transpose(g, axes=tuple(np.argsort(axes).tolist())))
def _transpose(x: Any, axes: tuple[int, ...]) -> np.ndarray:
    return np.transpose(x, axes)


def transpose(x: Any, axes: Sequence[int] | None = None) -> Tensor:
    """Permute the axes (reverse them when ``axes`` is None, as ``np.transpose``)."""
    x = as_input(x, "transpose")
    if axes is None:
        axes = tuple(reversed(range(x.ndim)))
    elif not isinstance(axes, (tuple, list)):
        raise TypeError(f"transpose: axes must be a sequence of ints, got {axes!r}")
    elif sorted(normalize_axes(axes, x.ndim, "transpose")) != list(range(x.ndim)) or len(
            axes) != x.ndim:
        raise ValueError(f"transpose: axes {tuple(axes)} are not a permutation of the "
                         f"{x.ndim} axes of shape {x.shape}")
    axes = tuple(int(a) % x.ndim for a in axes)
    return _transpose(x, axes=axes)


def permute(x: Any, *axes: Any) -> Tensor:
    """PyTorch's name for ``transpose`` with explicit axes: ``permute(x, 2, 0, 1)``."""
    if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
        axes = tuple(axes[0])
    return transpose(x, axes)


def swapaxes(x: Any, axis1: int, axis2: int) -> Tensor:
    """Exchange two axes."""
    x = as_input(x, "swapaxes")
    axes = list(range(x.ndim))
    a = normalize_axis(axis1, x.ndim, "swapaxes")
    b = normalize_axis(axis2, x.ndim, "swapaxes")
    axes[a], axes[b] = axes[b], axes[a]
    return _transpose(x, axes=tuple(axes))


@torch_spellings
def expand_dims(x: Any, axis: Any) -> Tensor:
    """Insert axes of size 1 at ``axis`` (an int or a tuple, positions in the result)."""
    x = as_input(x, "expand_dims")
    axes = normalize_axes(axis, x.ndim + (len(axis) if isinstance(axis, (tuple, list)) else 1),
                          "expand_dims")
    shape = list(x.shape)
    for a in axes:
        shape.insert(a, 1)
    return _reshape(x, shape=tuple(shape))


@torch_spellings
def unsqueeze(x: Any, axis: int) -> Tensor:
    """PyTorch's name for ``expand_dims`` with one axis."""
    return expand_dims(x, axis)


@torch_spellings
def squeeze(x: Any, axis: Any = None) -> Tensor:
    """Remove axes of size 1 (all of them when ``axis`` is None); ValueError for a larger axis."""
    x = as_input(x, "squeeze")
    if axis is None:
        axes = tuple(i for i, size in enumerate(x.shape) if size == 1)
    else:
        axes = normalize_axes(axis, x.ndim, "squeeze")
        for a in axes:
            if x.shape[a] != 1:
                raise ValueError(f"squeeze: axis {a} of shape {x.shape} has size "
                                 f"{x.shape[a]}, not 1")
    return _reshape(x, shape=tuple(s for i, s in enumerate(x.shape) if i not in axes))


@torch_spellings
def flatten(x: Any, start_axis: int = 0, end_axis: int = -1) -> Tensor:
    """Merge axes ``start_axis`` .. ``end_axis`` (inclusive) into one."""
    x = as_input(x, "flatten")
    if x.ndim == 0:
        return _reshape(x, shape=(1,))
    start = normalize_axis(start_axis, x.ndim, "flatten")
    end = normalize_axis(end_axis, x.ndim, "flatten")
    if start > end:
        raise ValueError(f"flatten: start_axis {start_axis} comes after end_axis {end_axis}")
    merged = math.prod(x.shape[start:end + 1])
    return _reshape(x, shape=x.shape[:start] + (merged,) + x.shape[end + 1:])


# --- broadcasting --------------------------------------------------------------------------


@primitive("broadcast_to", lambda F, g, ans, x, shape: F.sum_to(g, shape=x.shape))
def _broadcast_to(x: Any, shape: tuple[int, ...]) -> np.ndarray:
    return np.broadcast_to(x, shape)


def broadcast_to(x: Any, shape: Sequence[int]) -> Tensor:
    """Repeat ``x`` along new leading axes and axes of size 1 to reach ``shape``."""
    x = as_input(x, "broadcast_to")
    shape = _shape_arg(shape, "broadcast_to")
    try:
        np.broadcast_shapes(x.shape, shape)
    except ValueError:
        raise ValueError(f"broadcast_to: cannot broadcast shape {x.shape} to {shape}") from None
    if np.broadcast_shapes(x.shape, shape) != shape:
        raise ValueError(f"broadcast_to: cannot broadcast shape {x.shape} to {shape}")
    return _broadcast_to(x, shape=shape)


@primitive("sum_to", lambda F, g, ans, x, shape: F.broadcast_to(g, shape=x.shape))
def _sum_to(x: Any, shape: tuple[int, ...]) -> np.ndarray:
    """Sum a broadcast array back down to ``shape``: the one place gradients are unbroadcast."""
    x = np.asarray(x)
    extra = x.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        extra + i for i, size in enumerate(shape) if size == 1 and x.shape[extra + i] != 1)
    summed = np.sum(x, axis=axes, keepdims=True) if axes else x
    return np.reshape(summed, shape)


def sum_to(x: Any, shape: Sequence[int]) -> Tensor:
    """Sum ``x`` over the axes that broadcasting added or stretched, giving ``shape``.

    The adjoint of ``broadcast_to``; raises ValueError when ``shape`` does not broadcast to
    ``x``'s shape.
    """
    x = as_input(x, "sum_to")
    shape = _shape_arg(shape, "sum_to")
    if len(shape) > x.ndim or any(a not in (1, b) for a, b in zip(reversed(shape),
                                                                  reversed(x.shape))):
        raise ValueError(f"sum_to: shape {shape} does not broadcast to {x.shape}")
    return _sum_to(x, shape=shape)


# --- joining, splitting, padding ------------------------------------------------------------


def _concatenate_vjp(F, argnum, g, ans, *inputs, axis):
    start = builtins.sum(inputs[i].shape[axis] for i in range(argnum))
    index = (slice(None),) * axis + (slice(start, start + inputs[argnum].shape[axis]),)
    return g[index]


@primitive("concatenate", vjp_any=_concatenate_vjp)
def _concatenate(*arrays: Any, axis: int) -> np.ndarray:
    return np.concatenate(arrays, axis=axis)


@torch_spellings
def concatenate(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors along an existing ``axis``; the other axes must match."""
    tensors = _tensor_list(tensors, "concatenate")
    first = tensors[0]
    if first.ndim == 0:
        raise ValueError("concatenate: zero-dimensional tensors cannot be concatenated; use "
                         "stack")
    axis = normalize_axis(axis, first.ndim, "concatenate")
    for t in tensors[1:]:
        if t.ndim != first.ndim or any(
                a != b for i, (a, b) in enumerate(zip(t.shape, first.shape)) if i != axis):
            shapes = [t.shape for t in tensors]
            raise ValueError(f"concatenate: shapes {shapes} differ outside axis {axis}")
    return _concatenate(*tensors, axis=axis)


@torch_spellings
def stack(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join same-shaped tensors along a new ``axis``."""
    tensors = _tensor_list(tensors, "stack")
    if any(t.shape != tensors[0].shape for t in tensors):
        raise ValueError(f"stack: all tensors need the same shape, got "
                         f"{[t.shape for t in tensors]}")
    axis = normalize_axis(axis, tensors[0].ndim + 1, "stack")
    return concatenate([expand_dims(t, axis) for t in tensors], axis=axis)


@torch_spellings
def split(x: Any, indices_or_sections: int | Sequence[int], axis: int = 0) -> list[Tensor]:
    """Split along ``axis`` into equal sections (an int) or at the given indices (NumPy's rule).

    Raises ValueError when an int does not divide the axis evenly.
    """
    x = as_input(x, "split")
    if x.ndim == 0:
        raise ValueError("split: cannot split a zero-dimensional tensor")
    axis = normalize_axis(axis, x.ndim, "split")
    length = x.shape[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        sections = int(indices_or_sections)
        if sections <= 0 or length % sections:
            raise ValueError(f"split: axis {axis} of size {length} cannot be split into "
                             f"{sections} equal sections")
        bounds = [i * (length // sections) for i in range(sections + 1)]
    elif isinstance(indices_or_sections, (tuple, list)) and all(
            isinstance(i, (int, np.integer)) for i in indices_or_sections):
        # Python slicing, as np.split does: negative indices count from the end, and a cut
        # before the previous one gives an empty piece.
        bounds = [0] + [int(i) for i in indices_or_sections] + [length]
    else:
        raise TypeError(f"split: expected a number of sections or a list of indices, got "
                        f"{indices_or_sections!r}")
    return [getitem(x, (slice(None),) * axis + (slice(a, b),))
            for a, b in zip(bounds[:-1], bounds[1:])]


def _pad_vjp(F, g, ans, x, pad_width, value):
    index = tuple(slice(before, before + size) for (before, _), size in zip(pad_width, x.shape))
    return g[index]


@primitive("pad", _pad_vjp)
def _pad(x: Any, pad_width: tuple[tuple[int, int], ...], value: float) -> np.ndarray:
    return np.pad(x, pad_width, mode="constant", constant_values=value)


def pad(x: Any, pad_width: Any, value: float = 0.0) -> Tensor:
    """Pad with a constant ``value``; ``pad_width`` as in ``np.pad``: an int, a (before, after)
    pair for every axis, or one pair per axis. Negative widths raise ValueError."""
    x = as_input(x, "pad")
    try:
        widths = np.asarray(pad_width, dtype=np.int64)
        # A 0-d tensor has no axes to pad: () (NumPy's empty pad_width) must fit shape (0, 2).
        widths = np.broadcast_to(widths.reshape(0, 2) if widths.size == 0 else widths,
                                 (x.ndim, 2))
        value = float(value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"pad: pad_width {pad_width!r} does not fit a tensor with {x.ndim} "
                         f"dimensions (give one (before, after) pair per axis), or the value "
                         f"{value!r} is not a number") from None
    if (widths < 0).any():
        raise ValueError(f"pad: pad widths must be non-negative, got {pad_width!r}")
    if x.ndim == 0:
        return _reshape(x, shape=())  # np.pad rejects an empty pad_width; nothing to pad
    return _pad(x, pad_width=tuple(map(tuple, widths.tolist())), value=value)


@torch_spellings
def flip(x: Any, axis: Any = None) -> Tensor:
    """Reverse the order of elements along ``axis`` (all axes when None)."""
    x = as_input(x, "flip")
    axes = normalize_axes(axis, x.ndim, "flip")
    return getitem(x, tuple(slice(None, None, -1) if i in axes else slice(None)
                            for i in range(x.ndim)))


# --- indexing ------------------------------------------------------------------------------


def _has_array(index: tuple) -> bool:
    return any(isinstance(i, np.ndarray) for i in index)


@primitive("getitem", lambda F, g, ans, x, index: F.index_add_to(g, index=index, shape=x.shape))
def _getitem(x: Any, index: tuple) -> np.ndarray:
    return np.asarray(x)[index]


@primitive("index_add_to", lambda F, g, ans, values, index, shape: g[index])
def _index_add_to(values: Any, index: tuple, shape: tuple[int, ...]) -> np.ndarray:
    """Zeros of ``shape`` with ``values`` added at ``index``; repeated indices accumulate."""
    values = np.asarray(values)
    out = np.zeros(shape, dtype=values.dtype)
    if _has_array(index):
        np.add.at(out, index, values)
    else:
        out[index] = values  # basic indexing never repeats an element
    return out


def _normalize_index(index: Any, name: str) -> tuple:
    index = index if isinstance(index, tuple) else (index,)
    result = []
    for i in index:
        if isinstance(i, Tensor):
            i = i.data
        elif isinstance(i, (list, tuple)):
            # Inside the index tuple, a tuple is a list of indices, as in NumPy and PyTorch:
            # t[(1, 0), :] is t[[1, 0], :].
            try:
                i = np.asarray(i) if len(i) else np.zeros(0, dtype=np.intp)
            except ValueError:
                raise IndexError(f"{name}: the list index {i!r} is ragged") from None
        if isinstance(i, np.ndarray):
            if i.dtype.kind not in "biu":
                raise IndexError(f"{name}: arrays used as indices must be integer or boolean, "
                                 f"got dtype {i.dtype}; Python ints become float32 here, so "
                                 f"make indices with ag.tensor([0, 1], dtype='int64') or "
                                 f"t.long()")
        elif not (i is None or i is Ellipsis or isinstance(i, (slice, int, np.integer))):
            raise IndexError(f"{name}: unsupported index {i!r}; use ints, slices, None, "
                             f"Ellipsis, or integer/boolean arrays")
        result.append(operator.index(i) if isinstance(i, np.integer) else i)
    return tuple(result)


def getitem(x: Any, index: Any) -> Tensor:
    """``x[index]`` with ints, slices, None, Ellipsis, boolean masks and integer arrays.

    The gradient scatter-adds into the indexed positions, so repeated indices accumulate.
    Raises IndexError naming the index and shape when an index is out of range.
    """
    x = as_input(x, "getitem")
    return _getitem(x, index=_normalize_index(index, "getitem"))


def index_add_to(values: Any, index: Any, shape: Sequence[int]) -> Tensor:
    """Zeros of ``shape`` with ``values`` added at ``index`` (the adjoint of ``getitem``)."""
    return _index_add_to(values, index=_normalize_index(index, "index_add_to"),
                         shape=_shape_arg(shape, "index_add_to"))
