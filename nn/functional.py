"""Activations, layers and losses as plain functions, composed only from autograd_lite ops.

No derivative is written here: every gradient comes from the primitives these functions call.
The modules in ``nn.layers`` and ``nn.losses`` are thin wrappers that hold the parameters and
options and call these functions.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import autograd_lite as ag
from autograd_lite import Tensor
from autograd_lite.spellings import torch_spellings
from autograd_lite.tensor import as_input, as_inputs

# The names from other files are re-exported as F.conv2d, F.pad, ...
from .activations import hardtanh, mish, prelu  # noqa: F401 - issue 13
from .attention import scaled_dot_product_attention  # noqa: F401 - sequence models (issue 13)
from .conv import avg_pool2d, conv1d, conv2d, conv_transpose2d, max_pool2d  # noqa: F401
from .distance import cosine_similarity, normalize, pairwise_distance  # noqa: F401 - issue 13
from .dropout import alpha_dropout, dropout1d, dropout2d, feature_alpha_dropout  # noqa: F401
from .inputs import layer_input
from .normalization import group_norm, instance_norm  # noqa: F401 - issue 13
from .resampling import adaptive_avg_pool2d, interpolate, pad  # noqa: F401 - issue 13

REDUCTIONS = ("mean", "sum", "none")
RUNNING_STATISTICS = "BatchNorm running statistics"  # the writer named by backward's errors


def _constant_like(value: Any, x: Tensor) -> Any:
    """A non-tensor option (class weights, pos_weight) as an array of x's dtype, so that a
    float64 NumPy weight does not turn a float32 loss into float64."""
    return value if isinstance(value, Tensor) else np.asarray(value, dtype=x.dtype)


# --- activations ---------------------------------------------------------------------------


def relu(x: Any) -> Tensor:
    """max(x, 0) elementwise; the gradient at 0 is 0."""
    return ag.relu(x)


def leaky_relu(x: Any, negative_slope: float = 0.01) -> Tensor:
    """x for x > 0, ``negative_slope * x`` otherwise."""
    return ag.leaky_relu(x, negative_slope)


def elu(x: Any, alpha: float = 1.0) -> Tensor:
    """x for x > 0, ``alpha * (exp(x) - 1)`` otherwise (the gradient at 0 is ``alpha``)."""
    x = as_input(x, "elu")
    # exp of x only where x <= 0 (0 elsewhere), so that large positive x never overflows in the
    # unused branch and the gradient at 0 is alpha.
    negative_part = ag.where(x > 0, 0.0, x)
    return ag.where(x > 0, x, (ag.exp(negative_part) - 1.0) * alpha)


GELU_APPROXIMATIONS = ("none", "tanh")


def check_gelu_approximation(approximate: str, where: str) -> None:
    """Raise ValueError unless ``approximate`` is 'none' (exact) or 'tanh', PyTorch's values."""
    if approximate not in GELU_APPROXIMATIONS:
        raise ValueError(f"{where}: approximate={approximate!r} is not a GELU form; use "
                         f"approximate='none' (exact, the default) or approximate='tanh'")


def gelu(x: Any, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit x * Phi(x), Phi the standard normal CDF (PyTorch's default).

    ``approximate='none'`` computes it exactly, as x * erfc(-x / sqrt(2)) / 2 (equal to
    x (1 + erf(x / sqrt(2))) / 2, without its cancellation for large negative x);
    ``approximate='tanh'`` gives 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x**3))), as in
    PyTorch. Any shape. Raises ValueError for another ``approximate``.
    """
    check_gelu_approximation(approximate, "gelu")
    x = as_input(x, "gelu")
    if approximate == "none":
        return x * ag.erfc(x * -math.sqrt(0.5)) * 0.5
    inner = (x + x * x * x * 0.044715) * math.sqrt(2.0 / math.pi)
    return x * (ag.tanh(inner) + 1.0) * 0.5


def silu(x: Any) -> Tensor:
    """x * sigmoid(x) (also called swish)."""
    x = as_input(x, "silu")
    return x * ag.sigmoid(x)


def tanh(x: Any) -> Tensor:
    """Hyperbolic tangent."""
    return ag.tanh(x)


def sigmoid(x: Any) -> Tensor:
    """The logistic function 1 / (1 + exp(-x)), stable for any x."""
    return ag.sigmoid(x)


def softplus(x: Any, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta, and x itself where ``beta * x > threshold`` (as PyTorch)."""
    x = as_input(x, "softplus")
    scaled = x * beta
    return ag.where(scaled > threshold, x, ag.softplus(scaled) / beta)


