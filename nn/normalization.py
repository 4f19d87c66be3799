"""Per-example normalisations: ``group_norm`` and ``instance_norm`` and their modules
``GroupNorm`` and ``InstanceNorm2d``. Composed of autograd_lite ops (mean, var, sqrt); no
derivative is written here. (Batch and layer norm are in ``nn.functional`` / ``nn.layers``.)
"""

from __future__ import annotations

from typing import Any

import numpy as np

import autograd_lite as ag
from autograd_lite import Tensor
from autograd_lite.tensor import as_input

from .module import Module, Parameter

INSTANCE_STATISTICS = "InstanceNorm running statistics"  # the writer backward's errors name


def _standardized(x: Tensor, axes: tuple[int, ...], eps: float) -> Tensor:
    """(x - mean) / sqrt(biased var + eps) over ``axes``."""
    mean = x.mean(axes, keepdims=True)
    return (x - mean) / ag.sqrt(x.var(axes, keepdims=True) + eps)


def _affine(out: Tensor, weight: Any, bias: Any) -> Tensor:
    """Scale and shift per channel (axis 1) by (C,) ``weight`` and ``bias`` when given."""
    per_channel = (1, out.shape[1]) + (1,) * (out.ndim - 2)
    if weight is not None:
        out = out * ag.reshape(weight, per_channel)
    if bias is not None:
        out = out + ag.reshape(bias, per_channel)
    return out


def group_norm(input: Any, num_groups: int, weight: Any = None, bias: Any = None,
               eps: float = 1e-5) -> Tensor:
    """Normalise each example's channels in ``num_groups`` groups (Wu & He, 2018).

    Shapes: input (N, C, *), C divisible by ``num_groups``; ``weight`` and ``bias`` (C,) or
    None. Each group of C/num_groups consecutive channels, with all its positions, gets zero
    mean and unit (biased) variance; then the per-channel affine map. ``num_groups=1`` is layer
    norm over (C, *) and ``num_groups=C`` instance norm. Raises ValueError naming
    ``group_norm`` and the shape when C is not divisible.
    """
    x = as_input(input, "group_norm")
    if x.ndim < 2 or isinstance(num_groups, bool) or not isinstance(num_groups, int) or (
            num_groups < 1) or x.shape[1] % num_groups:
        raise ValueError(f"group_norm: expected an input (N, C, ...) whose C is divisible by "
                         f"num_groups={num_groups!r}, got shape {x.shape}")
    grouped = x.reshape((x.shape[0], num_groups, -1))
    return _affine(_standardized(grouped, (2,), eps).reshape(x.shape), weight, bias)


def _update_running(running: Tensor, batch: Tensor, momentum: float) -> None:
    running.data[...] = (1 - momentum) * running.data + momentum * batch.data
    ag.mark_changed_in_place(running, INSTANCE_STATISTICS)


def instance_norm(input: Any, running_mean: Tensor | None = None,
                  running_var: Tensor | None = None, weight: Any = None, bias: Any = None,
                  use_input_stats: bool = True, momentum: float = 0.1, eps: float = 1e-5
                  ) -> Tensor:
    """Normalise each channel of each example over its positions: input (N, C, *).

    With ``use_input_stats`` (the default) each (example, channel) uses its own mean and
    biased variance, and given running statistics (C,) are updated in place with the batch
    average of them, as PyTorch: ``running = (1 - momentum) * running + momentum *
    mean_over_N(stat)``, the variance unbiased. Otherwise the running statistics normalise.
    ``weight`` and ``bias`` (C,) scale and shift. Raises ValueError for fewer than 3 axes or a
    single position per channel while using input statistics.
    """
    x = as_input(input, "instance_norm")
    if x.ndim < 3:
        raise ValueError(f"instance_norm: expected an input (N, C, ...) with spatial axes, got "
                         f"shape {x.shape}")
    axes = tuple(range(2, x.ndim))
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise ValueError("instance_norm: use_input_stats=False needs running_mean and "
                             "running_var")
        per_channel = (1, x.shape[1]) + (1,) * len(axes)
        out = (x - running_mean.data.reshape(per_channel)) / np.sqrt(
            running_var.data.reshape(per_channel) + eps)
        return _affine(out, weight, bias)
    count = x.size // max(x.shape[0] * x.shape[1], 1)
    if count <= 1:
        raise ValueError(f"instance_norm: expected more than 1 spatial element per channel "
                         f"when using input statistics, got input shape {x.shape}")
    if running_mean is not None and running_var is not None:
        with ag.no_grad():
            _update_running(running_mean, x.mean(axes).mean(0), momentum)
            _update_running(running_var, x.var(axes, ddof=1).mean(0), momentum)
    return _affine(_standardized(x, axes, eps), weight, bias)


