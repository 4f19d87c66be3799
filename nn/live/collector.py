"""Training-health statistics of one sampled step: per layer and per parameter.

The recipe of the makemore lectures: for each layer the histogram, mean and standard deviation
of its activations and of their gradients and the fraction of saturated tanh/sigmoid units; for
each parameter the update:data ratio ``std(update) / std(data)`` (healthy near 1e-3) on a log
scale. A step is sampled by recording it (``ag.viz.StepRecording``): every op output made in it
keeps its gradient and its inputs, so that after ``backward()`` the layers' activations, their
gradients and the graph (``nn.live.graph``) can still be read. Nothing here runs on steps that
are not sampled.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from autograd_lite import Tensor
from autograd_lite.viz import ModuleRun, module_runs

BINS = 30
# makemore's threshold: |tanh| > 0.97 is a unit in the flat tail, passing almost no gradient.
SATURATED = 0.97
MAX_LAYERS = 32


def summary(array: np.ndarray, saturation: str | None = None) -> dict[str, Any]:
    """Mean, std, histogram (``BINS`` bins between ``lo`` and ``hi``) and the count of NaN/Inf
    of ``array`` (statistics over its finite values); with ``saturation`` "tanh" or
    "sigmoid", also ``saturated``: the fraction of units in the flat tails."""
    values = np.asarray(array, dtype=np.float64).ravel()
    finite = np.isfinite(values)
    nonfinite = int(values.size - np.count_nonzero(finite))
    if nonfinite:
        values = values[finite]
    result: dict[str, Any] = {"size": int(array.size), "nonfinite": nonfinite}
    if values.size == 0:
        result.update(mean=None, std=None, lo=0.0, hi=0.0, hist=[])
        return result
    lo, hi = float(values.min()), float(values.max())
    # Values equal up to rounding (a saturated layer) cannot be split into BINS bins.
    spread = hi - lo > 1e-9 * max(abs(lo), abs(hi), 1e-300)
    counts, _ = np.histogram(values, bins=BINS, range=(lo, hi) if spread else (lo - 0.5, lo + 0.5))
    result.update(mean=float(values.mean()), std=float(values.std()), lo=lo, hi=hi,
                  hist=counts.tolist())
    if saturation == "tanh":
        result["saturated"] = float(np.mean(np.abs(values) > SATURATED))
    elif saturation == "sigmoid":
        result["saturated"] = float(np.mean(np.abs(2 * values - 1) > SATURATED))
    return result


def layer_outputs(tensors: list[Tensor], loss: Tensor | None = None
                  ) -> dict[str, list[ModuleRun]]:
    """The activations of a recorded step, by layer title, in forward order.

    A layer is a run of consecutive ops in one module call (or ``name_scope``,
    ``ag.viz.module_runs``); its activation is the run's last output (a Linear's ``add``, a
    Tanh's ``tanh``). Ops outside every module and a run that ends in ``loss`` (a loss
    module's) are not a layer. A module with ops of its own between its children's (a ReLU
    called as a function in ``forward``) gets one entry per op kind (``: MLP · relu``);
    repeated calls of one module (a recurrent cell) share an entry.
    """
    layers: dict[str, list[ModuleRun]] = {}
    for run in module_runs(tensors):
        if run.output is loss:
            continue
        title = f"{run.title} \u00b7 {run.op}" if run.calls_others else run.title
        if title in layers or len(layers) < MAX_LAYERS:
            layers.setdefault(title, []).append(run)
    return layers


def _stack(arrays: list[np.ndarray]) -> np.ndarray:
    return arrays[0] if len(arrays) == 1 else np.concatenate([a.ravel() for a in arrays])


def layer_stats(tensors: list[Tensor], loss: Tensor | None = None) -> list[dict[str, Any]]:
    """Per layer of a recorded step (after its backward): its name, the op that made its
    activation, and the ``summary`` of the activations and of their gradients (None when no
    gradient reached them); ``loss`` as in ``layer_outputs``."""
    stats = []
    for title, runs in layer_outputs(tensors, loss).items():
        op, outputs = runs[-1].op, [run.output for run in runs]
        grads = [t.grad._data for t in outputs if t.grad is not None]
        stats.append({
            "name": title, "op": op,
            "act": summary(_stack([t._data for t in outputs]),
                           op if op in ("tanh", "sigmoid") else None),
            "grad": summary(_stack(grads)) if grads else None,
        })
    return stats


def parameter_stats(parameters: Mapping[str, Tensor], before: Mapping[str, np.ndarray]
                    ) -> list[dict[str, Any]]:
    """Per parameter: the norm of its gradient, the count of NaN/Inf in data and gradient, and
    ``log10_ratio``, log10 of ``std(data - before) / std(before)`` for the update this step
    made (None when ``before`` lacks it, or its std or the update is exactly 0)."""
    stats = []
    for name, parameter in parameters.items():
        data = parameter._data
        grad = None if parameter.grad is None else parameter.grad._data
        nonfinite = int(data.size - np.count_nonzero(np.isfinite(data)))
        grad_norm = None
        if grad is not None:
            nonfinite += int(grad.size - np.count_nonzero(np.isfinite(grad)))
            grad_norm = float(np.sqrt(np.sum(np.square(grad, dtype=np.float64))))
        ratio = None
        old = before.get(name)
        if old is not None and old.shape == data.shape and old.size > 1:
            scale = float(np.std(old, dtype=np.float64))
            step = float(np.std(data - old, dtype=np.float64))
            if scale > 0 and step > 0 and math.isfinite(step / scale):
                ratio = math.log10(step / scale)
        stats.append({"name": name, "shape": list(data.shape), "grad_norm": grad_norm,
                      "nonfinite": nonfinite, "log10_ratio": ratio})
    return stats


def named_parameters(model: Any) -> dict[str, Tensor]:
    """``name -> parameter`` of a module (duck-typed: ``named_parameters()``); {} otherwise."""
    method = getattr(model, "named_parameters", None)
    return dict(method()) if callable(method) else {}
