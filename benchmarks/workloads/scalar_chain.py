"""A chain of 1,000,000 scalar ops (float32), forward and backward: time and peak memory.

The chain alternates ``h = h * SCALE`` and ``h = h - SHIFT`` from one input, so the gradient is
``SCALE ** (LENGTH / 2)`` (about 1.65): each runner returns it, which checks the backward pass.
The runner script measures this workload in a fresh process per run (``measure_once``),
because peak memory is a property of the whole process.
"""

from __future__ import annotations

import resource
import time
from types import SimpleNamespace

import numpy as np

import autograd_lite as ag

from .common import Workload

LENGTH = {"full": 1_000_000, "quick": 100_000, "tiny": 1_000}
SCALE = 1.000001
SHIFT = 1e-6


def setup(size: str) -> SimpleNamespace:
    """The chain's length and its float32 input."""
    return SimpleNamespace(length=LENGTH[size], x=np.float32(0.5))


def _chain(h, length: int):
    """The chain, written once for tensors of any framework and NumPy scalars."""
    for _ in range(length // 2):
        h = h * SCALE
        h = h - SHIFT
    return h


def run_autograd_lite(problem: SimpleNamespace) -> float:
    """Record the chain, run ``backward()``, return the input's gradient."""
    x = ag.tensor(problem.x, requires_grad=True)
    _chain(x, problem.length).backward()
    return x.grad.item()


def run_numpy(problem: SimpleNamespace) -> float:
    """Forward on float32 scalars, then the hand-written backward (the product of the scales)."""
    _chain(problem.x, problem.length)
    grad = np.float32(1.0)
    for _ in range(problem.length // 2):
        grad = grad * SCALE
    return float(grad)


def run_torch(problem: SimpleNamespace) -> float:
    """The same chain in PyTorch (raises ImportError when it is not installed)."""
    import torch

    x = torch.tensor(float(problem.x), requires_grad=True)
    _chain(x, problem.length).backward()
    return x.grad.item()


WORKLOAD = Workload(
    name="scalar_chain",
    description="chain of 1,000,000 scalar ops, fwd+bwd (time, peak memory)",
    setup=setup,
    runners={"autograd_lite": run_autograd_lite, "numpy": run_numpy, "torch": run_torch},
    rtol=1e-4,
    target="< 9 s and < 440 MB",
    in_subprocess=True,
)


def measure_once(framework: str, size: str) -> dict:
    """Run one framework once in this (fresh) process; report seconds, gradient, peak RSS in MB."""
    problem = setup(size)
    if framework == "torch_1thread":
        import torch

        torch.set_num_threads(1)
        framework = "torch"
    start = time.perf_counter()
    gradient = WORKLOAD.runners[framework](problem)
    seconds = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {"seconds": seconds, "loss": gradient, "peak_mb": peak_kib / 1024}
