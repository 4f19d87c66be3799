"""An MNIST-shaped MLP 784-256-128-10 with ReLU and softmax cross-entropy, float32.

One epoch of 60,000 synthetic samples (standard normal pixels, random labels: no download) in
batches of 128, SGD with momentum 0.9. Weights are (in, out), so a layer is ``x @ W + b``.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

import autograd_lite as ag

from .common import Workload, momentum_step

SAMPLES = {"full": 60_000, "quick": 12_800, "tiny": 512}
LAYERS = (784, 256, 128, 10)
BATCH = 128
LEARNING_RATE = 0.01
MOMENTUM = 0.9


def setup(size: str) -> SimpleNamespace:
    """Synthetic float32 data with one-hot labels, He-initialised weights and zero biases."""
    random = np.random.default_rng(0)
    samples = SAMPLES[size]
    X = random.standard_normal((samples, LAYERS[0]), dtype=np.float32)
    onehot = np.eye(LAYERS[-1], dtype=np.float32)[random.integers(0, LAYERS[-1], samples)]
    params = []
    for fan_in, fan_out in zip(LAYERS[:-1], LAYERS[1:]):
        scale = np.float32(np.sqrt(2.0 / fan_in))
        params += [random.standard_normal((fan_in, fan_out), dtype=np.float32) * scale,
                   np.zeros(fan_out, dtype=np.float32)]
    return SimpleNamespace(X=X, onehot=onehot, params=params)


def _batches(problem: SimpleNamespace):
    for start in range(0, len(problem.X), BATCH):
        yield problem.X[start:start + BATCH], problem.onehot[start:start + BATCH]


def run_autograd_lite(problem: SimpleNamespace) -> float:
    """Train one epoch with tensor expressions and ``backward()``; return the last loss."""
    params = [ag.tensor(p.copy(), requires_grad=True) for p in problem.params]
    W1, b1, W2, b2, W3, b3 = params
    velocities = [np.zeros_like(p) for p in problem.params]
    for x, onehot in _batches(problem):
        h1 = (ag.tensor(x) @ W1 + b1).relu()
        h2 = (h1 @ W2 + b2).relu()
        log_probs = ag.log_softmax(h2 @ W3 + b3, axis=1)
        loss = -(log_probs * ag.tensor(onehot)).sum() / len(x)
        loss.backward()
        momentum_step([p.data for p in params], [p.grad.data for p in params], velocities,
                      LEARNING_RATE, MOMENTUM)
        for p in params:
            p.grad = None
    return loss.item()


def run_compiled(problem: SimpleNamespace) -> float:
    """The whole step as one ``ag.compile`` program, momentum updates in place inside it."""
    params = [ag.tensor(p.copy(), requires_grad=True) for p in problem.params]
    W1, b1, W2, b2, W3, b3 = params
    velocities = [ag.zeros_like(p) for p in problem.params]

    def step(x: np.ndarray, onehot: np.ndarray) -> ag.Tensor:
        h1 = (x @ W1 + b1).relu()
        h2 = (h1 @ W2 + b2).relu()
        log_probs = ag.log_softmax(h2 @ W3 + b3, axis=1)
        loss = -(log_probs * onehot).sum() / len(x)
        loss.backward()
        with ag.no_grad():  # momentum_step's update, PyTorch's form
            for p, v in zip(params, velocities):
                v.mul_(MOMENTUM)
                v.add_(p.grad)
                p.sub_(v * LEARNING_RATE)
                p.grad = None
        return loss

    step = ag.compile(step)
    for x, onehot in _batches(problem):
        loss = step(x, onehot)
    return loss.item()


def run_numpy(problem: SimpleNamespace) -> float:
    """Hand-written forward and backward passes on float32 arrays."""
    params = [p.copy() for p in problem.params]
    W1, b1, W2, b2, W3, b3 = params
    velocities = [np.zeros_like(p) for p in params]
    for x, onehot in _batches(problem):
        z1 = x @ W1
        z1 += b1
        h1 = np.maximum(z1, 0)
        z2 = h1 @ W2
        z2 += b2
        h2 = np.maximum(z2, 0)
        logits = h2 @ W3
        logits += b3
        logits -= logits.max(axis=1, keepdims=True)
        log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        loss = -float(np.vdot(log_probs, onehot)) / len(x)
        d_logits = np.exp(log_probs)
        d_logits -= onehot
        d_logits /= len(x)
        d_h2 = d_logits @ W3.T
        d_h2[z2 <= 0] = 0
        d_h1 = d_h2 @ W2.T
        d_h1[z1 <= 0] = 0
        grads = [x.T @ d_h1, d_h1.sum(axis=0), h1.T @ d_h2, d_h2.sum(axis=0),
                 h2.T @ d_logits, d_logits.sum(axis=0)]
        momentum_step(params, grads, velocities, LEARNING_RATE, MOMENTUM)
    return loss


def run_torch(problem: SimpleNamespace) -> float:
    """The same model in PyTorch (raises ImportError when it is not installed)."""
    import torch

    params = [torch.tensor(p, requires_grad=True) for p in problem.params]
    W1, b1, W2, b2, W3, b3 = params
    optimizer = torch.optim.SGD(params, lr=LEARNING_RATE, momentum=MOMENTUM)
    for x, onehot in _batches(problem):
        h1 = torch.relu(torch.from_numpy(x) @ W1 + b1)
        h2 = torch.relu(h1 @ W2 + b2)
        log_probs = torch.log_softmax(h2 @ W3 + b3, dim=1)
        loss = -(log_probs * torch.from_numpy(onehot)).sum() / len(x)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return loss.item()


WORKLOAD = Workload(
    name="mlp",
    description="MLP 784-256-128-10 ReLU, softmax CE, batch 128, 1 epoch, float32, momentum",
    setup=setup,
    runners={"autograd_lite": run_autograd_lite, "numpy": run_numpy, "torch": run_torch,
             "compiled": run_compiled},
    rtol=1e-4,
    target="<= 1.1x NumPy",
)
