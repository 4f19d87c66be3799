"""One entry per nn layer, activation and loss: how to build it in float64, how to draw inputs
away from its kinks, which inputs to differentiate, and its output by an independent NumPy
formula. test_nn_layers.py and test_nn_losses.py run the same checks on every entry."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from op_registry import GRADCHECK_TOLERANCE

import autograd_lite as ag
import nn


@dataclass(frozen=True)
class Case:
    name: str
    make: Callable[[], nn.Module]
    inputs: Callable[[np.random.Generator], tuple]
    reference: Callable[..., np.ndarray]  # (module, *inputs) -> expected output
    wrt: tuple[int, ...] = (0,)  # indices of the inputs whose gradient is checked


def build(module: nn.Module, train: bool = True) -> nn.Module:
    """The module in float64 with every parameter moved off its default (ones, zeros) values."""
    module.to(np.float64).train(train)
    rng = np.random.default_rng(1)
    for param in module.parameters():
        param.data[...] = rng.uniform(0.5, 1.5, param.shape)
    return module


def call_with_parameters(module: nn.Module, parameters: list, *inputs):
    """Call ``module`` with its parameters temporarily replaced by ``parameters`` (in
    ``module.parameters()`` order), so that gradcheck can perturb them as inputs."""
    slots = [(owner, name) for _, owner in module.named_modules()
             for name, p in owner._parameters.items() if p is not None]
    originals = [owner._parameters[name] for owner, name in slots]
    for (owner, name), replacement in zip(slots, parameters):
        owner._parameters[name] = replacement
    try:
        ag.manual_seed(0)  # dropout draws the same mask on every evaluation
        return module(*inputs)
    finally:
        for (owner, name), original in zip(slots, originals):
            owner._parameters[name] = original


def away_from_zero(rng: np.random.Generator, *shape: int) -> np.ndarray:
    """Values in [-2, -0.2] U [0.2, 2]: off the kinks at 0 of relu, abs and the like."""
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.2, 2.0, shape)


def _w(module: nn.Module, name: str = "weight") -> np.ndarray:
    return getattr(module, name).data


def _normalised(x: np.ndarray, axes: tuple[int, ...], eps: float) -> np.ndarray:
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps)


def _channel(v: np.ndarray, ndim: int) -> np.ndarray:
    return v.reshape((1, -1) + (1,) * (ndim - 2))


def _log_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _eval_batchnorm() -> nn.Module:
    module = build(nn.BatchNorm1d(3), train=False)
    module.running_mean.data[...] = [0.5, -1.0, 2.0]
    module.running_var.data[...] = [0.25, 4.0, 1.5]
    return module


LAYER_CASES = [
    Case("Linear", lambda: build(nn.Linear(3, 4)),
         lambda rng: (rng.normal(size=(2, 3)),),
         lambda m, x: x @ _w(m).T + _w(m, "bias")),
    Case("Linear without bias on a batch of sequences", lambda: build(nn.Linear(3, 2, bias=False)),
         lambda rng: (rng.normal(size=(2, 4, 3)),),
         lambda m, x: np.einsum("bti,oi->bto", x, _w(m))),
    Case("Identity", lambda: build(nn.Identity()), lambda rng: (rng.normal(size=(2, 3)),),
         lambda m, x: x),
    Case("Flatten", lambda: build(nn.Flatten()), lambda rng: (rng.normal(size=(2, 3, 2)),),
         lambda m, x: x.reshape(2, 6)),
    Case("Dropout in training", lambda: build(nn.Dropout(0.3)),
         lambda rng: (rng.normal(size=(4, 5)),),
         lambda m, x: x * (np.random.default_rng(0).random(x.shape) >= 0.3) / 0.7),
    Case("Dropout in eval", lambda: build(nn.Dropout(0.3), train=False),
         lambda rng: (rng.normal(size=(4, 5)),), lambda m, x: x),
    Case("BatchNorm1d in training", lambda: build(nn.BatchNorm1d(3)),
         lambda rng: (rng.normal(size=(4, 3)),),
         lambda m, x: _normalised(x, (0,), 1e-5) * _w(m) + _w(m, "bias")),
    Case("BatchNorm1d in training on sequences", lambda: build(nn.BatchNorm1d(2)),
         lambda rng: (rng.normal(size=(3, 2, 4)),),
         lambda m, x: _normalised(x, (0, 2), 1e-5) * _channel(_w(m), 3)
         + _channel(_w(m, "bias"), 3)),
    Case("BatchNorm1d in eval", _eval_batchnorm, lambda rng: (rng.normal(size=(4, 3)),),
         lambda m, x: (x - [0.5, -1.0, 2.0]) / np.sqrt(np.array([0.25, 4.0, 1.5]) + 1e-5)
         * _w(m) + _w(m, "bias")),
    Case("BatchNorm2d in training", lambda: build(nn.BatchNorm2d(2)),
         lambda rng: (rng.normal(size=(2, 2, 3, 3)),),
         lambda m, x: _normalised(x, (0, 2, 3), 1e-5) * _channel(_w(m), 4)
         + _channel(_w(m, "bias"), 4)),
    Case("LayerNorm", lambda: build(nn.LayerNorm(4)), lambda rng: (rng.normal(size=(3, 4)),),
         lambda m, x: _normalised(x, (1,), 1e-5) * _w(m) + _w(m, "bias")),
    Case("LayerNorm over two axes", lambda: build(nn.LayerNorm((2, 3))),
         lambda rng: (rng.normal(size=(2, 2, 3)),),
         lambda m, x: _normalised(x, (1, 2), 1e-5) * _w(m) + _w(m, "bias")),
    Case("Embedding", lambda: build(nn.Embedding(5, 3)),
         lambda rng: (np.array([[0, 4, 4], [1, 0, 2]]),),
         lambda m, idx: _w(m)[idx], wrt=()),
]

_SQRT_2_OVER_PI = np.sqrt(2 / np.pi)
_erf = np.vectorize(math.erf, otypes=[np.float64])  # the exact GELU's reference

ACTIVATION_CASES = [
    Case(name, make, lambda rng: (away_from_zero(rng, 3, 4),), reference)
    for name, make, reference in [
        ("ReLU", nn.ReLU, lambda m, x: np.maximum(x, 0)),
        ("LeakyReLU", lambda: nn.LeakyReLU(0.1), lambda m, x: np.where(x > 0, x, 0.1 * x)),
        ("ELU", lambda: nn.ELU(0.7), lambda m, x: np.where(x > 0, x, 0.7 * np.expm1(x))),
        ("GELU", nn.GELU, lambda m, x: 0.5 * x * (1 + _erf(x / np.sqrt(2)))),
        ("GELU tanh", lambda: nn.GELU(approximate="tanh"), lambda m, x: 0.5 * x * (1 + np.tanh(
            _SQRT_2_OVER_PI * (x + 0.044715 * x**3)))),
        ("SiLU", nn.SiLU, lambda m, x: x / (1 + np.exp(-x))),
        ("Tanh", nn.Tanh, lambda m, x: np.tanh(x)),
        ("Sigmoid", nn.Sigmoid, lambda m, x: 1 / (1 + np.exp(-x))),
        ("Softplus", lambda: nn.Softplus(beta=2.0), lambda m, x: np.log1p(np.exp(2 * x)) / 2),
        ("Softmax", lambda: nn.Softmax(axis=0),
         lambda m, x: np.exp(x) / np.exp(x).sum(axis=0, keepdims=True)),
        ("LogSoftmax", nn.LogSoftmax, lambda m, x: _log_softmax(x, -1)),
    ]
]


def _ce_rows(logits: np.ndarray, target: np.ndarray, weight: np.ndarray, smoothing: float
             ) -> tuple[np.ndarray, np.ndarray]:
    """Per-row (label-smoothed, weighted) cross-entropy and the weight of each row's target."""
    logp = _log_softmax(logits, 1)
    classes = logits.shape[1]
    picked = -logp[np.arange(len(target)), target] * weight[target]
    smooth = -(logp * weight).sum(axis=1)
    return (1 - smoothing) * picked + smoothing / classes * smooth, weight[target]


