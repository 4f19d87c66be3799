"""Contractions: einsum (the primitive), and tensordot, inner, kron, cross, trace built on it.

``einsum`` accepts every subscript NumPy accepts (implicit and explicit output, ellipses,
repeated indices for traces and diagonals, the sublist form). The public function rewrites
the subscripts once into an explicit form without ellipses, which the primitive and its VJPs
share. The VJP of an einsum is an einsum of the cotangent with the other operands, so the same
rule runs on arrays and, with ``create_graph=True``, on tensors.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..primitive import primitive
from ..spellings import torch_spellings
from ..tensor import Tensor, as_input, as_inputs
from .arrangement import diagonal
from .shape import getitem, normalize_axis, reshape, stack, transpose

_LETTERS = string.ascii_letters  # NumPy's labels, in its order: sublist 0 is 'A', 26 is 'a'
_OPTIMIZE_ABOVE = 10_000  # elements in two operands (see _einsum)


def _unused_letters(used: str) -> list[str]:
    return [c for c in _LETTERS if c not in used]


def _einsum_vjp(F, argnum, g, ans, *operands, subscripts):
    """The cotangent of operand ``argnum``: an einsum of g with the other operands.

    A letter repeated in the operand (a diagonal, ``ii``) is renamed at its later occurrences
    and tied to its first by an identity matrix, since an einsum output cannot repeat a
    letter. A letter only this operand has (summed nowhere else, ``ij->i``), or one of size 1
    elsewhere where this operand's size is larger (broadcasting), is broadcast back.
    """
    inputs, output = subscripts.split("->")
    terms = inputs.split(",")
    target, x = terms[argnum], operands[argnum]
    fresh = iter(_unused_letters(subscripts))
    renamed, identities, identity_terms = [], [], []
    for position, letter in enumerate(target):
        if letter in renamed:
            new = next(fresh)
            identity_terms.append(letter + new)
            identities.append(np.eye(x.shape[position], dtype=g.dtype))
            letter = new
        renamed.append(letter)
    others = [i for i in range(len(operands)) if i != argnum]
    known = "".join([output] + [terms[i] for i in others] + identity_terms)
    kept = "".join(c for c in renamed if c in known)
    lhs = ",".join([output] + [terms[i] for i in others] + identity_terms)
    grad = F.einsum(g, *(operands[i] for i in others), *identities,
                    subscripts=f"{lhs}->{kept}")
    sizes = iter(grad.shape)
    placed = tuple(next(sizes) if c in known else 1 for c in renamed)
    full = tuple(x.shape[i] if size == 1 else size for i, size in enumerate(placed))
    if placed != grad.shape:
        grad = F.reshape(grad, shape=placed)
    return grad if full == placed else F.broadcast_to(grad, shape=full)


@primitive("einsum", vjp_any=_einsum_vjp)
def _einsum(*operands: Any, subscripts: str) -> np.ndarray:
    """NumPy's einsum on explicit subscripts without ellipses (the form ``einsum`` makes).

    Three or more operands, or two large ones, take NumPy's optimized path (a contraction
    order, pairs contracted with BLAS); below about 10,000 elements its planning costs more
    than it saves (measured: 27 us against 12 us for two 32 x 32 matrices, 80 us against
    710 us for 128 x 128).
    """
    large = len(operands) > 2 or (len(operands) == 2 and sum(
        np.size(x) for x in operands) > _OPTIMIZE_ABOVE)
    return np.einsum(subscripts, *operands, optimize=large)


def _sublist_subscripts(args: Sequence[Any]) -> tuple[str, list[Any]]:
    """NumPy's other form, ``einsum(op0, [0, 1], op1, [1, 2], [0, 2])``, as a string."""
    def term(sublist: Any) -> str:
        if not isinstance(sublist, (list, tuple)):
            raise TypeError(f"einsum: in the sublist form every operand is followed by a list "
                            f"of axis labels, got {sublist!r}")
        out = []
        for label in sublist:
            if label is Ellipsis:
                out.append("...")
            elif isinstance(label, (int, np.integer)) and 0 <= label < len(_LETTERS):
                out.append(_LETTERS[label])
            else:
                raise ValueError(f"einsum: sublist labels must be ints in [0, 52) or "
                                 f"Ellipsis, got {label!r}")
        return "".join(out)

    operands, terms = list(args[0::2]), [term(s) for s in args[1::2]]
    if len(terms) == len(operands):
        return ",".join(terms), operands
    return ",".join(terms) + "->" + term(operands.pop()), operands


