"""Products: matmul (1-D, 2-D and batched N-D operands, the ``@`` operator), dot (every rank
NumPy accepts), PyTorch's mm, bmm and mv, and outer.

VJP rules write the matrix product as ``@`` and call ``F.`` for named functions
(``F.transpose``, ``F.sum_to``), so one rule serves arrays and tensors.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..primitive import primitive
from ..tensor import Tensor, as_inputs
from .elementwise import mul
from .shape import reshape, transpose


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


def _check_matmul(a: Tensor, b: Tensor, name: str = "matmul") -> None:
    a_shape, b_shape = a.shape, b.shape  # tensors here: np.shape would go through dispatch
    if len(a_shape) == 0 or len(b_shape) == 0:
        raise ValueError(f"{name}: operands must have at least one dimension, got shapes "
                         f"{a_shape} and {b_shape}; use * for scalars")
    inner_a = a_shape[-1]
    inner_b = b_shape[0] if len(b_shape) == 1 else b_shape[-2]
    if inner_a != inner_b:
        raise ValueError(f"{name}: shapes {a_shape} and {b_shape} are not aligned "
                         f"({inner_a} != {inner_b})")
    if len(a_shape) <= 2 or len(b_shape) <= 2:
        return  # batch axes on one side only always broadcast (and broadcast_shapes costs ~2 us)
    try:
        np.broadcast_shapes(a_shape[:-2], b_shape[:-2])
    except ValueError:
        raise ValueError(f"{name}: the batch dimensions of {a_shape} and {b_shape} cannot be "
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
    """``np.dot``'s product for operands of any rank.

    0-d operand: elementwise multiplication. 1-D and 2-D: inner product, matrix-vector or
    matrix product (matmul). N-D: a sum over the last axis of ``a`` and the second-to-last of
    ``b`` (the last of a 1-D ``b``): shape ``a.shape[:-1] + b.shape[:-2] + b.shape[-1:]``. No
    broadcasting of batch axes (use matmul for that). Raises ValueError naming the shapes when
    the summed axes differ.
    """
    a, b = as_inputs((a, b), "dot")
    if a.ndim == 0 or b.ndim == 0:
        return mul(a, b)
    if a.ndim <= 2 and b.ndim <= 2:
        return matmul(a, b)
    summed_b = 0 if b.ndim == 1 else b.ndim - 2
    if a.shape[-1] != b.shape[summed_b]:
        raise ValueError(f"dot: shapes {a.shape} and {b.shape} are not aligned: the last axis "
                         f"of a ({a.shape[-1]}) must equal axis {summed_b} of b "
                         f"({b.shape[summed_b]})")
    if b.ndim == 1:
        return matmul(a, b)
    # b's summed axis first, the rest flattened: one matrix product does every sum.
    k = b.shape[-2]
    moved = transpose(b, (b.ndim - 2,) + tuple(range(b.ndim - 2)) + (b.ndim - 1,))
    product = matmul(reshape(a, (-1, k)), reshape(moved, (k, -1)))
    return reshape(product, a.shape[:-1] + b.shape[:-2] + b.shape[-1:])


def _require_ranks(name: str, a: Tensor, b: Tensor, ranks: tuple[int, int], fix: str) -> None:
    """The checks of mm, bmm and mv: exactly these ranks, then matmul's (named ``name``)."""
    if (a.ndim, b.ndim) != ranks:
        raise ValueError(f"{name}: expects {ranks[0]}-D and {ranks[1]}-D operands, got shapes "
                         f"{a.shape} and {b.shape}; {fix}")
    _check_matmul(a, b, name)


def mm(a: Any, b: Any) -> Tensor:
    """PyTorch's matrix product of two matrices: (n, k) and (k, m) -> (n, m).

    Raises ValueError unless both are 2-D and the inner sizes agree (matmul broadcasts and
    takes other ranks).
    """
    a, b = as_inputs((a, b), "mm")
    _require_ranks("mm", a, b, (2, 2), "use matmul for vectors and batches")
    return _matmul(a, b)


def bmm(a: Any, b: Any) -> Tensor:
    """PyTorch's batched matrix product: (B, n, k) and (B, k, m) -> (B, n, m), no broadcasting.

    Raises ValueError unless both are 3-D with the same batch size and inner sizes.
    """
    a, b = as_inputs((a, b), "bmm")
    if a.ndim == b.ndim == 3 and a.shape[0] != b.shape[0]:
        raise ValueError(f"bmm: batch sizes differ: shapes {a.shape} and {b.shape} "
                         f"({a.shape[0]} != {b.shape[0]}); use matmul to broadcast a batch of 1")
    _require_ranks("bmm", a, b, (3, 3), "use matmul to broadcast batch axes")
    return _matmul(a, b)


def mv(a: Any, b: Any) -> Tensor:
    """PyTorch's matrix-vector product: (n, k) and (k,) -> (n,).

    Raises ValueError unless ``a`` is 2-D, ``b`` 1-D and their sizes agree.
    """
    a, b = as_inputs((a, b), "mv")
    _require_ranks("mv", a, b, (2, 1), "use matmul for other ranks")
    return _matmul(a, b)


def outer(a: Any, b: Any) -> Tensor:
    """Outer product of two 1-D tensors: (n,) and (m,) -> (n, m)."""
    a, b = as_inputs((a, b), "outer")
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError(f"outer: expects 1-D operands, got shapes {np.shape(a)} and "
                         f"{np.shape(b)}")
    return reshape(a, (-1, 1)) * reshape(b, (1, -1))
