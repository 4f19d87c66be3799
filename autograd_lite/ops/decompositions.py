"""Matrix functions and decompositions: inv, solve, det, slogdet, cholesky, eigh, eigvalsh, svd,
svdvals, qr, pinv, matrix_power.

Public through ``ag.linalg`` (``autograd_lite/linalg.py``), with NumPy's names and arguments.
Every function takes stacks of matrices ``(..., m, n)`` and works on each matrix of the stack.

All but matrix_power (a composite of matmul) are primitives: one LAPACK call is faster and
more accurate than any composite, and a composite of svd would lose the derivatives that exist
where singular values repeat (pinv, svdvals). ``cofactor`` (det's gradient) is a primitive
too, so that det has a gradient at singular matrices.
The VJP rules are the standard ones (Giles 2008, "An extended collection of matrix derivative
results"; Murray 2016 for Cholesky; PyTorch's conventions for eigh, svd and qr), written with
``@``, Python operators and ``F.`` functions that are primitives themselves, so
``create_graph=True`` records them and second derivatives come for free. The engine's tensors
have one output each, so a decomposition with several outputs (eigh, svd, qr) is one primitive
whose output packs them side by side along the last axis; the public function returns views
(``getitem``) of it, and its VJP rule unpacks the cotangent the same way.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from ..primitive import TENSORS, Primitive, primitive
from ..tensor import Tensor, as_input, as_inputs
from .linalg import _swap_last, matmul
from .shape import reshape


class SlogdetResult(NamedTuple):
    """``slogdet``'s result: ``sign * exp(logabsdet)`` is the determinant."""

    sign: Tensor
    logabsdet: Tensor


class EighResult(NamedTuple):
    """``eigh``'s result: ascending eigenvalues ``(..., n)``, eigenvectors as columns."""

    eigenvalues: Tensor
    eigenvectors: Tensor


class SVDResult(NamedTuple):
    """``svd``'s result: ``a == U @ (S[..., None] * Vh)``."""

    U: Tensor
    S: Tensor
    Vh: Tensor


class QRResult(NamedTuple):
    """``qr``'s result: ``a == Q @ R``, Q with orthonormal columns, R upper triangular."""

    Q: Tensor
    R: Tensor


# --- shared pieces --------------------------------------------------------------------------


def _square_matrices(a: Any, name: str) -> Tensor:
    a = as_input(a, name)
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"{name}: expects a square matrix or a stack of them (..., n, n), got "
                         f"shape {a.shape}")
    return a


def _matrices(a: Any, name: str) -> Tensor:
    a = as_input(a, name)
    if a.ndim < 2:
        raise ValueError(f"{name}: expects a matrix or a stack of them (..., m, n), got shape "
                         f"{a.shape}")
    return a


def _lapack(name: str, advice: str) -> Callable[[Callable], Callable]:
    """Give the LinAlgError of the NumPy forward of primitive ``name`` the op's name (so that
    ``apply`` passes it on unchanged), the shape, and ``advice`` (the fix)."""
    def wrap(forward: Callable) -> Callable:
        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                return forward(*args, **kwargs)
            except np.linalg.LinAlgError as error:
                raise np.linalg.LinAlgError(f"{name}: {error} (shape {np.shape(args[0])}); "
                                            f"{advice}") from None
        run.__doc__ = forward.__doc__
        return run
    return wrap


def _run(prim: Primitive, *inputs: Any, **params: Any) -> Tensor:
    """``prim(*inputs, **params)``, its LinAlgError named by the public ``linalg.`` name."""
    try:
        return prim(*inputs, **params)
    except np.linalg.LinAlgError as error:
        raise np.linalg.LinAlgError(f"linalg.{error}") from None


def _eye_like(x: Any, n: int) -> np.ndarray:
    """An n x n identity of x's dtype (a constant: it keeps float32 rules float32)."""
    return np.eye(n, dtype=x.dtype)