@torch_spellings
def softmax(x: Any, axis: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along ``axis``; never overflows."""
    return ag.softmax(x, axis)


@torch_spellings
def log_softmax(x: Any, axis: int = -1) -> Tensor:
    """log(softmax(x)) along ``axis``, computed stably as x - logsumexp(x)."""
    return ag.log_softmax(x, axis)


# --- layers --------------------------------------------------------------------------------


def linear(x: Any, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x @ weight.T + bias, for x of shape (..., in), weight (out, in) and bias (out,).

    Raises ValueError naming both shapes when x's last axis is not ``in``; TypeError when x is
    a float tensor of another dtype than the weight (a NumPy array takes the weight's dtype).
    """
    x = layer_input(x, weight, "linear")
    if x.ndim == 0 or x.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear: the input has shape {x.shape} but the weight {weight.shape} "
                         f"expects {weight.shape[1]} features on the last axis")
    out = ag.matmul(x, weight.T)
    return out if bias is None else out + bias


def dropout(x: Any, p: float = 0.5, training: bool = True,
            generator: np.random.Generator | None = None) -> Tensor:
    """Inverted dropout: zero each element with probability ``p`` and scale the rest by
    1 / (1 - p) while ``training``; identity otherwise.

    The mask is drawn from ``generator``, or from ``ag.default_generator()`` when it is None
    (reproducible under ``ag.manual_seed``; per thread under ``ag.random.use_generator`` and
    ``nn.fit(seed=...)``). Raises ValueError unless 0 <= p <= 1, TypeError for a generator
    that is not a ``np.random.Generator``.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p must lie in [0, 1], got {p}")
    x = as_input(x, "dropout")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    keep = ag.random.resolve_generator(generator, "dropout").random(x.shape) >= p
    return x * (keep / (1.0 - p)).astype(x.dtype)


def batch_norm(x: Any, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel (axis 1) of x, shape (N, C, ...), to zero mean and unit variance.

    In training (or without running statistics) the batch's statistics are used, and the
    running ones, if given, are updated in place: ``running = (1 - momentum) * running +
    momentum * batch`` (the unbiased variance, as PyTorch). Otherwise the running statistics
    are used. Then ``weight`` and ``bias`` (shape (C,)) scale and shift. Raises ValueError when
    training sees a single value per channel.
    """
    x = as_input(x, "batch_norm")
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected an input of shape (N, C, ...), got {x.shape}")
    channels = x.shape[1]
    axes = (0, *range(2, x.ndim))
    per_channel = (1, channels) + (1,) * (x.ndim - 2)
    if training or running_mean is None:
        count = x.size // max(channels, 1)
        if count <= 1:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when "
                             f"training, got input shape {x.shape}; use a larger batch or "
                             f"call .eval()")
        mean = x.mean(axes, keepdims=True)
        var = x.var(axes, keepdims=True)
        if running_mean is not None:
            # In-place tensor updates (which ag.compile replays): (1 - m) * old + m * batch.
            with ag.no_grad():
                running_mean.mul_(1 - momentum)
                running_mean.add_(mean.reshape(channels) * momentum)
                running_var.mul_(1 - momentum)
                running_var.add_(var.reshape(channels) * momentum * count / (count - 1))
            ag.mark_changed_in_place(running_mean, RUNNING_STATISTICS)
            ag.mark_changed_in_place(running_var, RUNNING_STATISTICS)
    else:
        mean = running_mean.reshape(per_channel)
        var = running_var.reshape(per_channel)
    out = (x - mean) / ag.sqrt(var + eps)
    if weight is not None:
        out = out * weight.reshape(per_channel)
    if bias is not None:
        out = out + bias.reshape(per_channel)
    return out


