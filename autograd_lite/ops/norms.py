"""Vector and matrix norms: ``norm`` (NumPy's), ``vector_norm``, ``matrix_norm``, and
``Tensor.norm`` (PyTorch's). Public through ``ag.linalg`` (``autograd_lite/linalg.py``).

All are composites of differentiable ops, so second derivatives come for free. Subgradients
follow PyTorch: every norm has gradient 0 at the zero vector (the p-norms' root is guarded so
that 0 / 0 never appears) and at zero entries (also for p < 1), the 1-norm's is sign(x), tied
maxima of the inf-norm (and of the matrix 1- and inf-norms) share the gradient evenly, and the
0-"norm" (the count of nonzeros) has no gradient.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from ..spellings import torch_spellings
from ..tensor import Tensor, as_input
from .decompositions import svdvals
from .elementwise import abs, astype, ne, sqrt, where
from .reduction import max, min, sum
from .shape import normalize_axes, squeeze, transpose

_MATRIX_ORDS = ("fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf)


def _root(total: Tensor, p: float) -> Tensor:
    """``total ** (1 / p)`` with gradient 0 where total == 0 (PyTorch's rule at the zero vector)."""
    zero = total == 0
    safe = where(zero, 1, total)
    return where(zero, 0, sqrt(safe) if p == 2 else safe ** (1 / p))


def _vector_norm(x: Tensor, ord: Any, axes: tuple[int, ...], keepdims: bool, name: str
                 ) -> Tensor:
    if isinstance(ord, bool) or not isinstance(ord, numbers.Real):
        raise ValueError(f"{name}: invalid norm order {ord!r} for vectors; use a number, inf "
                         f"or -inf ('fro' and 'nuc' are matrix norms: give two axes)")
    reduce = {"axis": axes, "keepdims": keepdims}
    if ord == math.inf:
        return max(abs(x), **reduce)
    if ord == -math.inf:
        return min(abs(x), **reduce)
    if ord == 0:
        return sum(astype(ne(x, 0), x.dtype), **reduce)
    if ord == 1:
        return sum(abs(x), **reduce)
    if ord == 2:
        return _root(sum(x * x, **reduce), 2)
    # Zero entries are set aside so that their gradient is 0 for every p (as in PyTorch), not
    # 0 * inf for p < 1; for p < 0 one zero entry makes the norm 0, as in NumPy.
    zero = x == 0
    powers = where(zero, 0 if ord > 0 else math.inf, where(zero, 1, abs(x)) ** ord)
    return _root(sum(powers, **reduce), ord)


def _matrix_norm(x: Tensor, ord: Any, axes: tuple[int, int], keepdims: bool, name: str
                 ) -> Tensor:
    rows, columns = axes
    if ord not in _MATRIX_ORDS or isinstance(ord, bool):
        raise ValueError(f"{name}: invalid norm order {ord!r} for matrices; use one of "
                         f"'fro', 'nuc', 1, -1, 2, -2, inf, -inf")
    if ord == "fro":
        return _vector_norm(x, 2, (rows, columns), keepdims, name)
    if ord in (1, -1, math.inf, -math.inf):
        # 1: the largest column sum of |x|; inf: the largest row sum.
        summed, extreme = (rows, columns) if ord in (1, -1) else (columns, rows)
        pick = max if ord > 0 else min
        result = pick(sum(abs(x), axis=summed, keepdims=True), axis=extreme, keepdims=True)
    else:
        rest = [a for a in range(x.ndim) if a not in (rows, columns)]
        values = svdvals(transpose(x, tuple(rest) + (rows, columns)))
        result = sum(values, axis=-1) if ord == "nuc" else (
            max(values, axis=-1) if ord == 2 else min(values, axis=-1))
        for axis in sorted((rows, columns)):
            result = result.unsqueeze(axis)
    return result if keepdims else squeeze(result, axis=(rows, columns))


def _two_axes(axis: tuple, ndim: int, name: str) -> tuple[int, int]:
    """A pair of axes as (row, column), non-negative; errors name ``name``."""
    normalize_axes(axis, ndim, name)  # integers, in range, not repeated
    return axis[0] % ndim, axis[1] % ndim


@torch_spellings
def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Vector or matrix norm with ``numpy.linalg.norm``'s rules.

    ``axis=None`` with ``ord=None``: the 2-norm of all elements (any shape). ``axis=None`` with
    an ``ord``: x must be 1-D (vector norm) or 2-D (matrix norm). An int axis takes vector
    norms along it (``ord``: any number, inf, -inf; 0 counts nonzeros); a pair of axes takes
    matrix norms (``ord``: 'fro' (default), 'nuc', 1, -1, 2, -2, inf, -inf; 2, -2 and 'nuc'
    through the singular values). ``keepdims=True`` keeps the reduced axes with size 1.
    Raises ValueError for an order that does not fit the axes, naming both.

        >>> import autograd_lite as ag
        >>> ag.linalg.norm(ag.tensor([3.0, 4.0]))
        tensor(5.)
    """
    x = as_input(x, "linalg.norm")
    if axis is None:
        if ord is None:
            return _vector_norm(x, 2, tuple(range(x.ndim)), keepdims, "linalg.norm")
        if x.ndim not in (1, 2):
            raise ValueError(f"linalg.norm: ord={ord!r} with axis=None needs a 1-D or 2-D "
                             f"tensor, got shape {x.shape}; pass axis= (an int for vector "
                             f"norms, two ints for matrix norms)")
        axis = tuple(range(x.ndim))
    if isinstance(axis, (int, np.integer)):
        axis = (int(axis),)
    axis = tuple(axis)
    if len(axis) == 1:
        return _vector_norm(x, 2 if ord is None else ord, normalize_axes(axis, x.ndim,
                            "linalg.norm"), keepdims, "linalg.norm")
    if len(axis) == 2:
        return _matrix_norm(x, "fro" if ord is None else ord,
                            _two_axes(axis, x.ndim, "linalg.norm"), keepdims, "linalg.norm")
    raise ValueError(f"linalg.norm: axis must be None, an int or two ints, got {axis}; use "
                     f"linalg.vector_norm for norms over more axes")


@torch_spellings
def vector_norm(x: Any, *, axis: Any = None, keepdims: bool = False, ord: Any = 2) -> Tensor:
    """Vector p-norm over ``axis`` (None: all elements, flattened), as NumPy 2's
    ``numpy.linalg.vector_norm``: ``ord`` any number, inf or -inf (0 counts nonzeros)."""
    x = as_input(x, "linalg.vector_norm")
    axes = normalize_axes(axis, x.ndim, "linalg.vector_norm")
    return _vector_norm(x, ord, axes, keepdims, "linalg.vector_norm")


@torch_spellings
def matrix_norm(x: Any, *, keepdims: bool = False, ord: Any = "fro") -> Tensor:
    """Matrix norm of each matrix of a stack (..., m, n), as NumPy 2's
    ``numpy.linalg.matrix_norm``: ``ord`` 'fro', 'nuc', 1, -1, 2, -2, inf or -inf."""
    x = as_input(x, "linalg.matrix_norm")
    if x.ndim < 2:
        raise ValueError(f"linalg.matrix_norm: expects a matrix or a stack of them (..., m, n), "
                         f"got shape {x.shape}")
    return _matrix_norm(x, ord, (x.ndim - 2, x.ndim - 1), keepdims, "linalg.matrix_norm")


def tensor_norm(x: Any, p: Any = "fro", dim: Any = None, keepdim: bool = False) -> Tensor:
    """``Tensor.norm`` with ``torch.Tensor.norm``'s meaning.

    A number ``p`` (or None, meaning 2) is a vector norm over ``dim`` (None: all elements,
    any shape; a tuple: all of those axes together). ``p='fro'`` is the 2-norm of the same
    elements (``dim`` None, an int, or up to two axes); ``p='nuc'`` is the nuclear norm over
    two axes (``dim`` None needs a 2-D tensor).
    """
    x = as_input(x, "Tensor.norm")
    if isinstance(p, str):
        if p == "fro" and (dim is None or isinstance(dim, (int, np.integer)) or len(dim) <= 2):
            return _vector_norm(x, 2, normalize_axes(dim, x.ndim, "Tensor.norm"), keepdim,
                                "Tensor.norm")
        if p != "nuc" and p != "fro":
            raise ValueError(f"Tensor.norm: invalid norm {p!r}; use a number, 'fro' or 'nuc'")
        axes = tuple(range(x.ndim)) if dim is None else tuple(dim)
        if len(axes) != 2:
            raise ValueError(f"Tensor.norm: p={p!r} needs two dims, got tensor of shape "
                             f"{x.shape} and dim={dim}")
        return _matrix_norm(x, p, _two_axes(axes, x.ndim, "Tensor.norm"), keepdim,
                            "Tensor.norm")
    return _vector_norm(x, 2 if p is None else p, normalize_axes(dim, x.ndim, "Tensor.norm"),
                        keepdim, "Tensor.norm")
