"""``ag.linalg``: linear algebra with ``numpy.linalg``'s names and arguments, differentiable.

A public namespace (a module): the functions live in ``autograd_lite/ops/`` (the products in
``ops/linalg.py``, the decompositions in ``ops/decompositions.py``, the norms in
``ops/norms.py``) and are imported here. Every function takes stacks of matrices
``(..., m, n)``; results with several parts are named tuples, as in NumPy 2
(``sign, logabsdet = ag.linalg.slogdet(a)``).

    >>> import autograd_lite as ag
    >>> a = ag.tensor([[2.0, 1.0], [1.0, 3.0]], requires_grad=True)
    >>> ag.linalg.det(a).backward()
    >>> a.grad
    tensor([[ 3., -1.],
            [-1.,  2.]])
"""

from .ops.decompositions import (
    EighResult,
    QRResult,
    SlogdetResult,
    SVDResult,
    cholesky,
    det,
    eigh,
    eigvalsh,
    inv,
    matrix_power,
    pinv,
    qr,
    slogdet,
    solve,
    svd,
    svdvals,
)
from .ops.linalg import matmul, outer
from .ops.norms import matrix_norm, norm, vector_norm

__all__ = [
    "cholesky", "det", "eigh", "eigvalsh", "inv", "matmul", "matrix_norm", "matrix_power", "norm",
    "outer", "pinv", "qr", "slogdet", "solve", "svd", "svdvals", "vector_norm",
    "EighResult", "QRResult", "SlogdetResult", "SVDResult",
]