def _off_diagonal_reciprocal(values: Any) -> Any:
    """``1 / (values[j] - values[i])`` off the diagonal and 0 on it, shape (..., n, n).

    Undefined (infinite) where two values are equal: the derivative of a decomposition does
    not exist there.
    """
    n = values.shape[-1]
    eye = _eye_like(values, n)
    gaps = values[..., None, :] - values[..., :, None]
    return (1 - eye) / (gaps + eye)


def _diag(values: Any) -> Any:
    """The diagonal matrices (..., n, n) of a stack of vectors (..., n)."""
    return values[..., None, :] * _eye_like(values, values.shape[-1])


def _pack(arrays: tuple[np.ndarray, ...], batch: tuple[int, ...]) -> np.ndarray:
    return np.concatenate([x.reshape(batch + (-1,)) for x in arrays], axis=-1)


def _unpack(F, packed: Any, shapes: tuple[tuple[int, ...], ...]) -> list[Any]:
    """The arrays or tensors of ``shapes`` (each after the batch axes) that ``_pack`` joined."""
    batch, start, pieces = packed.shape[:-1], 0, []
    for shape in shapes:
        size = math.prod(shape)
        pieces.append(F.reshape(packed[..., start:start + size], shape=batch + shape))
        start += size
    return pieces


# --- inv, solve -----------------------------------------------------------------------------


@primitive("inv", lambda F, g, ans, a: -(_swap_last(F, ans) @ g @ _swap_last(F, ans)))
@_lapack("inv", "the matrix is not invertible; use linalg.pinv or linalg.solve with a "
         "regularised matrix")
def _inv(a: Any) -> np.ndarray:
    return np.linalg.inv(a)


def inv(a: Any) -> Tensor:
    """Inverse of a square matrix (or of each in a stack): (..., n, n) -> (..., n, n).

    Raises ValueError for non-square shapes and numpy.linalg.LinAlgError for a singular matrix.
    """
    return _run(_inv, _square_matrices(a, "linalg.inv"))


def _solve_vjp_a(F, g, ans, a, b):
    return -(F.solve(_swap_last(F, a), g) @ _swap_last(F, ans))


@primitive("solve", _solve_vjp_a, lambda F, g, ans, a, b: F.solve(_swap_last(F, a), g))
@_lapack("solve", "the matrix is not invertible; linalg.pinv(a) @ b gives the least-squares "
         "solution")
def _solve(a: Any, b: Any) -> np.ndarray:
    return np.linalg.solve(a, b)


def solve(a: Any, b: Any) -> Tensor:
    """The x with ``a @ x == b``: a (..., n, n), b (..., n, k) or (n,) (NumPy 2's rule).

    b is a vector only when it is 1-D (the result is then (..., n)); otherwise its last axis
    holds k right-hand sides and its batch axes broadcast with a's. Raises ValueError naming the
    shapes when they do not fit, and numpy.linalg.LinAlgError for a singular ``a``.
    """
    a, b = as_inputs((a, b), "linalg.solve")
    a = _square_matrices(a, "linalg.solve")
    rows = b.shape[0] if b.ndim == 1 else (b.shape[-2] if b.ndim >= 2 else None)
    if rows != a.shape[-1]:
        raise ValueError(f"linalg.solve: b of shape {b.shape} does not fit a of shape {a.shape}; "
                         f"b must be ({a.shape[-1]},) or (..., {a.shape[-1]}, k)")
    if b.ndim == 1:
        return reshape(_run(_solve, a, reshape(b, (-1, 1))), a.shape[:-2] + (a.shape[-1],))
    try:
        np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise ValueError(f"linalg.solve: the batch axes of a {a.shape} and b {b.shape} cannot be "
                         f"broadcast together") from None
    return _run(_solve, a, b)


# --- det, slogdet -----------------------------------------------------------------------------


def _cofactor_vjp(F, g, ans, a):
    # C = det(a) a^-T, so dC = tr(a^-1 da) C - C da^T a^-T; needs an invertible a.
    inv_t = _swap_last(F, F.inv(a))
    weight = F.sum(g * ans, axis=(a.ndim - 2, a.ndim - 1), keepdims=True)
    return weight * inv_t - inv_t @ _swap_last(F, g) @ ans


