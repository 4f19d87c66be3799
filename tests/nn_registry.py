"""One entry per nn layer, activation and loss: how to build it in float64, how to draw inputs
away from its kinks, which inputs to differentiate, and its output by an independent NumPy
formula. test_nn_layers.py and test_nn_losses.py run the same checks on every entry."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from op_registry import (
    GRADCHECK_TOLERANCE,
    _conv2d_reference,
    _conv_transpose2d_reference,
)

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


# --- nn.functional breadth (issue 13) ---
def _conv_module_reference(m: nn.Module, x: np.ndarray) -> np.ndarray:
    """A Conv1d/Conv2d by the op registry's NumPy loops: the border padded by ``np.pad`` (as
    the module's padding_mode, with 'same' splitting an odd total as PyTorch), a height-1
    image for Conv1d."""
    weight, bias = _w(m), _w(m, "bias")
    one_d = weight.ndim == 3
    if one_d:
        x, weight = x[:, :, None], weight[:, :, None]
    kernel, dilation = weight.shape[2:], (1,) * one_d + m.dilation
    if m.padding == "same":
        pads = [(d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2)
                for k, d in zip(kernel, dilation)]
    else:
        pads = [(p, p) for p in (0,) * one_d + m.padding]
    mode = {"zeros": "constant", "reflect": "reflect", "replicate": "edge",
            "circular": "wrap"}[m.padding_mode]
    padded = np.pad(x, [(0, 0), (0, 0)] + pads, mode=mode)
    out = _conv2d_reference(padded, weight, bias, (1,) * one_d + m.stride, (0, 0), dilation,
                            m.groups)
    return out[:, :, 0] if one_d else out


def _bins(size: int, out: int) -> list[tuple[int, int]]:
    return [(int(np.floor(i * size / out)), int(np.ceil((i + 1) * size / out)))
            for i in range(out)]


def _adaptive_average(x: np.ndarray, out: tuple[int, int]) -> np.ndarray:
    """Average over PyTorch's bins [floor(i*H/oh), ceil((i+1)*H/oh)), by loops."""
    result = np.zeros(x.shape[:2] + out)
    for i, (top, bottom) in enumerate(_bins(x.shape[2], out[0])):
        for j, (left, right) in enumerate(_bins(x.shape[3], out[1])):
            result[:, :, i, j] = x[:, :, top:bottom, left:right].mean(axis=(2, 3))
    return result


def _bilinear_aligned(x: np.ndarray, out: tuple[int, int]) -> np.ndarray:
    """align_corners=True: output pixel (i, j) samples input (i*(H-1)/(oh-1), j*(W-1)/(ow-1))
    between its four neighbours, by loops."""
    result = np.zeros(x.shape[:2] + out)
    for i in range(out[0]):
        for j in range(out[1]):
            row = i * (x.shape[2] - 1) / (out[0] - 1)
            column = j * (x.shape[3] - 1) / (out[1] - 1)
            r0, c0 = int(row), int(column)
            r1, c1 = min(r0 + 1, x.shape[2] - 1), min(c0 + 1, x.shape[3] - 1)
            dr, dc = row - r0, column - c0
            result[:, :, i, j] = ((1 - dr) * ((1 - dc) * x[:, :, r0, c0] + dc * x[:, :, r0, c1])
                                  + dr * ((1 - dc) * x[:, :, r1, c0] + dc * x[:, :, r1, c1]))
    return result


def _channel_keep(shape: tuple[int, ...], p: float) -> np.ndarray:
    """The (N, C, 1, ...) mask that ag.manual_seed(0)'s generator draws first."""
    return np.random.default_rng(0).random(shape[:2] + (1,) * (len(shape) - 2)) >= p


def _alpha_dropped(x: np.ndarray, p: float) -> np.ndarray:
    keep = np.random.default_rng(0).random(x.shape) >= p
    alpha = 1.7580993408473766
    a = ((alpha ** 2 * p + 1) * (1 - p)) ** -0.5
    return a * np.where(keep, x, -alpha) + a * alpha * p


def _off_grid(rng: np.random.Generator, *shape: int) -> np.ndarray:
    """Values in (-0.9, 0.9) off the hardtanh ends and off 0."""
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.1, 0.9, shape)


