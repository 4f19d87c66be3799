"""What every workload shares: its declaration and the parameter updates both sides use."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

SIZES = ("full", "quick", "tiny")  # the suite, `--quick`, and the smoke test


@dataclass(frozen=True)
class Workload:
    """One benchmark: a problem builder and one runner per framework.

    ``setup(size)`` returns the problem (data, initial weights, step count) for a size in
    ``SIZES``; every runner takes that problem, trains or evaluates from the same starting point
    and returns the final loss, so the runners can be checked against each other (``rtol``).
    ``runners`` maps "autograd_lite", "numpy" and, optionally, "torch" to their functions; a
    torch runner raises ImportError when PyTorch is not installed.
    """

    name: str
    description: str
    setup: Callable[[str], Any]
    runners: dict[str, Callable[[Any], float]]
    rtol: float
    target: str
    in_subprocess: bool = False  # measured in a fresh process, for its peak memory


def sgd_step(params: Sequence[Any], lr: float) -> None:
    """Plain gradient descent on autograd_lite tensors, in place; then forget the gradients."""
    for p in params:
        p.data -= lr * p.grad.data
        p.grad = None


def traceable_sgd_step(params: Sequence[Any], lr: float) -> None:
    """``sgd_step`` written with in-place tensor updates, which ``ag.compile`` records."""
    import autograd_lite as ag

    with ag.no_grad():
        for p in params:
            p.sub_(p.grad * lr)
            p.grad = None


def train_compiled_step(loss_of: Callable[[Any, Any], Any], params: Sequence[Any], X: Any,
                        Y: Any, steps: int, lr: float) -> float:
    """``steps`` gradient-descent steps of ``loss_of(X, Y)`` with the whole step (forward,
    backward, update) one ``ag.compile`` program; the last loss."""
    import autograd_lite as ag

    def step(X: Any, Y: Any) -> Any:
        loss = loss_of(X, Y)
        loss.backward()
        traceable_sgd_step(params, lr)
        return loss

    step = ag.compile(step)
    for _ in range(steps):
        loss = step(X, Y)
    return loss.item()


def train_compiled_forward(loss_of: Callable[[Any, Any], Any], params: Sequence[Any], X: Any,
                           Y: Any, steps: int, lr: float) -> float:
    """As ``train_compiled_step`` with only the forward compiled, ``backward()`` and the
    update eager."""
    import autograd_lite as ag

    loss_of = ag.compile(loss_of)
    for _ in range(steps):
        loss = loss_of(X, Y)
        loss.backward()
        sgd_step(params, lr)
    return loss.item()


def torch_sgd_step(params: Sequence[Any], lr: float) -> None:
    """``sgd_step`` for PyTorch tensors."""
    import torch

    with torch.no_grad():
        for p in params:
            p -= lr * p.grad
            p.grad = None


def momentum_step(params: Sequence[np.ndarray], grads: Sequence[np.ndarray],
                  velocities: Sequence[np.ndarray], lr: float, momentum: float) -> None:
    """SGD with momentum on arrays, in place (PyTorch's form: v = m v + g; p -= lr v)."""
    for p, g, v in zip(params, grads, velocities):
        v *= momentum
        v += g
        p -= lr * v

