"""A chain of 100 small (8x8, float32) elementwise ops: autograd_lite forward + backward
against NumPy's forward alone, which shows the per-op overhead of recording and replaying.

The chain cycles through ``h * a``, ``h + b``, ``tanh(h)``, ``sin(h)``; it is evaluated
``REPEATS[size]`` times per run so that a run lasts long enough to time.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

import autograd_lite as ag

from .common import Workload

LENGTH = 100
SHAPE = (8, 8)
REPEATS = {"full": 2_000, "quick": 300, "tiny": 2}


def setup(size: str) -> SimpleNamespace:
    """Random float32 input and constants."""
    random = np.random.default_rng(0)
    x, a, b = (random.standard_normal(SHAPE, dtype=np.float32) for _ in range(3))
    return SimpleNamespace(x=x, a=a, b=b, repeats=REPEATS[size])


def _chain(xp, h, a, b):
    """The op chain, written once for any namespace with tanh and sin (NumPy, autograd_lite)."""
    steps = (lambda h: h * a, lambda h: h + b, xp.tanh, xp.sin)
    for i in range(LENGTH):
        h = steps[i % len(steps)](h)
    return h


def run_autograd_lite(problem: SimpleNamespace) -> float:
    """Forward and backward through the chain; return the sum of the last output."""
    a, b = ag.tensor(problem.a), ag.tensor(problem.b)
    for _ in range(problem.repeats):
        x = ag.tensor(problem.x, requires_grad=True)
        total = _chain(ag, x, a, b).sum()
        total.backward()
    return total.item()


def run_compiled(problem: SimpleNamespace) -> float:
    """Forward and backward through the chain as one ``ag.compile`` program."""
    a, b = ag.tensor(problem.a), ag.tensor(problem.b)

    def step(x: ag.Tensor) -> ag.Tensor:
        total = _chain(ag, x, a, b).sum()
        total.backward()
        return total

    step = ag.compile(step)
    for _ in range(problem.repeats):
        x = ag.tensor(problem.x, requires_grad=True)
        total = step(x)
    return total.item()


def run_numpy(problem: SimpleNamespace) -> float:
    """Forward only; return the sum of the last output."""
    for _ in range(problem.repeats):
        total = _chain(np, problem.x, problem.a, problem.b).sum()
    return float(total)


def run_torch(problem: SimpleNamespace) -> float:
    """Forward and backward in PyTorch (raises ImportError when it is not installed)."""
    import torch

    a, b = torch.from_numpy(problem.a), torch.from_numpy(problem.b)
    for _ in range(problem.repeats):
        x = torch.tensor(problem.x, requires_grad=True)
        total = _chain(torch, x, a, b).sum()
        total.backward()
    return total.item()


WORKLOAD = Workload(
    name="op_chain",
    description="chain of 100 elementwise 8x8 ops, fwd+bwd vs NumPy fwd only",
    setup=setup,
    runners={"autograd_lite": run_autograd_lite, "numpy": run_numpy, "torch": run_torch,
             "compiled": run_compiled},
    rtol=1e-5,
    target="<= 6x NumPy forward",
)