def layer_norm(x: Any, normalized_shape: tuple[int, ...], weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise over the last ``len(normalized_shape)`` axes, then scale by ``weight`` and
    shift by ``bias`` (both of shape ``normalized_shape``).

    Raises ValueError when x's trailing shape is not ``normalized_shape``.
    """
    x = as_input(x, "layer_norm")
    normalized_shape = tuple(normalized_shape)
    count = len(normalized_shape)
    if x.shape[x.ndim - count:] != normalized_shape or x.ndim < count:
        raise ValueError(f"layer_norm: the input of shape {x.shape} does not end with the "
                         f"normalized shape {normalized_shape}")
    axes = tuple(range(x.ndim - count, x.ndim))
    mean = x.mean(axes, keepdims=True)
    var = x.var(axes, keepdims=True)
    out = (x - mean) / ag.sqrt(var + eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def _integer_indices(indices: Any, where: str) -> np.ndarray:
    array = indices.data if isinstance(indices, Tensor) else np.asarray(indices)
    if array.dtype.kind not in "iu":
        raise TypeError(f"{where}: expected integer indices, got dtype {array.dtype}; convert "
                        f"with .astype('int64')")
    return array


def _integer_target(target: Any, where: str) -> Tensor:
    """Class targets as an integer tensor (its values are read by ``ag.runtime_arrays``)."""
    if not isinstance(target, Tensor):
        target = as_input(np.asarray(target), where)
    if target.dtype.kind not in "iu":
        raise TypeError(f"{where}: expected integer indices, got dtype {target.dtype}; convert "
                        f"with .astype('int64')")
    return target


def check_padding_idx(padding_idx: int | None, num_embeddings: int, where: str) -> int | None:
    """``padding_idx`` as a row number in [0, num_embeddings) (negative counts from the end, as
    in PyTorch), or None; ValueError naming ``where`` when it is out of range."""
    if padding_idx is None:
        return None
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(f"{where}: padding_idx {padding_idx} is out of range for "
                         f"{num_embeddings} embeddings")
    return padding_idx % num_embeddings


def embedding(indices: Any, weight: Tensor, padding_idx: int | None = None) -> Tensor:
    """Rows of ``weight`` (num_embeddings, dim) picked by integer ``indices`` of any shape.

    The result has shape ``indices.shape + (dim,)``; the gradient scatter-adds into the picked
    rows (repeated indices accumulate). Rows at ``padding_idx`` (negative counts from the end)
    come out as given but get no gradient. Raises IndexError for an index outside
    [0, num_embeddings) and ValueError for a ``padding_idx`` outside it.
    """
    array = _integer_indices(indices, "embedding")
    count = weight.shape[0]
    padding_idx = check_padding_idx(padding_idx, count, "embedding")
    if array.size and (array.min() < 0 or array.max() >= count):
        bad = array.min() if array.min() < 0 else array.max()
        raise IndexError(f"embedding: index {bad} is out of range for {count} embeddings "
                         f"(indices of shape {array.shape}, weight {weight.shape})")
    rows = weight[array]
    if padding_idx is None:
        return rows
    return ag.where((array != padding_idx)[..., None], rows, weight.detach()[array])


# --- losses --------------------------------------------------------------------------------


def _reduce(loss: Tensor, reduction: str, where: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{where}: reduction must be one of {REDUCTIONS}, got {reduction!r}")


def _same_shape(input: Any, target: Any, where: str) -> tuple[Tensor, Tensor]:
    input, target = as_inputs((input, target), where)
    if input.shape != target.shape:
        raise ValueError(f"{where}: input shape {input.shape} and target shape {target.shape} "
                         f"differ; they must match (reshape one, e.g. target.reshape"
                         f"({input.shape}))")
    return input, target


def mse_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Squared error (input - target)**2, averaged, summed or kept per element."""
    input, target = _same_shape(input, target, "mse_loss")
    return _reduce(ag.square(input - target), reduction, "mse_loss")


def l1_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Absolute error |input - target| (the gradient at 0 is 0)."""
    input, target = _same_shape(input, target, "l1_loss")
    return _reduce(ag.abs(input - target), reduction, "l1_loss")


def _huber(diff: Tensor, delta: float) -> Tensor:
    size = ag.abs(diff)
    return ag.where(size < delta, ag.square(diff) * 0.5, (size - 0.5 * delta) * delta)


def huber_loss(input: Any, target: Any, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """0.5 d**2 where |d| < delta, delta * (|d| - delta / 2) elsewhere, for d = input - target."""
    input, target = _same_shape(input, target, "huber_loss")
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    return _reduce(_huber(input - target, delta), reduction, "huber_loss")


def smooth_l1_loss(input: Any, target: Any, reduction: str = "mean", beta: float = 1.0
                   ) -> Tensor:
    """0.5 d**2 / beta where |d| < beta, |d| - beta / 2 elsewhere (Huber divided by beta;
    plain L1 when beta is 0)."""
    input, target = _same_shape(input, target, "smooth_l1_loss")
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    diff = input - target
    loss = ag.abs(diff) if beta == 0 else _huber(diff, beta) / beta
    return _reduce(loss, reduction, "smooth_l1_loss")


def _clamped_log(p: Tensor) -> Tensor:
    """log(p) limited to >= -100 as PyTorch's BCE, with a zero (not NaN) gradient at p = 0."""
    positive = p > 0
    return ag.where(positive, ag.clip(ag.log(ag.where(positive, p, 1.0)), min=-100.0), -100.0)


def _weighted(loss: Tensor, weight: Any) -> Tensor:
    return loss if weight is None else loss * weight


def binary_cross_entropy(input: Any, target: Any, weight: Any = None,
                         reduction: str = "mean") -> Tensor:
    """-(t log p + (1 - t) log(1 - p)) for probabilities p = ``input`` in [0, 1].

    Each log is clamped at -100 (as PyTorch), so the loss is never infinite. ``weight``
    broadcasts against the per-element loss. Raises ValueError for probabilities outside
    [0, 1] (apply sigmoid first, or use ``binary_cross_entropy_with_logits``).
    """
    input, target = _same_shape(input, target, "binary_cross_entropy")
    ag.runtime_check(_check_probabilities, input)  # in compiled programs too, on every call
    loss = -(target * _clamped_log(input) + (1.0 - target) * _clamped_log(1.0 - input))
    return _reduce(_weighted(loss, weight), reduction, "binary_cross_entropy")


def _check_probabilities(values: np.ndarray) -> None:
    if values.size and not (np.all(values >= 0) and np.all(values <= 1)):
        raise ValueError(f"binary_cross_entropy: input values must lie in [0, 1], got values "
                         f"from {np.nanmin(values)} to {np.nanmax(values)} (or NaN) in shape "
                         f"{values.shape}; apply sigmoid first or use "
                         f"binary_cross_entropy_with_logits")


def binary_cross_entropy_with_logits(input: Any, target: Any, weight: Any = None,
                                     reduction: str = "mean", pos_weight: Any = None
                                     ) -> Tensor:
    """Binary cross-entropy of sigmoid(input), computed from the logits so that it is exact
    and finite for any logit (even +-1000).

    loss = (1 - t) x + (1 + (pos_weight - 1) t) softplus(-x). ``pos_weight`` (broadcast over the
    last axis, one per class) weighs the positive examples; ``weight`` the elements.
    """
    input, target = _same_shape(input, target, "binary_cross_entropy_with_logits")
    log_weight = 1.0 if pos_weight is None else (
        (_constant_like(pos_weight, input) - 1.0) * target + 1.0)
    loss = (1.0 - target) * input + log_weight * ag.softplus(-input)
    return _reduce(_weighted(loss, weight), reduction, "binary_cross_entropy_with_logits")


def _class_axis_last(x: Tensor) -> Tensor:
    """(N, C, d1, ...) -> (N * d1 * ..., C); (C,) -> (1, C)."""
    if x.ndim == 1:
        return x.reshape(1, -1)
    moved = x if x.ndim == 2 else x.permute(0, *range(2, x.ndim), 1)
    return moved.reshape(-1, x.shape[1])


def _check_class_targets(logits: Tensor, target: np.ndarray, ignore_index: int, where: str
                         ) -> None:
    expected = logits.shape[:1] + logits.shape[2:] if logits.ndim > 1 else ()
    if target.shape != expected:
        raise ValueError(f"{where}: input of shape {logits.shape} needs class targets of shape "
                         f"{expected} (or class probabilities of shape {logits.shape}), got "
                         f"target shape {target.shape}")
    classes = logits.shape[1] if logits.ndim > 1 else logits.shape[0]
    counted = target[target != ignore_index]
    if counted.size and (counted.min() < 0 or counted.max() >= classes):
        bad = counted.min() if counted.min() < 0 else counted.max()
        raise IndexError(f"{where}: target class {bad} is out of range for {classes} classes "
                         f"(input shape {logits.shape}, target shape {target.shape})")


def _picked_class_loss(log_probs: Tensor, target: Tensor, weight: Any, ignore_index: int,
                       label_smoothing: float, reduction: str, where: str) -> Tensor:
    """The (label-smoothed, weighted) negative log-likelihood of integer class targets.

    The mean divides by the total weight of the targets that are not ignored (PyTorch's rule).
    The NumPy work on the target's values goes through ``ag.runtime_arrays``, so that a
    compiled step does it again on every call.
    """
    rows = _class_axis_last(log_probs)
    classes = rows.shape[1]
    class_weight = np.ones(classes, rows.dtype) if weight is None else np.asarray(
        weight.data if isinstance(weight, Tensor) else weight, dtype=rows.dtype)
    if class_weight.shape != (classes,):
        raise ValueError(f"{where}: weight must have one entry per class, shape ({classes},), "
                         f"got {class_weight.shape}")

    def pick(target_values: np.ndarray) -> tuple[np.ndarray, ...]:
        _check_class_targets(log_probs, target_values, ignore_index, where)
        flat_target = target_values.reshape(-1)
        counted = flat_target != ignore_index
        safe_target = np.where(counted, flat_target, 0)
        target_weight = class_weight[safe_target] * counted
        return (np.arange(rows.shape[0]), safe_target, target_weight, counted,
                np.asarray(target_weight.sum()))

    row_index, safe_target, target_weight, counted, total_weight = ag.runtime_arrays(pick, target)
    loss = -rows[row_index, safe_target] * target_weight
    if label_smoothing:
        smooth = -(rows * class_weight).sum(axis=1) * counted
        loss = loss * (1.0 - label_smoothing) + smooth * (label_smoothing / classes)
    if reduction == "none":
        return loss.reshape(target.shape)
    if reduction == "mean":
        return loss.sum() / total_weight
    return _reduce(loss, reduction, where)


def nll_loss(input: Any, target: Any, weight: Any = None, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of integer class ``target`` under log-probabilities ``input``.

    Shapes: input (N, C) or (N, C, d1, ...) or (C,); target (N,) or (N, d1, ...) or ().
    ``weight`` (C,) weighs each class; targets equal to ``ignore_index`` contribute nothing.
    The mean divides by the total weight of the counted targets. Raises ValueError for a target
    of the wrong shape and IndexError for a class out of range, naming both shapes.
    """
    input = as_input(input, "nll_loss")
    target = _integer_target(target, "nll_loss")
    return _picked_class_loss(input, target, weight, ignore_index, 0.0, reduction, "nll_loss")


def cross_entropy(input: Any, target: Any, weight: Any = None, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy between the softmax of the logits ``input`` and ``target``, stable for any
    logits (it works on log_softmax).

    ``target`` is either integer classes (shape of input without the class axis 1, as in
    ``nll_loss``, with ``ignore_index``) or class probabilities of input's own shape.
    ``label_smoothing`` mixes the target with the uniform distribution; ``weight`` (C,) weighs
    the classes. With probabilities, the mean divides by the number of examples.
    """
    input = as_input(input, "cross_entropy")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must lie in [0, 1], got "
                         f"{label_smoothing}")
    if input.ndim == 0:
        raise ValueError("cross_entropy: input must have a class axis, got a scalar")
    class_axis = 1 if input.ndim > 1 else 0
    log_probs = ag.log_softmax(input, axis=class_axis)
    target_array = target if isinstance(target, Tensor) else np.asarray(target)
    if target_array.dtype.kind in "iu":
        return _picked_class_loss(log_probs, _integer_target(target_array, "cross_entropy"),
                                  weight, ignore_index, label_smoothing, reduction,
                                  "cross_entropy")
    if target_array.shape != input.shape:
        raise ValueError(f"cross_entropy: input of shape {input.shape} needs integer class "
                         f"targets (without the class axis) or class probabilities of the same "
                         f"shape; got target shape {target_array.shape}, dtype "
                         f"{target_array.dtype} (convert class labels with .astype('int64'))")
    classes = input.shape[class_axis]
    target = as_inputs((target, input), "cross_entropy")[0]
    probs = target * (1.0 - label_smoothing) + label_smoothing / classes
    if weight is not None:
        log_probs = log_probs * _constant_like(weight, input).reshape(
            (classes,) + (1,) * (input.ndim - class_axis - 1))
    loss = -(probs * log_probs).sum(axis=class_axis)
    return _reduce(loss, reduction, "cross_entropy")


# --- nn.functional breadth (issue 13) ------------------------------------------------------

KL_REDUCTIONS = ("mean", "batchmean", "sum", "none")


def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """Integer class labels of any shape -> an int64 tensor of shape ``shape + (num_classes,)``
    with a 1 at each label, as PyTorch's ``F.one_hot``.

    ``num_classes=-1`` (or None) means ``max(labels) + 1``. The result is int64 like PyTorch's;
    ``.astype('float32')`` it to compare with probabilities (``nn.data.one_hot`` gives that
    float32 NumPy array directly). Raises TypeError for non-integer labels and ValueError for a
    label outside [0, num_classes) or for inferring the class count from no labels.
    """
    labels = _integer_indices(tensor, "one_hot")
    if num_classes is None or num_classes == -1:
        if not labels.size:
            raise ValueError("one_hot: cannot infer the number of classes from an empty "
                             "tensor; pass num_classes")
        num_classes = int(labels.max()) + 1
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"one_hot: labels must lie in [0, {num_classes}), got values from "
                         f"{labels.min()} to {labels.max()}")
    return ag.tensor(np.eye(num_classes, dtype=np.int64)[labels])