@primitive("cofactor", _cofactor_vjp)
def _cofactor(a: Any) -> np.ndarray:
    """The cofactor matrix det(a) a^-T, also where a is singular (from the SVD, no inverse).

    a = U S Vh gives cofactor(a) = det(U) det(Vh) U diag(prod_{j != i} s_j) Vh. Its own
    derivative needs an invertible a.
    """
    u, s, vh = np.linalg.svd(a)
    eye = np.eye(s.shape[-1], dtype=bool)
    others = np.where(eye, 1, s[..., None, :]).prod(axis=-1)
    signs = np.linalg.det(u) * np.linalg.det(vh)
    return (signs[..., None, None] * (u * others[..., None, :]) @ vh).astype(a.dtype)


def _matrix_cotangent(F, g):
    """A cotangent of one number per matrix (..., ) as (..., 1, 1), to scale matrices."""
    return F.reshape(g, shape=g.shape + (1, 1))


@primitive("det", lambda F, g, ans, a: _matrix_cotangent(F, g) * F.cofactor(a))
def _det(a: Any) -> np.ndarray:
    return np.linalg.det(a)


def det(a: Any) -> Tensor:
    """Determinant of a square matrix (or of each in a stack): (..., n, n) -> (...).

    The gradient is the cofactor matrix det(a) a^-T, computed from the SVD so that it is
    right for singular matrices too (for [[1, 2], [2, 4]] it is [[4, -2], [-2, 1]]). PyTorch
    gives that with ``create_graph=True`` but zeros in a plain backward. Second derivatives
    need an invertible matrix.
    """
    return _det(_square_matrices(a, "linalg.det"))


def _logabsdet_vjp(F, g, ans, a):
    # a^-T as cofactor / det: infinite, not an error, where a is singular (as in PyTorch).
    return _matrix_cotangent(F, g) * F.cofactor(a) / _matrix_cotangent(F, F.det(a))


@primitive("logabsdet", _logabsdet_vjp)
def _logabsdet(a: Any) -> np.ndarray:
    return np.linalg.slogdet(a)[1]


def slogdet(a: Any) -> SlogdetResult:
    """Sign and log of the absolute value of the determinant: (..., n, n) -> two (...) tensors.

    The sign (-1, 0 or 1) carries no gradient; logabsdet's is a^-T. A singular matrix gives
    sign 0 and logabsdet -inf, and its gradient is infinite (cofactor / 0, as in PyTorch).
    """
    a = _square_matrices(a, "linalg.slogdet")
    sign = np.linalg.slogdet(a.data)[0].astype(a.dtype)
    return SlogdetResult(Tensor._from_op(np.asarray(sign)), _logabsdet(a))


# --- cholesky ---------------------------------------------------------------------------------


def _cholesky_vjp(F, g, ans, a):
    # Murray 2016: P = Phi(L^T gL) (lower triangle, half diagonal), S = L^-T P L^-1, and the
    # gradient of the symmetric input is S's symmetric part.
    n = a.shape[-1]
    phi = np.tril(np.ones((n, n), dtype=ans.dtype)) - 0.5 * _eye_like(ans, n)
    upper = _swap_last(F, ans)
    left = F.solve(upper, (upper @ g) * phi)
    s = _swap_last(F, F.solve(upper, _swap_last(F, left)))
    return 0.5 * (s + _swap_last(F, s))


@primitive("cholesky", _cholesky_vjp)
@_lapack("cholesky", "the matrix must be symmetric positive definite (add a multiple of "
         "the identity, or use linalg.eigh)")
def _cholesky(a: Any) -> np.ndarray:
    return np.linalg.cholesky(a)


def cholesky(a: Any, upper: bool = False) -> Tensor:
    """Cholesky factor L (lower triangular, ``a == L @ L^T``) of a symmetric positive definite
    matrix, or of each in a stack: (..., n, n) -> (..., n, n). ``upper=True`` returns L^T.

    Only the lower triangle of ``a`` is read (as in NumPy); the gradient is the symmetric one
    (PyTorch's), the derivative along symmetric perturbations. Raises
    numpy.linalg.LinAlgError when ``a`` is not positive definite.
    """
    lower = _run(_cholesky, _square_matrices(a, "linalg.cholesky"))
    return _swap_last(TENSORS, lower) if upper else lower


