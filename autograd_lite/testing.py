"""Hypothesis strategies for testing ops: shapes, broadcastable shapes, axes, arrays in a domain.

Reuse them to check your own ops the way autograd_lite checks its own::

    from hypothesis import given
    from autograd_lite import testing

    @given(testing.shapes().flatmap(testing.POSITIVE.arrays))
    def test_log_gradient(x):
        ag.gradcheck(ag.log, [ag.tensor(x, requires_grad=True)])

Arrays are float64 (finite differences need it) and stay inside a ``Domain``: a union of
closed intervals chosen to keep away from kinks (relu at 0), poles (1/x at 0) and overflow
(exp of large numbers). ``Domain.distinct`` also keeps the values apart from each other, so
that max/min have no ties. This module needs the ``hypothesis`` package (a dev dependency).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

Shape = tuple[int, ...]
Axis = int | tuple[int, ...] | None


def shapes(min_dims: int = 0, max_dims: int = 4, min_side: int = 1, max_side: int = 4
           ) -> st.SearchStrategy[Shape]:
    """Array shapes with ``min_dims``..``max_dims`` axes of ``min_side``..``max_side`` each.

    The defaults (0 to 4 axes, sides 1 to 4) include scalars and axes of size 1, where
    broadcasting and reductions usually go wrong.
    """
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


def broadcastable_shapes(count: int = 2, min_dims: int = 0, max_dims: int = 4,
                         min_side: int = 1, max_side: int = 4
                         ) -> st.SearchStrategy[tuple[Shape, ...]]:
    """Tuples of ``count`` shapes that broadcast together (different ranks, sides of 1)."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=count, min_dims=min_dims, max_dims=max_dims, min_side=min_side,
        max_side=max_side).map(lambda result: result.input_shapes)


def shapes_broadcasting_to(shape: Shape) -> st.SearchStrategy[Shape]:
    """Shapes that broadcast *to* ``shape``: leading axes dropped, some sides replaced by 1."""
    def build(kept: int, ones: list[bool]) -> Shape:
        suffix = shape[len(shape) - kept:]
        return tuple(1 if one else side for side, one in zip(suffix, ones))

    return st.integers(0, len(shape)).flatmap(
        lambda kept: st.lists(st.booleans(), min_size=kept, max_size=kept).map(
            lambda ones: build(kept, ones)))


def axes(ndim: int, allow_none: bool = True, single: bool = False) -> st.SearchStrategy[Axis]:
    """Valid ``axis`` arguments for a tensor with ``ndim`` axes: None, an int or a tuple of
    distinct ints, negative ones included. ``single=True`` draws only None or one int."""
    choices = [st.none()] if allow_none else []
    if ndim > 0:
        one_axis = st.integers(-ndim, ndim - 1)
        choices.append(one_axis)
        if not single:
            choices.append(st.lists(one_axis, max_size=ndim, unique_by=lambda a: a % ndim)
                           .map(tuple))
    elif not allow_none:
        raise ValueError("axes: a 0-d tensor has no axis; allow None")
    return st.one_of(choices)


def axes_and_keepdims(ndim: int, allow_none: bool = True, single: bool = False
                      ) -> st.SearchStrategy[dict]:
    """``{"axis": ..., "keepdims": ...}`` keyword arguments for a reduction."""
    return st.fixed_dictionaries({"axis": axes(ndim, allow_none, single),
                                  "keepdims": st.booleans()})


def reduced_size(shape: Shape, axis: Axis) -> int:
    """How many elements a reduction over ``axis`` combines into each result."""
    if axis is None:
        return math.prod(shape)
    chosen = (axis,) if isinstance(axis, int) else axis
    return math.prod(shape[a] for a in chosen)


@dataclass(frozen=True)
class Domain:
    """Where an op's argument may be sampled: a union of closed intervals.

    ``distinct=True`` also keeps every pair of values at least ``(high - low) / (4 * n)``
    apart, n being the array size but at least 4 (values on a shuffled grid), so max/min never
    tie.
    """

    intervals: tuple[tuple[float, float], ...]
    distinct: bool = False

    def __post_init__(self) -> None:
        if not self.intervals or any(low > high for low, high in self.intervals):
            raise ValueError(f"Domain: intervals must be non-empty (low, high) pairs, got "
                             f"{self.intervals}")

    def arrays(self, shape: Shape) -> st.SearchStrategy[np.ndarray]:
        """Float64 arrays of ``shape`` with every value inside this domain."""
        if self.distinct:
            return self._distinct_arrays(shape)
        elements = st.one_of([st.floats(low, high, allow_subnormal=False)
                              for low, high in self.intervals])
        return hnp.arrays(np.float64, shape, elements=elements)

    def _distinct_arrays(self, shape: Shape) -> st.SearchStrategy[np.ndarray]:
        low, high = self.intervals[0][0], self.intervals[-1][1]
        slots = 4 * max(math.prod(shape), 4)
        spacing = (high - low) / slots
        allowed = [slot for slot in range(slots)
                   if any(a <= low + (slot + 0.5) * spacing <= b for a, b in self.intervals)]
        if len(allowed) < math.prod(shape):
            raise ValueError(f"Domain: too narrow for {math.prod(shape)} distinct values")
        return hnp.arrays(np.int64, shape, elements=st.sampled_from(allowed), unique=True).map(
            lambda grid: low + (grid + 0.5) * spacing)

    def with_distinct(self) -> Domain:
        """The same intervals, with values kept apart (no ties)."""
        return Domain(self.intervals, distinct=True)


