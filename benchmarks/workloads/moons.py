"""Two moons with a 2-3-1 network: tanh hidden layer, sigmoid output, averaged binary
cross-entropy, full-batch gradient descent with rate 0.6 (seed tutorial 002's chosen model).

Column layout as in the tutorial: X is (2, m), W1 (3, 2), b1 (3, 1), W2 (1, 3), b2 (1, 1);
weights ``randn * 0.01`` after ``np.random.seed(0)``, zero biases, float64.
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

POINTS = {"full": 2_000, "quick": 2_000, "tiny": 64}
STEPS = {"full": 10_000, "quick": 1_000, "tiny": 50}
HIDDEN = 3
LEARNING_RATE = 0.6


def setup(size: str) -> SimpleNamespace:
    """``make_moons(noise=0.25)`` points as columns, and the tutorial's initial parameters."""
    from sklearn.datasets import make_moons

    points, labels = make_moons(n_samples=POINTS[size], noise=0.25, random_state=0)
    random = np.random.RandomState(0)
    params = [random.randn(HIDDEN, 2) * 0.01, np.zeros((HIDDEN, 1)),
              random.randn(1, HIDDEN) * 0.01, np.zeros((1, 1))]
    return SimpleNamespace(X=np.ascontiguousarray(points.T, dtype=np.float64),
                           Y=labels.reshape(1, -1).astype(np.float64),
                           params=params, steps=STEPS[size])


def run_autograd_lite(problem: SimpleNamespace) -> float:
    """Train with tensor expressions and ``backward()``; return the last loss."""
    X, Y = ag.tensor(problem.X), ag.tensor(problem.Y)
    params = [ag.tensor(p.copy(), requires_grad=True) for p in problem.params]
    W1, b1, W2, b2 = params
    for _ in range(problem.steps):
        A1 = (W1 @ X + b1).tanh()
        A2 = (W2 @ A1 + b2).sigmoid()
        loss = -(Y * A2.log() + (1 - Y) * (1 - A2).log()).mean()
        loss.backward()
        sgd_step(params, LEARNING_RATE)
    return loss.item()


def _loss_function(W1: ag.Tensor, b1: ag.Tensor, W2: ag.Tensor, b2: ag.Tensor):
    def loss_of(X: ag.Tensor, Y: ag.Tensor) -> ag.Tensor:
        A1 = (W1 @ X + b1).tanh()
        A2 = (W2 @ A1 + b2).sigmoid()
        return -(Y * A2.log() + (1 - Y) * (1 - A2).log()).mean()
    return loss_of


def run_compiled(problem: SimpleNamespace) -> float:
    """The whole step (forward, backward, update) as one ``ag.compile`` program."""
    params = [ag.tensor(p.copy(), requires_grad=True) for p in problem.params]
    return train_compiled_step(_loss_function(*params), params, ag.tensor(problem.X),
                               ag.tensor(problem.Y), problem.steps, LEARNING_RATE)


def run_compiled_forward(problem: SimpleNamespace) -> float:
    """The forward compiled, ``backward()`` and the update eager."""
    params = [ag.tensor(p.copy(), requires_grad=True) for p in problem.params]
    return train_compiled_forward(_loss_function(*params), params, ag.tensor(problem.X),
                                  ag.tensor(problem.Y), problem.steps, LEARNING_RATE)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def run_numpy(problem: SimpleNamespace) -> float:
    """The tutorial's hand-written forward and backward propagation."""
    X, Y = problem.X, problem.Y
    W1, b1, W2, b2 = (p.copy() for p in problem.params)
    m = X.shape[1]
    for _ in range(problem.steps):
        A1 = np.tanh(W1 @ X + b1)
        A2 = _sigmoid(W2 @ A1 + b2)
        loss = -float(np.mean(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)))
        dZ2 = (A2 - Y) / m
        dZ1 = (W2.T @ dZ2) * (1 - A1 * A1)
        W2 -= LEARNING_RATE * (dZ2 @ A1.T)
        b2 -= LEARNING_RATE * dZ2.sum(axis=1, keepdims=True)
        W1 -= LEARNING_RATE * (dZ1 @ X.T)
        b1 -= LEARNING_RATE * dZ1.sum(axis=1, keepdims=True)
    return loss


def run_torch(problem: SimpleNamespace) -> float:
    """The same model in PyTorch (raises ImportError when it is not installed)."""
    import torch

    X, Y = torch.from_numpy(problem.X), torch.from_numpy(problem.Y)
    params = [torch.tensor(p, requires_grad=True) for p in problem.params]
    W1, b1, W2, b2 = params
    for _ in range(problem.steps):
        A1 = torch.tanh(W1 @ X + b1)
        A2 = torch.sigmoid(W2 @ A1 + b2)
        loss = -(Y * torch.log(A2) + (1 - Y) * torch.log(1 - A2)).mean()
        loss.backward()
        torch_sgd_step(params, LEARNING_RATE)
    return loss.item()


WORKLOAD = Workload(
    name="moons",
    description="two moons 2-3-1 tanh/sigmoid, BCE, 2,000 points, full batch (seed 002)",
    setup=setup,
    runners={"autograd_lite": run_autograd_lite, "numpy": run_numpy, "torch": run_torch,
             "compiled": run_compiled, "compiled_forward": run_compiled_forward},
    rtol=1e-6,
    target="<= 2x NumPy",
)
