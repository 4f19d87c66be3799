"""Gradient checkpointing on a deep MLP: time and peak activation memory, with and without.

32 layers of 1024 units with ReLU, batch 256, float32, one forward and backward pass of the
mean squared output. ``deep_mlp`` runs the plain model; ``deep_mlp_checkpoint`` (in its own
module, since the runner script imports a subprocess workload's module by its name) runs it
through ``nn.utils.checkpoint_sequential`` with 6 segments (about sqrt(32)), which keeps only
the segments' inputs and recomputes each segment once in backward. The memory shown is the
activation memory: tracemalloc's peak (NumPy reports its allocations to it) from the start of
the step to the end of the forward pass, i.e. what the graph holds for backward. ``measure``
also returns the peak of the whole step (``step_peak_mb``, not in the table), which is about the
same for both: the backward walk holds every parameter's gradient until it ends (as much memory
as the parameters), which hides the activations. Each run is a fresh process. The NumPy
baseline is the hand-written backprop of the plain model (its memory is not shown).
"""

from __future__ import annotations

import time
import tracemalloc
from types import SimpleNamespace

import numpy as np

import autograd_lite as ag
import nn

from .common import Workload

# depth, width, batch
SIZES = {"full": (32, 1024, 256), "quick": (16, 512, 128), "tiny": (4, 16, 8)}
SEGMENTS = {"full": 6, "quick": 4, "tiny": 2}


def setup(size: str) -> SimpleNamespace:
    """He-initialised float32 weights (out, in), a standard normal batch, and the model."""
    depth, width, batch = SIZES[size]
    random = np.random.default_rng(0)
    scale = np.float32(np.sqrt(2.0 / width))
    weights = [random.standard_normal((width, width), dtype=np.float32) * scale
               for _ in range(depth)]
    modules = []
    for w in weights:
        linear = nn.Linear(width, width)
        linear.weight.data = w.copy()
        linear.bias.data = np.zeros(width, dtype=np.float32)
        modules += [linear, nn.ReLU()]
    model = nn.Sequential(*modules)
    for p in model.parameters():
        p.grad = ag.zeros_like(p)
    return SimpleNamespace(weights=weights, model=model, segments=SEGMENTS[size],
                           x=random.standard_normal((batch, width), dtype=np.float32))


def runner(checkpointed: bool):
    """The autograd_lite runner: one step, returning the loss plus the first weight's gradient."""

    def run(problem: SimpleNamespace, after_forward=lambda: None) -> float:
        for p in problem.model.parameters():
            p.grad.data.fill(0)
        x = ag.tensor(problem.x)
        if checkpointed:
            out = nn.utils.checkpoint_sequential(problem.model, problem.segments, x)
        else:
            out = problem.model(x)
        loss = (out * out).mean()
        after_forward()
        loss.backward()
        return loss.item() + float(problem.model[0].weight.grad.numpy().sum())

    return run


def run_numpy(problem: SimpleNamespace, after_forward=lambda: None) -> float:
    """Hand-written forward (keeping every activation) and backward of the same model."""
    activations = [problem.x]
    for w in problem.weights:
        activations.append(np.maximum(activations[-1] @ w.T, 0))
    out = activations[-1]
    loss = float(np.mean(out * out))
    after_forward()
    grad = 2 * out / out.size
    for w, before, after in zip(reversed(problem.weights), reversed(activations[:-1]),
                                reversed(activations[1:])):
        grad = grad * (after > 0)
        grad_w = grad.T @ before
        grad = grad @ w
    return loss + float(grad_w.sum())


def measure(workload: Workload, framework: str, size: str) -> dict:
    """Run ``framework`` once timed, then autograd_lite once more under tracemalloc: seconds,
    loss, and for autograd_lite the peaks in MB (the table shows no memory for NumPy)."""
    problem = setup(size)
    run = workload.runners[framework]
    start = time.perf_counter()
    loss = run(problem)
    seconds = time.perf_counter() - start
    if framework != "autograd_lite":
        return {"seconds": seconds, "loss": loss}
    forward_peak = []
    tracemalloc.start()  # traces what is allocated from here on: the step's own memory
    run(problem, lambda: forward_peak.append(tracemalloc.get_traced_memory()[1]))
    step_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"seconds": seconds, "loss": loss, "peak_mb": forward_peak[0] / 2 ** 20,
            "step_peak_mb": step_peak / 2 ** 20}


WORKLOAD = Workload(
    name="deep_mlp",
    description="MLP 32x1024 ReLU, batch 256, fwd+bwd (time, activation memory)",
    setup=setup, runners={"autograd_lite": runner(False), "numpy": run_numpy}, rtol=1e-4,
    target="(compare with checkpointed)", in_subprocess=True)


def measure_once(framework: str, size: str) -> dict:
    """One run of ``framework`` in this (fresh) process."""
    return measure(WORKLOAD, framework, size)