def _multi_margin(x: np.ndarray, y: np.ndarray, p: int, margin: float, weight: np.ndarray
                  ) -> np.ndarray:
    losses = []
    for row, label in zip(x, y):
        terms = [max(0.0, margin - row[label] + row[i]) ** p
                 for i in range(len(row)) if i != label]
        losses.append(weight[label] * sum(terms) / len(row))
    return np.array(losses)


def _hinge_scores() -> np.ndarray:
    """Scores whose hinge terms margin - x[y] + x[i] (margin 0.5) all lie 0.1 or more off 0."""
    return np.array([[0.3, 0.6, -0.4], [0.9, 0.1, 0.7], [-0.5, 0.4, 0.2], [0.0, 0.7, 0.65]])


def _pool_by_pytorchs_loops(x: np.ndarray, k: int, s: int, p: int, reduce: str) -> np.ndarray:
    """PyTorch's pooling loops with ceil_mode=True: window i spans [i*s - p, i*s - p + k),
    clipped to the input; the average divides by the part inside the padded input."""
    size = x.shape[2]
    out = -(-(size + 2 * p - k) // s) + 1
    if (out - 1) * s >= size + p:
        out -= 1
    result = np.zeros(x.shape[:2] + (out, out))
    for i, j in np.ndindex(out, out):
        (top, left), (bottom, right) = (i * s - p, j * s - p), (
            min(i * s - p + k, size + p), min(j * s - p + k, size + p))
        window = x[:, :, max(top, 0):min(bottom, size), max(left, 0):min(right, size)]
        result[:, :, i, j] = (window.max(axis=(2, 3)) if reduce == "max"
                              else window.sum(axis=(2, 3)) / ((bottom - top) * (right - left)))
    return result


LAYER_CASES += [
    Case("MaxPool2d with ceil_mode", lambda: build(nn.MaxPool2d(3, 2, 1, ceil_mode=True)),
         lambda rng: (rng.permutation(72).reshape(2, 1, 6, 6) / 10.0,),
         lambda m, x: _pool_by_pytorchs_loops(x, 3, 2, 1, "max")),
    Case("AvgPool2d with ceil_mode", lambda: build(nn.AvgPool2d(3, 2, 1, ceil_mode=True)),
         lambda rng: (rng.normal(size=(2, 1, 6, 6)),),
         lambda m, x: _pool_by_pytorchs_loops(x, 3, 2, 1, "mean")),
    Case("Conv1d with groups and padding='same' (even kernel, dilation)",
         lambda: build(nn.Conv1d(4, 6, 4, padding="same", dilation=2, groups=2)),
         lambda rng: (rng.normal(size=(2, 4, 7)),), _conv_module_reference),
    Case("Conv1d with stride and reflect padding",
         lambda: build(nn.Conv1d(2, 3, 3, stride=2, padding=2, padding_mode="reflect")),
         lambda rng: (rng.normal(size=(2, 2, 6)),), _conv_module_reference),
    Case("Conv2d depthwise (groups = channels)",
         lambda: build(nn.Conv2d(3, 6, 3, padding=1, groups=3)),
         lambda rng: (rng.normal(size=(2, 3, 4, 4)),), _conv_module_reference),
    Case("Conv2d with padding='same' for an even kernel, replicate border",
         lambda: build(nn.Conv2d(2, 2, (2, 3), padding="same", padding_mode="replicate")),
         lambda rng: (rng.normal(size=(1, 2, 4, 5)),), _conv_module_reference),
    Case("Conv2d with padding='valid', dilation and a circular mode",
         lambda: build(nn.Conv2d(2, 2, 2, padding=(1, 2), dilation=2, padding_mode="circular")),
         lambda rng: (rng.normal(size=(1, 2, 4, 5)),), _conv_module_reference),
    Case("ConvTranspose2d with stride, padding, output_padding and groups",
         lambda: build(nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1,
                                          groups=2)),
         lambda rng: (rng.normal(size=(1, 4, 3, 2)),),
         lambda m, x: _conv_transpose2d_reference(x, _w(m), _w(m, "bias"), (2, 2), (1, 1),
                                                  (1, 1), 2, (1, 1))),
    Case("GroupNorm", lambda: build(nn.GroupNorm(2, 4)),
         lambda rng: (rng.normal(size=(2, 4, 3, 2)),),
         lambda m, x: _normalised(x.reshape(2, 2, -1), (2,), 1e-5).reshape(x.shape)
         * _channel(_w(m), 4) + _channel(_w(m, "bias"), 4)),
    Case("InstanceNorm2d with affine parameters", lambda: build(nn.InstanceNorm2d(3, affine=True)),
         lambda rng: (rng.normal(size=(2, 3, 3, 4)),),
         lambda m, x: _normalised(x, (2, 3), 1e-5) * _channel(_w(m), 4)
         + _channel(_w(m, "bias"), 4)),
    Case("InstanceNorm2d of one image", lambda: build(nn.InstanceNorm2d(2)),
         lambda rng: (rng.normal(size=(2, 3, 3)),),
         lambda m, x: _normalised(x, (1, 2), 1e-5)),
    Case("AdaptiveAvgPool2d to overlapping bins", lambda: build(nn.AdaptiveAvgPool2d((2, 3))),
         lambda rng: (rng.normal(size=(2, 2, 5, 4)),),
         lambda m, x: _adaptive_average(x, (2, 3))),
    Case("Upsample nearest", lambda: build(nn.Upsample(scale_factor=2)),
         lambda rng: (rng.normal(size=(1, 2, 2, 3)),),
         lambda m, x: x.repeat(2, axis=2).repeat(2, axis=3)),
    Case("Upsample bilinear with align_corners", lambda: build(nn.Upsample(
        size=(4, 5), mode="bilinear", align_corners=True)),
         lambda rng: (rng.normal(size=(1, 2, 3, 3)),),
         lambda m, x: _bilinear_aligned(x, (4, 5))),
    Case("Unflatten", lambda: build(nn.Unflatten(1, (2, -1))),
         lambda rng: (rng.normal(size=(3, 6)),), lambda m, x: x.reshape(3, 2, 3)),
    Case("Dropout1d in training", lambda: build(nn.Dropout1d(0.4)),
         lambda rng: (rng.normal(size=(3, 4, 5)),),
         lambda m, x: x * _channel_keep(x.shape, 0.4) / 0.6),
    Case("Dropout2d in training", lambda: build(nn.Dropout2d(0.5)),
         lambda rng: (rng.normal(size=(2, 6, 2, 2)),),
         lambda m, x: x * _channel_keep(x.shape, 0.5) / 0.5),
    Case("Dropout2d in eval", lambda: build(nn.Dropout2d(0.5), train=False),
         lambda rng: (rng.normal(size=(2, 6, 2, 2)),), lambda m, x: x),
    Case("AlphaDropout in training", lambda: build(nn.AlphaDropout(0.3)),
         lambda rng: (rng.normal(size=(4, 5)),), lambda m, x: _alpha_dropped(x, 0.3)),
    Case("CosineSimilarity along the last axis", lambda: build(nn.CosineSimilarity(axis=-1)),
         lambda rng: (rng.normal(size=(3, 4)), rng.normal(size=(3, 4))),
         lambda m, a, b: (a * b).sum(-1) / np.linalg.norm(a, axis=-1)
         / np.linalg.norm(b, axis=-1), wrt=(0, 1)),
    Case("PairwiseDistance p=3", lambda: build(nn.PairwiseDistance(p=3.0)),
         lambda rng: (rng.normal(size=(3, 4)), rng.normal(size=(3, 4))),
         lambda m, a, b: (np.abs(a - b + 1e-6) ** 3).sum(-1) ** (1 / 3), wrt=(0, 1)),
    Case("PReLU per channel", lambda: build(nn.PReLU(3)),
         lambda rng: (away_from_zero(rng, 2, 3, 2),),
         lambda m, x: np.where(x > 0, x, _w(m).reshape(1, 3, 1) * x)),
]

