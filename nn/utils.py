"""Gradient clipping: ``clip_grad_norm_`` and ``clip_grad_value_`` (in place, between
``backward()`` and ``optimizer.step()``); ``checkpoint_sequential`` (memory for compute)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

import autograd_lite as ag
from autograd_lite import Tensor


def _gradients(parameters: Tensor | Iterable[Tensor], where: str) -> list[Tensor]:
    """The gradients of the parameters that have one."""
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for index, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"{where}: parameter {index} is a {type(p).__name__}, not a Tensor")
    return [p.grad for p in params if p.grad is not None]


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False) -> Tensor:
    """Scale all gradients together so that their joint norm is at most ``max_norm``.

    The norm is taken over all gradients as if concatenated into one vector (``norm_type`` 2 by
    default, ``float("inf")`` for the largest magnitude). Gradients are multiplied by
    ``max_norm / (norm + 1e-6)`` when that is below 1. Returns the norm before clipping as a
    0-d float tensor. Raises RuntimeError if the norm is NaN/Inf and ``error_if_nonfinite``.
    """
    if max_norm < 0 or norm_type <= 0:
        raise ValueError(f"clip_grad_norm_: need max_norm >= 0 and norm_type > 0, got "
                         f"max_norm={max_norm}, norm_type={norm_type}")
    grads = _gradients(parameters, "clip_grad_norm_")
    if not grads:
        return ag.tensor(0.0)
    if norm_type == float("inf"):
        total = max(float(np.max(np.abs(g.data), initial=0.0)) for g in grads)
    else:
        total = sum(float(np.sum(np.abs(g.data.astype(np.float64)) ** norm_type))
                    for g in grads) ** (1.0 / norm_type)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total gradient norm is {total}; check the "
                           f"loss for NaN/Inf (ag.detect_anomaly() names the op)")
    scale = max_norm / (total + 1e-6)
    if scale < 1:
        for g in grads:
            np.multiply(g.data, scale, out=g.data)
            ag.mark_changed_in_place(g, "clip_grad_norm_")
    return ag.tensor(total)


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clip every gradient entry into ``[-clip_value, clip_value]`` in place."""
    if clip_value < 0:
        raise ValueError(f"clip_grad_value_: clip_value must be >= 0, got {clip_value}")
    for g in _gradients(parameters, "clip_grad_value_"):
        np.clip(g.data, -clip_value, clip_value, out=g.data)
        ag.mark_changed_in_place(g, "clip_grad_value_")


def checkpoint_sequential(functions: Any, segments: int, input: Any,
                          use_reentrant: bool | None = None, preserve_rng_state: bool = True
                          ) -> Any:
    """Run ``functions`` (an ``nn.Sequential`` or a list of callables) one after the other on
    ``input``, checkpointing each of ``segments`` consecutive groups but the last.

    As ``torch.utils.checkpoint.checkpoint_sequential``: the layers are split into groups of
    ``len(functions) // segments`` (the last group takes the rest) and every group but the last
    runs inside ``ag.checkpoint``, so only the groups' inputs stay in memory until backward,
    which recomputes each group once. With about ``sqrt(n)`` segments for ``n`` layers the
    activation memory grows as ``sqrt(n)``; gradients equal the un-checkpointed ones exactly.
    Raises ValueError unless ``1 <= segments <= len(functions)``.
    """
    layers = list(functions.children()) if hasattr(functions, "children") else list(functions)
    if not 1 <= segments <= max(len(layers), 1) or isinstance(segments, bool):
        raise ValueError(f"checkpoint_sequential: segments must lie in [1, {len(layers)}] for "
                         f"{len(layers)} layers, got {segments}")
    size = len(layers) // segments
    for start in range(0, size * (segments - 1), size):
        input = ag.checkpoint(_run_layers(layers[start:start + size]), input,
                              use_reentrant=use_reentrant, preserve_rng_state=preserve_rng_state)
    return _run_layers(layers[size * (segments - 1):])(input)


def _run_layers(layers: Sequence[Callable[[Any], Any]]) -> Callable[[Any], Any]:
    def run(x: Any) -> Any:
        for layer in layers:
            x = layer(x)
        return x

    return run


__all__ = ["checkpoint_sequential", "clip_grad_norm_", "clip_grad_value_"]
