"""Weight initialisation: fill a tensor in place, drawing from a NumPy Generator.

Every function returns the tensor it filled, samples in float64 and stores in the tensor's own
dtype. The random ones take ``generator=`` (a ``np.random.Generator``); without it they draw
from ``ag.default_generator()``, which ``ag.manual_seed`` reseeds (so runs are reproducible)
and ``ag.random.use_generator`` replaces for one thread. The write goes through
``Tensor.copy_`` under ``no_grad``, so a graph that saved the old values refuses to backward
through them instead of giving a wrong gradient.
The seed tutorials' schemes are one-liners: ``2*rand-1`` is ``uniform_(w, -1, 1)``,
``randn*0.01`` is ``normal_(w, 0, 0.01)``, uniform in [-eps, eps] is ``uniform_(w, -eps, eps)``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import autograd_lite as ag
from autograd_lite import Tensor

_LINEAR_GAINS = ("linear", "identity", "conv1d", "conv2d", "conv3d", "sigmoid")


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended scale of weights feeding ``nonlinearity`` (PyTorch's table).

    1 for linear/conv/sigmoid, 5/3 for tanh, sqrt(2) for relu, sqrt(2 / (1 + slope**2)) for
    leaky_relu (``param`` is the slope, 0.01 by default), 3/4 for selu. ValueError otherwise.
    """
    if nonlinearity in _LINEAR_GAINS:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ValueError(f"calculate_gain: the leaky_relu slope must be a number, got "
                             f"{slope!r}")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 0.75
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; use one of "
                     f"{', '.join(_LINEAR_GAINS)}, tanh, relu, leaky_relu, selu")


def _fans(tensor: Tensor, where: str) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight shaped (out, in, *kernel), as in PyTorch."""
    _check_tensor(tensor, where)
    if tensor.ndim < 2:
        raise ValueError(f"{where}: fan in and fan out need a tensor with at least 2 "
                         f"dimensions (out, in, ...), got shape {tensor.shape}")
    receptive_field = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive_field, tensor.shape[0] * receptive_field


def _check_tensor(tensor: Any, where: str) -> None:
    # Checked before any draw, so that a bad call neither fails inside NumPy nor advances the
    # shared generator.
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{where}: expected a Tensor, got {type(tensor).__name__}")


def _fill(tensor: Tensor, values: np.ndarray | float, where: str) -> Tensor:
    _check_tensor(tensor, where)
    with ag.no_grad():  # parameters require grad; initialising them is not part of a graph
        tensor.copy_(np.asarray(values).astype(tensor.dtype, copy=False))
    ag.mark_changed_in_place(tensor, f"nn.init.{where}")  # name the initialiser, not copy_
    return tensor


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0,
             generator: np.random.Generator | None = None) -> Tensor:
    """Fill with samples of U(a, b) from ``generator`` (default ``ag.default_generator()``);
    return the tensor. ValueError when a > b, TypeError for a non-Tensor or a bad generator."""
    _check_tensor(tensor, "uniform_")
    if a > b:
        raise ValueError(f"uniform_: the lower bound a={a} exceeds the upper bound b={b}")
    rng = ag.random.resolve_generator(generator, "uniform_")
    return _fill(tensor, rng.uniform(a, b, tensor.shape), "uniform_")


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0,
            generator: np.random.Generator | None = None) -> Tensor:
    """Fill with samples of N(mean, std**2) from ``generator`` (default
    ``ag.default_generator()``); return the tensor. ValueError when std < 0."""
    _check_tensor(tensor, "normal_")
    if std < 0:
        raise ValueError(f"normal_: std must be non-negative, got {std}")
    rng = ag.random.resolve_generator(generator, "normal_")
    return _fill(tensor, rng.normal(mean, std, tensor.shape), "normal_")


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with ``val``; return the tensor."""
    return _fill(tensor, val, "constant_")


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with 0; return the tensor."""
    return _fill(tensor, 0.0, "zeros_")


def ones_(tensor: Tensor) -> Tensor:
    """Fill with 1; return the tensor."""
    return _fill(tensor, 1.0, "ones_")


def xavier_uniform_(tensor: Tensor, gain: float = 1.0,
                    generator: np.random.Generator | None = None) -> Tensor:
    """Glorot uniform: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)).

    The tensor needs at least 2 dimensions (out, in, ...); ValueError otherwise. ``generator``
    as in ``uniform_``.
    """
    fan_in, fan_out = _fans(tensor, "xavier_uniform_")
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0,
                   generator: np.random.Generator | None = None) -> Tensor:
    """Glorot normal: N(0, std**2) with std = gain * sqrt(2 / (fan_in + fan_out)).

    ``generator`` as in ``normal_``."""
    fan_in, fan_out = _fans(tensor, "xavier_normal_")
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str, where: str) -> float:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{where}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _fans(tensor, where)
    fan = fan_in if mode == "fan_in" else fan_out
    # A zero fan means an empty tensor (e.g. Linear(0, n)): nothing to draw, any std will do.
    return calculate_gain(nonlinearity, a) / math.sqrt(fan) if fan else 0.0


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu",
                     generator: np.random.Generator | None = None) -> Tensor:
    """He uniform: U(-b, b) with b = gain * sqrt(3 / fan), gain from ``nonlinearity`` (slope
    ``a`` for leaky_relu) and fan = fan_in or fan_out by ``mode``.

    ``kaiming_uniform_(w, a=math.sqrt(5))`` is PyTorch's default for Linear and Conv weights.
    ``generator`` as in ``uniform_``.
    """
    std = _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_uniform_")
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu",
                    generator: np.random.Generator | None = None) -> Tensor:
    """He normal: N(0, std**2) with std = gain / sqrt(fan) (same arguments as
    ``kaiming_uniform_``)."""
    std = _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_normal_")
    return normal_(tensor, 0.0, std, generator)
