"""Elementwise ops that treat NaN as missing: fmax, fmin and nan_to_num.

Their gradients follow PyTorch, pinned in tests/test_ops_nan_aware.py: fmax and fmin split the
gradient evenly on ties like ``maximum``, and where a NaN is involved both inputs get the full
gradient (PyTorch's rule; only "losing" to a larger, or for fmin smaller, number gives 0);
nan_to_num passes the gradient where x is finite and gives 0 where it replaced a value.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..primitive import primitive
from ..tensor import Tensor


def _unless_beaten(F, g, x, y, beaten):
    """Gradient for x: 0 where ``beaten`` (the other input won), half on ties, else all of it."""
    return F.where(beaten, 0, F.where(x == y, g * 0.5, g))


@primitive("fmax",
           lambda F, g, ans, x, y: _unless_beaten(F, g, x, y, x < y),
           lambda F, g, ans, x, y: _unless_beaten(F, g, x, y, y < x))
def fmax(x: Any, y: Any) -> np.ndarray:
    """Elementwise larger of x and y, ignoring NaN: the other value where one is NaN.

    Broadcasts x and y; NaN only where both are NaN. Ties split the gradient evenly; where
    either is NaN both inputs get the full gradient, as in PyTorch.
    """
    return np.fmax(x, y)


@primitive("fmin",
           lambda F, g, ans, x, y: _unless_beaten(F, g, x, y, x > y),
           lambda F, g, ans, x, y: _unless_beaten(F, g, x, y, y > x))
def fmin(x: Any, y: Any) -> np.ndarray:
    """Elementwise smaller of x and y, ignoring NaN: the other value where one is NaN.

    Broadcasts x and y; NaN only where both are NaN. Ties split the gradient evenly; where
    either is NaN both inputs get the full gradient, as in PyTorch.
    """
    return np.fmin(x, y)


@primitive("nan_to_num",
           lambda F, g, ans, x, nan, posinf, neginf: F.where(F.isfinite(x), g, 0))
def _nan_to_num(x: Any, nan: float, posinf: float | None, neginf: float | None) -> np.ndarray:
    return np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)


def nan_to_num(x: Any, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None) -> Tensor:
    """x with NaN replaced by ``nan``, inf by ``posinf`` and -inf by ``neginf``.

    ``posinf``/``neginf`` default to the largest/smallest finite value of x's dtype (NumPy's
    and PyTorch's defaults). The gradient is 1 where x is finite and 0 where a value was
    replaced, as in PyTorch. Raises TypeError when a replacement is not a number.
    """
    for name, value in (("nan", nan), ("posinf", posinf), ("neginf", neginf)):
        if (value is not None or name == "nan") and (isinstance(value, bool) or not isinstance(
                value, (int, float, np.number))):
            allowed = "a number" if name == "nan" else "a number or None"
            raise TypeError(f"nan_to_num: {name} must be {allowed}, got {value!r}")
    return _nan_to_num(x, nan=float(nan), posinf=posinf, neginf=neginf)