def _ce_with_ignored(logits, target):
    counted = target != 2
    losses, weights = _ce_rows(logits[counted], target[counted], np.array([1.0, 2.0, 0.5, 1.0]),
                               0.2)
    return losses.sum() / weights.sum()


def _probabilities(rng, *shape):
    p = rng.uniform(0.1, 1.0, shape)
    return p / p.sum(axis=1, keepdims=True)


LOSS_CASES = [
    Case("MSELoss", nn.MSELoss, lambda rng: (rng.normal(size=(3, 2)), rng.normal(size=(3, 2))),
         lambda m, x, t: ((x - t) ** 2).mean(), wrt=(0, 1)),
    Case("MSELoss sum", lambda: nn.MSELoss(reduction="sum"),
         lambda rng: (rng.normal(size=(3, 2)), rng.normal(size=(3, 2))),
         lambda m, x, t: ((x - t) ** 2).sum(), wrt=(0, 1)),
    Case("L1Loss none", lambda: nn.L1Loss(reduction="none"),
         lambda rng: (away_from_zero(rng, 4), np.zeros(4)),
         lambda m, x, t: np.abs(x - t), wrt=(0,)),
    Case("HuberLoss", lambda: nn.HuberLoss(delta=0.5),
         lambda rng: (np.array([0.1, -0.3, 0.9, -2.0, 1.4]), np.zeros(5)),
         lambda m, x, t: np.where(np.abs(x) < 0.5, 0.5 * x**2, 0.5 * (np.abs(x) - 0.25)).mean()),
    Case("SmoothL1Loss", lambda: nn.SmoothL1Loss(beta=0.5),
         lambda rng: (np.array([0.1, -0.3, 0.9, -2.0, 1.4]), np.zeros(5)),
         lambda m, x, t: np.where(np.abs(x) < 0.5, x**2, np.abs(x) - 0.25).mean()),
    Case("BCELoss", nn.BCELoss,
         lambda rng: (rng.uniform(0.1, 0.9, (3, 2)), rng.integers(0, 2, (3, 2)) * 1.0),
         lambda m, p, t: -(t * np.log(p) + (1 - t) * np.log(1 - p)).mean()),
    Case("BCELoss with weight, summed",
         lambda: nn.BCELoss(weight=ag.tensor(np.array([1.0, 3.0])), reduction="sum"),
         lambda rng: (rng.uniform(0.1, 0.9, (3, 2)), rng.uniform(0, 1, (3, 2))),
         lambda m, p, t: (-(t * np.log(p) + (1 - t) * np.log(1 - p)) * [1.0, 3.0]).sum(),
         wrt=(0, 1)),
    Case("BCEWithLogitsLoss with pos_weight",
         lambda: nn.BCEWithLogitsLoss(pos_weight=ag.tensor(np.array([2.0, 0.5]))),
         lambda rng: (rng.normal(size=(3, 2)) * 3, rng.uniform(0, 1, (3, 2))),
         lambda m, x, t: -(np.array([2.0, 0.5]) * t * np.log(1 / (1 + np.exp(-x)))
                           + (1 - t) * np.log(1 - 1 / (1 + np.exp(-x)))).mean(), wrt=(0, 1)),
    Case("CrossEntropyLoss", nn.CrossEntropyLoss,
         lambda rng: (rng.normal(size=(4, 3)), np.array([0, 2, 1, 2])),
         lambda m, x, t: -_log_softmax(x, 1)[np.arange(4), t].mean()),
    Case("CrossEntropyLoss with weight, label_smoothing and ignore_index",
         lambda: nn.CrossEntropyLoss(weight=np.array([1.0, 2.0, 0.5, 1.0]), ignore_index=2,
                                     label_smoothing=0.2),
         lambda rng: (rng.normal(size=(5, 4)), np.array([0, 2, 1, 3, 2])),
         lambda m, x, t: _ce_with_ignored(x, t)),
    Case("CrossEntropyLoss over spatial positions, none",
         lambda: nn.CrossEntropyLoss(reduction="none"),
         lambda rng: (rng.normal(size=(2, 3, 4)), np.array([[0, 1, 2, 1], [2, 2, 0, 1]])),
         lambda m, x, t: -np.take_along_axis(_log_softmax(x, 1), t[:, None], 1)[:, 0]),
    Case("CrossEntropyLoss with class probabilities",
         lambda: nn.CrossEntropyLoss(label_smoothing=0.1),
         lambda rng: (rng.normal(size=(4, 3)), _probabilities(rng, 4, 3)),
         lambda m, x, p: -((0.9 * p + 0.1 / 3) * _log_softmax(x, 1)).sum(axis=1).mean(),
         wrt=(0, 1)),
    Case("NLLLoss with weight", lambda: nn.NLLLoss(weight=np.array([0.5, 1.0, 3.0])),
         lambda rng: (_log_softmax(rng.normal(size=(4, 3)), 1), np.array([0, 2, 2, 1])),
         lambda m, x, t: -(x[np.arange(4), t] * np.array([0.5, 1.0, 3.0])[t]).sum()
         / np.array([0.5, 1.0, 3.0])[t].sum()),
]