def kl_div(input: Any, target: Any, reduction: str = "mean", log_target: bool = False
           ) -> Tensor:
    """Kullback-Leibler divergence with ``input`` the log-probabilities of the model and
    ``target`` the probabilities (or, with ``log_target=True``, log-probabilities) of the data.

    Per element: ``target * (log(target) - input)``, 0 where target is 0 (or ``exp(t) * (t -
    input)`` for log targets). ``reduction``: 'mean' over all elements (PyTorch's default),
    'batchmean' (the sum divided by the batch size, the mathematical KL per example), 'sum'
    or 'none'. Raises ValueError for shapes that differ or an unknown reduction.
    """
    if reduction not in KL_REDUCTIONS:
        raise ValueError(f"kl_div: reduction must be one of {KL_REDUCTIONS}, got {reduction!r}")
    input, target = _same_shape(input, target, "kl_div")
    if log_target:
        loss = ag.exp(target) * (target - input)
    else:
        positive = target > 0
        loss = target * ag.log(ag.where(positive, target, 1.0)) - target * input
    if reduction == "batchmean":
        return loss.sum() / (input.shape[0] if input.ndim else 1)
    return _reduce(loss, reduction, "kl_div")


def margin_ranking_loss(input1: Any, input2: Any, target: Any, margin: float = 0.0,
                        reduction: str = "mean") -> Tensor:
    """``max(0, -target * (input1 - input2) + margin)`` for targets +1 (input1 should rank
    higher) or -1. At the hinge the gradient is 0, as PyTorch's. Raises ValueError when the
    three shapes differ."""
    input1, input2, target = as_inputs((input1, input2, target), "margin_ranking_loss")
    if not input1.shape == input2.shape == target.shape:
        raise ValueError(f"margin_ranking_loss: input1 {input1.shape}, input2 {input2.shape} "
                         f"and target {target.shape} must have the same shape")
    loss = ag.relu(-target * (input1 - input2) + margin)
    return _reduce(loss, reduction, "margin_ranking_loss")