# --- eigh -------------------------------------------------------------------------------------


def _eigh_vjp(F, g, ans, a, UPLO):
    n = a.shape[-1]
    w, v = _unpack(F, ans, ((n,), (n, n)))
    gw, gv = _unpack(F, g, ((n,), (n, n)))
    vt = _swap_last(F, v)
    vt_gv = vt @ gv
    inner = _diag(gw) + 0.5 * (vt_gv - _swap_last(F, vt_gv)) * _off_diagonal_reciprocal(w)
    return v @ inner @ vt


@primitive("eigh", _eigh_vjp)
@_lapack("eigh", "check the matrix for NaN or infinite values")
def _eigh(a: Any, UPLO: str) -> np.ndarray:
    w, v = np.linalg.eigh(a, UPLO=UPLO)
    return _pack((w, v), a.shape[:-2])


def eigh(a: Any, UPLO: str = "L") -> EighResult:
    """Eigenvalues (ascending, (..., n)) and eigenvectors (columns, (..., n, n)) of a
    symmetric matrix or a stack of them; only the ``UPLO`` triangle ('L' or 'U') is read.

    Gradients are those of the symmetric matrix (PyTorch's): symmetric, the derivative along
    symmetric perturbations. They exist only where the eigenvalues are distinct (1 / (w_j - w_i)
    appears) and eigenvectors are defined up to sign, so only functions invariant to each
    eigenvector's sign (the eigenvalues, ``v * v``, ``v @ diag(f(w)) @ v.T``) have meaningful
    gradients.
    """
    a = _square_matrices(a, "linalg.eigh")
    if UPLO not in ("L", "U"):
        raise ValueError(f"linalg.eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    n = a.shape[-1]
    w, v = _unpack(TENSORS, _run(_eigh, a, UPLO=UPLO), ((n,), (n, n)))
    return EighResult(w, v)


def _eigvalsh_vjp(F, g, ans, a, UPLO):
    v = _unpack(F, F.eigh(a, UPLO=UPLO), ((a.shape[-1],), (a.shape[-1],) * 2))[1]
    return v @ _diag(g) @ _swap_last(F, v)


@primitive("eigvalsh", _eigvalsh_vjp)
@_lapack("eigvalsh", "check the matrix for NaN or infinite values")
def _eigvalsh(a: Any, UPLO: str) -> np.ndarray:
    return np.linalg.eigvalsh(a, UPLO=UPLO)


def eigvalsh(a: Any, UPLO: str = "L") -> Tensor:
    """Eigenvalues (ascending) of a symmetric matrix or a stack: (..., n, n) -> (..., n).

    Their gradient ``V diag(g) V^T`` exists also at repeated eigenvalues when g gives tied
    eigenvalues the same weight (a sum, a trace); second derivatives go through eigh.
    """
    a = _square_matrices(a, "linalg.eigvalsh")
    if UPLO not in ("L", "U"):
        raise ValueError(f"linalg.eigvalsh: UPLO must be 'L' or 'U', got {UPLO!r}")
    return _run(_eigvalsh, a, UPLO=UPLO)


# --- svd --------------------------------------------------------------------------------------


def _svd_shapes(a: Any) -> tuple[tuple[int, ...], ...]:
    m, n = a.shape[-2:]
    k = min(m, n)
    return ((m, k), (k,), (k, n))


def _svd_vjp(F, g, ans, a):
    u, s, vh = _unpack(F, ans, _svd_shapes(a))
    gu, gs, gvh = _unpack(F, g, _svd_shapes(a))
    v, gv = _swap_last(F, vh), _swap_last(F, gvh)
    ut_gu, vt_gv = _swap_last(F, u) @ gu, vh @ gv
    reciprocal = _off_diagonal_reciprocal(s * s)
    row, column = s[..., :, None], s[..., None, :]
    inner = ((ut_gu - _swap_last(F, ut_gu)) * reciprocal * column
             + row * ((vt_gv - _swap_last(F, vt_gv)) * reciprocal) + _diag(gs))
    # The parts of gU and gV outside the spans of U and V (zero for square matrices).
    outside_u = (gu - u @ ut_gu) / column
    outside_v = (gv - v @ vt_gv) / column
    return u @ inner @ vh + outside_u @ vh + u @ _swap_last(F, outside_v)


@primitive("svd", _svd_vjp)
@_lapack("svd", "check the matrix for NaN or infinite values")
def _svd(a: Any) -> np.ndarray:
    return _pack(np.linalg.svd(a, full_matrices=False), a.shape[:-2])


def svd(a: Any, full_matrices: bool = False, compute_uv: bool = True) -> SVDResult | Tensor:
    """Reduced singular value decomposition ``a == U @ (S[..., None] * Vh)`` of a matrix or a
    stack: (..., m, n) -> U (..., m, k), S (..., k) descending, Vh (..., k, n), k = min(m, n).

    Only ``full_matrices=False`` is supported (NumPy's default is True: pass False; the extra
    columns of a full U are not determined by ``a``, so they have no gradient). With
    ``compute_uv=False`` it returns S alone (``svdvals``). Gradients exist only where the
    singular values are distinct and nonzero; U and V are defined up to a common sign per
    column, so only functions invariant to it (S, ``U * U``, ``U @ Vh``) have meaningful
    gradients.
    """
    a = _matrices(a, "linalg.svd")
    if not compute_uv:
        return svdvals(a)
    if full_matrices:
        raise ValueError("linalg.svd: only full_matrices=False is supported (the reduced "
                         "decomposition); pass full_matrices=False")
    u, s, vh = _unpack(TENSORS, _run(_svd, a), _svd_shapes(a))
    return SVDResult(u, s, vh)


def _svdvals_vjp(F, g, ans, a):
    u, _, vh = _unpack(F, F.svd(a), _svd_shapes(a))
    return (u * g[..., None, :]) @ vh


@primitive("svdvals", _svdvals_vjp)
@_lapack("svdvals", "check the matrix for NaN or infinite values")
def _svdvals(a: Any) -> np.ndarray:
    return np.linalg.svd(a, compute_uv=False)


def svdvals(a: Any) -> Tensor:
    """Singular values (descending) of a matrix or a stack: (..., m, n) -> (..., min(m, n)).

    Their gradient ``U diag(g) Vh`` also exists where singular values repeat if g weighs tied
    values alike (nuclear norm); it needs nonzero singular values only for second derivatives.
    """
    return _run(_svdvals, _matrices(a, "linalg.svdvals"))


# --- qr ---------------------------------------------------------------------------------------


def _qr_shapes(a: Any) -> tuple[tuple[int, ...], ...]:
    m, n = a.shape[-2:]
    k = min(m, n)
    return ((m, k), (k, n))


def _square_qr_vjp(F, gq, gr, q, r):
    """VJP of a = q r with a (m, n), m >= n: (gQ + Q copyltu(M)) R^-T, M = R gR^T - gQ^T Q."""
    n = r.shape[-1]
    mixed = r @ _swap_last(F, gr) - _swap_last(F, gq) @ q
    lower = np.tril(np.ones((n, n), dtype=r.dtype))
    strict = lower - _eye_like(r, n)
    symmetric = mixed * lower + _swap_last(F, mixed * strict)
    return _swap_last(F, F.solve(r, _swap_last(F, gq + q @ symmetric)))


def _qr_vjp(F, g, ans, a):
    q, r = _unpack(F, ans, _qr_shapes(a))
    gq, gr = _unpack(F, g, _qr_shapes(a))
    m, n = a.shape[-2:]
    if m >= n:
        return _square_qr_vjp(F, gq, gr, q, r)
    # Wide: a = [x | y] with x = q r1 square and y = q r2, so y's part flows into gQ.
    r1, gr1, gr2 = r[..., :m], gr[..., :m], gr[..., m:]
    y = a[..., m:]
    gx = _square_qr_vjp(F, gq + y @ _swap_last(F, gr2), gr1, q, r1)
    return F.concatenate(gx, q @ gr2, axis=a.ndim - 1)


@primitive("qr", _qr_vjp)
def _qr(a: Any) -> np.ndarray:
    return _pack(np.linalg.qr(a, mode="reduced"), a.shape[:-2])


def qr(a: Any, mode: str = "reduced") -> QRResult | Tensor:
    """Reduced QR decomposition ``a == Q @ R`` of a matrix or a stack: (..., m, n) -> Q
    (..., m, k) with orthonormal columns and R (..., k, n) upper triangular, k = min(m, n).

    ``mode='reduced'`` (NumPy's default) or ``'r'`` (R alone); 'complete' and 'raw' raise
    ValueError. Square, tall and wide matrices are differentiable where the first k columns of
    ``a`` are linearly independent (R's diagonal nonzero). The signs are LAPACK's (R's
    diagonal may be negative), as in NumPy and PyTorch; they flip where a column is exactly
    zero below the diagonal (``qr([[2], [0]])`` has R = 2, ``qr([[2], [1e-9]])`` R = -2), so
    Q and R are not continuous there and the gradient is that of the branch taken.
    """
    a = _matrices(a, "linalg.qr")
    if mode not in ("reduced", "r"):
        raise ValueError(f"linalg.qr: only mode='reduced' and mode='r' are supported, got "
                         f"mode={mode!r}")
    q, r = _unpack(TENSORS, _qr(a), _qr_shapes(a))
    return r if mode == "r" else QRResult(q, r)


# --- pinv, matrix_power -----------------------------------------------------------------------


def _pinv_vjp(F, g, ans, a, rcond, hermitian):
    # Golub and Pereyra's derivative of X = a^+, valid where the rank of a is constant.
    x, xt, gt = ans, _swap_last(F, ans), _swap_last(F, g)
    m, n = a.shape[-2:]
    outside_range = _eye_like(x, m) - a @ x
    outside_rows = _eye_like(x, n) - x @ a
    return -(xt @ g @ xt) + outside_range @ gt @ (x @ xt) + (xt @ x) @ gt @ outside_rows


@primitive("pinv", _pinv_vjp)
@_lapack("pinv", "check the matrix for NaN or infinite values")
def _pinv(a: Any, rcond: Any, hermitian: bool) -> np.ndarray:
    return np.linalg.pinv(a, rcond=rcond, hermitian=hermitian)


def pinv(a: Any, rcond: Any = None, hermitian: bool = False) -> Tensor:
    """Moore-Penrose pseudo-inverse of a matrix or a stack: (..., m, n) -> (..., n, m).

    ``rcond`` (singular values below ``rcond`` times the largest count as zero; None:
    NumPy's default) and ``hermitian`` as in NumPy. A primitive rather than a
    composite of svd: its gradient (Golub and Pereyra) exists also where singular values repeat;
    it needs the rank to be locally constant (full-rank matrices, or exact rank deficiency
    kept by the perturbation).
    """
    return _run(_pinv, _matrices(a, "linalg.pinv"), rcond=rcond, hermitian=hermitian)


def matrix_power(a: Any, n: int) -> Tensor:
    """``a`` multiplied by itself ``n`` times (for a stack, each matrix): (..., k, k).

    A composite of matmul by repeated squaring; n == 0 gives the identity (a constant, with no
    gradient), n < 0 powers of ``inv(a)``. Raises TypeError for a non-integer ``n``.
    """
    a = _square_matrices(a, "linalg.matrix_power")
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise TypeError(f"linalg.matrix_power: n must be an integer, got {n!r}")
    if n == 0:
        return Tensor._from_op(np.broadcast_to(_eye_like(a, a.shape[-1]), a.shape).copy())
    base, result, n = (inv(a) if n < 0 else a), None, abs(int(n))
    while n:
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if n:
            base = matmul(base, base)
    return result * 1 if result is a else result  # a new tensor, as NumPy and PyTorch give
