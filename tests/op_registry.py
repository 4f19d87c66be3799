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
    real,
    reduced_size,
    shapes,
    shapes_broadcasting_to,
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
    """An image, kernels (C_out, C_in, kh, kw) that fit it, a bias, and the window options."""
    def with_kernels(signature: tuple, out_channels: int) -> tuple:
        (image,), kwargs = signature
        weight = (out_channels, image[1], *kwargs.pop("kernel_size"))
        return (image, weight, (out_channels,)), kwargs

    return st.tuples(_window_signature(), st.integers(1, 2)).map(lambda drawn: with_kernels(
        (drawn[0][0], dict(drawn[0][1])), drawn[1]))


def _conv2d_reference(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, stride: tuple,
                      padding: tuple, dilation: tuple) -> np.ndarray:
    """Each output pixel: the window under it times the kernel, summed, plus the bias."""
    windows = _windows_of(x, weight.shape[2:], stride, padding, dilation)
    return (np.einsum("ncijyx,ocij->noyx", windows, weight)
            + bias.reshape(-1, 1, 1)).astype(x.dtype)


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
    OpEntry("dot", ag.dot, np.dot, _matmul_signature(True, False),
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
    # --- compile ---
    "compile": "runs a traced program of registered primitives (tests/test_compile.py)",
    "opaque": "decorator marking calls a compiled program replays; computes nothing",
    "CompileError": "exception class",
    "runtime_check": "runs a validation on arrays (now and in compiled programs)",
    "runtime_arrays": "computes NumPy arrays from values (now and in compiled programs)",
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
}