def triplet_margin_loss(anchor: Any, positive: Any, negative: Any, margin: float = 1.0,
                        p: float = 2.0, eps: float = 1e-6, swap: bool = False,
                        reduction: str = "mean") -> Tensor:
    """``max(d(a, p) - d(a, n) + margin, 0)`` per row, with ``d`` the ``pairwise_distance``
    (p-norm, ``eps`` added to the difference) of (N, D) (or (D,)) embeddings. ``swap`` uses
    ``min(d(a, n), d(p, n))`` as the negative distance (Balntas et al., 2016). At the hinge
    the gradient is 0, as PyTorch's. Raises ValueError when the three shapes differ."""
    anchor, positive, negative = as_inputs((anchor, positive, negative), "triplet_margin_loss")
    if not anchor.shape == positive.shape == negative.shape:
        raise ValueError(f"triplet_margin_loss: anchor {anchor.shape}, positive "
                         f"{positive.shape} and negative {negative.shape} must have the same "
                         f"shape")
    to_positive = pairwise_distance(anchor, positive, p, eps)
    to_negative = pairwise_distance(anchor, negative, p, eps)
    if swap:
        to_negative = ag.minimum(to_negative, pairwise_distance(positive, negative, p, eps))
    return _reduce(ag.relu(to_positive - to_negative + margin), reduction,
                   "triplet_margin_loss")


