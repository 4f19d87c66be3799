"""Elementwise primitives: arithmetic, transcendental functions, activations and comparisons.

Each op is its NumPy forward with its VJP rules beside it, one per input. A rule is written with
Python operators where the operator is itself a primitive (``-g * ans / y``, ``x > 0``) and ``F.``
only for named functions (``F.exp``, ``F.where``), so the same line runs on arrays in first-order
backward and on tensors with ``create_graph=True``. Broadcasting needs no care here: the engine
reduces every gradient to its input's shape (``sum_to``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..primitive import primitive
from ..tensor import Tensor
from .indexing import nonzero

# --- arithmetic --------------------------------------------------------------------------------


@primitive("add",
           lambda F, g, ans, x, y: g,
           lambda F, g, ans, x, y: g)
def add(x: Any, y: Any) -> np.ndarray:
    """x + y, elementwise with broadcasting."""
    return np.add(x, y)


@primitive("sub",
           lambda F, g, ans, x, y: g,
           lambda F, g, ans, x, y: -g)
def sub(x: Any, y: Any) -> np.ndarray:
    """x - y, elementwise with broadcasting."""
    return np.subtract(x, y)


@primitive("mul",
           lambda F, g, ans, x, y: g * y,
           lambda F, g, ans, x, y: g * x)
def mul(x: Any, y: Any) -> np.ndarray:
    """x * y, elementwise with broadcasting."""
    return np.multiply(x, y)


@primitive("div",
           lambda F, g, ans, x, y: g / y,
           lambda F, g, ans, x, y: -g * ans / y)
def div(x: Any, y: Any) -> np.ndarray:
    """x / y, elementwise with broadcasting (true division)."""
    return np.true_divide(x, y)


@primitive("neg", lambda F, g, ans, x: -g)
def neg(x: Any) -> np.ndarray:
    """-x."""
    return np.negative(x)


def _pow_vjp_base(F, g, ans, x, y):
    # d(x**y)/dx = y x**(y-1), and 0 where y == 0, also at x == 0 (PyTorch's rule), where the
    # formula is 0 * 0**-1 = NaN: there the base is replaced by 1, which gives y * 1 = 0.
    # Replacing only the base keeps the second derivative in y right (x**-1 at y == 0).
    if isinstance(y, (int, float)):  # a Python number: decided once, no mask
        return g * 0.0 if y == 0 else g * y * x ** (y - 1)
    base = F.where((x == 0) * (y == 0), 1, x)  # a product of masks: logical and
    return g * y * base ** (y - 1)


def _pow_vjp_exponent(F, g, ans, x, y):
    # d(x**y)/dy = x**y log x. Where x == 0 and y >= 0 it is 0 (x**y is 0 or 1 and flat in y):
    # the base is replaced by 1 there, so log gives 0, not -inf times 0. Where x == 0 and y < 0,
    # x**y = inf and log x = -inf: the gradient is -inf, as in PyTorch.
    flat = (x == 0) * (y >= 0)  # a product of masks: logical and
    return g * ans * F.log(F.where(flat, 1, x))


@primitive("pow", _pow_vjp_base, _pow_vjp_exponent)
def pow(x: Any, y: Any) -> np.ndarray:
    """x ** y, elementwise with broadcasting (tensor ** number, number ** tensor, tensor ** tensor).

    Gradients follow PyTorch at the edges: with respect to x it is 0 where y == 0 (also at
    x == 0); with respect to y it is x**y * log(x), 0 where x == 0 and y >= 0, -inf where
    x == 0 and y < 0, and NaN for negative bases.
    """
    return np.power(x, y)


@primitive("square", lambda F, g, ans, x: g * 2 * x)
def square(x: Any) -> np.ndarray:
    """x * x (a primitive because losses square differences on every step)."""
    return np.square(x)


# --- transcendental ------------------------------------------------------------------------


@primitive("exp", lambda F, g, ans, x: g * ans)
def exp(x: Any) -> np.ndarray:
    """e ** x."""
    return np.exp(x)


@primitive("log", lambda F, g, ans, x: g / x)
def log(x: Any) -> np.ndarray:
    """Natural logarithm; -inf at 0 and NaN below."""
    return np.log(x)


@primitive("log1p", lambda F, g, ans, x: g / (1 + x))
def log1p(x: Any) -> np.ndarray:
    """log(1 + x), accurate for small x."""
    return np.log1p(x)


@primitive("sqrt", lambda F, g, ans, x: g / (2 * ans))
def sqrt(x: Any) -> np.ndarray:
    """Square root; the gradient is infinite at 0."""
    return np.sqrt(x)


@primitive("sin", lambda F, g, ans, x: g * F.cos(x))
def sin(x: Any) -> np.ndarray:
    """Sine (radians)."""
    return np.sin(x)


@primitive("cos", lambda F, g, ans, x: -g * F.sin(x))
def cos(x: Any) -> np.ndarray:
    """Cosine (radians)."""
    return np.cos(x)


@primitive("tanh", lambda F, g, ans, x: g * (1 - F.square(ans)))
def tanh(x: Any) -> np.ndarray:
    """Hyperbolic tangent."""
    return np.tanh(x)


@primitive("sigmoid", lambda F, g, ans, x: g * ans * (1 - ans))
def sigmoid(x: Any) -> np.ndarray:
    """The logistic function 1 / (1 + e**-x).

    A primitive for speed (four NumPy passes, as a tutorial's hand-written sigmoid) and
    precision: computed this way every result keeps its full relative precision, down to
    sigmoid(-87) ~ 1.6e-38 in float32 (a tanh-based formula rounds sigmoid(-20) to 0 there).
    Below that e**-x overflows to inf and the result is exactly 0, as PyTorch's.
    """
    with np.errstate(over="ignore"):
        exp_minus_x = np.exp(np.negative(x))
    return 1 / (1 + exp_minus_x)


@primitive("softplus", lambda F, g, ans, x: g * F.sigmoid(x))
def softplus(x: Any) -> np.ndarray:
    """log(1 + e**x), stable for any x (a primitive for that reason)."""
    return np.logaddexp(0, x)


# --- piecewise: kinks follow PyTorch (relu'(0) = 0, abs'(0) = 0, ties split evenly) ----------


@primitive("sign", differentiable=False)
def sign(x: Any) -> np.ndarray:
    """-1, 0 or 1 by the sign of x (its gradient is zero, so it records no graph)."""
    return np.sign(x)


@primitive("abs", lambda F, g, ans, x: g * F.sign(x))
def abs(x: Any) -> np.ndarray:
    """|x|; the gradient at 0 is 0."""
    return np.abs(x)


@primitive("relu", lambda F, g, ans, x: F.where(x > 0, g, 0))
def relu(x: Any) -> np.ndarray:
    """max(x, 0); the gradient at 0 is 0."""
    return np.maximum(x, 0)


@primitive("leaky_relu",
           lambda F, g, ans, x, negative_slope: F.where(x > 0, g, g * negative_slope))
def _leaky_relu(x: Any, negative_slope: float) -> np.ndarray:
    return np.where(np.greater(x, 0), x, np.multiply(x, negative_slope))


def leaky_relu(x: Any, negative_slope: float = 0.01) -> Tensor:
    """x for x > 0, ``negative_slope * x`` otherwise (the gradient at 0 is the slope)."""
    if isinstance(negative_slope, bool) or not isinstance(negative_slope, (int, float,
                                                                           np.number)):
        raise TypeError(f"leaky_relu: negative_slope must be a number, got {negative_slope!r}")
    return _leaky_relu(x, negative_slope=float(negative_slope))


def _split_ties(F, g, x, y):
    """Gradient for x in max(x, y): all of it where x wins, half on ties (PyTorch's rule)."""
    return F.where(x > y, g, F.where(x == y, g * 0.5, 0))


@primitive("maximum",
           lambda F, g, ans, x, y: _split_ties(F, g, x, y),
           lambda F, g, ans, x, y: _split_ties(F, g, y, x))
def maximum(x: Any, y: Any) -> np.ndarray:
    """Elementwise larger of x and y; on ties each input gets half the gradient."""
    return np.maximum(x, y)


@primitive("minimum",
           lambda F, g, ans, x, y: _split_ties(F, g, y, x),
           lambda F, g, ans, x, y: _split_ties(F, g, x, y))
def minimum(x: Any, y: Any) -> np.ndarray:
    """Elementwise smaller of x and y; on ties each input gets half the gradient."""
    return np.minimum(x, y)


def _clip_vjp(F, g, ans, x, low, high):
    # Only x strictly inside (low, high) passes the gradient: at a bound it is 0, as in
    # PyTorch 2.x (clamp(0, 1) of [0, 0.5, 1] gives [0, 1, 0]); with low > high nothing passes.
    if low is not None:
        g = F.where(x > low, g, 0)
    if high is not None:
        g = F.where(x < high, g, 0)
    return g


@primitive("clip", _clip_vjp)
def _clip(x: Any, low: float | None, high: float | None) -> np.ndarray:
    return np.clip(x, low, high)


def clip(x: Any, min: float | None = None, max: float | None = None) -> Tensor:
    """Limit x to [min, max] (either may be None); the gradient passes strictly inside it.

    At a bound the gradient is 0, as PyTorch's (``clamp(x, 0, 1)`` at x = 0 or 1).
    When min > max the result is max everywhere, with no gradient (NumPy's and PyTorch's rule).
    Raises ValueError when both bounds are None.
    """
    if min is None and max is None:
        raise ValueError("clip: give at least one of min and max")
    for bound in (min, max):
        if bound is not None and (isinstance(bound, bool) or not isinstance(
                bound, (int, float, np.number))):
            raise TypeError(f"clip: bounds must be numbers or None, got {bound!r}")
    return _clip(x, low=min, high=max)


@primitive("where",
           None,
           lambda F, g, ans, condition, x, y: F.where(condition, g, 0),
           lambda F, g, ans, condition, x, y: F.where(condition, 0, g))
def _where(condition: Any, x: Any, y: Any) -> np.ndarray:
    return np.where(condition, x, y)


def where(condition: Any, x: Any = None, y: Any = None) -> Tensor | tuple[Tensor, ...]:
    """Elementwise ``x`` where ``condition`` is true, else ``y`` (all three broadcast).

    ``condition`` must be boolean (a comparison's result); its gradient is not defined.
    With ``condition`` alone it is ``ag.nonzero(condition)``, as ``np.where``: a tuple of
    int64 index tensors, one per axis (no gradient).
    """
    if x is None and y is None:
        return nonzero(condition)
    if x is None or y is None:
        raise TypeError("where: give both x and y, or neither (then where(condition) is "
                        "nonzero(condition))")
    # A tensor condition stays a tensor operand (not its array), so ag.compile sees it flow.
    mask = condition if isinstance(condition, Tensor) else np.asarray(condition)
    if mask.dtype != np.bool_:
        raise TypeError(f"where: condition must be boolean, got dtype {mask.dtype}")
    return _where(mask, x, y)


# --- comparisons and logic: boolean results, no gradient ------------------------------------


@primitive("eq", differentiable=False)
def eq(x: Any, y: Any) -> np.ndarray:
    """x == y elementwise, as a bool tensor."""
    return np.equal(x, y)


@primitive("ne", differentiable=False)
def ne(x: Any, y: Any) -> np.ndarray:
    """x != y elementwise, as a bool tensor."""
    return np.not_equal(x, y)


@primitive("lt", differentiable=False)
def lt(x: Any, y: Any) -> np.ndarray:
    """x < y elementwise, as a bool tensor."""
    return np.less(x, y)


@primitive("le", differentiable=False)
def le(x: Any, y: Any) -> np.ndarray:
    """x <= y elementwise, as a bool tensor."""
    return np.less_equal(x, y)


@primitive("gt", differentiable=False)
def gt(x: Any, y: Any) -> np.ndarray:
    """x > y elementwise, as a bool tensor."""
    return np.greater(x, y)


@primitive("ge", differentiable=False)
def ge(x: Any, y: Any) -> np.ndarray:
    """x >= y elementwise, as a bool tensor."""
    return np.greater_equal(x, y)


@primitive("isfinite", differentiable=False)
def isfinite(x: Any) -> np.ndarray:
    """True where x is neither NaN nor infinite."""
    return np.isfinite(x)


# --- dtype ---------------------------------------------------------------------------------


@primitive("astype", lambda F, g, ans, x, dtype: F.astype(g, dtype=x.dtype))
def _astype(x: Any, dtype: np.dtype) -> np.ndarray:
    return np.asarray(x).astype(dtype)


def astype(x: Any, dtype: Any) -> Tensor:
    """Convert to ``dtype``; differentiable between float dtypes (the gradient converts back).

    An integer or bool result does not require grad (as in PyTorch; the engine records no op
    whose output is not a float): rounding has no useful gradient.
    """
    try:
        dtype = np.dtype(dtype)
    except (TypeError, ValueError):
        raise TypeError(f"astype: {dtype!r} is not a dtype; use e.g. 'float32'") from None
    if dtype.kind not in "biuf":
        raise TypeError(f"astype: unsupported dtype {dtype}")
    return _astype(x, dtype=dtype)
