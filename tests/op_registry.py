"""The op registry: one entry per public op, from which the generic tests check every op.

Each ``OpEntry`` says how to call the op, how to draw valid arguments (shapes, keyword
arguments, and the domain of each tensor argument, away from kinks and poles), a NumPy
reference for the forward, and what the op supports. ``tests/test_op_registry.py`` runs the
same Hypothesis-driven checks on every entry (forward vs NumPy in float64 and float32,
gradcheck, gradgradcheck, gradient shapes and dtypes, no graph under ``no_grad``), and fails
when a public op has no entry.

How to add an entry for a new op
--------------------------------
1. Pick the builder that matches its signature and add one call to ``ENTRIES`` below:
   ``elementwise(name, op, reference, domains)`` for ops on broadcastable tensors
   (``domains`` has one ``Domain`` per tensor argument, e.g. ``(REAL, POSITIVE)``),
   ``reduction(name, op, reference)`` for ops taking ``axis``/``keepdims``, or
   ``OpEntry(name, op, reference, signatures, domains)`` with your own ``signatures`` strategy
   drawing ``(argument shapes, keyword arguments)``.
2. ``op`` is called as ``op(*tensors, **kwargs)`` and ``reference`` as
   ``reference(*float64 arrays, **kwargs)``; either may return one value or a tuple.
3. Non-differentiable ops (comparisons, argmax) pass ``differentiable=False``; every
   differentiable op must pass gradgradcheck. If the op is also a Tensor method of the same
   name and signature (``x.op(*others, **kwargs)``), add the name to ``METHODS_OF_FUNCTIONS``;
   other Tensor members (operators, other signatures) go in ``TENSOR_MEMBERS``.
4. Things in ``autograd_lite.__all__`` or on ``Tensor`` that do not compute (factories, grad
   mode, properties) go in ``NOT_OPS`` / ``NOT_TENSOR_OPS`` with the reason.
Run ``pytest tests/test_op_registry.py``: the coverage test names any op still missing.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd_lite as ag
from autograd_lite.testing import (
    POSITIVE,
    REAL,
    Domain,
    away_from,
    axes,
    axes_and_keepdims,
    broadcastable_shapes,
    distinct,
    matrices_with_distinct_singular_values,
    real,
    reduced_size,
    shapes,
    shapes_broadcasting_to,
    spd_matrices,
    symmetric_matrices,
    well_conditioned_matrices,
)

Shape = tuple[int, ...]
# Small shapes keep the full-Jacobian checks fast (at most 27 elements per argument).
SMALL = {"max_dims": 3, "max_side": 3}
# Float64 central differences with eps=1e-6 are accurate to about 1e-9 on these bounded
# domains, so the registry checks far tighter than gradcheck's defaults (which would let a
# gradient off by 0.1 % pass).
GRADCHECK_TOLERANCE = {"atol": 1e-6, "rtol": 1e-5}


@dataclass(frozen=True)
class Sample:
    """One drawn call: float64 (or bool) arrays for the tensor arguments, and keywords."""

    arrays: tuple[np.ndarray, ...]
    kwargs: dict


def _arrays_strategy(domain: Domain | Callable[[Shape], st.SearchStrategy]
                     ) -> Callable[[Shape], st.SearchStrategy]:
    return domain.arrays if isinstance(domain, Domain) else domain


@dataclass(frozen=True)
class OpEntry:
    """How to call, sample and check one public op.

    ``signatures`` draws ``(shapes of the tensor arguments, keyword arguments)``; ``domains``
    gives one ``Domain`` (or function shape -> array strategy) per tensor argument.
    """

    name: str
    op: Callable[..., Any]
    reference: Callable[..., Any]
    signatures: st.SearchStrategy[tuple[tuple[Shape, ...], dict]]
    domains: tuple[Domain | Callable[[Shape], st.SearchStrategy], ...]
    differentiable: bool = True
    # What the op raises on arguments it rejects besides ValueError and TypeError (the message
    # still starts with its name): IndexError for the indexing ops, as in NumPy.
    extra_errors: tuple[type[Exception], ...] = ()
    samples: st.SearchStrategy[Sample] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        draw_arrays = [_arrays_strategy(domain) for domain in self.domains]

        def arrays_for(signature: tuple[tuple[Shape, ...], dict]) -> st.SearchStrategy:
            arg_shapes, kwargs = signature
            if len(arg_shapes) != len(draw_arrays):
                raise ValueError(f"registry entry {self.name}: {len(arg_shapes)} shapes for "
                                 f"{len(draw_arrays)} domains")
            return st.tuples(*(draw(shape) for draw, shape in zip(draw_arrays, arg_shapes))
                             ).map(lambda arrays: Sample(arrays, kwargs))

        object.__setattr__(self, "samples", self.signatures.flatmap(arrays_for))

    @property
    def arity(self) -> int:
        """How many tensor arguments the op takes."""
        return len(self.domains)


def _with_kwargs(arg_shapes: st.SearchStrategy[tuple[Shape, ...]],
                 kwargs_for: Callable[[tuple[Shape, ...]], st.SearchStrategy[dict]]
                 ) -> st.SearchStrategy[tuple[tuple[Shape, ...], dict]]:
    return arg_shapes.flatmap(lambda s: kwargs_for(s).map(lambda kwargs: (s, kwargs)))


def elementwise(name: str, op: Callable, reference: Callable, domains: tuple,
                kwargs: st.SearchStrategy[dict] | None = None, **flags: Any) -> OpEntry:
    """An op on tensors that broadcast together, with fixed or drawn keyword arguments."""
    shapes_strategy = broadcastable_shapes(len(domains), **SMALL)
    fixed = kwargs if kwargs is not None else st.just({})
    signatures = _with_kwargs(shapes_strategy, lambda arg_shapes: fixed)
    return OpEntry(name, op, reference, signatures, domains, **flags)


def single(name: str, op: Callable, reference: Callable, domain: Any,
           kwargs_for: Callable[[Shape], st.SearchStrategy[dict]] = lambda s: st.just({}),
           min_dims: int = 0, **flags: Any) -> OpEntry:
    """An op on one tensor whose keyword arguments depend on its shape (axes, new shapes)."""
    signatures = _with_kwargs(shapes(min_dims=min_dims, **SMALL).map(lambda s: (s,)),
                              lambda arg_shapes: kwargs_for(arg_shapes[0]))
    return OpEntry(name, op, reference, signatures, (domain,), **flags)


def reduction(name: str, op: Callable, reference: Callable, domain: Any = REAL,
              **flags: Any) -> OpEntry:
    """An op taking ``axis`` (None, int or tuple) and ``keepdims``."""
    return single(name, op, reference, domain, lambda s: axes_and_keepdims(len(s)), **flags)


# --- strategies for the keyword arguments of shape ops --------------------------------------


def _permutations(ndim: int) -> st.SearchStrategy[tuple[int, ...]]:
    return st.permutations(range(ndim)).map(tuple)


def _reshapes(shape: Shape) -> st.SearchStrategy[dict]:
    size = math.prod(shape)
    divisors = [d for d in range(1, size + 1) if size % d == 0]

    @st.composite
    def new_shape(draw: Callable) -> Shape:
        sides, rest = [], size
        for _ in range(draw(st.integers(0, 3))):
            side = draw(st.sampled_from([d for d in divisors if rest % d == 0]))
            sides.append(side)
            rest //= side
        sides.append(rest)
        if draw(st.booleans()):
            sides[draw(st.integers(0, len(sides) - 1))] = -1
        return tuple(sides)

    return st.fixed_dictionaries({"shape": new_shape()})


def _squeeze_axes(shape: Shape) -> st.SearchStrategy[dict]:
    ones = [a for a, side in enumerate(shape) if side == 1]
    chosen = st.lists(st.sampled_from(ones), unique=True).map(tuple) if ones else st.just(())
    return st.fixed_dictionaries({"axis": st.one_of(st.none(), chosen)})


def _flatten_range(shape: Shape) -> st.SearchStrategy[dict]:
    if not shape:
        return st.just({})
    ndim = len(shape)
    return st.tuples(st.integers(0, ndim - 1), st.integers(0, ndim - 1)).map(sorted).map(
        lambda pair: {"start_axis": pair[0] - ndim * (pair[0] % 2), "end_axis": pair[1]})


def _flatten_reference(x: np.ndarray, start_axis: int = 0, end_axis: int = -1) -> np.ndarray:
    if x.ndim == 0:
        return x.reshape(1)
    start, end = start_axis % x.ndim, end_axis % x.ndim
    return x.reshape(x.shape[:start] + (-1,) + x.shape[end + 1:])


def _sum_to_reference(x: np.ndarray, shape: Shape) -> np.ndarray:
    leading = x.ndim - len(shape)
    summed = x.sum(axis=tuple(range(leading)))
    stretched = tuple(a for a, side in enumerate(shape) if side == 1 and summed.shape[a] != 1)
    return summed.sum(axis=stretched, keepdims=True).reshape(shape)


def _split_kwargs(shape: Shape) -> st.SearchStrategy[dict]:
    axis = st.integers(-len(shape), len(shape) - 1)

    def sections(a: int) -> st.SearchStrategy:
        length = shape[a]
        equal = st.sampled_from([d for d in range(1, length + 1) if length % d == 0])
        # Unsorted, negative and out-of-range cuts too: np.split slices with each of them.
        cuts = st.lists(st.integers(-length - 1, length + 1), max_size=3)
        return st.one_of(equal, cuts).map(lambda s: {"indices_or_sections": s, "axis": a})

    return axis.flatmap(sections)


def _joined_shapes(count: int, stacked: bool
                   ) -> st.SearchStrategy[tuple[tuple[Shape, ...], dict]]:
    """Shapes of ``count`` tensors for concatenate (sizes differ along ``axis``) or stack
    (all equal)."""
    @st.composite
    def draw_signature(draw: Callable) -> tuple[tuple[Shape, ...], dict]:
        base = draw(shapes(min_dims=0 if stacked else 1, **SMALL))
        ndim = len(base) + (1 if stacked else 0)
        axis = draw(st.integers(-ndim, ndim - 1))
        if stacked:
            return (base,) * count, {"axis": axis}
        sizes = draw(st.lists(st.integers(1, 3), min_size=count, max_size=count))
        return tuple(base[:axis % ndim] + (n,) + base[axis % ndim + 1:] for n in sizes), {
            "axis": axis}

    return draw_signature()


def _pad_kwargs(shape: Shape) -> st.SearchStrategy[dict]:
    widths = st.tuples(*[st.tuples(st.integers(0, 2), st.integers(0, 2)) for _ in shape])
    return st.fixed_dictionaries({"pad_width": widths, "value": st.floats(-2, 2)})


def _indices(shape: Shape) -> st.SearchStrategy[Any]:
    """Basic indices, integer arrays (with repeats) and boolean masks valid for ``shape``."""
    choices = [hnp.basic_indices(shape, allow_newaxis=True)]
    if shape:
        choices.append(hnp.integer_array_indices(shape, result_shape=shapes(max_dims=2,
                                                                            max_side=3)))
        choices.append(hnp.arrays(np.bool_, shape))
    return st.one_of(choices)


def _index_add_to_signature() -> st.SearchStrategy[tuple[tuple[Shape, ...], dict]]:
    def for_target(shape: Shape) -> st.SearchStrategy:
        return _indices(shape).map(lambda index: (
            (np.zeros(shape)[index].shape,), {"index": index, "shape": shape}))

    return shapes(**SMALL).flatmap(for_target)


def _index_add_to_reference(values: np.ndarray, index: Any, shape: Shape) -> np.ndarray:
    out = np.zeros(shape, dtype=values.dtype)
    np.add.at(out, index, values)
    return out


def _matmul_signature(one_dimensional: bool, batched: bool
                      ) -> st.SearchStrategy[tuple[tuple[Shape, ...], dict]]:
    @st.composite
    def draw_signature(draw: Callable) -> tuple[tuple[Shape, ...], dict]:
        n, k, m = (draw(st.integers(1, 3)) for _ in range(3))
        batch_a, batch_b = draw(broadcastable_shapes(2, max_dims=2 if batched else 0,
                                                     max_side=2))
        a = (k,) if one_dimensional and draw(st.booleans()) else batch_a + (n, k)
        b = (k,) if one_dimensional and draw(st.booleans()) else batch_b + (k, m)
        return (a, b), {}

    return draw_signature()


def _window_signature() -> st.SearchStrategy[tuple[tuple[Shape, ...], dict]]:
    """Image shapes and valid unfold parameters (kernel within the padded image)."""
    @st.composite
    def draw_signature(draw: Callable) -> tuple[tuple[Shape, ...], dict]:
        kernel = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
        stride = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
        padding = (draw(st.integers(0, 1)), draw(st.integers(0, 1)))
        dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
        span = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
        size = [draw(st.integers(max(1, s - 2 * p), s + 2)) for s, p in zip(span, padding)]
        image = (draw(st.integers(1, 2)), draw(st.integers(1, 2)), *size)
        return (image,), {"kernel_size": kernel, "stride": stride, "padding": padding,
                          "dilation": dilation}

    return draw_signature()


def _windows_of(image: np.ndarray, kernel_size: tuple, stride: tuple, padding: tuple,
                dilation: tuple) -> np.ndarray:
    """unfold by explicit loops: windows[n, c, i, j, y, x] = padded[n, c, y*s + i*d, ...]."""
    padded = np.pad(image, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    out = [(padded.shape[2 + a] - dilation[a] * (kernel_size[a] - 1) - 1) // stride[a] + 1
           for a in range(2)]
    windows = np.zeros(image.shape[:2] + tuple(kernel_size) + tuple(out), dtype=image.dtype)
    for i in range(kernel_size[0]):
        for j in range(kernel_size[1]):
            for y in range(out[0]):
                for x in range(out[1]):
                    windows[:, :, i, j, y, x] = padded[:, :, y * stride[0] + i * dilation[0],
                                                       x * stride[1] + j * dilation[1]]
    return windows


def _fold_signature() -> st.SearchStrategy[tuple[tuple[Shape, ...], dict]]:
    def as_windows(signature: tuple) -> tuple:
        (image,), kwargs = signature
        windows_shape = _windows_of(np.zeros(image), **kwargs).shape
        return (windows_shape,), {**kwargs, "output_size": image[2:]}

    return _window_signature().map(as_windows)


def _conv2d_signature() -> st.SearchStrategy[tuple[tuple[Shape, ...], dict]]:
    """An image, kernels (C_out, C_in/groups, kh, kw) that fit it, a bias, the window options
    and ``groups`` (1 or 2; with 2 the image's channels are doubled to split evenly)."""
    def with_kernels(signature: tuple, out_per_group: int, groups: int) -> tuple:
        (image,), kwargs = signature
        image = (image[0], image[1] * groups, *image[2:])
        weight = (out_per_group * groups, image[1] // groups, *kwargs.pop("kernel_size"))
        return (image, weight, (weight[0],)), {**kwargs, "groups": groups}

    return st.tuples(_window_signature(), st.integers(1, 2), st.integers(1, 2)).map(
        lambda drawn: with_kernels((drawn[0][0], dict(drawn[0][1])), drawn[1], drawn[2]))


def _conv2d_reference(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, stride: tuple,
                      padding: tuple, dilation: tuple, groups: int = 1) -> np.ndarray:
    """Each output pixel: the window under it times the kernel, summed, plus the bias; group g
    of the output channels sees only group g of the input channels."""
    windows = _windows_of(x, weight.shape[2:], stride, padding, dilation)
    inputs, outputs = x.shape[1] // groups, weight.shape[0] // groups
    per_group = [np.einsum("ncijyx,ocij->noyx", windows[:, g * inputs:(g + 1) * inputs],
                           weight[g * outputs:(g + 1) * outputs]) for g in range(groups)]
    return (np.concatenate(per_group, axis=1) + bias.reshape(-1, 1, 1)).astype(x.dtype)


def _fold_reference(windows: np.ndarray, output_size: tuple, kernel_size: tuple, stride: tuple,
                    padding: tuple, dilation: tuple) -> np.ndarray:
    """fold as the transpose of unfold: the Jacobian of unfold applied to ``windows``."""
    image_shape = windows.shape[:2] + tuple(output_size)
    image = np.zeros(image_shape, dtype=windows.dtype)
    for flat in range(image.size):
        basis = np.zeros(image_shape)
        basis.flat[flat] = 1.0
        image.flat[flat] = np.sum(
            _windows_of(basis, kernel_size, stride, padding, dilation) * windows)
    return image


def _softmax_reference(x: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _var_kwargs(shape: Shape, ddof_max: int) -> st.SearchStrategy[dict]:
    """Axes reducing more than ``ddof`` elements (and at least 2, so std is off its kink)."""
    return st.fixed_dictionaries({
        "axis": axes(len(shape)), "keepdims": st.booleans(), "ddof": st.integers(0, ddof_max),
    }).filter(lambda kw: reduced_size(shape, kw["axis"]) >= max(2, kw["ddof"] + 1))


def _clip_kwargs() -> st.SearchStrategy[dict]:
    return st.sampled_from([{"min": -0.5, "max": 0.5}, {"min": -0.5}, {"max": 0.5}])


def _bools(shape: Shape) -> st.SearchStrategy[np.ndarray]:
    return hnp.arrays(np.bool_, shape)


def _on_grid(shape: Shape) -> st.SearchStrategy[np.ndarray]:
    """Values on a coarse grid, so comparisons meet equal elements often."""
    return hnp.arrays(np.float64, shape, elements=st.sampled_from([-1.0, -0.5, 0.0, 0.5, 1.0]))


# --- linear algebra ---------------------------------------------------------------------------


def _matrix_shapes(square: bool = False, min_side: int = 1
                   ) -> st.SearchStrategy[tuple[tuple[Shape, ...], dict]]:
    """One stack of matrices: no batch or one batch axis of 1 or 2, sides 1 to 3."""
    @st.composite
    def draw_signature(draw: Callable) -> tuple[tuple[Shape, ...], dict]:
        batch = draw(shapes(max_dims=1, max_side=2))
        rows = draw(st.integers(min_side, 3))
        columns = rows if square else draw(st.integers(min_side, 3))
        return (batch + (rows, columns),), {}

    return draw_signature()


def _with(signatures: st.SearchStrategy, kwargs: st.SearchStrategy[dict]) -> st.SearchStrategy:
    return st.tuples(signatures, kwargs).map(lambda drawn: (drawn[0][0], drawn[1]))


def _solve_signature() -> st.SearchStrategy[tuple[tuple[Shape, ...], dict]]:
    @st.composite
    def draw_signature(draw: Callable) -> tuple[tuple[Shape, ...], dict]:
        n = draw(st.integers(1, 3))
        batch_a, batch_b = draw(broadcastable_shapes(2, max_dims=2, max_side=2))
        b = (n,) if draw(st.booleans()) else batch_b + (n, draw(st.integers(1, 2)))
        return (batch_a + (n, n), b), {}

    return draw_signature()


def _dot_signature() -> st.SearchStrategy[tuple[tuple[Shape, ...], dict]]:
    """np.dot's operands: a 0-d one with any other, or a (..., k) with b (k,) or (..., k, m)."""
    @st.composite
    def draw_signature(draw: Callable) -> tuple[tuple[Shape, ...], dict]:
        if draw(st.integers(0, 3)) == 0:
            pair = [(), draw(shapes(max_dims=2, max_side=3))]
            return tuple(draw(st.permutations(pair))), {}
        k = draw(st.integers(1, 3))
        a = draw(shapes(max_dims=2, max_side=2)) + (k,)
        b = (k,) if draw(st.booleans()) else (
            draw(shapes(max_dims=1, max_side=2)) + (k, draw(st.integers(1, 3))))
        return (a, b), {}

    return draw_signature()


def _fixed_ranks(*ranks: int, same_batch: bool = False
                 ) -> st.SearchStrategy[tuple[tuple[Shape, ...], dict]]:
    """mm (2, 2), mv (2, 1), bmm (3, 3): aligned operands of exactly these ranks."""
    @st.composite
    def draw_signature(draw: Callable) -> tuple[tuple[Shape, ...], dict]:
        batch, n, k, m = (draw(st.integers(1, 3)) for _ in range(4))
        a = (batch, n, k) if ranks[0] == 3 else (n, k)
        b = {1: (k,), 2: (k, m), 3: (batch, k, m)}[ranks[1]]
        return (a, b), {}

    return draw_signature()


def _symmetric_part(a: Any) -> Any:
    """What eigh and cholesky see of a matrix whose gradient is checked: perturbations of the
    sample stay symmetric, the derivative that their (symmetric) gradients are."""
    return (a + ag.swapaxes(a, -1, -2)) / 2


def _eigh_op(a: Any, UPLO: str) -> tuple:
    w, v = ag.linalg.eigh(_symmetric_part(a), UPLO=UPLO)
    return w, v * v  # v * v: invariant to each eigenvector's sign


def _eigh_reference(a: np.ndarray, UPLO: str) -> tuple:
    w, v = np.linalg.eigh(a, UPLO=UPLO)
    return w, v * v


def _svd_op(a: Any) -> tuple:
    u, s, vh = ag.linalg.svd(a)
    return s, u * u, vh * vh  # invariant to the signs of the singular vectors


def _svd_reference(a: np.ndarray) -> tuple:
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return s, u * u, vh * vh


def _qr_matrices(shape: Shape) -> st.SearchStrategy[np.ndarray]:
    """Well-conditioned matrices with no entry below the diagonal near 0: LAPACK's Householder
    QR flips the signs of Q's column and R's row where a column is exactly 0 below the
    diagonal (``qr([[2], [0]])`` has R = 2, ``qr([[2], [1e-9]])`` R = -2), so it is not
    continuous there."""
    def lift(a: np.ndarray) -> np.ndarray:
        below = np.tril(np.ones(a.shape[-2:], dtype=bool), -1)
        return np.where(below & (np.abs(a) < 0.1), 0.1, a)

    return well_conditioned_matrices(shape).map(lift)


_SQRT_PRIMES = np.sqrt([2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67,
                        71, 73, 79, 83, 89, 97, 101, 103])


def _distinct_sums(shape: Shape) -> st.SearchStrategy[np.ndarray]:
    """Nonzero values whose magnitudes are 0.3 sqrt(distinct primes), random signs: no two
    magnitudes, and no two sums of different magnitudes, are equal, so the inf-norm and the
    matrix 1- and inf-norms have no ties."""
    size = math.prod(shape)
    return st.tuples(st.permutations(range(len(_SQRT_PRIMES))),
                     hnp.arrays(np.bool_, shape)).map(lambda drawn: np.where(
                         drawn[1], -0.3, 0.3) * _SQRT_PRIMES[list(drawn[0][:size])].reshape(shape))


_VECTOR_ORDS = (None, 1, 2, 3, 0.5, -1, math.inf, -math.inf)
_MATRIX_ORDS = (None, "fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf)


def _norm_signature() -> st.SearchStrategy[tuple[tuple[Shape, ...], dict]]:
    """numpy.linalg.norm's cases: all elements, axis=None with an ord on 1-D and 2-D, one
    axis (vector norms), two axes (matrix norms)."""
    @st.composite
    def draw_signature(draw: Callable) -> tuple[tuple[Shape, ...], dict]:
        shape = draw(shapes(min_dims=1, max_dims=3, max_side=3))
        ndim, keepdims = len(shape), draw(st.booleans())
        case = draw(st.integers(0, 3 if ndim >= 2 else 2))
        if case == 0:
            return (shape,), {"keepdims": keepdims}
        if case == 1 and ndim <= 2:
            ords = _VECTOR_ORDS if ndim == 1 else _MATRIX_ORDS
            return (shape,), {"ord": draw(st.sampled_from(ords)), "keepdims": keepdims}
        if case in (1, 2):
            return (shape,), {"ord": draw(st.sampled_from(_VECTOR_ORDS)), "keepdims": keepdims,
                              "axis": draw(st.integers(-ndim, ndim - 1))}
        axis = tuple(draw(st.permutations(range(ndim)))[:2])
        return (shape,), {"ord": draw(st.sampled_from(_MATRIX_ORDS)), "keepdims": keepdims,
                          "axis": (axis[0] - ndim * draw(st.integers(0, 1)), axis[1])}

    return draw_signature()


def _vector_norm_signature() -> st.SearchStrategy[tuple[tuple[Shape, ...], dict]]:
    def with_kwargs(shape: Shape) -> st.SearchStrategy:
        return st.fixed_dictionaries({"axis": axes(len(shape)), "keepdims": st.booleans(),
                                      "ord": st.sampled_from(_VECTOR_ORDS[1:])}).map(
            lambda kwargs: ((shape,), kwargs))

    return shapes(max_dims=3, max_side=3).flatmap(with_kwargs)


def _tensor_norm_signature() -> st.SearchStrategy[tuple[tuple[Shape, ...], dict]]:
    """torch.Tensor.norm's cases: a number p over dim (None, an int or a tuple), 'fro' over
    up to two dims, 'nuc' over two dims (all of a 2-D tensor with dim=None)."""
    @st.composite
    def draw_signature(draw: Callable) -> tuple[tuple[Shape, ...], dict]:
        shape = draw(shapes(min_dims=1, max_dims=3, max_side=3))
        ndim, keepdim = len(shape), draw(st.booleans())
        p = draw(st.sampled_from(("fro", "nuc", 1, 2, 3, math.inf)))
        if p == "nuc":
            if ndim == 2 and draw(st.booleans()):
                return (shape,), {"p": p, "keepdim": keepdim}
            if ndim >= 2:
                dims = tuple(draw(st.permutations(range(ndim)))[:2])
                return (shape,), {"p": p, "dim": dims, "keepdim": keepdim}
            p = "fro"
        dims = draw(axes(ndim))
        if p == "fro" and isinstance(dims, tuple) and len(dims) > 2:
            dims = dims[:2]
        return (shape,), {"p": p, "dim": dims, "keepdim": keepdim}

    return draw_signature()


def _tensor_norm_reference(x: np.ndarray, p: Any = "fro", dim: Any = None,
                           keepdim: bool = False) -> np.ndarray:
    """torch.Tensor.norm by NumPy: 'nuc' a matrix norm over two axes, anything else a vector
    norm over dim's elements together ('fro' being the 2-norm)."""
    if p == "nuc":
        return np.linalg.norm(x, "nuc", axis=dim if dim is not None else (0, 1),
                              keepdims=keepdim)
    return np.asarray(np.linalg.vector_norm(x, ord=2 if p == "fro" else p, axis=dim,
                                            keepdims=keepdim))



# maximum/minimum: the first argument's intervals interleave with the second's, so either may
# win but they never tie.
_FIRST_OF_PAIR = Domain(((-2.0, -1.6), (-1.0, -0.6), (0.0, 0.4), (1.0, 1.4)))
_SECOND_OF_PAIR = Domain(((-1.5, -1.1), (-0.5, -0.1), (0.5, 0.9), (1.5, 1.9)))
_NONZERO = away_from((0.0,), low=-2.0, high=2.0, gap=0.3)
_PRODUCT_FACTORS = away_from((0.0,), low=-1.5, high=1.5, gap=0.3)
_CLIP_INPUTS = away_from((-0.5, 0.5), low=-2.0, high=2.0, gap=0.1)


def _binary(name: str, reference: Callable, domains: tuple = (REAL, REAL), **flags: Any
            ) -> OpEntry:
    return elementwise(name, getattr(ag, name), reference, domains, **flags)


def _unary(name: str, reference: Callable, domain: Domain = REAL, **flags: Any) -> OpEntry:
    return elementwise(name, getattr(ag, name), reference, (domain,), **flags)


def _comparison(name: str, reference: Callable) -> OpEntry:
    return _binary(name, reference, (_on_grid, _on_grid), differentiable=False)


# --- elementwise maths (issue 13) ---
# remainder, fmod, floor_divide: x / y stays between 0.29 and 0.74 (or 1.24 and 1.79) in size,
# away from the integers where the results jump.
_DIVIDENDS = Domain(((-3.4, -2.6), (-1.4, -0.6), (0.6, 1.4), (2.6, 3.4)))
_DIVISORS = Domain(((-2.1, -1.9), (1.9, 2.1)))
_OFF_INTEGERS = away_from(tuple(range(-3, 4)), gap=0.1)
_OFF_HALVES = away_from((-2.5, -1.5, -0.5, 0.5, 1.5, 2.5), gap=0.1)
_INSIDE_UNIT = real(-0.9, 0.9)


def _elementwise_of_math(function: Callable[[float], float]) -> Callable[[np.ndarray], np.ndarray]:
    """A reference from a function of the standard library (math.erf), in the input's dtype."""
    vectorised = np.vectorize(function, otypes=[np.float64])
    return lambda x: vectorised(x).astype(x.dtype)


def _nan_to_num_kwargs() -> st.SearchStrategy[dict]:
    finite = st.floats(-2.0, 2.0)
    return st.one_of(st.just({}), st.fixed_dictionaries(
        {"nan": finite, "posinf": st.one_of(st.none(), finite),
         "neginf": st.one_of(st.none(), finite)}))

# --- PyTorch spellings ---


def _chunk_kwargs(shape: Shape) -> st.SearchStrategy[dict]:
    return st.fixed_dictionaries({"chunks": st.integers(1, 4),
                                  "axis": st.integers(-len(shape), len(shape) - 1)})


def _chunk_reference(x: np.ndarray, chunks: int, axis: int) -> tuple[np.ndarray, ...]:
    """torch.chunk by its definition: pieces of ceil(n / chunks), the last one smaller."""
    length = x.shape[axis]
    size = -(-length // chunks)
    return tuple(np.split(x, list(range(size, length, size)), axis=axis))


def _split_sizes_kwargs(shape: Shape) -> st.SearchStrategy[dict]:
    """A piece size (any, from 1 to past the axis) or a list of sizes adding up to the axis."""
    def for_axis(axis: int) -> st.SearchStrategy[dict]:
        length = shape[axis]
        cuts = st.lists(st.integers(0, length), max_size=3).map(sorted)
        sizes = cuts.map(lambda c: list(np.diff([0, *c, length]).tolist()))
        return st.one_of(st.integers(1, length + 1), sizes).map(
            lambda split: {"split_size_or_sections": split, "axis": axis})

    return st.integers(-len(shape), len(shape) - 1).flatmap(for_axis)


def _split_sizes_reference(x: np.ndarray, split_size_or_sections: Any, axis: int
                           ) -> tuple[np.ndarray, ...]:
    length = x.shape[axis]
    sizes = split_size_or_sections
    if isinstance(sizes, int):
        sizes = [sizes] * (length // sizes) + [length % sizes] * bool(length % sizes)
    return tuple(np.split(x, np.cumsum(sizes)[:-1].tolist(), axis=axis))


def _masked_fill_signature() -> st.SearchStrategy[tuple[tuple[Shape, ...], dict]]:
    return _with_kwargs(broadcastable_shapes(2, **SMALL),
                        lambda s: st.fixed_dictionaries({"value": st.floats(-2, 2)}))


def _integers_and_bools(shape: Shape) -> st.SearchStrategy[np.ndarray]:
    return st.one_of(hnp.arrays(np.bool_, shape), hnp.arrays(np.int64, shape))

# --- nn.functional breadth (issue 13) ---
def _conv_transpose2d_signature() -> st.SearchStrategy[tuple[tuple[Shape, ...], dict]]:
    """An image, PyTorch's transposed kernels (C_in, C_out/groups, kh, kw), a bias, and window
    options whose output is non-empty (output_padding below stride or dilation)."""
    @st.composite
    def draw_signature(draw: Callable) -> tuple[tuple[Shape, ...], dict]:
        groups = draw(st.integers(1, 2))
        kernel, stride, dilation = ((draw(st.integers(1, 2)), draw(st.integers(1, 2)))
                                    for _ in range(3))
        image = (draw(st.integers(1, 2)), groups * draw(st.integers(1, 2)),
                 draw(st.integers(1, 3)), draw(st.integers(1, 3)))
        full = [(n - 1) * s + d * (k - 1) + 1 for n, s, d, k in
                zip(image[2:], stride, dilation, kernel)]
        padding = tuple(draw(st.integers(0, min(1, (f - 1) // 2))) for f in full)
        extra = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
        weight = (image[1], draw(st.integers(1, 2)), *kernel)
        return (image, weight, (weight[1] * groups,)), {
            "stride": stride, "padding": padding, "output_padding": extra, "groups": groups,
            "dilation": dilation}

    return draw_signature()


def _conv_transpose2d_reference(x: np.ndarray, weight: np.ndarray, bias: np.ndarray,
                                stride: tuple, padding: tuple, output_padding: tuple,
                                groups: int, dilation: tuple) -> np.ndarray:
    """Scatter loops: input pixel (y, x) adds weight[c, :, i, j] * x[c] at output
    (y*stride + i*dilation - padding, ...), per group; output_padding extends the bottom/right."""
    n, c_in, height, width = x.shape
    inputs, outputs = c_in // groups, weight.shape[1]
    kh, kw = weight.shape[2:]
    full = np.zeros((n, outputs * groups,
                     (height - 1) * stride[0] + dilation[0] * (kh - 1) + 1 + output_padding[0],
                     (width - 1) * stride[1] + dilation[1] * (kw - 1) + 1 + output_padding[1]))
    for g in range(groups):
        channels_in, channels_out = slice(g * inputs, (g + 1) * inputs), slice(
            g * outputs, (g + 1) * outputs)
        for y, x_pos, i, j in np.ndindex(height, width, kh, kw):
            full[:, channels_out, y * stride[0] + i * dilation[0],
                 x_pos * stride[1] + j * dilation[1]] += (
                x[:, channels_in, y, x_pos] @ weight[channels_in, :, i, j])
    out_h = full.shape[2] - 2 * padding[0]
    out_w = full.shape[3] - 2 * padding[1]
    out = full[:, :, padding[0]:padding[0] + out_h, padding[1]:padding[1] + out_w]
    return (out + bias.reshape(-1, 1, 1)).astype(x.dtype)


# --- arrays ---

# Two-operand einsum subscripts covering NumPy's forms: matrix-like, implicit output, traces
# and diagonals (repeated letters), letters summed in one operand only, ellipses.
_EINSUM_SUBSCRIPTS = (
    "ij,jk->ik", "ij,jk", "bij,bjk->bik", "i,i", "i,j->ij", "ij,ji->", "ij,kl->lj",
    "ii,j->j", "ii,i->i", "iij,j->ij", "iii,i", "ij,jj->i", "ab,ab->ba", "...ij,...jk->...ik",
    "...ii,...i->...", "i...,i...->...", "...i,...i", "ba,ac",
)


def _einsum_signature() -> st.SearchStrategy[tuple[tuple[Shape, ...], dict]]:
    @st.composite
    def draw_signature(draw: Callable) -> tuple[tuple[Shape, ...], dict]:
        subscripts = draw(st.sampled_from(_EINSUM_SUBSCRIPTS))
        sizes = {c: draw(st.integers(1, 3)) for c in sorted(set(subscripts) - set(".,->"))}
        batches = draw(broadcastable_shapes(2, max_dims=2, max_side=2))
        terms = subscripts.partition("->")[0].split(",")
        # NumPy broadcasts a letter of size 1 too: in the second operand, now and then.
        shared = [c for c in terms[1] if c in terms[0] and terms[1].count(c) == 1]
        ones = set(draw(st.lists(st.sampled_from(shared), max_size=1))) if shared else set()
        arg_shapes = []
        for i, (term, batch) in enumerate(zip(terms, batches)):
            head, _, tail = term.partition("...")
            middle = batch if "..." in term else ()
            arg_shapes.append(tuple(1 if i and c in ones else sizes[c] for c in head) + middle
                              + tuple(1 if i and c in ones else sizes[c] for c in tail))
        return tuple(arg_shapes), {"subscripts": subscripts}

    return draw_signature()


def _tensordot_signature() -> st.SearchStrategy[tuple[tuple[Shape, ...], dict]]:
    @st.composite
    def draw_signature(draw: Callable) -> tuple[tuple[Shape, ...], dict]:
        a = draw(shapes(max_dims=3, max_side=3))
        if draw(st.booleans()):
            count = draw(st.integers(0, len(a)))
            b = a[len(a) - count:] + draw(shapes(max_dims=2, max_side=3))
            return (a, b), {"axes": count}
        axes_a = draw(st.lists(st.integers(0, len(a) - 1), unique=True)) if a else []
        free = draw(shapes(max_dims=2, max_side=3))
        b = list(free) + [a[i] for i in axes_a]
        axes_b = list(range(len(free), len(b)))
        order = draw(st.permutations(range(len(b)))) if b else []
        b_shape = tuple(b[i] for i in order)
        moved = [list(order).index(j) for j in axes_b]
        return (a, b_shape), {"axes": (axes_a, moved)}

    return draw_signature()


def _inner_signature() -> st.SearchStrategy[tuple[tuple[Shape, ...], dict]]:
    @st.composite
    def draw_signature(draw: Callable) -> tuple[tuple[Shape, ...], dict]:
        n = draw(st.integers(1, 3))
        a, b = (draw(shapes(max_dims=2, max_side=2)) for _ in range(2))
        if draw(st.integers(0, 4)) == 0:
            return (a, ()), {}
        return (a + (n,), b + (n,)), {}

    return draw_signature()


def _cross_signature() -> st.SearchStrategy[tuple[tuple[Shape, ...], dict]]:
    @st.composite
    def draw_signature(draw: Callable) -> tuple[tuple[Shape, ...], dict]:
        a, b = draw(broadcastable_shapes(2, max_dims=2, max_side=2))
        position = draw(st.integers(0, min(len(a), len(b))))
        return tuple(s[:len(s) - position] + (3,) + s[len(s) - position:] for s in (a, b)), {
            "axis": -1 - position}

    return draw_signature()


def _two_axes_kwargs(shape: Shape, offset: str) -> st.SearchStrategy[dict]:
    ndim = len(shape)
    pair = st.lists(st.integers(-ndim, ndim - 1), min_size=2, max_size=2,
                    unique_by=lambda a: a % ndim)
    return st.tuples(pair, st.integers(-3, 3)).map(
        lambda drawn: {offset: drawn[1], "axis1": drawn[0][0], "axis2": drawn[0][1]})


def _shift_kwargs(shape: Shape) -> st.SearchStrategy[dict]:
    shifts = st.integers(-5, 5)
    if not shape:
        return st.fixed_dictionaries({"shift": shifts, "axis": st.none()})
    several = st.lists(st.tuples(shifts, st.integers(-len(shape), len(shape) - 1)),
                       min_size=1, max_size=3).map(lambda pairs: {
                           "shift": tuple(p[0] for p in pairs), "axis": tuple(p[1] for p in pairs)})
    return st.one_of(st.fixed_dictionaries({"shift": shifts, "axis": st.none()}), several)


def _repeat_kwargs(shape: Shape) -> st.SearchStrategy[dict]:
    def counts(length: int) -> st.SearchStrategy:
        return st.one_of(st.integers(0, 2), st.lists(st.integers(0, 2), min_size=length,
                                                     max_size=length))

    whole = counts(math.prod(shape)).map(lambda r: {"repeats": r, "axis": None})
    if not shape:
        return whole
    along = st.integers(-len(shape), len(shape) - 1).flatmap(
        lambda a: counts(shape[a]).map(lambda r: {"repeats": r, "axis": a}))
    return st.one_of(whole, along)


def _rot90_kwargs(shape: Shape) -> st.SearchStrategy[dict]:
    return _two_axes_kwargs(shape, "k").map(
        lambda kw: {"k": kw["k"], "axes": (kw["axis1"], kw["axis2"])})


def _stacking_signature(name: str) -> st.SearchStrategy[tuple[tuple[Shape, ...], dict]]:
    """Shapes that ``np.<name>`` joins: equal except along the axis it joins on."""
    low = {"hstack": 0, "vstack": 1, "dstack": 1, "column_stack": 1}[name]

    @st.composite
    def draw_signature(draw: Callable) -> tuple[tuple[Shape, ...], dict]:
        base = draw(shapes(min_dims=low, max_dims=3, max_side=3))
        ndim = len(base)
        axis = {"hstack": 0 if ndim <= 1 else 1, "vstack": 0 if ndim >= 2 else None,
                "dstack": 2 if ndim == 3 else None,
                "column_stack": 1 if ndim >= 2 else None}[name]
        if axis is None or ndim == 0:
            return (base, base), {}
        other = base[:axis] + (draw(st.integers(1, 3)),) + base[axis + 1:]
        return (base, other), {}

    return draw_signature()


def _append_signature() -> st.SearchStrategy[tuple[tuple[Shape, ...], dict]]:
    flat = st.tuples(shapes(**SMALL), shapes(**SMALL)).map(lambda s: (s, {"axis": None}))
    return st.one_of(flat, _joined_shapes(2, stacked=False))


def _diff_kwargs(shape: Shape) -> st.SearchStrategy[dict]:
    edge = st.one_of(st.none(), st.floats(-2, 2))
    return st.fixed_dictionaries({"n": st.integers(0, 3),
                                  "axis": st.integers(-len(shape), len(shape) - 1),
                                  "prepend": edge, "append": edge})


def _diff_reference(x: np.ndarray, n: int, axis: int, prepend: Any, append: Any
                    ) -> np.ndarray:
    extra = {k: v for k, v in (("prepend", prepend), ("append", append)) if v is not None}
    return np.diff(x, n, axis, **extra).astype(x.dtype)


def _cumulative_kwargs(shape: Shape) -> st.SearchStrategy[dict]:
    return st.fixed_dictionaries({"axis": axes(len(shape), single=True)})


def _running_extreme_reference(x: np.ndarray, axis: int, largest: bool) -> tuple:
    """Values and indices by brute force: the arg-extreme of every prefix (distinct values)."""
    pick = np.argmax if largest else np.argmin
    indices = np.stack([pick(np.take(x, range(k + 1), axis), axis)
                        for k in range(x.shape[axis])], axis).reshape(x.shape)
    return np.take_along_axis(x, indices, axis), indices


def _permutation_index(draw: Callable, shape: Shape, axis: int, length: int) -> np.ndarray:
    """An index of ``shape`` except ``length`` along ``axis``, whose entries along ``axis``
    are distinct values in [0, shape[axis]) (no repeated targets)."""
    seed = draw(st.integers(0, 2**16))
    out_shape = shape[:axis] + (length,) + shape[axis + 1:]
    columns = np.random.default_rng(seed).permuted(
        np.broadcast_to(np.arange(shape[axis]).reshape((-1,) + (1,) * (len(shape) - axis - 1)),
                        shape), axis=axis)
    return np.ascontiguousarray(columns[(slice(None),) * axis + (slice(0, length),)]
                                ).reshape(out_shape)


def _dim_index_signature(kind: str) -> st.SearchStrategy[tuple[tuple[Shape, ...], dict]]:
    """gather (any in-range index, repeats included), scatter (distinct targets, src tensor),
    scatter_add (any index, src tensor) and index_select (a 1-D index)."""
    @st.composite
    def draw_signature(draw: Callable) -> tuple[tuple[Shape, ...], dict]:
        shape = draw(shapes(min_dims=1, max_dims=3, max_side=3))
        dim = draw(st.integers(-len(shape), len(shape) - 1))
        axis = dim % len(shape)
        smaller = tuple(draw(st.integers(1, side)) for side in shape)
        if kind == "index_select":
            index = draw(hnp.arrays(np.int64, draw(st.integers(0, 4)),
                                    elements=st.integers(0, shape[axis] - 1)))
            return (shape,), {"dim": dim, "index": index}
        if kind == "scatter":
            index = _permutation_index(draw, shape, axis, smaller[axis])
            index = index[tuple(slice(0, n) if d != axis else slice(None)
                                for d, n in enumerate(smaller))]
        else:
            index = draw(hnp.arrays(np.int64, smaller,
                                    elements=st.integers(0, shape[axis] - 1)))
        if kind == "gather":
            return (shape,), {"dim": dim, "index": index}
        src = tuple(n + draw(st.integers(0, 1)) for n in index.shape)
        return (shape, src), {"dim": dim, "index": index}

    return draw_signature()


def _along_axis_reference(x: np.ndarray, index: np.ndarray, axis: int) -> tuple:
    """The numpy index picking ``index`` along ``axis``, position i elsewhere (PyTorch)."""
    return tuple(index if d == axis else np.arange(n).reshape((-1,) + (1,) * (index.ndim - d - 1))
                 for d, n in enumerate(index.shape))


def _gather_reference(x: np.ndarray, dim: int, index: np.ndarray) -> np.ndarray:
    return x[_along_axis_reference(x, index, dim % x.ndim)]


def _scatter_reference(x: np.ndarray, src: np.ndarray, dim: int, index: np.ndarray,
                       accumulate: bool) -> np.ndarray:
    out = x.copy()
    values = src[tuple(slice(0, n) for n in index.shape)]
    target = _along_axis_reference(x, index, dim % x.ndim)
    if accumulate:
        np.add.at(out, target, values)
    else:
        out[target] = values
    return out


def _take_kwargs(shape: Shape) -> st.SearchStrategy[dict]:
    size = math.prod(shape)
    flat = hnp.arrays(np.int64, shapes(max_dims=2, max_side=3),
                      elements=st.integers(-size, size - 1)).map(
        lambda index: {"indices": index, "axis": None})
    if not shape:
        return flat
    along = st.integers(-len(shape), len(shape) - 1).flatmap(lambda a: hnp.arrays(
        np.int64, shapes(max_dims=2, max_side=3),
        elements=st.integers(-shape[a], shape[a] - 1)).map(
        lambda index: {"indices": index, "axis": a}))
    return st.one_of(flat, along)


def _take_along_axis_kwargs(shape: Shape) -> st.SearchStrategy[dict]:
    def for_axis(a: int) -> st.SearchStrategy[dict]:
        index_shape = st.tuples(*[st.integers(1, 3) if d == a % len(shape) else
                                  st.sampled_from([1, side]) for d, side in enumerate(shape)])
        return index_shape.flatmap(lambda s: hnp.arrays(
            np.int64, s, elements=st.integers(-shape[a], shape[a] - 1))).map(
            lambda index: {"indices": index, "axis": a})

    return st.integers(-len(shape), len(shape) - 1).flatmap(for_axis)


def _masked_select_reference(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    x, mask = np.broadcast_arrays(x, mask)
    return x[mask]


def _sort_kwargs(shape: Shape) -> st.SearchStrategy[dict]:
    return st.fixed_dictionaries({"axis": axes(len(shape), single=True) if shape else st.none(),
                                  "descending": st.booleans()})


def _argsort_reference(x: np.ndarray, axis: int | None, descending: bool) -> np.ndarray:
    """A stable argsort; descending as the stable argsort of -x (no NaN here)."""
    return np.argsort(-x if descending else x, axis=axis, kind="stable")


def _sort_reference(x: np.ndarray, axis: int | None, descending: bool) -> np.ndarray:
    values = np.sort(x, axis=axis)
    return np.flip(values, -1 if axis is None else axis) if descending else values


def _topk_kwargs(shape: Shape) -> st.SearchStrategy[dict]:
    return st.integers(-len(shape), len(shape) - 1).flatmap(lambda a: st.fixed_dictionaries({
        "k": st.integers(0, shape[a]), "axis": st.just(a), "largest": st.booleans()}))


def _topk_reference(x: np.ndarray, k: int, axis: int, largest: bool) -> tuple:
    order = np.argsort(-x if largest else x, axis=axis, kind="stable")
    indices = np.take(order, range(k), axis)
    return np.take_along_axis(x, indices, axis), indices


def _meshgrid_reference(*vectors: np.ndarray, indexing: str) -> tuple:
    return tuple(np.meshgrid(*vectors, indexing=indexing))


def _tile_kwargs(shape: Shape, at_least: int = 0) -> st.SearchStrategy[dict]:
    return st.lists(st.integers(1, 2), min_size=max(at_least, 0), max_size=3).map(
        lambda reps: {"reps": tuple(reps)})


# Factors near 1 in size, so that a running product of up to 27 of them stays moderate and
# float64 finite differences of its gradient stay accurate.
_CUMPROD_FACTORS = Domain(((-1.2, -0.5), (0.5, 1.2)))


ENTRIES: list[OpEntry] = [
    # arithmetic
    _binary("add", np.add),
    _binary("sub", np.subtract),
    _binary("mul", np.multiply),
    _binary("div", np.true_divide, (REAL, _NONZERO)),
    _unary("neg", np.negative),
    _binary("pow", np.power, (real(0.5, 2.0), real(-2.0, 2.0))),
    _unary("square", np.square),
    # transcendental
    _unary("exp", np.exp),
    _unary("log", np.log, POSITIVE),
    _unary("log1p", np.log1p, real(-0.5, 3.0)),
    _unary("sqrt", np.sqrt, POSITIVE),
    _unary("sin", np.sin),
    _unary("cos", np.cos),
    _unary("tanh", np.tanh),
    _unary("sigmoid", lambda x: 1 / (1 + np.exp(-x))),
    _unary("softplus", lambda x: np.log1p(np.exp(x))),
    # piecewise, off their kinks
    _unary("abs", np.abs, _NONZERO),
    _unary("relu", lambda x: np.maximum(x, 0), _NONZERO),
    elementwise("leaky_relu", ag.leaky_relu,
                lambda x, negative_slope=0.01: np.where(x > 0, x, negative_slope * x),
                (_NONZERO,), kwargs=st.one_of(st.just({}), st.fixed_dictionaries(
                    {"negative_slope": st.floats(0.0, 0.5)}))),
    _binary("maximum", np.maximum, (_FIRST_OF_PAIR, _SECOND_OF_PAIR)),
    _binary("minimum", np.minimum, (_FIRST_OF_PAIR, _SECOND_OF_PAIR)),
    elementwise("clip", ag.clip, lambda x, min=None, max=None: np.clip(x, min, max),
                (_CLIP_INPUTS,), kwargs=_clip_kwargs()),
    elementwise("where", ag.where, np.where, (_bools, REAL, REAL)),
    # no gradient
    _unary("sign", np.sign, differentiable=False),
    _unary("isfinite", np.isfinite, differentiable=False),
    _comparison("eq", np.equal),
    _comparison("ne", np.not_equal),
    _comparison("lt", np.less),
    _comparison("le", np.less_equal),
    _comparison("gt", np.greater),
    _comparison("ge", np.greater_equal),
    # astype to float64: the float32 tests then check that the gradient converts back
    elementwise("astype", ag.astype, lambda x, dtype: x.astype(dtype), (REAL,),
                kwargs=st.just({"dtype": np.float64})),
    # linear algebra
    OpEntry("matmul", ag.matmul, np.matmul, _matmul_signature(True, True),
            (well_conditioned_matrices, well_conditioned_matrices)),
    OpEntry("outer", ag.outer, np.outer,
            st.tuples(shapes(1, 1, max_side=4), shapes(1, 1, max_side=4)).map(lambda s: (s, {})),
            (REAL, REAL)),
    # reductions
    reduction("sum", ag.sum, np.sum),
    reduction("mean", ag.mean, np.mean),
    reduction("max", ag.max, np.max, distinct()),
    reduction("min", ag.min, np.min, distinct()),
    reduction("prod", ag.prod, np.prod, _PRODUCT_FACTORS),
    reduction("logsumexp", ag.logsumexp,
              lambda x, axis, keepdims: np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims))),
    single("var", ag.var, np.var, REAL, lambda s: _var_kwargs(s, 1)),
    single("std", ag.std, np.std, distinct(), lambda s: _var_kwargs(s, 1)),
    single("argmax", ag.argmax, np.argmax, REAL, lambda s: axes_and_keepdims(len(s), single=True),
           differentiable=False),
    single("argmin", ag.argmin, np.argmin, REAL, lambda s: axes_and_keepdims(len(s), single=True),
           differentiable=False),
    single("softmax", ag.softmax, _softmax_reference, REAL,
           lambda s: st.fixed_dictionaries({"axis": st.integers(-len(s), len(s) - 1)}),
           min_dims=1),
    single("log_softmax", ag.log_softmax,
           lambda x, axis: np.log(_softmax_reference(x, axis)), REAL,
           lambda s: st.fixed_dictionaries({"axis": st.integers(-len(s), len(s) - 1)}),
           min_dims=1),
    # shapes
    single("reshape", ag.reshape, np.reshape, REAL, _reshapes),
    single("transpose", ag.transpose, np.transpose, REAL, lambda s: st.fixed_dictionaries(
        {"axes": st.one_of(st.none(), _permutations(len(s)))})),
    single("permute", lambda x, axes: ag.permute(x, *axes),
           lambda x, axes: np.transpose(x, axes), REAL,
           lambda s: st.fixed_dictionaries({"axes": _permutations(len(s))})),
    single("swapaxes", ag.swapaxes, np.swapaxes, REAL, lambda s: st.fixed_dictionaries(
        {"axis1": st.integers(-len(s), len(s) - 1), "axis2": st.integers(-len(s), len(s) - 1)}),
        min_dims=1),
    single("expand_dims", ag.expand_dims, np.expand_dims, REAL, lambda s: st.fixed_dictionaries(
        {"axis": st.integers(-len(s) - 1, len(s))})),
    single("unsqueeze", ag.unsqueeze, np.expand_dims, REAL, lambda s: st.fixed_dictionaries(
        {"axis": st.integers(-len(s) - 1, len(s))})),
    single("squeeze", ag.squeeze, np.squeeze, REAL, _squeeze_axes),
    single("flatten", ag.flatten, _flatten_reference, REAL, _flatten_range),
    single("flip", ag.flip, np.flip, REAL, lambda s: st.fixed_dictionaries({"axis": axes(len(s))})),
    OpEntry("broadcast_to", ag.broadcast_to, np.broadcast_to, shapes(**SMALL).flatmap(
        lambda target: shapes_broadcasting_to(target).map(
            lambda s: ((s,), {"shape": target}))), (REAL,)),
    OpEntry("sum_to", ag.sum_to, _sum_to_reference, shapes(**SMALL).flatmap(
        lambda source: shapes_broadcasting_to(source).map(
            lambda s: ((source,), {"shape": s}))), (REAL,)),
    OpEntry("concatenate", lambda *xs, axis: ag.concatenate(xs, axis=axis),
            lambda *xs, axis: np.concatenate(xs, axis=axis), _joined_shapes(3, stacked=False),
            (REAL,) * 3),
    OpEntry("stack", lambda *xs, axis: ag.stack(xs, axis=axis),
            lambda *xs, axis: np.stack(xs, axis=axis), _joined_shapes(2, stacked=True),
            (REAL,) * 2),
    single("split", lambda x, **kw: tuple(ag.split(x, **kw)),
           lambda x, **kw: tuple(np.split(x, **kw)), REAL, _split_kwargs, min_dims=1),
    single("pad", ag.pad, lambda x, pad_width, value: np.pad(x, pad_width,
                                                               constant_values=value),
           REAL, _pad_kwargs, min_dims=1),
    single("getitem", ag.getitem, lambda x, index: np.asarray(x[index]), REAL,
           lambda s: st.fixed_dictionaries({"index": _indices(s)}), extra_errors=(IndexError,)),
    OpEntry("index_add_to", ag.index_add_to, _index_add_to_reference, _index_add_to_signature(),
            (REAL,), extra_errors=(IndexError,)),
    OpEntry("unfold", ag.unfold, _windows_of, _window_signature(), (REAL,)),
    OpEntry("fold", ag.fold, _fold_reference, _fold_signature(), (REAL,)),
    OpEntry("conv2d", ag.conv2d, _conv2d_reference, _conv2d_signature(), (REAL, REAL, REAL)),
    # --- elementwise maths (issue 13) ---
    _unary("tan", np.tan, real(-1.2, 1.2)),
    _unary("arcsin", np.arcsin, _INSIDE_UNIT),
    _unary("arccos", np.arccos, _INSIDE_UNIT),
    _unary("arctan", np.arctan),
    _binary("arctan2", np.arctan2, (_NONZERO, _NONZERO)),
    _binary("hypot", np.hypot, (_NONZERO, _NONZERO)),
    _unary("sinc", np.sinc),
    _unary("sinh", np.sinh),
    _unary("cosh", np.cosh),
    _unary("arcsinh", np.arcsinh),
    _unary("arccosh", np.arccosh, real(1.1, 3.0)),
    _unary("arctanh", np.arctanh, _INSIDE_UNIT),
    _unary("deg2rad", np.deg2rad),
    _unary("rad2deg", np.rad2deg),
    # PyTorch's spellings: the same functions (tests/test_ops_trigonometric.py checks identity)
    _unary("asin", np.arcsin, _INSIDE_UNIT),
    _unary("acos", np.arccos, _INSIDE_UNIT),
    _unary("atan", np.arctan),
    _binary("atan2", np.arctan2, (_NONZERO, _NONZERO)),
    _unary("asinh", np.arcsinh),
    _unary("acosh", np.arccosh, real(1.1, 3.0)),
    _unary("atanh", np.arctanh, _INSIDE_UNIT),
    _unary("exp2", np.exp2),
    _unary("expm1", np.expm1),
    _unary("log2", np.log2, POSITIVE),
    _unary("log10", np.log10, POSITIVE),
    _binary("logaddexp", np.logaddexp),
    _binary("logaddexp2", np.logaddexp2),
    _unary("reciprocal", np.reciprocal, _NONZERO),
    _unary("rsqrt", lambda x: 1 / np.sqrt(x), POSITIVE),
    _unary("erf", _elementwise_of_math(math.erf)),
    _unary("erfc", _elementwise_of_math(math.erfc)),
    _unary("floor", np.floor, _OFF_INTEGERS),
    _unary("ceil", np.ceil, _OFF_INTEGERS),
    _unary("trunc", np.trunc, _OFF_INTEGERS),
    _unary("round", np.round, _OFF_HALVES),
    _binary("floor_divide", np.floor_divide, (_DIVIDENDS, _DIVISORS)),
    _binary("remainder", np.remainder, (_DIVIDENDS, _DIVISORS)),
    _binary("fmod", np.fmod, (_DIVIDENDS, _DIVISORS)),
    _binary("fmax", np.fmax, (_FIRST_OF_PAIR, _SECOND_OF_PAIR)),
    _binary("fmin", np.fmin, (_FIRST_OF_PAIR, _SECOND_OF_PAIR)),
    elementwise("nan_to_num", ag.nan_to_num, np.nan_to_num, (REAL,), kwargs=_nan_to_num_kwargs()),

    # --- PyTorch spellings ---
    OpEntry("cat", lambda *xs, axis: ag.cat(xs, dim=axis),
            lambda *xs, axis: np.concatenate(xs, axis=axis), _joined_shapes(3, stacked=False),
            (REAL,) * 3),
    elementwise("clamp", ag.clamp, lambda x, min=None, max=None: np.clip(x, min, max),
                (_CLIP_INPUTS,), kwargs=st.one_of(_clip_kwargs(),
                                                  st.just({"min": 0.5, "max": -0.5}))),
    _unary("clone", np.copy),
    OpEntry("masked_fill", ag.masked_fill,
            lambda x, mask, value: np.where(mask, value, x), _masked_fill_signature(),
            (REAL, _bools)),
    reduction("any", ag.any, np.any, _on_grid, differentiable=False),
    reduction("all", ag.all, np.all, _on_grid, differentiable=False),
    _unary("bitwise_not", np.invert, _integers_and_bools, differentiable=False),
    single("chunk", ag.chunk, _chunk_reference, REAL, _chunk_kwargs, min_dims=1),
    _unary("ravel", np.ravel),
    single("unbind", ag.unbind, lambda x, axis: tuple(np.moveaxis(x, axis, 0)), REAL,
           lambda s: st.fixed_dictionaries({"axis": st.integers(-len(s), len(s) - 1)}),
           min_dims=1),
    single("Tensor.split", lambda x, **kw: x.split(**kw), _split_sizes_reference, REAL,
           _split_sizes_kwargs, min_dims=1),
    OpEntry("Tensor.t", lambda x: x.t(), np.transpose,
            shapes(max_dims=2, max_side=3).map(lambda s: ((s,), {})), (REAL,)),
    # the dtype methods (Tensor.float is in NOT_TENSOR_OPS): double is differentiable (self
    # when the dtype is already float64), the others are not
    *[elementwise(f"Tensor.{member}", lambda x, m=member: getattr(x, m)(),
                  lambda x, d=dtype: x.astype(d), (REAL,), differentiable=dtype.kind == "f")
      for member, dtype in (("double", np.dtype(np.float64)), ("long", np.dtype(np.int64)),
                            ("int", np.dtype(np.int32)), ("bool", np.dtype(np.bool_)))],

    # --- nn.functional breadth (issue 13) ---
    OpEntry("conv_transpose2d", ag.conv_transpose2d, _conv_transpose2d_reference,
            _conv_transpose2d_signature(), (REAL, REAL, REAL)),

    # --- linear algebra ---
    OpEntry("dot", ag.dot, np.dot, _dot_signature(),
            (well_conditioned_matrices, well_conditioned_matrices)),
    OpEntry("mm", ag.mm, np.matmul, _fixed_ranks(2, 2), (REAL, REAL)),
    OpEntry("bmm", ag.bmm, np.matmul, _fixed_ranks(3, 3), (REAL, REAL)),
    OpEntry("mv", ag.mv, np.matmul, _fixed_ranks(2, 1), (REAL, REAL)),
    OpEntry("linalg.inv", ag.linalg.inv, np.linalg.inv, _matrix_shapes(square=True),
            (well_conditioned_matrices,)),
    OpEntry("linalg.solve", ag.linalg.solve, np.linalg.solve, _solve_signature(),
            (well_conditioned_matrices, REAL)),
    OpEntry("linalg.det", ag.linalg.det, np.linalg.det, _matrix_shapes(square=True),
            (well_conditioned_matrices,)),
    OpEntry("linalg.slogdet", ag.linalg.slogdet, np.linalg.slogdet, _matrix_shapes(square=True),
            (well_conditioned_matrices,)),
    OpEntry("linalg.cholesky",
            lambda a, upper: ag.linalg.cholesky(_symmetric_part(a), upper=upper),
            np.linalg.cholesky, _with(_matrix_shapes(square=True),
                                      st.fixed_dictionaries({"upper": st.booleans()})),
            (spd_matrices,)),
    OpEntry("linalg.eigh", _eigh_op, _eigh_reference,
            _with(_matrix_shapes(square=True), st.fixed_dictionaries(
                {"UPLO": st.sampled_from("LU")})), (symmetric_matrices,)),
    OpEntry("linalg.eigvalsh", lambda a, UPLO: ag.linalg.eigvalsh(_symmetric_part(a), UPLO),
            np.linalg.eigvalsh, _with(_matrix_shapes(square=True), st.fixed_dictionaries(
                {"UPLO": st.sampled_from("LU")})), (symmetric_matrices,)),
    OpEntry("linalg.svd", _svd_op, _svd_reference, _matrix_shapes(),
            (matrices_with_distinct_singular_values,)),
    OpEntry("linalg.svdvals", ag.linalg.svdvals, np.linalg.svdvals, _matrix_shapes(),
            (matrices_with_distinct_singular_values,)),
    OpEntry("linalg.qr", ag.linalg.qr, np.linalg.qr, _matrix_shapes(), (_qr_matrices,)),
    OpEntry("linalg.pinv", ag.linalg.pinv, np.linalg.pinv, _matrix_shapes(),
            (well_conditioned_matrices,)),
    OpEntry("linalg.matrix_power", ag.linalg.matrix_power, np.linalg.matrix_power,
            _with(_matrix_shapes(square=True), st.fixed_dictionaries(
                {"n": st.sampled_from([-2, -1, 1, 2, 3, 5])})), (well_conditioned_matrices,)),
    OpEntry("linalg.norm", ag.linalg.norm, np.linalg.norm, _norm_signature(), (_distinct_sums,)),
    OpEntry("linalg.vector_norm", ag.linalg.vector_norm, np.linalg.vector_norm,
            _vector_norm_signature(), (_distinct_sums,)),
    OpEntry("linalg.matrix_norm", ag.linalg.matrix_norm, np.linalg.matrix_norm,
            _with(_matrix_shapes(), st.fixed_dictionaries(
                {"ord": st.sampled_from(_MATRIX_ORDS[1:]), "keepdims": st.booleans()})),
            (_distinct_sums,)),
    OpEntry("Tensor.norm", lambda x, **kwargs: x.norm(**kwargs), _tensor_norm_reference,
            _tensor_norm_signature(), (_distinct_sums,)),
    # --- arrays ---
    OpEntry("einsum", lambda *xs, subscripts: ag.einsum(subscripts, *xs),
            lambda *xs, subscripts: np.einsum(subscripts, *xs), _einsum_signature(),
            (REAL, REAL)),
    OpEntry("tensordot", ag.tensordot, np.tensordot, _tensordot_signature(), (REAL, REAL)),
    OpEntry("inner", ag.inner, np.inner, _inner_signature(), (REAL, REAL)),
    OpEntry("kron", ag.kron, np.kron, st.tuples(
        shapes(max_dims=2, max_side=2), shapes(max_dims=2, max_side=2)).map(lambda s: (s, {})),
        (REAL, REAL)),
    OpEntry("cross", ag.cross, lambda a, b, axis: np.cross(a, b, axis=axis), _cross_signature(),
            (REAL, REAL)),
    single("trace", ag.trace, np.trace, REAL, lambda s: _two_axes_kwargs(s, "offset"),
           min_dims=2),
    single("diagonal", ag.diagonal, np.diagonal, REAL, lambda s: _two_axes_kwargs(s, "offset"),
           min_dims=2),
    OpEntry("diag", ag.diag, np.diag, shapes(1, 2, max_side=3).flatmap(
        lambda s: st.integers(-3, 3).map(lambda k: ((s,), {"k": k}))), (REAL,)),
    single("tril", ag.tril, np.tril, REAL,
           lambda s: st.fixed_dictionaries({"k": st.integers(-3, 3)}), min_dims=2),
    single("triu", ag.triu, np.triu, REAL,
           lambda s: st.fixed_dictionaries({"k": st.integers(-3, 3)}), min_dims=2),
    single("roll", ag.roll, np.roll, REAL, _shift_kwargs),
    single("tile", ag.tile, np.tile, REAL, _tile_kwargs),
    single("repeat", ag.repeat, np.repeat, REAL, _repeat_kwargs),
    single("rot90", ag.rot90, np.rot90, REAL, _rot90_kwargs, min_dims=2),
    *[OpEntry(name, lambda *xs, _name=name: getattr(ag, _name)(xs),
              lambda *xs, _name=name: getattr(np, _name)(xs), _stacking_signature(name),
              (REAL, REAL)) for name in ("hstack", "vstack", "dstack", "column_stack")],
    OpEntry("append", ag.append, np.append, _append_signature(), (REAL, REAL)),
    OpEntry("meshgrid", lambda *xs, indexing: ag.meshgrid(*xs, indexing=indexing),
            _meshgrid_reference, st.tuples(shapes(1, 1, max_side=3), shapes(1, 1, max_side=3),
                                           st.sampled_from(["xy", "ij"])).map(
                lambda d: ((d[0], d[1]), {"indexing": d[2]})), (REAL, REAL)),
    single("cumsum", ag.cumsum, np.cumsum, REAL, _cumulative_kwargs),
    single("cumprod", ag.cumprod, np.cumprod, _CUMPROD_FACTORS, _cumulative_kwargs),
    *[single(name, getattr(ag, name),
             lambda x, axis, _largest=largest: _running_extreme_reference(x, axis, _largest),
             distinct(), lambda s: st.fixed_dictionaries(
                 {"axis": st.integers(-len(s), len(s) - 1)}), min_dims=1)
      for name, largest in (("cummax", True), ("cummin", False))],
    single("diff", ag.diff, _diff_reference, REAL, _diff_kwargs, min_dims=1),
    single("take", ag.take, np.take, REAL, _take_kwargs, extra_errors=(IndexError,)),
    single("take_along_axis", ag.take_along_axis, np.take_along_axis, REAL,
           _take_along_axis_kwargs, min_dims=1, extra_errors=(IndexError,)),
    OpEntry("gather", ag.gather, _gather_reference, _dim_index_signature("gather"), (REAL,),
            extra_errors=(IndexError,)),
    OpEntry("scatter", lambda x, src, dim, index: ag.scatter(x, dim, index, src),
            lambda x, src, dim, index: _scatter_reference(x, src, dim, index, False),
            _dim_index_signature("scatter"), (REAL, REAL), extra_errors=(IndexError,)),
    OpEntry("scatter_add", lambda x, src, dim, index: ag.scatter_add(x, dim, index, src),
            lambda x, src, dim, index: _scatter_reference(x, src, dim, index, True),
            _dim_index_signature("scatter_add"), (REAL, REAL), extra_errors=(IndexError,)),
    OpEntry("index_select", ag.index_select, lambda x, dim, index: np.take(x, index, dim),
            _dim_index_signature("index_select"), (REAL,), extra_errors=(IndexError,)),
    elementwise("masked_select", ag.masked_select, _masked_select_reference, (REAL, _bools)),
    single("nonzero", ag.nonzero, np.nonzero, _on_grid, min_dims=1, differentiable=False),
    single("argwhere", ag.argwhere, np.argwhere, _on_grid, differentiable=False),
    single("sort", ag.sort, _sort_reference, distinct(), _sort_kwargs),
    single("argsort", ag.argsort, _argsort_reference, _on_grid, _sort_kwargs,
           differentiable=False),
    single("topk", ag.topk, _topk_reference, distinct(), _topk_kwargs, min_dims=1),
    single("Tensor.sort", lambda x, axis, descending: x.sort(axis, descending),
           lambda x, axis, descending: (_sort_reference(x, axis, descending),
                                        _argsort_reference(x, axis, descending)),
           distinct(), _sort_kwargs),
    single("Tensor.repeat", lambda x, reps: x.repeat(*reps), np.tile, REAL,
           lambda s: _tile_kwargs(s, at_least=len(s))),
    OpEntry("Tensor.trace", lambda x: x.trace(), np.trace,
            shapes(2, 2, max_side=3).map(lambda s: ((s,), {})), (REAL,)),
]


def method_call(member: str) -> Callable[..., Any]:
    """``x.member(*other tensors, **kwargs)``: the Tensor method or operator of the first."""
    return lambda x, *rest, **kwargs: getattr(x, member)(*rest, **kwargs)


def _reflected_call(member: str) -> Callable[..., Any]:
    """``y.__rop__(x)``: the reflected operator computes ``x op y`` with ``y`` a Tensor."""
    return lambda x, y: getattr(y, member)(x)


# Tensor methods that are the function of the same name with the tensor first:
# ``x.name(*others, **kwargs)`` is ``ag.name(x, *others, **kwargs)``. They get no entries of
# their own; test_op_registry.py checks that each computes its function's values and gradients.
METHODS_OF_FUNCTIONS: tuple[str, ...] = (
    "exp", "log", "log1p", "sqrt", "abs", "sin", "cos", "tanh", "sigmoid", "relu", "clip",
    "astype", "sum", "mean", "max", "min", "var", "std", "prod", "logsumexp", "argmax",
    "argmin", "swapaxes", "squeeze", "unsqueeze", "expand_dims", "flatten", "broadcast_to",
    "flip", "matmul", "dot",
    # elementwise maths (issue 13)
    "tan", "arcsin", "arccos", "arctan", "arctan2", "hypot", "sinc", "sinh", "cosh", "arcsinh",
    "arccosh", "arctanh", "deg2rad", "rad2deg", "asin", "acos", "atan", "atan2", "asinh",
    "acosh", "atanh", "exp2", "expm1", "log2", "log10", "logaddexp", "logaddexp2",
    "reciprocal", "rsqrt", "erf", "erfc", "floor", "ceil", "trunc", "round", "floor_divide",
    "remainder", "fmod", "fmax", "fmin", "nan_to_num",

    # PyTorch spellings
    "clone", "pow", "square", "neg", "clamp", "masked_fill", "any", "all", "softmax",
    "log_softmax", "chunk", "ravel", "unbind",

    "mm", "bmm", "mv",  # linear algebra
    "gather", "index_select", "masked_select", "tril", "triu",  # arrays
)

# The other Tensor members that compute (operators, reflected operators, other signatures):
# member name -> (registry entry it is checked like, call). A None call means
# ``x.member(*others, **kwargs)``.
TENSOR_MEMBERS: dict[str, tuple[str, Callable[..., Any] | None]] = {
    "__add__": ("add", None), "__radd__": ("add", _reflected_call("__radd__")),
    "__sub__": ("sub", None), "__rsub__": ("sub", _reflected_call("__rsub__")),
    "__mul__": ("mul", None), "__rmul__": ("mul", _reflected_call("__rmul__")),
    "__truediv__": ("div", None), "__rtruediv__": ("div", _reflected_call("__rtruediv__")),
    "__pow__": ("pow", None), "__rpow__": ("pow", _reflected_call("__rpow__")),
    "__matmul__": ("matmul", None), "__rmatmul__": ("matmul", _reflected_call("__rmatmul__")),
    "__neg__": ("neg", None), "__abs__": ("abs", None), "__getitem__": ("getitem", None),
    "__eq__": ("eq", None), "__ne__": ("ne", None), "__lt__": ("lt", None),
    "__le__": ("le", None), "__gt__": ("gt", None), "__ge__": ("ge", None),
    "to": ("astype", None),
    "reshape": ("reshape", lambda x, shape: x.reshape(shape)),
    "transpose": ("transpose", lambda x, axes: x.transpose(axes)),
    "permute": ("permute", lambda x, axes: x.permute(*axes)),
    # elementwise maths (issue 13)
    "__floordiv__": ("floor_divide", None),
    "__rfloordiv__": ("floor_divide", _reflected_call("__rfloordiv__")),
    "__mod__": ("remainder", None), "__rmod__": ("remainder", _reflected_call("__rmod__")),

    # PyTorch spellings
    "view": ("reshape", lambda x, shape: x.view(*shape)),
    "where": ("where", lambda condition, x, y: x.where(condition, y)),
    "expand": ("broadcast_to", lambda x, shape: x.expand(*shape)),
    "expand_as": ("broadcast_to", lambda x, shape: x.expand_as(ag.zeros(shape))),
    "__invert__": ("bitwise_not", None),

    # --- linear algebra ---
    "inverse": ("linalg.inv", None), "det": ("linalg.det", None),
    "slogdet": ("linalg.slogdet", None),
    "matrix_power": ("linalg.matrix_power", None),
    # --- arrays ---
    "scatter": ("scatter", lambda x, src, dim, index: x.scatter(dim, index, src)),
    "scatter_add": ("scatter_add", lambda x, src, dim, index: x.scatter_add(dim, index, src)),
    "topk": ("topk", lambda x, k, axis, largest: x.topk(k, dim=axis, largest=largest)),
    "argsort": ("argsort", lambda x, axis, descending: x.argsort(dim=axis, descending=descending)),
    "cumsum": ("cumsum", lambda x, axis: x.cumsum(axis)),
    "cumprod": ("cumprod", lambda x, axis: x.cumprod(axis)),
    "cummax": ("cummax", lambda x, axis: x.cummax(axis)),
    "cummin": ("cummin", lambda x, axis: x.cummin(axis)),
    "repeat_interleave": ("repeat", lambda x, repeats, axis: x.repeat_interleave(repeats, axis)),
    "diagonal": ("diagonal", lambda x, offset, axis1, axis2: x.diagonal(offset, axis1, axis2)),
    "roll": ("roll", lambda x, shift, axis: x.roll(shift, axis)),
    "nonzero": ("argwhere", lambda x: x.nonzero()),
    "take_along_dim": ("take_along_axis",
                       lambda x, indices, axis: x.take_along_dim(indices, axis)),
}


def _tensor_member_entries() -> list[OpEntry]:
    by_name = {entry.name: entry for entry in ENTRIES}
    members = [replace(by_name[base], name=f"Tensor.{member}", op=call or method_call(member))
               for member, (base, call) in TENSOR_MEMBERS.items()]
    members.append(single("Tensor.T", lambda x: x.T, np.transpose, REAL))
    members.append(single("Tensor.__pos__", lambda x: +x, lambda x: x, REAL))
    return members


# The ops whose rejected arguments may raise IndexError (tests/test_hostile_input.py).
INDEXING_OPS: frozenset[str] = frozenset(
    entry.name for entry in ENTRIES if IndexError in entry.extra_errors)
ENTRIES += _tensor_member_entries()
REGISTRY: dict[str, OpEntry] = {entry.name: entry for entry in ENTRIES}
if len(REGISTRY) != len(ENTRIES):
    raise ValueError("op registry: two entries share a name")

# Names in autograd_lite.__all__ that are not ops, and why.
NOT_OPS: dict[str, str] = {
    "Tensor": "the class itself; its computing members are checked as Tensor.<member>",
    "tensor": "factory: makes a leaf from plain data",
    "zeros": "factory", "ones": "factory", "full": "factory", "zeros_like": "factory",
    "ones_like": "factory", "arange": "factory", "linspace": "factory", "eye": "factory",
    "rand": "random factory", "randn": "random factory",
    "mark_changed_in_place": "stamps an in-place write (tests/test_in_place*.py)",
    "manual_seed": "seeds the random generator", "default_generator": "returns the generator",
    "set_default_dtype": "configuration", "get_default_dtype": "configuration",
    "no_grad": "grad-mode context manager", "enable_grad": "grad-mode context manager",
    "set_grad_enabled": "grad-mode context manager", "is_grad_enabled": "grad-mode query",
    "name_scope": "names graph nodes; computes nothing",
    "call_in_scope": "names graph nodes (a module call's scope); computes nothing",
    "detect_anomaly": "debugging context manager",
    "grad": "the reverse-mode driver itself, exercised by every gradient check",
    "gradcheck": "the checker", "gradgradcheck": "the checker",
    "GradcheckError": "exception class",
    "draw_graph": "visualisation of a graph; computes nothing",
    "save_graph": "visualisation of a graph; computes nothing",
    "capture_grads": "records gradients for drawing; computes nothing",
    "GraphvizNotFoundError": "exception class",
    # PyTorch spellings
    "Generator": "a source of random numbers (tests/test_torch_random.py)",
    **{name: "random factory: samples are data, no graph (tests/test_torch_random.py)"
       for name in ("bernoulli", "multinomial", "normal", "rand_like", "randint", "randn_like",
                    "randperm")},
    "empty": "factory", "full_like": "factory",
    "from_numpy": "factory sharing the array's memory (tests/test_torch_methods.py)",
    # --- function transforms, user ops, checkpointing (issue 14) ---
    "custom_op": "declares user ops (tests/test_user_ops.py)",
    "Function": "base class of PyTorch-style user ops (tests/test_user_ops.py)",
    "FunctionCtx": "the ctx of a Function call", "checkpoint": "recomputes a function in "
    "backward; its gradients are checked against the plain call (tests/test_checkpoint.py)",
    # --- compile ---
    "compile": "runs a traced program of registered primitives (tests/test_compile.py)",
    "opaque": "decorator marking calls a compiled program replays; computes nothing",
    "CompileError": "exception class",
    "runtime_check": "runs a validation on arrays (now and in compiled programs)",
    "runtime_arrays": "computes NumPy arrays from values (now and in compiled programs)",
}

# Names in autograd_lite.linalg.__all__ that have no "linalg.<name>" entry, and why.
NOT_LINALG_OPS: dict[str, str] = {
    "matmul": "ag.matmul itself (entry 'matmul')", "outer": "ag.outer itself (entry 'outer')",
    **{name: "the named tuple of a result" for name in ("EighResult", "QRResult",
                                                         "SlogdetResult", "SVDResult")},
}

# Tensor members that do not compute a new tensor from tensors, and why.
NOT_TENSOR_OPS: dict[str, str] = {
    "__init__": "constructor", "__repr__": "printing", "__hash__": "identity hash",
    "__array__": "NumPy conversion, no graph", "__len__": "size query",
    "__iter__": "yields self[i]; __getitem__ has an entry", "__bool__": "Python conversion",
    "__float__": "Python conversion", "__int__": "Python conversion",
    "requires_grad": "autograd flag", "requires_grad_": "autograd flag",
    "is_leaf": "graph query", "op_name": "graph query", "backward": "the reverse-mode driver",
    "retain_grad": "autograd flag", "register_hook": "gradient hook",
    "zero_grad": "clears .grad", "detach": "cuts the graph; tested in the engine tests",
    "shape": "array fact", "ndim": "array fact", "size": "array fact", "dtype": "array fact",
    "numpy": "returns the array", "item": "Python conversion", "tolist": "Python conversion",
    "device": "array fact (always the CPU)", "__format__": "printing",
    "__reduce__": "pickling and copy.deepcopy (tests/test_tensor_habits.py)",
    **{name: "NumPy's dispatch to the registered ops (tests/test_numpy_interop.py)"
       for name in ("__array_ufunc__", "__array_function__")},
    "data": "the array itself; assignment is an in-place change (tests/test_in_place.py)",
    **{name: "in-place change outside the graph, not differentiable (tests/test_in_place.py)"
       for name in ("fill_", "zero_", "copy_", "__setitem__")},
    **{name: "in place; on a computed tensor it records the entry's op (add, sub, mul, div, "
             "pow), whose gradients tests/test_in_place.py checks by hand"
       for name in ("add_", "sub_", "mul_", "div_", "__iadd__", "__isub__", "__imul__",
                    "__itruediv__", "__ipow__")},
    **{name: "in place like +=, recording floor_divide or remainder; tests/test_ops_rounding.py"
       for name in ("__ifloordiv__", "__imod__")},  # elementwise maths (issue 13)

    # PyTorch spellings
    "numel": "array fact", "dim": "array fact",
    "float": "astype('float32'), self when float32; a float64 gradcheck cannot see through the "
             "rounding, so tests/test_torch_methods.py checks it exactly",
}