def _explicit_subscripts(subscripts: str, shapes: list[tuple[int, ...]]) -> str:
    """Rewrite NumPy subscripts as ``"ab,bc->ac"``: ellipses spelled out, the output explicit."""
    spec = subscripts.replace(" ", "")
    described = f"subscripts {subscripts!r} with operand shapes {shapes}"
    if spec.count("->") > 1 or set(spec) - set(_LETTERS + ".,->"):
        raise ValueError(f"einsum: invalid {described}; use letters, ',', '->' and '...'")
    lhs, arrow, rhs = spec.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: {described} name {len(terms)} operands but "
                         f"{len(shapes)} were given")
    for term in terms + [rhs]:
        if term.replace("...", "", 1).count(".") or "-" in term or ">" in term:
            raise ValueError(f"einsum: invalid {described}: '.' only appears as one '...' "
                             f"per operand")
    ellipsis_ndims = []
    for term, shape in zip(terms, shapes):
        letters = len(term.replace("...", ""))
        if len(shape) < letters or ("..." not in term and len(shape) != letters):
            raise ValueError(f"einsum: {described}: operand {term!r} has {len(shape)} "
                             f"dimensions but {letters} letters; add '...' for the others")
        ellipsis_ndims.append(len(shape) - letters if "..." in term else 0)
    broadcast = "".join(_unused_letters(spec)[:max(ellipsis_ndims, default=0)])
    terms = [t.replace("...", broadcast[len(broadcast) - n:]) for t, n in
             zip(terms, ellipsis_ndims)]
    if arrow:
        output = rhs.replace("...", broadcast)
        if "..." not in rhs and broadcast:
            raise ValueError(f"einsum: {described}: the output needs '...' for the "
                             f"broadcast dimensions")
    else:
        counts = "".join(terms)
        output = broadcast + "".join(sorted(c for c in set(counts) if counts.count(c) == 1
                                            and c not in broadcast))
    if len(set(output)) != len(output) or set(output) - set("".join(terms)):
        raise ValueError(f"einsum: {described}: each output letter must appear once, and in "
                         f"an operand")
    _check_sizes(terms, shapes, described)
    return ",".join(terms) + "->" + output


def _check_sizes(terms: list[str], shapes: list[tuple[int, ...]], described: str) -> None:
    """Every letter has one size (or 1, which broadcasts); a repeated letter within one
    operand has exactly one size."""
    sizes: dict[str, int] = {}
    for term, shape in zip(terms, shapes):
        own: dict[str, int] = {}
        for letter, size in zip(term, shape):
            if own.setdefault(letter, size) != size:
                raise ValueError(f"einsum: {described}: letter {letter!r} repeated in operand "
                                 f"{term!r} has sizes {own[letter]} and {size}; a diagonal "
                                 f"needs equal sizes")
            if size != 1 and sizes.setdefault(letter, size) != size:
                raise ValueError(f"einsum: {described}: letter {letter!r} has sizes "
                                 f"{sizes[letter]} and {size}, which do not match")


def einsum(*args: Any) -> Tensor:
    """Einstein summation with NumPy's rules: ``einsum("ij,jk->ik", a, b)``.

    Accepts everything ``np.einsum`` accepts: implicit output (``"ij,jk"``: the letters seen
    once, in alphabetical order), explicit output, ``...`` for broadcast dimensions, repeated
    letters for traces and diagonals (``"ii->"``, ``"ii->i"``, ``"bii->bi"``), size-1
    dimensions that broadcast, and the sublist form ``einsum(a, [0, 1], b, [1, 2], [0, 2])``.
    The gradient of each operand is again an einsum (differentiable to any order).
    A primitive: NumPy's einsum is both faster and leaner than a composite of products and
    sums. Raises ValueError naming the subscripts and shapes when they do not fit.
    """
    if not args:
        raise TypeError("einsum: expected subscripts and operands, got nothing")
    if isinstance(args[0], str):
        subscripts, operands = args[0], list(args[1:])
    else:
        subscripts, operands = _sublist_subscripts(args)
    if not operands:
        raise ValueError(f"einsum: subscripts {subscripts!r} need at least one operand")
    operands = as_inputs(operands, "einsum")
    explicit = _explicit_subscripts(subscripts, [x.shape for x in operands])
    return _einsum(*operands, subscripts=explicit)


def _labels(count: int, start: int = 0) -> str:
    if start + count > len(_LETTERS):
        raise ValueError(f"einsum: {start + count} dimensions are more than its 52 letters")
    return _LETTERS[start:start + count]


