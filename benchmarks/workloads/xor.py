"""XOR with a 3-4-1 sigmoid network, 4 samples, full batch (seed tutorial 003, iamtrask).

``l1 = sigmoid(X @ W0)``, ``l2 = sigmoid(l1 @ W1)``, loss ``0.5 * sum((y - l2)**2)``, plain
gradient descent with rate 1, float64 and ``np.random.seed(1)`` as in the tutorial.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

import autograd_lite as ag

from .common import (
    Workload,
    sgd_step,
    torch_sgd_step,
    train_compiled_forward,
    train_compiled_step,
)

STEPS = {"full": 60_000, "quick": 6_000, "tiny": 50}
LEARNING_RATE = 1.0


def setup(size: str) -> SimpleNamespace:
    """The tutorial's data and weights (``2 * random - 1`` after ``np.random.seed(1)``)."""
    random = np.random.RandomState(1)
    weights = [2 * random.random_sample((3, 4)) - 1, 2 * random.random_sample((4, 1)) - 1]
    return SimpleNamespace(
        X=np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=np.float64),
        y=np.array([[0], [1], [1], [0]], dtype=np.float64),
        weights=weights, steps=STEPS[size])


def run_autograd_lite(problem: SimpleNamespace) -> float:
    """Train with tensor expressions and ``backward()``; return the last loss."""
    X, y = ag.tensor(problem.X), ag.tensor(problem.y)
    W0, W1 = (ag.tensor(w.copy(), requires_grad=True) for w in problem.weights)
    for _ in range(problem.steps):
        l1 = (X @ W0).sigmoid()
        l2 = (l1 @ W1).sigmoid()
        loss = 0.5 * ((y - l2) ** 2).sum()
        loss.backward()
        sgd_step((W0, W1), LEARNING_RATE)
    return loss.item()


def _loss_function(W0: ag.Tensor, W1: ag.Tensor):
    def loss_of(X: ag.Tensor, y: ag.Tensor) -> ag.Tensor:
        l1 = (X @ W0).sigmoid()
        l2 = (l1 @ W1).sigmoid()
        return 0.5 * ((y - l2) ** 2).sum()
    return loss_of


def run_compiled(problem: SimpleNamespace) -> float:
    """The whole step (forward, backward, update) as one ``ag.compile`` program."""
    weights = [ag.tensor(w.copy(), requires_grad=True) for w in problem.weights]
    return train_compiled_step(_loss_function(*weights), weights, ag.tensor(problem.X),
                               ag.tensor(problem.y), problem.steps, LEARNING_RATE)


def run_compiled_forward(problem: SimpleNamespace) -> float:
    """The forward compiled, ``backward()`` and the update eager."""
    weights = [ag.tensor(w.copy(), requires_grad=True) for w in problem.weights]
    return train_compiled_forward(_loss_function(*weights), weights, ag.tensor(problem.X),
                                  ag.tensor(problem.y), problem.steps, LEARNING_RATE)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def run_numpy(problem: SimpleNamespace) -> float:
    """The tutorial's hand-written backprop, with the loss computed as well."""
    X, y = problem.X, problem.y
    W0, W1 = (w.copy() for w in problem.weights)
    for _ in range(problem.steps):
        l1 = _sigmoid(X @ W0)
        l2 = _sigmoid(l1 @ W1)
        error = l2 - y
        loss = 0.5 * float(np.vdot(error, error))
        l2_delta = error * l2 * (1.0 - l2)
        l1_delta = (l2_delta @ W1.T) * l1 * (1.0 - l1)
        W1 -= LEARNING_RATE * (l1.T @ l2_delta)
        W0 -= LEARNING_RATE * (X.T @ l1_delta)
    return loss


def run_torch(problem: SimpleNamespace) -> float:
    """The same model in PyTorch (raises ImportError when it is not installed)."""
    import torch

    X, y = torch.from_numpy(problem.X), torch.from_numpy(problem.y)
    W0, W1 = (torch.tensor(w, requires_grad=True) for w in problem.weights)
    for _ in range(problem.steps):
        l1 = torch.sigmoid(X @ W0)
        l2 = torch.sigmoid(l1 @ W1)
        loss = 0.5 * ((y - l2) ** 2).sum()
        loss.backward()
        torch_sgd_step((W0, W1), LEARNING_RATE)
    return loss.item()


WORKLOAD = Workload(
    name="xor",
    description="XOR 3-4-1 sigmoid, 4 samples, full batch (seed 003)",
    setup=setup,
    runners={"autograd_lite": run_autograd_lite, "numpy": run_numpy, "torch": run_torch,
             "compiled": run_compiled, "compiled_forward": run_compiled_forward},
    rtol=1e-6,
    target="<= 2.5x NumPy",
)
