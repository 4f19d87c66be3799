"""A module-built 8-32-32-1 tanh regression net on batches of 16: where per-op overhead shows.

``nn.Sequential(Linear, Tanh, Linear, Tanh, Linear)`` and ``nn.MSELoss``, plain SGD with rate
0.05, float64, on a fixed synthetic regression problem (``y = sin(x . w)``). Every op here runs
inside a module call, so this is the workload that measures what ``Module.__call__`` costs.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

import autograd_lite as ag
import nn

from .common import Workload, sgd_step, torch_sgd_step

STEPS = {"full": 6_000, "quick": 1_500, "tiny": 20}
LAYERS = (8, 32, 32, 1)
BATCH = 16
BATCHES = 8
LEARNING_RATE = 0.05


def setup(size: str) -> SimpleNamespace:
    """The data (``BATCHES`` batches of ``BATCH`` samples) and U(-1/sqrt(in), ..) weights."""
    random = np.random.default_rng(0)
    X = random.standard_normal((BATCHES, BATCH, LAYERS[0]))
    y = np.sin(X @ random.standard_normal((LAYERS[0], 1)))
    params = []
    for fan_in, fan_out in zip(LAYERS[:-1], LAYERS[1:]):
        bound = 1.0 / np.sqrt(fan_in)
        params += [random.uniform(-bound, bound, (fan_out, fan_in)),
                   random.uniform(-bound, bound, fan_out)]
    return SimpleNamespace(X=X, y=y, params=params, steps=STEPS[size])


def run_autograd_lite(problem: SimpleNamespace) -> float:
    """Train the nn.Sequential model with ``backward()``; return the last loss."""
    layers = []
    for fan_in, fan_out in zip(LAYERS[:-1], LAYERS[1:]):
        layers += [nn.Linear(fan_in, fan_out), nn.Tanh()]
    model = nn.Sequential(*layers[:-1]).to("float64")
    for p, value in zip(model.parameters(), problem.params):
        p.data = value.copy()
    criterion = nn.MSELoss()
    params = list(model.parameters())
    X, y = [ag.tensor(x) for x in problem.X], [ag.tensor(t) for t in problem.y]
    for step in range(problem.steps):
        loss = criterion(model(X[step % BATCHES]), y[step % BATCHES])
        loss.backward()
        sgd_step(params, LEARNING_RATE)
    return loss.item()


def run_numpy(problem: SimpleNamespace) -> float:
    """Hand-written forward and backward passes of the same net on float64 arrays."""
    params = [p.copy() for p in problem.params]
    weights, biases = params[0::2], params[1::2]
    for step in range(problem.steps):
        x, y = problem.X[step % BATCHES], problem.y[step % BATCHES]
        activations = [x]
        for W, b in zip(weights[:-1], biases[:-1]):
            activations.append(np.tanh(activations[-1] @ W.T + b))
        error = activations[-1] @ weights[-1].T + biases[-1] - y
        loss = float(np.vdot(error, error)) / error.size
        delta = error * (2.0 / error.size)
        for layer in range(len(weights) - 1, -1, -1):
            grad_W, grad_b = delta.T @ activations[layer], delta.sum(axis=0)
            if layer:
                delta = (delta @ weights[layer]) * (1.0 - activations[layer] ** 2)
            weights[layer] -= LEARNING_RATE * grad_W
            biases[layer] -= LEARNING_RATE * grad_b
    return loss


def run_torch(problem: SimpleNamespace) -> float:
    """The same torch.nn model (raises ImportError when PyTorch is not installed)."""
    import torch

    layers = []
    for fan_in, fan_out in zip(LAYERS[:-1], LAYERS[1:]):
        layers += [torch.nn.Linear(fan_in, fan_out), torch.nn.Tanh()]
    model = torch.nn.Sequential(*layers[:-1]).double()
    with torch.no_grad():
        for p, value in zip(model.parameters(), problem.params):
            p.copy_(torch.from_numpy(value))
    criterion = torch.nn.MSELoss()
    params = list(model.parameters())
    X, y = [torch.from_numpy(x) for x in problem.X], [torch.from_numpy(t) for t in problem.y]
    for step in range(problem.steps):
        loss = criterion(model(X[step % BATCHES]), y[step % BATCHES])
        loss.backward()
        torch_sgd_step(params, LEARNING_RATE)
    return loss.item()


WORKLOAD = Workload(
    name="modules",
    description="nn.Sequential 8-32-32-1 tanh, MSELoss, batches of 16 (per-op overhead)",
    setup=setup,
    runners={"autograd_lite": run_autograd_lite, "numpy": run_numpy, "torch": run_torch},
    rtol=1e-6,
    target="<= 7x NumPy",
)
