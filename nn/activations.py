"""More activations, as functions and modules: ``hardtanh``, ``mish`` and ``prelu`` (with a
learned slope), and ``Hardtanh``, ``Mish`` and ``PReLU``. Composed of autograd_lite ops; no
derivative is written here."""

from __future__ import annotations

from typing import Any

import autograd_lite as ag
from autograd_lite import Tensor
from autograd_lite.tensor import as_input

from .inputs import layer_input
from .module import Module, Parameter


def hardtanh(input: Any, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """``x`` clipped to [min_val, max_val]. As PyTorch, the gradient is 1 strictly inside the
    interval and 0 at and beyond its ends (unlike ``clip``, which passes it at the ends).
    Raises ValueError unless ``min_val < max_val``."""
    if not min_val < max_val:
        raise ValueError(f"hardtanh: min_val {min_val} must be smaller than max_val {max_val}")
    x = as_input(input, "hardtanh")
    return ag.where(x <= min_val, min_val, ag.where(x >= max_val, max_val, x))


def mish(input: Any) -> Tensor:
    """``x * tanh(softplus(x))`` (Misra, 2019), finite for any x (softplus is stable)."""
    x = as_input(input, "mish")
    return x * ag.tanh(ag.softplus(x))


def prelu(input: Any, weight: Any) -> Tensor:
    """``x`` for x > 0 and ``weight * x`` otherwise, with one learned slope per channel.

    ``weight`` has 1 element (shared) or one per channel, the channels being axis 1 of an
    input with at least 2 axes. As PyTorch, the gradient with respect to x at 0 is the slope.
    Raises ValueError naming ``prelu`` and both shapes when the slopes match no channel axis.
    """
    weight = as_input(weight, "prelu")
    x = layer_input(input, weight, "prelu")
    if weight.ndim != 1:
        raise ValueError(f"prelu: weight must be 1-D (num_parameters,), got shape "
                         f"{weight.shape}")
    if weight.shape[0] != 1:
        if x.ndim < 2 or x.shape[1] != weight.shape[0]:
            raise ValueError(f"prelu: {weight.shape[0]} slopes need an input with "
                             f"{weight.shape[0]} channels on axis 1, got shape {x.shape}; use "
                             f"num_parameters=1 or the input's channel count")
        weight = weight.reshape((weight.shape[0],) + (1,) * (x.ndim - 2))
    else:
        weight = weight.reshape(())
    return ag.where(x > 0, x, weight * x)


class Hardtanh(Module):
    """``hardtanh(x, min_val, max_val)``: x clipped to [min_val, max_val] (default [-1, 1])."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0) -> None:
        super().__init__()
        if not min_val < max_val:
            raise ValueError(f"Hardtanh: min_val {min_val} must be smaller than max_val "
                             f"{max_val}")
        self.min_val, self.max_val = min_val, max_val

    def forward(self, x: Any) -> Tensor:
        """Clip elementwise."""
        return hardtanh(x, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        """``min_val=..., max_val=...`` as PyTorch."""
        return f"min_val={self.min_val}, max_val={self.max_val}"


class Mish(Module):
    """``mish(x) = x * tanh(softplus(x))``."""

    def forward(self, x: Any) -> Tensor:
        """Apply elementwise."""
        return mish(x)


class PReLU(Module):
    """``prelu(x, weight)`` with a learned ``weight`` of shape (num_parameters,), all ``init``.

    ``num_parameters`` is 1 (one slope for all channels) or the number of channels (axis 1).
    Raises ValueError for a non-positive ``num_parameters``.
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25) -> None:
        super().__init__()
        if isinstance(num_parameters, bool) or not isinstance(num_parameters, int) or (
                num_parameters < 1):
            raise ValueError(f"PReLU: num_parameters must be a positive int, got "
                             f"{num_parameters!r}")
        self.num_parameters = num_parameters
        self.weight = Parameter(ag.full((num_parameters,), float(init)))

    def forward(self, x: Any) -> Tensor:
        """Apply with the learned slopes."""
        return prelu(x, self.weight)

    def extra_repr(self) -> str:
        """``num_parameters=...`` as PyTorch."""
        return f"num_parameters={self.num_parameters}"
