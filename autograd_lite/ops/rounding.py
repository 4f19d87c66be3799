"""Rounding and remainders: floor, ceil, round, trunc, floor division (``//``), ``%`` and fmod.

The rounding functions are piecewise constant, so their gradient is 0 (PyTorch's convention:
the result requires grad and backward gives zeros, also at the jumps). The remainders are
x - q y for an integer q that is constant between jumps, so their gradients are 1 for x and
-q for y, as in PyTorch. Sign conventions are NumPy's and PyTorch's:

- ``remainder`` (``%``) takes the sign of the divisor: ``-7 % 2 == 1`` (q = floor(x / y));
- ``fmod`` takes the sign of the dividend, like C's fmod: ``fmod(-7, 2) == -1`` (q = trunc).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..primitive import primitive
from ..tensor import Tensor


def _zero_gradient(F, g, ans, *inputs, **params):
    # zeros shaped like g (PyTorch's zeros_like(grad)); a where, not g * 0, so that an infinite
    # or NaN incoming gradient still gives 0.
    return F.where(True, 0.0, g)


@primitive("floor", _zero_gradient)
def floor(x: Any) -> np.ndarray:
    """The largest integer <= x (as a float); gradient 0."""
    return np.floor(x)


@primitive("ceil", _zero_gradient)
def ceil(x: Any) -> np.ndarray:
    """The smallest integer >= x (as a float); gradient 0."""
    return np.ceil(x)


@primitive("trunc", _zero_gradient)
def trunc(x: Any) -> np.ndarray:
    """x rounded towards 0 (as a float); gradient 0."""
    return np.trunc(x)


@primitive("round", _zero_gradient)
def _round(x: Any, decimals: int) -> np.ndarray:
    return np.round(x, decimals)


def round(x: Any, decimals: int = 0) -> Tensor:
    """x rounded to ``decimals`` decimal places, halves to even (0.5 -> 0, 1.5 -> 2, 2.5 -> 2),
    as in NumPy and PyTorch; gradient 0.

    ``decimals`` may be negative (round to tens, ...). Raises TypeError for a non-integer
    ``decimals``.
    """
    if isinstance(decimals, bool) or not isinstance(decimals, (int, np.integer)):
        raise TypeError(f"round: decimals must be an integer, got {decimals!r}")
    return _round(x, decimals=int(decimals))


# Between its jumps q = floor(x / y) is constant, so d(x // y) = 0 almost everywhere, the
# derivative of floor(x / y). PyTorch raises on backward through floor_divide ("derivative for
# aten::floor_divide is not implemented"); 0 is the gradient its floor(x / y) gives.
@primitive("floor_divide", _zero_gradient, _zero_gradient)
def floor_divide(x: Any, y: Any) -> np.ndarray:
    """floor(x / y) elementwise (Python's and NumPy's ``//``, PyTorch's ``floor_divide``).

    Broadcasts x and y; rounds towards -inf (``-7 // 2 == -4``); division by 0 gives +-inf or
    NaN for floats. Gradient 0 for both inputs (PyTorch raises on backward instead).
    """
    return np.floor_divide(x, y)


@primitive("remainder",
           lambda F, g, ans, x, y: g,
           lambda F, g, ans, x, y: -g * F.floor_divide(x, y))
def remainder(x: Any, y: Any) -> np.ndarray:
    """x - floor(x / y) * y: the remainder with the sign of the divisor (Python's ``%``).

    Broadcasts x and y: ``-7 % 2 == 1``, ``7 % -2 == -1``, NaN for a float division by 0.
    Gradients 1 for x and -floor(x / y) for y, as in PyTorch (which has no gradient for a
    number % tensor; here ``2 % t`` is differentiated like any other remainder).
    """
    return np.remainder(x, y)


@primitive("fmod",
           lambda F, g, ans, x, y: g,
           lambda F, g, ans, x, y: -g * F.trunc(x / y))
def fmod(x: Any, y: Any) -> np.ndarray:
    """x - trunc(x / y) * y: the remainder with the sign of the dividend (C's fmod).

    Broadcasts x and y: ``fmod(-7, 2) == -1``, ``fmod(7, -2) == 1``, NaN for a division by 0.
    Gradients 1 for x and -trunc(x / y) for y, as in PyTorch.
    """
    return np.fmod(x, y)
