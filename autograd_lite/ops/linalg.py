"""Linear algebra: matmul (1-D, 2-D and batched N-D operands, the ``@`` operator), dot, outer.

VJP rules write the matrix product as ``@`` and call ``F.`` for named functions
(``F.transpose``, ``F.sum_to``), so one rule serves arrays and tensors.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..primitive import primitive
from ..tensor import Tensor, as_inputs
from .shape import reshape


def _swap_last(F, x):
    axes = tuple(range(x.ndim - 2)) + (x.ndim - 1, x.ndim - 2)
    return F.transpose(x, axes=axes)


def _as_matrices(F, g, a, b):
    """View 1-D operands as matrices (a row, b a column) and g to match, as matmul does."""
    if a.ndim == 1:
        a = F.reshape(a, shape=(1, a.shape[0]))
        g = F.reshape(g, shape=g.shape[:-1] + (1,) + g.shape[-1:] if b.ndim > 1 else (1,) + g.shape)
    if b.ndim == 1:
        b = F.reshape(b, shape=(b.shape[0], 1))
        g = F.reshape(g, shape=g.shape + (1,))
    return g, a, b


def _matmul_vjp_a(F, g, ans, a, b):
    g2, a2, b2 = _as_matrices(F, g, a, b)
    grad = g2 @ _swap_last(F, b2)
    if a.ndim == 1:
        grad = F.sum_to(grad, shape=(1, a.shape[0]))
        return F.reshape(grad, shape=a.shape)
    return grad


def _matmul_vjp_b(F, g, ans, a, b):
    g2, a2, b2 = _as_matrices(F, g, a, b)
    grad = _swap_last(F, a2) @ g2
    if b.ndim == 1:
        grad = F.sum_to(grad, shape=(b.shape[0], 1))
        return F.reshape(grad, shape=b.shape)
    return grad


@primitive("matmul", _matmul_vjp_a, _matmul_vjp_b)
def _matmul(a: Any, b: Any) -> np.ndarray:
    return np.matmul(a, b)


def _check_matmul(a: Tensor, b: Tensor) -> None:
    a_shape, b_shape = a.shape, b.shape  # tensors here: np.shape would go through dispatch
    if len(a_shape) == 0 or len(b_shape) == 0:
        raise ValueError(f"matmul: operands must have at least one dimension, got shapes "
                         f"{a_shape} and {b_shape}; use * for scalars")
    inner_a = a_shape[-1]
    inner_b = b_shape[0] if len(b_shape) == 1 else b_shape[-2]
    if inner_a != inner_b:
        raise ValueError(f"matmul: shapes {a_shape} and {b_shape} are not aligned "
                         f"({inner_a} != {inner_b})")
    if len(a_shape) <= 2 or len(b_shape) <= 2:
        return  # batch axes on one side only always broadcast (and broadcast_shapes costs ~2 us)
    try:
        np.broadcast_shapes(a_shape[:-2], b_shape[:-2])
    except ValueError:
        raise ValueError(f"matmul: the batch dimensions of {a_shape} and {b_shape} cannot be "
                         f"broadcast together") from None


def matmul(a: Any, b: Any) -> Tensor:
    """Matrix product with NumPy's rules (``a @ b``).

    2-D: (n, k) @ (k, m) -> (n, m). 1-D operands act as a row (left) or column (right) and
    that axis is dropped. N-D operands are stacks of matrices whose batch axes broadcast.
    Raises ValueError naming both shapes when the inner sizes differ.
    """
    a, b = as_inputs((a, b), "matmul")
    _check_matmul(a, b)
    return _matmul(a, b)


def dot(a: Any, b: Any) -> Tensor:
    """Inner product of two 1-D tensors (or matmul for 2-D ones, as ``np.dot``)."""
    a, b = as_inputs((a, b), "dot")
    if a.ndim > 2 or b.ndim > 2:
        raise ValueError(f"dot: expects 1-D or 2-D operands, got shapes {np.shape(a)} and "
                         f"{np.shape(b)}; use matmul for batches")
    return matmul(a, b)


def outer(a: Any, b: Any) -> Tensor:
    """Outer product of two 1-D tensors: (n,) and (m,) -> (n, m)."""
    a, b = as_inputs((a, b), "outer")
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError(f"outer: expects 1-D operands, got shapes {np.shape(a)} and "
                         f"{np.shape(b)}")
    return reshape(a, (-1, 1)) * reshape(b, (1, -1))