def _tensors(case: Case, arrays: tuple) -> list:
    return [ag.tensor(a, requires_grad=i in case.wrt) if np.asarray(a).dtype.kind == "f"
            else a for i, a in enumerate(arrays)]


def check_forward(case: Case) -> None:
    """The module's output equals the case's NumPy formula (float64, tight tolerance)."""
    module = case.make()
    arrays = case.inputs(np.random.default_rng(0))
    ag.manual_seed(0)
    out = module(*_tensors(case, arrays))
    expected = case.reference(module, *arrays)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.data, expected, rtol=1e-10, atol=1e-12)


def check_gradients(case: Case) -> None:
    """Gradcheck in float64 with respect to the chosen inputs and every parameter."""
    module = case.make()
    inputs = _tensors(case, case.inputs(np.random.default_rng(0)))
    parameters = [ag.tensor(p.data, requires_grad=True) for p in module.parameters()]
    count = len(inputs)
    checked = [x for x in inputs + parameters if isinstance(x, ag.Tensor) and x.requires_grad]
    out = call_with_parameters(module, parameters, *inputs)
    # Every checked tensor must reach the output, or a zero gradient would pass unnoticed.
    assert checked and all(g is not None for g in ag.grad(out.sum(), checked, allow_unused=True))
    assert ag.gradcheck(
        lambda *args: call_with_parameters(module, list(args[count:]), *args[:count]),
        inputs + parameters, **GRADCHECK_TOLERANCE)
