"""Exponentials, logarithms and powers beyond exp, log and sqrt (those are in elementwise.py).

Each primitive is a NumPy ufunc with its derivative beside it (d 2**x = 2**x ln 2 dx,
d log2 x = dx / (x ln 2), ...). They are primitives for accuracy: ``np.log10(1000)`` is 3
exactly where ``log(x) / log(10)`` gives 2.9999999999999996, ``expm1`` keeps the digits of
tiny x that ``exp(x) - 1`` loses, and ``logaddexp`` never overflows. ``reciprocal`` and
``rsqrt`` are composites.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..primitive import primitive
from ..tensor import Tensor
from .elementwise import div, sqrt

_LN2 = math.log(2)
_LN10 = math.log(10)


@primitive("exp2", lambda F, g, ans, x: g * ans * _LN2)
def exp2(x: Any) -> np.ndarray:
    """2 ** x, exact at integers. Derivative 2**x ln 2."""
    return np.exp2(x)


@primitive("expm1", lambda F, g, ans, x: g * (ans + 1))
def expm1(x: Any) -> np.ndarray:
    """e**x - 1, accurate for small x (expm1(1e-10) = 1.00000000005e-10). Derivative e**x."""
    return np.expm1(x)


@primitive("log2", lambda F, g, ans, x: g / (x * _LN2))
def log2(x: Any) -> np.ndarray:
    """Base-2 logarithm, exact at powers of 2; -inf at 0 and NaN below. Derivative 1/(x ln 2)."""
    return np.log2(x)


@primitive("log10", lambda F, g, ans, x: g / (x * _LN10))
def log10(x: Any) -> np.ndarray:
    """Base-10 logarithm, exact at powers of 10; -inf at 0 and NaN below.

    Derivative 1 / (x ln 10).
    """
    return np.log10(x)


# d/dx log(e**x + e**y) = e**x / (e**x + e**y) = sigmoid(x - y): the sigmoid of the difference
# stays finite where one input is infinite (logaddexp(inf, 1) has gradients 1 and 0), as
# PyTorch's 1 / (1 + exp(y - x)) does; both infinite (of either sign) gives NaN, as there.
@primitive("logaddexp",
           lambda F, g, ans, x, y: g * F.sigmoid(x - y),
           lambda F, g, ans, x, y: g * F.sigmoid(y - x))
def logaddexp(x: Any, y: Any) -> np.ndarray:
    """log(e**x + e**y), stable for any x and y (a primitive for that reason); broadcasts.

    Gradients sigmoid(x - y) and sigmoid(y - x); -inf with -inf gives -inf and NaN gradients,
    as in PyTorch.
    """
    return np.logaddexp(x, y)


@primitive("logaddexp2",
           lambda F, g, ans, x, y: g * F.sigmoid((x - y) * _LN2),
           lambda F, g, ans, x, y: g * F.sigmoid((y - x) * _LN2))
def logaddexp2(x: Any, y: Any) -> np.ndarray:
    """log2(2**x + 2**y), stable for any x and y; broadcasts.

    Gradients 1 / (1 + 2**(y - x)) and 1 / (1 + 2**(x - y)), with the edges of ``logaddexp``.
    """
    return np.logaddexp2(x, y)


def reciprocal(x: Any) -> Tensor:
    """1 / x elementwise (the composite ``div(1, x)``); +-inf at +-0, gradient -1 / x**2."""
    return div(1, x)


def rsqrt(x: Any) -> Tensor:
    """1 / sqrt(x) elementwise (a composite); inf at 0 with gradient -inf, NaN below 0.

    The gradient is -x**(-3/2) / 2.
    """
    return div(1, sqrt(x))