def multi_margin_loss(input: Any, target: Any, p: int = 1, margin: float = 1.0,
                      weight: Any = None, reduction: str = "mean") -> Tensor:
    """Multi-class hinge (SVM) loss of scores ``input`` (N, C) (or (C,)) for integer classes
    ``target`` (N,) (or ()): ``sum over i != y of max(0, margin - x[y] + x[i])**p / C``,
    times ``weight[y]`` when class weights (C,) are given. ``p`` is 1 or 2, as PyTorch. At the
    margin the gradient is 0, as PyTorch's. micrograd's demo SVM loss is this with p=1, up to
    its mean. Raises ValueError for a bad p or shape, IndexError for a class out of range.
    """
    if p not in (1, 2):
        raise ValueError(f"multi_margin_loss: p must be 1 or 2, got {p!r}")
    scores = as_input(input, "multi_margin_loss")
    labels = _integer_indices(target, "multi_margin_loss")
    rows = scores.reshape(1, -1) if scores.ndim == 1 else scores
    if scores.ndim not in (1, 2) or labels.shape != scores.shape[:-1]:
        raise ValueError(f"multi_margin_loss: input of shape {scores.shape} (N, C) or (C,) "
                         f"needs class targets of shape {scores.shape[:-1]}, got "
                         f"{labels.shape}")
    _check_class_targets(rows, labels.reshape(-1), -100, "multi_margin_loss")
    flat = labels.reshape(-1)
    classes = rows.shape[1]
    picked = rows[np.arange(rows.shape[0]), flat].reshape(-1, 1)
    hinge = ag.relu(rows - picked + margin)
    others = (np.arange(classes) != flat[:, None]).astype(rows.dtype)
    loss = ((hinge if p == 1 else ag.square(hinge)) * others).sum(axis=1) / classes
    if weight is not None:
        loss = loss * _constant_like(weight, rows)[flat]
    return _reduce(loss.reshape(labels.shape), reduction, "multi_margin_loss")
