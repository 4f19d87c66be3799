"""Trigonometric and hyperbolic functions, their inverses, and angles (radians throughout).

``sin`` and ``cos`` live in ``ops/elementwise.py`` with the other first primitives. Each op here
is a NumPy ufunc with its derivative beside it, as a calculus book writes it
(d tan x = (1 + tan**2 x) dx, d arcsin x = dx / sqrt(1 - x**2), ...): NumPy's ufuncs are
accurate where the textbook compositions are not (``sinh`` near 0, ``arccosh`` near 1, ``hypot``
of large values), which is why they are primitives. ``sinc``, ``deg2rad`` and ``rad2deg`` are
composites.

Both spellings work where NumPy and PyTorch differ: ``arcsin`` and ``asin`` are the same
function (likewise ``arccos``/``acos``, ``arctan``/``atan``, ``arctan2``/``atan2``,
``arcsinh``/``asinh``, ``arccosh``/``acosh``, ``arctanh``/``atanh``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..primitive import primitive
from ..tensor import Tensor, as_input
from .elementwise import abs, mul, sin, square, where

# --- circular ------------------------------------------------------------------------------


@primitive("tan", lambda F, g, ans, x: g * (1 + F.square(ans)))
def tan(x: Any) -> np.ndarray:
    """Tangent (radians); poles at pi/2 + k pi. Derivative 1 + tan(x)**2."""
    return np.tan(x)


@primitive("arcsin", lambda F, g, ans, x: g / F.sqrt(1 - F.square(x)))
def arcsin(x: Any) -> np.ndarray:
    """Inverse sine, in [-pi/2, pi/2]; NaN outside [-1, 1], the gradient infinite at +-1.

    ``asin`` is the same function (PyTorch's name).
    """
    return np.arcsin(x)


@primitive("arccos", lambda F, g, ans, x: -g / F.sqrt(1 - F.square(x)))
def arccos(x: Any) -> np.ndarray:
    """Inverse cosine, in [0, pi]; NaN outside [-1, 1], the gradient -infinite at +-1.

    ``acos`` is the same function (PyTorch's name).
    """
    return np.arccos(x)


@primitive("arctan", lambda F, g, ans, x: g / (1 + F.square(x)))
def arctan(x: Any) -> np.ndarray:
    """Inverse tangent, in (-pi/2, pi/2). ``atan`` is the same function (PyTorch's name)."""
    return np.arctan(x)


def _arctan2_inverse_radius(F, x1, x2):
    # 1 / (x1**2 + x2**2), and 0 at the origin, where PyTorch also gives both gradients 0.
    radius_squared = F.square(x1) + F.square(x2)
    at_origin = radius_squared == 0
    return F.where(at_origin, 0, 1 / F.where(at_origin, 1, radius_squared))


@primitive("arctan2",
           lambda F, g, ans, x1, x2: g * x2 * _arctan2_inverse_radius(F, x1, x2),
           lambda F, g, ans, x1, x2: -g * x1 * _arctan2_inverse_radius(F, x1, x2))
def arctan2(x1: Any, x2: Any) -> np.ndarray:
    """arctan(x1 / x2) in the quadrant of the point (x2, x1), in [-pi, pi] (NumPy's
    ``arctan2(x1, x2)``, PyTorch's ``atan2(input, other)``: x1 is the vertical coordinate).

    Broadcasts x1 and x2. Gradients x2 / (x1**2 + x2**2) and -x1 / (x1**2 + x2**2); both 0 at
    the origin, as in PyTorch. ``atan2`` is the same function.
    """
    return np.arctan2(x1, x2)


@primitive("hypot",
           lambda F, g, ans, x, y: g * x / ans,
           lambda F, g, ans, x, y: g * y / ans)
def hypot(x: Any, y: Any) -> np.ndarray:
    """sqrt(x**2 + y**2) without overflow or underflow in the squares; broadcasts x and y.

    Gradients x / hypot and y / hypot; NaN at (0, 0), as in PyTorch.
    """
    return np.hypot(x, y)


# Below these |x| the value is its Taylor polynomial, exact there to the dtype's precision;
# above, the quotient's derivative cancels little (float32's radius is wider: at |x| = 1e-3
# its quotient rule loses 5 % of the derivative, at 0.14 still 1e-5).
_SINC_TAYLOR_RADIUS = {np.dtype(np.float64): 1e-3, np.dtype(np.float32): 0.25}


def sinc(x: Any) -> Tensor:
    """The normalised sinc, sin(pi x) / (pi x), and 1 at 0 (NumPy's and PyTorch's sinc).

    At 0 the value is 1 and the gradient 0. Near 0 (|x| < 1e-3 in float64, 0.25 in float32)
    the value is its Taylor polynomial 1 - z**2/3! + z**4/5! - z**6/7! + z**8/9! (z = pi x),
    exact there to the dtype's precision, so that the derivatives near 0 do not cancel (the second
    derivative at 0 is -pi**2 / 3; PyTorch gives NaN for it, and its float32 gradient near
    |x| = 1e-3 is a few per cent off). Any shape.
    """
    x = as_input(x, "sinc")
    near_zero = abs(x) < _SINC_TAYLOR_RADIUS.get(x.dtype, 1e-3)
    z = mul(x, math.pi)
    z_squared = square(z)
    taylor = 1 - z_squared * (1 / 6 - z_squared * (1 / 120 - z_squared * (
        1 / 5040 - z_squared / 362880)))
    # The quotient's input is never 0, so its unused values near 0 give no NaN gradient.
    away = mul(where(near_zero, 1.0, x), math.pi)
    return where(near_zero, taylor, sin(away) / away)


# --- hyperbolic ----------------------------------------------------------------------------


@primitive("sinh", lambda F, g, ans, x: g * F.cosh(x))
def sinh(x: Any) -> np.ndarray:
    """Hyperbolic sine (e**x - e**-x) / 2, accurate near 0. Derivative cosh x."""
    return np.sinh(x)


@primitive("cosh", lambda F, g, ans, x: g * F.sinh(x))
def cosh(x: Any) -> np.ndarray:
    """Hyperbolic cosine (e**x + e**-x) / 2. Derivative sinh x."""
    return np.cosh(x)


@primitive("arcsinh", lambda F, g, ans, x: g / F.sqrt(F.square(x) + 1))
def arcsinh(x: Any) -> np.ndarray:
    """Inverse hyperbolic sine. ``asinh`` is the same function (PyTorch's name)."""
    return np.arcsinh(x)


@primitive("arccosh", lambda F, g, ans, x: g / F.sqrt((x - 1) * (x + 1)))
def arccosh(x: Any) -> np.ndarray:
    """Inverse hyperbolic cosine, for x >= 1: NaN below 1, the gradient infinite at 1.

    ``acosh`` is the same function (PyTorch's name).
    """
    return np.arccosh(x)


@primitive("arctanh", lambda F, g, ans, x: g / (1 - F.square(x)))
def arctanh(x: Any) -> np.ndarray:
    """Inverse hyperbolic tangent, for -1 < x < 1: +-inf at +-1 (the gradient inf), NaN beyond.

    ``atanh`` is the same function (PyTorch's name).
    """
    return np.arctanh(x)


# --- angles --------------------------------------------------------------------------------

_RADIANS_PER_DEGREE = math.pi / 180
_DEGREES_PER_RADIAN = 180 / math.pi


def deg2rad(x: Any) -> Tensor:
    """Degrees to radians, x * pi / 180 (NumPy's ``deg2rad``/``radians``). Any shape."""
    return mul(x, _RADIANS_PER_DEGREE)


def rad2deg(x: Any) -> Tensor:
    """Radians to degrees, x * 180 / pi (NumPy's ``rad2deg``/``degrees``). Any shape."""
    return mul(x, _DEGREES_PER_RADIAN)


# PyTorch's names for the inverse functions: the same objects.
asin = arcsin
acos = arccos
atan = arctan
atan2 = arctan2
asinh = arcsinh
acosh = arccosh
atanh = arctanh
