"""Layers and activation modules: thin wrappers over ``nn.functional`` that hold parameters.

Linear, Identity, Flatten, Dropout, BatchNorm1d/2d, LayerNorm, Embedding, and the activations
ReLU, LeakyReLU, ELU, GELU, SiLU, Tanh, Sigmoid, Softplus, Softmax, LogSoftmax.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import autograd_lite as ag
from autograd_lite import Tensor
from autograd_lite.spellings import torch_spellings

from . import functional as F
from . import init
from .module import Module, Parameter


class Linear(Module):
    """y = x @ weight.T + bias, for x of shape (..., in_features).

    ``weight`` is (out_features, in_features) and ``bias`` (out_features,), both initialised
    as PyTorch does: U(-1/sqrt(in_features), 1/sqrt(in_features)).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(ag.zeros(out_features, in_features))
        self.register_parameter("bias", Parameter(ag.zeros(out_features)) if bias else None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw fresh weights: kaiming_uniform_(a=sqrt(5)), the bias U(-1/sqrt(in), 1/sqrt(in))."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1.0 / math.sqrt(self.in_features) if self.in_features else 0.0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Any) -> Tensor:
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Identity(Module):
    """Returns its input unchanged (a placeholder, e.g. to switch a layer off)."""

    def forward(self, x: Any) -> Any:
        return x


class Flatten(Module):
    """Merge axes ``start_axis`` .. ``end_axis``: (N, C, H, W) -> (N, C*H*W) by default."""

    @torch_spellings
    def __init__(self, start_axis: int = 1, end_axis: int = -1) -> None:
        super().__init__()
        self.start_axis = start_axis
        self.end_axis = end_axis

    def forward(self, x: Any) -> Tensor:
        return ag.flatten(x, self.start_axis, self.end_axis)

    def extra_repr(self) -> str:
        return f"start_axis={self.start_axis}, end_axis={self.end_axis}"


class Unflatten(Module):
    """Split axis ``axis`` into ``unflattened_size``: ``Unflatten(1, (C, H, W))`` turns
    (N, C*H*W) into (N, C, H, W), undoing ``Flatten``. One entry may be -1 (inferred).

    PyTorch's ``dim`` argument is called ``axis`` here, as ``Flatten``'s ``start_axis``.
    Raises ValueError naming ``Unflatten`` and the shapes when the sizes do not multiply to
    the axis length.
    """

    @torch_spellings
    def __init__(self, axis: int, unflattened_size: tuple[int, ...]) -> None:
        super().__init__()
        self.axis = axis
        self.unflattened_size = tuple(int(size) for size in unflattened_size)

    def forward(self, x: Any) -> Tensor:
        x = x if isinstance(x, Tensor) else ag.tensor(x)
        axis = self.axis % x.ndim if -x.ndim <= self.axis < x.ndim else None
        known = math.prod(size for size in self.unflattened_size if size != -1)
        if axis is None or (x.shape[axis] != known if -1 not in self.unflattened_size
                            else not known or x.shape[axis] % known):
            raise ValueError(f"Unflatten: cannot split axis {self.axis} of shape {x.shape} "
                             f"into {self.unflattened_size}")
        return x.reshape(x.shape[:axis] + self.unflattened_size + x.shape[axis + 1:])

    def extra_repr(self) -> str:
        return f"axis={self.axis}, unflattened_size={self.unflattened_size}"


class Dropout(Module):
    """Inverted dropout with probability ``p`` in training mode, identity in eval mode.

    Masks come from ``generator`` when given (a ``np.random.Generator``, e.g. the one
    ``ag.manual_seed`` returns), else from ``ag.default_generator()``: reproducible under
    ``ag.manual_seed``, and per thread under ``ag.random.use_generator`` / ``nn.fit(seed=...)``.
    Raises ValueError unless 0 <= p <= 1, TypeError for another kind of generator.
    """

    def __init__(self, p: float = 0.5, generator: np.random.Generator | None = None) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{type(self).__name__}: p must lie in [0, 1], got {p}")
        if generator is not None:
            ag.random.resolve_generator(generator, type(self).__name__)
        self.p = p
        self.generator = generator

    def forward(self, x: Any) -> Tensor:
        return F.dropout(x, self.p, self.training, self.generator)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class _BatchNorm(Module):
    """Shared body of BatchNorm1d and BatchNorm2d; subclasses say which input ranks they take."""

    input_ranks: tuple[int, ...] = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True) -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        self.register_parameter("weight", Parameter(ag.ones(num_features)) if affine else None)
        self.register_parameter("bias", Parameter(ag.zeros(num_features)) if affine else None)
        if track_running_stats:
            self.register_buffer("running_mean", ag.zeros(num_features))
            self.register_buffer("running_var", ag.ones(num_features))
            self.register_buffer("num_batches_tracked", ag.tensor(np.array(0, np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def forward(self, x: Any) -> Tensor:
        x = x if isinstance(x, Tensor) else ag.tensor(x)
        if x.ndim not in self.input_ranks or x.shape[1] != self.num_features:
            ranks = " or ".join(map(str, self.input_ranks))
            raise ValueError(f"{type(self).__name__}: expected an input with {ranks} dimensions "
                             f"and {self.num_features} channels on axis 1, got shape "
                             f"{x.shape}")
        updates_statistics = self.training and self.track_running_stats
        momentum = self.momentum
        if updates_statistics and momentum is None:  # a cumulative moving average
            momentum = 1.0 / (int(self.num_batches_tracked.data) + 1)
        out = F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                           self.training or not self.track_running_stats, momentum, self.eps)
        # Counted only once batch_norm accepted the batch, so a rejected one leaves no trace.
        if updates_statistics:
            with ag.no_grad():
                self.num_batches_tracked.add_(1)
            ag.mark_changed_in_place(self.num_batches_tracked, F.RUNNING_STATISTICS)
        return out

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) inputs over every axis but the channel axis 1.

    Training mode normalises with the batch's statistics and updates ``running_mean`` and
    ``running_var`` with ``momentum`` (None: a cumulative average); eval mode uses the running
    statistics. ``affine`` adds a learned per-channel ``weight`` (1s) and ``bias`` (0s).
    """

    input_ranks = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) images per channel; see ``BatchNorm1d``."""

    input_ranks = (4,)


class LayerNorm(Module):
    """Normalise over the trailing ``normalized_shape`` axes of each example, then scale and
    shift by learned ``weight`` (1s) and ``bias`` (0s) of that shape when
    ``elementwise_affine``."""

    def __init__(self, normalized_shape: int | tuple[int, ...], eps: float = 1e-5,
                 elementwise_affine: bool = True) -> None:
        super().__init__()
        if isinstance(normalized_shape, (int, np.integer)):
            normalized_shape = (int(normalized_shape),)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        self.register_parameter(
            "weight", Parameter(ag.ones(self.normalized_shape)) if elementwise_affine else None)
        self.register_parameter(
            "bias", Parameter(ag.zeros(self.normalized_shape)) if elementwise_affine else None)

    def forward(self, x: Any) -> Tensor:
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class Embedding(Module):
    """A lookup table: integer indices of any shape -> rows of ``weight`` (num, dim), N(0, 1).

    The gradient scatter-adds into the rows that were looked up. The row at ``padding_idx``
    (if given) starts at zero and gets no gradient.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None
                 ) -> None:
        super().__init__()
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = F.check_padding_idx(padding_idx, num_embeddings, "Embedding")
        self.weight = Parameter(ag.zeros(num_embeddings, embedding_dim))
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with ag.no_grad():
                self.weight[self.padding_idx] = 0.0

    def forward(self, indices: Any) -> Tensor:
        return F.embedding(indices, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        padding = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"{self.num_embeddings}, {self.embedding_dim}{padding}"


# --- activation modules --------------------------------------------------------------------


class ReLU(Module):
    """max(x, 0) elementwise."""

    def forward(self, x: Any) -> Tensor:
        return F.relu(x)


class LeakyReLU(Module):
    """x for x > 0, ``negative_slope * x`` otherwise."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x: Any) -> Tensor:
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class ELU(Module):
    """x for x > 0, ``alpha * (exp(x) - 1)`` otherwise."""

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = alpha

    def forward(self, x: Any) -> Tensor:
        return F.elu(x, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class GELU(Module):
    """Gaussian error linear unit: exact by default, ``approximate='tanh'`` on request (see
    ``nn.functional.gelu``)."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        F.check_gelu_approximation(approximate, "GELU")
        self.approximate = approximate

    def forward(self, x: Any) -> Tensor:
        return F.gelu(x, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """x * sigmoid(x)."""

    def forward(self, x: Any) -> Tensor:
        return F.silu(x)


class Tanh(Module):
    """Hyperbolic tangent."""

    def forward(self, x: Any) -> Tensor:
        return F.tanh(x)


class Sigmoid(Module):
    """1 / (1 + exp(-x)), stable for any x."""

    def forward(self, x: Any) -> Tensor:
        return F.sigmoid(x)


class Softplus(Module):
    """log(1 + exp(beta x)) / beta (linear above ``threshold``)."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, x: Any) -> Tensor:
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class _AlongAxis(Module):
    """Shared constructor of Softmax and LogSoftmax: ``axis`` (PyTorch's ``dim`` is an alias)."""

    @torch_spellings
    def __init__(self, axis: int = -1) -> None:
        super().__init__()
        self.axis = axis

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


class Softmax(_AlongAxis):
    """exp(x) / sum(exp(x)) along ``axis`` (default -1)."""

    def forward(self, x: Any) -> Tensor:
        return F.softmax(x, self.axis)


class LogSoftmax(_AlongAxis):
    """log(softmax(x)) along ``axis`` (default -1), computed stably."""

    def forward(self, x: Any) -> Tensor:
        return F.log_softmax(x, self.axis)
