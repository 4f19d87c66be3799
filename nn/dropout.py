"""Dropout variants: whole channels (``dropout1d``, ``dropout2d``) and the self-normalising
``alpha_dropout`` / ``feature_alpha_dropout``, with the modules ``Dropout1d``, ``Dropout2d``
and ``AlphaDropout``.

Each multiplies the input by a constant mask drawn from the generator (or
``ag.default_generator()``, so ``ag.manual_seed`` makes it reproducible) and, for the alpha
variants, adds a constant: the gradient is the mask, from the ``mul`` primitive.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

import autograd_lite as ag
from autograd_lite import Tensor
from autograd_lite.tensor import as_input

from .layers import Dropout

# SELU's -lambda * alpha: the value a dropped unit takes in alpha dropout (PyTorch's constant).
_ALPHA_PRIME = 1.7580993408473766


def _check_p(p: float, name: str) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{name}: p must lie in [0, 1], got {p}")


def _keep_mask(x: Tensor, mask_shape: tuple[int, ...], p: float,
               generator: np.random.Generator | None, name: str) -> np.ndarray:
    """1 where a unit (or channel, for a mask with unit spatial axes) is kept, 0 where dropped."""
    draws = ag.random.resolve_generator(generator, name).random(mask_shape)
    return (draws >= p).astype(x.dtype)


def _channel_shape(x: Tensor, batched: bool) -> tuple[int, ...]:
    """The mask shape that keeps or drops whole channels: (N, C, 1, ...) or (C, 1, ...)."""
    leading = 2 if batched else 1
    return x.shape[:leading] + (1,) * (x.ndim - leading)


def _channel_dropout(x: Tensor, p: float, training: bool,
                     generator: np.random.Generator | None, batched: bool, name: str) -> Tensor:
    _check_p(p, name)
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    keep = _keep_mask(x, _channel_shape(x, batched), p, generator, name)
    return x * (keep / (1.0 - p)).astype(x.dtype)


def dropout1d(input: Any, p: float = 0.5, training: bool = True,
              generator: np.random.Generator | None = None) -> Tensor:
    """Zero whole channels of (N, C, L) signals (or one (C, L) signal) with probability ``p``
    and scale the kept ones by 1 / (1 - p) while ``training``; identity otherwise.

    Raises ValueError for another rank or p outside [0, 1].
    """
    x = as_input(input, "dropout1d")
    if x.ndim not in (2, 3):
        raise ValueError(f"dropout1d: expects a (N, C, L) or (C, L) input, got shape {x.shape}")
    return _channel_dropout(x, p, training, generator, x.ndim == 3, "dropout1d")


def dropout2d(input: Any, p: float = 0.5, training: bool = True,
              generator: np.random.Generator | None = None) -> Tensor:
    """Zero whole channels of (N, C, H, W) images with probability ``p`` and scale the kept
    ones by 1 / (1 - p) while ``training``; identity otherwise.

    A 3-D input is taken as (N, C, L), as PyTorch does today, with PyTorch's warning (use
    ``dropout1d`` for signals). Raises ValueError for another rank or p outside [0, 1].
    """
    x = as_input(input, "dropout2d")
    if x.ndim not in (3, 4):
        raise ValueError(f"dropout2d: expects a (N, C, H, W) input, got shape {x.shape}")
    if x.ndim == 3 and training:
        warnings.warn("dropout2d: a 3-D input is taken as (N, C, L) and whole (n, c) rows are "
                      "dropped, as PyTorch does; use dropout1d for signals, or add a batch "
                      "axis to an unbatched (C, H, W) image", UserWarning, stacklevel=2)
    return _channel_dropout(x, p, training, generator, True, "dropout2d")


def _alpha_dropout(x: Tensor, p: float, training: bool, mask_shape: tuple[int, ...],
                   generator: np.random.Generator | None, name: str) -> Tensor:
    _check_p(p, name)
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    keep = _keep_mask(x, mask_shape, p, generator, name)
    # Dropped units become SELU's saturation value, then an affine map restores the mean and
    # variance of unit-normal inputs (Klambauer et al., 2017; PyTorch's constants).
    scale = 1.0 / math.sqrt((_ALPHA_PRIME ** 2 * p + 1.0) * (1.0 - p))
    shift = (keep - 1.0) * _ALPHA_PRIME * scale + _ALPHA_PRIME * scale * p
    return x * (keep * scale).astype(x.dtype) + shift.astype(x.dtype)


def alpha_dropout(input: Any, p: float = 0.5, training: bool = False,
                  generator: np.random.Generator | None = None) -> Tensor:
    """Alpha dropout for SELU networks: each unit is dropped with probability ``p`` to
    -1.7581 (SELU's saturation), then ``a * x + b`` keeps zero mean and unit variance.

    ``training`` defaults to False, as in PyTorch's ``F.alpha_dropout``. Raises ValueError for
    p outside [0, 1].
    """
    x = as_input(input, "alpha_dropout")
    return _alpha_dropout(x, p, training, x.shape, generator, "alpha_dropout")


def feature_alpha_dropout(input: Any, p: float = 0.5, training: bool = False,
                          generator: np.random.Generator | None = None) -> Tensor:
    """``alpha_dropout`` of whole channels (axis 1 of a (N, C, ...) input).

    ``training`` defaults to False, as in PyTorch. Raises ValueError for fewer than 2 axes or
    p outside [0, 1].
    """
    x = as_input(input, "feature_alpha_dropout")
    if x.ndim < 2:
        raise ValueError(f"feature_alpha_dropout: expects a (N, C, ...) input, got shape "
                         f"{x.shape}")
    return _alpha_dropout(x, p, training, _channel_shape(x, True), generator,
                          "feature_alpha_dropout")


class Dropout1d(Dropout):
    """``dropout1d`` in training mode (whole channels of (N, C, L) signals), identity in eval."""

    def forward(self, x: Any) -> Tensor:
        """Drop channels while training."""
        return dropout1d(x, self.p, self.training, self.generator)


class Dropout2d(Dropout):
    """``dropout2d`` in training mode (whole channels of (N, C, H, W) images), identity in
    eval."""

    def forward(self, x: Any) -> Tensor:
        """Drop channels while training."""
        return dropout2d(x, self.p, self.training, self.generator)


class AlphaDropout(Dropout):
    """``alpha_dropout`` in training mode, identity in eval: for SELU networks."""

    def forward(self, x: Any) -> Tensor:
        """Drop units to SELU's saturation value while training."""
        return alpha_dropout(x, self.p, self.training, self.generator)