ACTIVATION_CASES += [
    Case("Hardtanh", lambda: nn.Hardtanh(-0.5, 0.6),
         lambda rng: (np.array([[-1.2, -0.3, 0.2, 0.55], [0.8, -0.7, 0.1, -0.45]]),),
         lambda m, x: np.clip(x, -0.5, 0.6)),
    Case("Hardtanh inside its range", nn.Hardtanh, lambda rng: (_off_grid(rng, 3, 4),),
         lambda m, x: x),
    Case("Mish", nn.Mish, lambda rng: (away_from_zero(rng, 3, 4) * 3,),
         lambda m, x: x * np.tanh(np.log1p(np.exp(x)))),
    Case("PReLU shared slope", lambda: build(nn.PReLU()),
         lambda rng: (away_from_zero(rng, 3, 4),),
         lambda m, x: np.where(x > 0, x, _w(m) * x)),
]

LOSS_CASES += [
    Case("KLDivLoss batchmean", lambda: nn.KLDivLoss(reduction="batchmean"),
         lambda rng: (_log_softmax(rng.normal(size=(3, 4)), 1),
                      np.array([[0.1, 0.2, 0.3, 0.4], [0.0, 0.5, 0.5, 0.0],
                                [0.25, 0.25, 0.25, 0.25]])),
         lambda m, x, t: np.sum(np.where(t > 0, t * (np.log(np.where(t > 0, t, 1)) - x), 0))
         / 3),
    Case("KLDivLoss with log targets, none", lambda: nn.KLDivLoss(reduction="none",
                                                                  log_target=True),
         lambda rng: (rng.normal(size=(2, 3)), rng.normal(size=(2, 3))),
         lambda m, x, t: np.exp(t) * (t - x), wrt=(0, 1)),
    Case("MarginRankingLoss", lambda: nn.MarginRankingLoss(margin=0.5),
         lambda rng: (np.array([0.3, 1.5, -0.2, 0.9]), np.array([0.1, 0.4, 0.6, -1.0]),
                      np.array([1.0, -1.0, 1.0, 1.0])),
         lambda m, a, b, y: np.maximum(0, -y * (a - b) + 0.5).mean(), wrt=(0, 1)),
    Case("TripletMarginLoss", lambda: nn.TripletMarginLoss(margin=1.0, reduction="sum"),
         lambda rng: (np.array([[0.0, 0.0], [1.0, 1.0], [0.5, -0.5]]),
                      np.array([[0.3, 0.4], [1.5, 1.0], [2.0, 1.0]]),
                      np.array([[1.0, 0.5], [1.0, 1.2], [0.4, -0.3]])),
         lambda m, a, p, n: np.maximum(
             np.linalg.norm(a - p + 1e-6, axis=1) - np.linalg.norm(a - n + 1e-6, axis=1) + 1.0,
             0).sum(), wrt=(0, 1, 2)),
    Case("TripletMarginLoss with swap and p=1", lambda: nn.TripletMarginLoss(
        margin=0.5, p=1, swap=True),
         lambda rng: (np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([[0.3, 0.4], [1.5, 1.0]]),
                      np.array([[0.6, 0.1], [1.0, 1.2]])),
         lambda m, a, p, n: np.maximum(
             np.abs(a - p + 1e-6).sum(1) - np.minimum(np.abs(a - n + 1e-6).sum(1),
                                                       np.abs(p - n + 1e-6).sum(1)) + 0.5,
             0).mean(), wrt=(0, 1, 2)),
    Case("MultiMarginLoss (the SVM loss)", lambda: nn.MultiMarginLoss(margin=0.5),
         lambda rng: (_hinge_scores(), np.array([1, 0, 2, 1])),
         lambda m, x, y: _multi_margin(x, y, 1, 0.5, np.ones(3)).mean()),
    Case("MultiMarginLoss squared, weighted, summed", lambda: nn.MultiMarginLoss(
        p=2, margin=0.5, weight=np.array([0.5, 2.0, 1.0]), reduction="sum"),
         lambda rng: (_hinge_scores(), np.array([1, 0, 2, 1])),
         lambda m, x, y: _multi_margin(x, y, 2, 0.5, np.array([0.5, 2.0, 1.0])).sum()),
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