def real(low: float = -3.0, high: float = 3.0) -> Domain:
    """All reals in [low, high] (bounded, so exp and powers do not overflow)."""
    return Domain(((low, high),))


def positive(low: float = 0.1, high: float = 3.0) -> Domain:
    """Positive reals bounded away from 0, for log, sqrt and denominators."""
    return Domain(((low, high),))


def away_from(kinks: Sequence[float], low: float = -3.0, high: float = 3.0, gap: float = 0.1
              ) -> Domain:
    """Reals in [low, high] at least ``gap`` from every kink (relu and abs at 0, clip bounds)."""
    intervals, start = [], low
    for kink in sorted(kinks):
        end = min(kink - gap, high)  # a kink beyond ``high`` must not stretch the domain
        if end > start:
            intervals.append((start, end))
        start = max(start, kink + gap)
    if high > start:
        intervals.append((start, high))
    return Domain(tuple(intervals))


def distinct(low: float = -3.0, high: float = 3.0) -> Domain:
    """Pairwise distinct reals in [low, high], for max/min and other tie-sensitive ops."""
    return real(low, high).with_distinct()


REAL = real()
POSITIVE = positive()


def arrays(shape: Shape, domain: Domain = REAL) -> st.SearchStrategy[np.ndarray]:
    """Float64 arrays of ``shape`` inside ``domain`` (all reals in [-3, 3] by default)."""
    return domain.arrays(shape)


def well_conditioned_matrices(shape: Shape) -> st.SearchStrategy[np.ndarray]:
    """Float64 stacks of matrices ``(..., n, m)`` with condition number at most 3.

    Each matrix is ``2 I + R / max(n, m)`` with entries of R in [-1, 1], so its singular values
    lie in [1, 3]. Shapes with fewer than 2 axes get bounded reals in [-1, 1].
    """
    if len(shape) < 2:
        return real(-1.0, 1.0).arrays(shape)
    rows, cols = shape[-2:]
    identity = 2.0 * np.eye(rows, cols)
    return real(-1.0, 1.0).arrays(shape).map(lambda noise: identity + noise / max(rows, cols))


# --- linear algebra (issue 13) --------------------------------------------------------------


def _square_side(shape: Shape, name: str) -> int:
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise ValueError(f"{name}: needs a square shape (..., n, n), got {shape}")
    return shape[-1]


def _orthonormal_columns(noise: np.ndarray, columns: int) -> np.ndarray:
    """Q of the QR decomposition of ``2 I + noise`` (well conditioned), first ``columns``."""
    rows = noise.shape[-2]
    return np.linalg.qr(2.0 * np.eye(rows, noise.shape[-1]) + noise / rows)[0][..., :columns]


def _spaced(gaps: np.ndarray, start: float) -> np.ndarray:
    """Increasing values ``start + cumsum(gaps)`` along the last axis."""
    return start + np.cumsum(gaps, axis=-1)


def spd_matrices(shape: Shape) -> st.SearchStrategy[np.ndarray]:
    """Float64 stacks of symmetric positive definite matrices ``(..., n, n)``, for cholesky.

    Each is ``M M^T`` with M from ``well_conditioned_matrices``: eigenvalues in [1, 9].
    """
    _square_side(shape, "spd_matrices")
    return well_conditioned_matrices(shape).map(lambda m: m @ np.swapaxes(m, -1, -2))


def symmetric_matrices(shape: Shape, gap: float = 0.5) -> st.SearchStrategy[np.ndarray]:
    """Float64 stacks of symmetric matrices ``(..., n, n)`` whose eigenvalues are at least
    ``gap`` apart (each gap in [gap, 2 gap], the smallest in [-2, -1]), for eigh, whose
    derivative needs distinct eigenvalues."""
    n = _square_side(shape, "symmetric_matrices")

    def build(noise: np.ndarray, gaps: np.ndarray, start: float) -> np.ndarray:
        q = _orthonormal_columns(noise, n)
        a = (q * _spaced(gaps, start)[..., None, :]) @ np.swapaxes(q, -1, -2)
        return (a + np.swapaxes(a, -1, -2)) / 2

    return st.tuples(real(-1.0, 1.0).arrays(shape), real(gap, 2 * gap).arrays(shape[:-1]),
                     st.floats(-2.0, -1.0)).map(lambda drawn: build(*drawn))


def matrices_with_distinct_singular_values(shape: Shape, gap: float = 0.5
                                           ) -> st.SearchStrategy[np.ndarray]:
    """Float64 stacks of matrices ``(..., m, n)`` whose singular values are at least ``gap``
    apart and at least 0.5, for svd, whose derivative needs distinct nonzero singular values."""
    if len(shape) < 2:
        raise ValueError(f"matrices_with_distinct_singular_values: needs a shape (..., m, n), "
                         f"got {shape}")
    m, n = shape[-2:]
    k = min(m, n)

    def build(left: np.ndarray, right: np.ndarray, gaps: np.ndarray) -> np.ndarray:
        u, v = _orthonormal_columns(left, k), _orthonormal_columns(right, k)
        s = _spaced(gaps, 0.5 - gap)[..., ::-1]
        return (u * s[..., None, :]) @ np.swapaxes(v, -1, -2)

    batch = tuple(shape[:-2])
    return st.tuples(real(-1.0, 1.0).arrays(batch + (m, m)), real(-1.0, 1.0).arrays(batch + (n, n)),
                     real(gap, 2 * gap).arrays(batch + (k,))).map(lambda drawn: build(*drawn))
