"""Special functions: the error function ``erf`` and its complement ``erfc``.

NumPy has no erf, and autograd_lite depends on NumPy alone, so both are computed here with
W. J. Cody's rational Chebyshev approximations (Cody, "Rational Chebyshev approximations for
the error function", Math. Comp. 23 (1969) 631-637; the coefficients of his CALERF routine):

- ``|x| <= 0.46875``: erf(x) = x R1(x**2), a rational function of degree (4, 4);
- ``0.46875 < |x| <= 4``: erfc(|x|) = exp(-x**2) R2(|x|), degree (8, 8);
- ``|x| > 4``: erfc(|x|) = exp(-x**2) / |x| (1/sqrt(pi) + R3(1/x**2) / x**2), degree (5, 5).

erfc is computed directly beyond 0.46875, so it keeps its relative precision in the tail
(erfc(10) = 2.09e-45) instead of cancelling in 1 - erf(x); erf there is 1 - erfc(|x|) with the
sign of x. exp(-x**2) is computed as exp(-s**2) exp(-(x - s)(x + s)) with s = x rounded down
to a multiple of 1/16, which avoids the rounding error of squaring x. Accurate to about 2 ulp
in float64 over the whole real line; float32 inputs are computed in float64 and rounded once.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..primitive import primitive

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_ONE_OVER_SQRT_PI = 1.0 / math.sqrt(math.pi)
_SMALL = 0.46875  # below: erf's own series; above: erfc's
_MEDIUM = 4.0
_UNDERFLOW = 28.0  # erfc(x) rounds to 0 in float64 beyond about 27.3

# Each rational function R(z) = N(z) / D(z) is stored as Cody evaluates it: the numerator's
# coefficients from the highest power down, the denominator's (monic) likewise without its 1.
_ERF_NUMERATOR = (1.85777706184603153e-1, 3.16112374387056560e00, 1.13864154151050156e02,
                  3.77485237685302021e02, 3.20937758913846947e03)
_ERF_DENOMINATOR = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
                    2.84423683343917062e03)
_ERFC_MEDIUM_NUMERATOR = (2.15311535474403846e-8, 5.64188496988670089e-1,
                          8.88314979438837594e00, 6.61191906371416295e01,
                          2.98635138197400131e02, 8.81952221241769090e02,
                          1.71204761263407058e03, 2.05107837782607147e03,
                          1.23033935479799725e03)
_ERFC_MEDIUM_DENOMINATOR = (1.57449261107098347e01, 1.17693950891312499e02,
                            5.37181101862009858e02, 1.62138957456669019e03,
                            3.29079923573345963e03, 4.36261909014324716e03,
                            3.43936767414372164e03, 1.23033935480374942e03)
_ERFC_LARGE_NUMERATOR = (1.63153871373020978e-2, 3.05326634961232344e-1,
                         3.60344899949804439e-1, 1.25781726111229246e-1,
                         1.60837851487422766e-2, 6.58749161529837803e-4)
_ERFC_LARGE_DENOMINATOR = (2.56852019228982242e00, 1.87295284992346047e00,
                           5.27905102951428412e-1, 6.05183413124413191e-2,
                           2.33520497626869185e-3)


def _rational(z: np.ndarray, numerator: tuple[float, ...], denominator: tuple[float, ...]
              ) -> np.ndarray:
    """N(z) / D(z) by Horner's rule, in Cody's order of operations."""
    top = numerator[0] * z
    bottom = z
    for a, b in zip(numerator[1:-1], denominator[:-1]):
        top = (top + a) * z
        bottom = (bottom + b) * z
    return (top + numerator[-1]) / (bottom + denominator[-1])


def _exp_minus_square(y: np.ndarray) -> np.ndarray:
    """exp(-y**2) without the rounding error of y**2 (see the module docstring)."""
    rounded = np.trunc(y * 16.0) / 16.0
    return np.exp(-rounded * rounded) * np.exp(-(y - rounded) * (y + rounded))


def _erfc_beyond_small(y: np.ndarray) -> np.ndarray:
    """erfc(y) for y > 0.46875 (inf included)."""
    y = np.minimum(y, _UNDERFLOW)  # erfc underflows to 0 there; inf would give inf - inf
    out = np.empty_like(y)
    medium = y <= _MEDIUM
    ym = y[medium]
    out[medium] = _exp_minus_square(ym) * _rational(ym, _ERFC_MEDIUM_NUMERATOR,
                                                    _ERFC_MEDIUM_DENOMINATOR)
    yl = y[~medium]
    inverse_square = 1.0 / (yl * yl)
    tail = inverse_square * _rational(inverse_square, _ERFC_LARGE_NUMERATOR,
                                      _ERFC_LARGE_DENOMINATOR)
    out[~medium] = _exp_minus_square(yl) * (_ONE_OVER_SQRT_PI - tail) / yl
    return out


def _erf_and_erfc(x: Any, complement: bool) -> np.ndarray:
    """erf(x) or erfc(x) elementwise, in x's float dtype (float64 for other inputs)."""
    array = np.asarray(x)
    dtype = array.dtype if array.dtype.kind == "f" else np.dtype(np.float64)
    x64 = array.astype(np.float64)
    out = x64.copy()  # NaN stays NaN: it falls in neither branch
    y = np.abs(x64)
    small = y <= _SMALL
    xs = x64[small]
    erf_small = xs * _rational(xs * xs, _ERF_NUMERATOR, _ERF_DENOMINATOR)
    out[small] = 1.0 - erf_small if complement else erf_small
    beyond = y > _SMALL
    tail = _erfc_beyond_small(y[beyond])
    negative = x64[beyond] < 0
    if complement:
        out[beyond] = np.where(negative, 2.0 - tail, tail)
    else:
        magnitude = (0.5 - tail) + 0.5
        out[beyond] = np.where(negative, -magnitude, magnitude)
    return out.astype(dtype, copy=False)


@primitive("erf", lambda F, g, ans, x: g * _TWO_OVER_SQRT_PI * F.exp(-F.square(x)))
def erf(x: Any) -> np.ndarray:
    """The error function erf(x) = 2/sqrt(pi) * integral from 0 to x of exp(-t**2) dt.

    Elementwise, any shape; odd, from -1 at -inf to 1 at inf; derivative 2/sqrt(pi) exp(-x**2).
    A primitive, as NumPy has none: Cody's rational approximations (``ops/special.py``),
    accurate to a few ulp in float64.
    """
    return _erf_and_erfc(x, complement=False)


@primitive("erfc", lambda F, g, ans, x: -g * _TWO_OVER_SQRT_PI * F.exp(-F.square(x)))
def erfc(x: Any) -> np.ndarray:
    """The complementary error function 1 - erf(x), accurate in the tail.

    Elementwise, any shape; from 2 at -inf to 0 at inf; derivative -2/sqrt(pi) exp(-x**2).
    A primitive for accuracy: computed directly for large x (erfc(10) = 2.088e-45, where
    ``1 - erf(10)`` is 0), to a few ulp in float64.
    """
    return _erf_and_erfc(x, complement=True)