def _positive_count(value: Any, what: str, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name}: {what} must be a positive int, got {value!r}")
    return int(value)


class GroupNorm(Module):
    """``group_norm(x, num_groups, weight, bias, eps)`` with learned per-channel ``weight``
    (1s) and ``bias`` (0s) of shape (num_channels,) when ``affine`` (``bias=False`` drops the
    bias, as PyTorch's keyword). Raises ValueError unless num_groups divides num_channels.
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, *, bias: bool = True) -> None:
        super().__init__()
        self.num_groups = _positive_count(num_groups, "num_groups", "GroupNorm")
        self.num_channels = _positive_count(num_channels, "num_channels", "GroupNorm")
        if self.num_channels % self.num_groups:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be divisible by "
                             f"num_groups ({num_groups})")
        self.eps, self.affine = eps, affine
        self.register_parameter("weight", Parameter(ag.ones(num_channels)) if affine else None)
        self.register_parameter("bias", Parameter(ag.zeros(num_channels))
                                if affine and bias else None)

    def forward(self, x: Any) -> Tensor:
        """Normalise a (N, num_channels, ...) batch."""
        x = as_input(x, "GroupNorm")
        if x.ndim < 2 or x.shape[1] != self.num_channels:
            raise ValueError(f"GroupNorm: expected an input (N, {self.num_channels}, ...), got "
                             f"shape {x.shape}")
        return group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        """As PyTorch: ``groups, channels, eps=..., affine=..., bias=...``."""
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, "
                f"affine={self.affine}, bias={self.bias is not None}")


class InstanceNorm2d(Module):
    """Instance normalisation of (N, C, H, W) images or one (C, H, W) image, per channel.

    PyTorch's defaults: no affine parameters (``affine=True`` adds ``weight`` 1s and ``bias``
    0s of shape (num_features,)) and no running statistics (``track_running_stats=True`` keeps
    ``running_mean``, ``running_var`` and ``num_batches_tracked`` buffers, updated in training
    and used in eval, with PyTorch's state_dict keys). Raises ValueError when the channels do
    not match ``num_features`` (with affine parameters or running statistics) or the input is
    not 3-D or 4-D.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = False, track_running_stats: bool = False, *,
                 bias: bool = True) -> None:
        super().__init__()
        self.num_features = _positive_count(num_features, "num_features", "InstanceNorm2d")
        self.eps, self.momentum = eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.register_parameter("weight", Parameter(ag.ones(num_features)) if affine else None)
        self.register_parameter("bias", Parameter(ag.zeros(num_features))
                                if affine and bias else None)
        if track_running_stats:
            self.register_buffer("running_mean", ag.zeros(num_features))
            self.register_buffer("running_var", ag.ones(num_features))
            self.register_buffer("num_batches_tracked", ag.tensor(np.array(0, np.int64)))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def forward(self, x: Any) -> Tensor:
        """Normalise a (N, C, H, W) batch or one (C, H, W) image."""
        x = as_input(x, "InstanceNorm2d")
        if x.ndim not in (3, 4):
            raise ValueError(f"InstanceNorm2d: expected a (N, C, H, W) or (C, H, W) input, got "
                             f"shape {x.shape}")
        single = x.ndim == 3
        batch = ag.unsqueeze(x, 0) if single else x
        checked = self.affine or self.track_running_stats
        if checked and batch.shape[1] != self.num_features:
            raise ValueError(f"InstanceNorm2d: expected {self.num_features} channels on axis "
                             f"{0 if single else 1}, got input shape {x.shape}")
        # momentum=None leaves the running statistics as they are, as PyTorch's InstanceNorm.
        momentum = 0.0 if self.momentum is None else self.momentum
        out = instance_norm(batch, self.running_mean, self.running_var, self.weight, self.bias,
                            self.training or not self.track_running_stats, momentum, self.eps)
        return ag.squeeze(out, 0) if single else out

    def extra_repr(self) -> str:
        """As PyTorch: ``features, eps=..., momentum=..., affine=..., bias=..., track...``."""
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")