def tensordot(a: Any, b: Any, axes: Any = 2) -> Tensor:
    """Sum products over the given axes, as ``np.tensordot`` (an einsum underneath).

    ``axes`` is an int N (the last N axes of ``a`` with the first N of ``b``) or a pair of
    axis sequences ``([1, 0], [0, 1])``. The result has a's free axes, then b's. Raises
    ValueError when the contracted sizes differ.
    """
    a, b = as_inputs((a, b), "tensordot")
    if isinstance(axes, (int, np.integer)) and not isinstance(axes, bool):
        if not 0 <= axes <= min(a.ndim, b.ndim):
            raise ValueError(f"tensordot: cannot contract {axes} axes of shapes {a.shape} and "
                             f"{b.shape}")
        axes_a, axes_b = list(range(a.ndim - axes, a.ndim)), list(range(axes))
    else:
        try:
            axes_a, axes_b = ([axis] if isinstance(axis, (int, np.integer)) else list(axis)
                              for axis in axes)
        except (TypeError, ValueError):
            raise TypeError(f"tensordot: axes must be an int or a pair of axis sequences, got "
                            f"{axes!r}") from None
        if len(axes_a) != len(axes_b):
            raise ValueError(f"tensordot: axes {axes!r} pair {len(axes_a)} axes of a with "
                             f"{len(axes_b)} of b")
        axes_a = [normalize_axis(i, a.ndim, "tensordot") for i in axes_a]
        axes_b = [normalize_axis(i, b.ndim, "tensordot") for i in axes_b]
    if len(set(axes_a)) != len(axes_a) or len(set(axes_b)) != len(axes_b):
        raise ValueError(f"tensordot: repeated axis in {axes!r}")
    letters_a = list(_labels(a.ndim))
    letters_b = list(_labels(b.ndim, a.ndim))
    for i, j in zip(axes_a, axes_b):
        if a.shape[i] != b.shape[j]:
            raise ValueError(f"tensordot: shapes {a.shape} and {b.shape} do not match on the "
                             f"contracted axes {axes_a} and {axes_b}")
        letters_b[j] = letters_a[i]
    output = [c for i, c in enumerate(letters_a) if i not in axes_a] + [
        c for j, c in enumerate(letters_b) if j not in axes_b]
    return _einsum(a, b, subscripts=f"{''.join(letters_a)},{''.join(letters_b)}->"
                                    f"{''.join(output)}")


def inner(a: Any, b: Any) -> Tensor:
    """Inner product over the last axes, as ``np.inner``: shapes (..., n) and (..., n) give
    a.shape[:-1] + b.shape[:-1]; a 0-d operand multiplies. ValueError when the sizes differ."""
    a, b = as_inputs((a, b), "inner")
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(f"inner: the last axes of shapes {a.shape} and {b.shape} differ")
    return tensordot(a, b, ([-1], [-1]))


def kron(a: Any, b: Any) -> Tensor:
    """Kronecker product, as ``np.kron``: blocks ``a[i, j] * b``; the shorter shape is padded
    with leading 1s, and the result's shape is the elementwise product of the two."""
    a, b = as_inputs((a, b), "kron")
    ndim = max(a.ndim, b.ndim)
    shape_a = (1,) * (ndim - a.ndim) + a.shape
    shape_b = (1,) * (ndim - b.ndim) + b.shape
    spread_a = reshape(a, tuple(s for side in shape_a for s in (side, 1)))
    spread_b = reshape(b, tuple(s for side in shape_b for s in (1, side)))
    return reshape(spread_a * spread_b, tuple(x * y for x, y in zip(shape_a, shape_b)))


def _move_axis_last(x: Tensor, axis: int) -> Tensor:
    return transpose(x, tuple(i for i in range(x.ndim) if i != axis) + (axis,))


@torch_spellings
def cross(a: Any, b: Any, axis: int = -1) -> Tensor:
    """Cross product of 3-vectors along ``axis`` of each operand (NumPy's ``axis``, which is
    also the result's); the other axes broadcast. ValueError unless that axis has size 3."""
    a, b = as_inputs((a, b), "cross")
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"cross: needs vectors, got shapes {a.shape} and {b.shape}")
    axis_a = normalize_axis(axis, a.ndim, "cross")
    axis_b = normalize_axis(axis, b.ndim, "cross")
    if a.shape[axis_a] != 3 or b.shape[axis_b] != 3:
        raise ValueError(f"cross: axis {axis} of shapes {a.shape} and {b.shape} must have "
                         f"size 3 (3-vectors)")
    u, v = _move_axis_last(a, axis_a), _move_axis_last(b, axis_b)
    u0, u1, u2 = (getitem(u, (Ellipsis, i)) for i in range(3))
    v0, v1, v2 = (getitem(v, (Ellipsis, i)) for i in range(3))
    result = stack([u1 * v2 - u2 * v1, u2 * v0 - u0 * v2, u0 * v1 - u1 * v0], axis=-1)
    out_axis = normalize_axis(axis, result.ndim, "cross")
    order = list(range(result.ndim - 1))
    order.insert(out_axis, result.ndim - 1)
    return transpose(result, tuple(order))


def trace(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    """Sum of the diagonal, as ``np.trace``: over ``axis1`` and ``axis2`` (the first two by
    default), ``offset`` above (>0) or below (<0) the main diagonal; the other axes remain."""
    x = as_input(x, "trace")
    if x.ndim < 2:
        raise ValueError(f"trace: needs at least 2 dimensions, got shape {x.shape}")
    return diagonal(x, offset, axis1, axis2).sum(axis=-1)
