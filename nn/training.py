"""The training loop: ``fit`` a model for some epochs, ``evaluate`` and ``predict`` with it.

    model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 2))
    opt = nn.optim.Adam(model.parameters(), lr=0.01)
    history = nn.fit(model, nn.CrossEntropyLoss(), opt, (x, y), epochs=20, val_data=(xv, yv))
    history.plot("curves.png")

``fit`` shows its progress (a tqdm bar per epoch in a terminal or Jupyter, one line per epoch
in a log file) and returns a ``History`` of per-epoch losses, metrics, learning rates and
times. The accuracy it logs is read the way the loss implies (none for regression losses).
Callbacks such as ``EarlyStopping`` can stop training early; a NaN loss stops it with an error
naming the step, Ctrl-C returns what was recorded so far, and ``seed=`` gives the run a random
generator of its own (safe with threads).
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

import autograd_lite as ag
from autograd_lite import Tensor

from . import functional as F
from . import losses
from .data import DataLoader, TensorDataset
from .live import LiveView
from .lr_scheduler import ReduceLROnPlateau
from .module import Module

# --- metrics: (output array, target array) -> mean over the batch ------------------------------


def binary_accuracy(output: np.ndarray, target: np.ndarray, threshold: float = 0.5) -> float:
    """Fraction of elements where ``output > threshold`` agrees with ``target > 0.5``.

    For binary and multi-label outputs of any shape (the target is reshaped to the output's
    shape): probabilities use the threshold 0.5, logits 0 (see ``logit_accuracy``).
    """
    predicted = output > threshold
    return float(np.mean(predicted == (target.reshape(output.shape) > 0.5)))


def logit_accuracy(output: np.ndarray, target: np.ndarray) -> float:
    """``binary_accuracy`` of logits: the prediction is ``output > 0`` (sigmoid above 1/2)."""
    return binary_accuracy(output, target, threshold=0.0)


def categorical_accuracy(output: np.ndarray, target: np.ndarray) -> float:
    """Fraction of samples whose argmax over axis 1 (the class axis of outputs (N, C, ...), as
    in ``cross_entropy``) is the target: integer labels of shape (N, ...), or the argmax of
    class-probability (one-hot) targets of the output's shape."""
    predicted = output.argmax(axis=1)
    if target.shape == output.shape:
        target = target.argmax(axis=1)
    return float(np.mean(predicted == target))


def accuracy(output: np.ndarray, target: np.ndarray) -> float:
    """Fraction of correct predictions, guessed from the output's shape (Keras's rule).

    One output per sample (shape (N,) or (N, 1)): ``binary_accuracy`` at 0.5 (probabilities).
    Several outputs (N, C, ...): ``categorical_accuracy``. ``fit`` and ``evaluate`` use it for
    ``metrics=["accuracy"]`` only when they cannot tell from the loss what the outputs are.
    """
    if output.ndim == 1 or output.shape[1] == 1:
        return binary_accuracy(output, target)
    return categorical_accuracy(output, target)


def mae(output: np.ndarray, target: np.ndarray) -> float:
    """Mean absolute error ``mean(|output - target|)`` (target reshaped to the output's shape)."""
    return float(np.mean(np.abs(output - target.reshape(output.shape))))


METRICS: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {"accuracy": accuracy, "mae": mae}

# What the outputs of a model trained with a known loss are, and hence how to read accuracy.
_LOSS_OUTPUTS: dict[Any, str] = {
    **dict.fromkeys([losses.BCELoss, F.binary_cross_entropy], "probabilities"),
    **dict.fromkeys([losses.BCEWithLogitsLoss, F.binary_cross_entropy_with_logits], "logits"),
    **dict.fromkeys([losses.CrossEntropyLoss, losses.NLLLoss, F.cross_entropy, F.nll_loss],
                    "class scores"),
    **dict.fromkeys([losses.MSELoss, losses.L1Loss, losses.HuberLoss, losses.SmoothL1Loss,
                     F.mse_loss, F.l1_loss, F.huber_loss, F.smooth_l1_loss], "regression"),
}
_ACCURACY_OF_OUTPUTS = {"probabilities": binary_accuracy, "logits": logit_accuracy,
                        "class scores": categorical_accuracy}


def _loss_outputs(loss_fn: Any) -> str | None:
    """What ``loss_fn`` expects of the model: a key of ``_LOSS_OUTPUTS``' values, or None for
    a loss we do not know (a lambda, a custom module). Subclasses and ``functools.partial``s
    of known losses count as those losses."""
    while isinstance(loss_fn, functools.partial):
        loss_fn = loss_fn.func
    candidates = type(loss_fn).__mro__ if isinstance(loss_fn, Module) else (loss_fn,)
    for candidate in candidates:
        with contextlib.suppress(TypeError):  # an unhashable callable is simply unknown
            if candidate in _LOSS_OUTPUTS:
                return _LOSS_OUTPUTS[candidate]
    return None


def _loss_name(loss_fn: Any) -> str:
    return type(loss_fn).__name__ if isinstance(loss_fn, Module) else getattr(
        loss_fn, "__name__", type(loss_fn).__name__)


def _metric_functions(metrics: Sequence[str | Callable] | None, loss_fn: Any, where: str
                      ) -> dict[str, Callable]:
    """Resolve metric names (``"accuracy"``, ``"mae"``) and callables into ``name -> function``.

    ``None`` means the default for ``loss_fn``: accuracy for a classification loss, nothing
    otherwise. ``"accuracy"`` is read as the loss implies (probabilities at 0.5, logits at 0,
    argmax of class scores); with an unknown loss it is ``accuracy``'s shape-based guess, and
    with a regression loss a ValueError. A callable takes ``(output, target)`` NumPy arrays and
    returns the batch mean; its name is its ``__name__``.
    """
    outputs = _loss_outputs(loss_fn)
    if metrics is None:
        metrics = ("accuracy",) if outputs in _ACCURACY_OF_OUTPUTS else ()
    elif isinstance(metrics, str):
        metrics = (metrics,)
    functions = {}
    for metric in metrics:
        if callable(metric):
            functions[getattr(metric, "__name__", type(metric).__name__)] = metric
        elif metric == "accuracy" and outputs == "regression":
            raise ValueError(f"{where}: metric 'accuracy' means nothing for the regression loss "
                             f"{_loss_name(loss_fn)}; drop it, use metrics=['mae'], or pass a "
                             f"function (output, target) -> float")
        elif metric == "accuracy":
            functions[metric] = _ACCURACY_OF_OUTPUTS.get(outputs, accuracy)
        elif metric in METRICS:
            functions[metric] = METRICS[metric]
        else:
            raise ValueError(f"{where}: unknown metric {metric!r}; use one of "
                             f"{sorted(METRICS)} or a function (output, target) -> float")
    return functions


class _RunningMeans:
    """Sample-weighted running means of the loss and the metrics over an epoch."""

    def __init__(self, metric_functions: dict[str, Callable]) -> None:
        self.metric_functions = metric_functions
        self.count = 0
        self.sums = {}

    def add(self, loss: float | None, output: Tensor, target: Tensor) -> None:
        count = len(target)
        self.count += count
        values = {} if loss is None else {"loss": loss}
        for name, function in self.metric_functions.items():
            values[name] = function(output.data, target.data)
        for name, value in values.items():
            self.sums[name] = self.sums.get(name, 0.0) + value * count

    def means(self, prefix: str = "") -> dict[str, float]:
        return {prefix + name: total / self.count for name, total in self.sums.items()}


def _loss_value(loss: Any) -> float:
    if not isinstance(loss, Tensor) or loss.size != 1:
        shape = loss.shape if isinstance(loss, Tensor) else type(loss).__name__
        raise ValueError(f"loss_fn must return a scalar Tensor, got {shape}; use a loss "
                         f"with reduction='mean' (the default)")
    return float(loss.item())


# --- data -------------------------------------------------------------------------------------


def _model_float_dtype(model: Any) -> np.dtype | None:
    """The dtype of the model's first float parameter (None for a model without any)."""
    parameters = getattr(model, "parameters", None)
    for parameter in parameters() if callable(parameters) else ():
        if parameter.dtype.kind == "f":
            return parameter.dtype
    return None


def _as_model_constants(model: Any, fields: Sequence[Any]) -> tuple[Any, ...]:
    """Float NumPy arrays converted once to the model's float dtype; the rest as given.

    NumPy data are constants, and constants take the float dtype of the tensors they meet
    (README, "Dtypes"): scikit-learn's float64 arrays fed to a float32 model train in float32,
    as they would in any op. Tensors keep their dtype (a float64 tensor into a float32 layer
    is the layer's clear error), integer labels stay integers.
    """
    dtype = _model_float_dtype(model)
    return tuple(field.astype(dtype) if dtype is not None and isinstance(field, np.ndarray)
                 and field.dtype.kind == "f" and field.dtype != dtype else field
                 for field in fields)


def _as_loader(data: Any, batch_size: int, shuffle: bool, where: str, model: Any
               ) -> DataLoader:
    """A DataLoader as is, or a tuple ``(x, y)`` of arrays/tensors batched into one (which
    shuffles, if asked, from ``ag.default_generator()`` at each epoch); float NumPy arrays
    take the model's dtype."""
    if isinstance(data, (tuple, list)) and len(data) == 2:
        data = DataLoader(TensorDataset(*_as_model_constants(model, data)),
                          batch_size=batch_size, shuffle=shuffle)
    if not isinstance(data, DataLoader):
        raise TypeError(f"{where}: expected a DataLoader or a tuple (inputs, targets) of arrays "
                        f"or tensors, got {type(data).__name__}")
    if len(data) == 0:
        raise ValueError(f"{where}: the DataLoader yields no batch: its {len(data.dataset)} "
                         f"samples are fewer than batch_size={data.batch_size} with "
                         f"drop_last=True")
    return data


def _inputs_and_targets(batch: tuple[Tensor, ...], where: str) -> tuple[Tensor, Tensor]:
    if len(batch) != 2:
        raise ValueError(f"{where}: each batch must be (inputs, targets), got {len(batch)} "
                         f"tensors; use a data set with two fields")
    return batch[0], batch[1]


@contextlib.contextmanager
def _inference_mode(model: Any) -> Iterator[None]:
    """Eval mode (for modules) and no_grad for the block, then restore the previous mode."""
    was_training = getattr(model, "training", None)
    if was_training is not None:
        model.eval()
    try:
        with ag.no_grad():
            yield
    finally:
        if was_training is not None:
            model.train(was_training)


def _evaluate_loader(model: Any, loader: DataLoader, loss_fn: Callable | None,
                     metric_functions: dict[str, Callable], prefix: str = "") -> dict[str, float]:
    running = _RunningMeans(metric_functions)
    with _inference_mode(model):
        for batch in loader:
            x, y = _inputs_and_targets(batch, "evaluate")
            output = model(x)
            running.add(None if loss_fn is None else _loss_value(loss_fn(output, y)), output, y)
    return running.means(prefix)


def evaluate(model: Any, data: Any, loss_fn: Callable | None,
             metrics: Sequence[str | Callable] | None = None, batch_size: int = 256
             ) -> dict[str, float]:
    """Mean loss and metrics of ``model`` over ``data``, in eval mode and without a graph.

    ``data`` is a DataLoader or a tuple ``(x, y)``; ``loss_fn`` may be None to skip the loss.
    ``metrics`` as in ``fit`` (by default accuracy for a classification loss, none otherwise;
    pass ``metrics=["accuracy"]`` with ``loss_fn=None``). Returns e.g.
    ``{"loss": 0.31, "accuracy": 0.9}``; the model's train/eval mode is restored.
    """
    loader = _as_loader(data, batch_size, False, "evaluate", model)
    return _evaluate_loader(model, loader, loss_fn, _metric_functions(metrics, loss_fn,
                                                                      "evaluate"))


def predict(model: Any, x: Any, batch_size: int = 256) -> Tensor:
    """Outputs of ``model`` on all of ``x``, in batches, in eval mode, without a graph.

    ``x`` is an array or Tensor (split into batches of ``batch_size``; a float array takes the
    model's dtype) or a DataLoader (the first field of each batch is the input). Returns one
    Tensor with the batch outputs concatenated along the first axis; the model's train/eval
    mode is restored.
    """
    loader = x if isinstance(x, DataLoader) else DataLoader(
        TensorDataset(*_as_model_constants(model, (x,))), batch_size)
    with _inference_mode(model):
        outputs = [model(batch[0]).data for batch in loader]
    return ag.tensor(np.concatenate(outputs))


# --- history and callbacks --------------------------------------------------------------------


class History:
    """What ``fit`` recorded, one entry per epoch.

    ``train_loss`` and ``val_loss`` (empty without validation data), ``metrics`` (a dict such as
    ``{"train_accuracy": [...], "val_accuracy": [...]}``), ``lr`` (the first group's learning
    rate during the epoch) and ``time`` (wall seconds). ``history["val_accuracy"]`` reads any
    of them; ``to_dict()`` returns them all, with ``"epoch"`` numbered from 1. ``interrupted``
    is True when Ctrl-C ended ``fit`` early (the epoch it interrupted is not recorded).
    """

    def __init__(self) -> None:
        self.interrupted = False
        self.train_loss: list[float] = []
        self.val_loss: list[float] = []
        self.metrics: dict[str, list[float]] = {}
        self.lr: list[float] = []
        self.time: list[float] = []

    def record(self, logs: dict[str, float], lr: float, seconds: float) -> None:
        """Append one epoch: ``logs`` holds ``train_loss``, maybe ``val_loss`` and metrics."""
        for name, value in logs.items():
            if name == "train_loss":
                self.train_loss.append(value)
            elif name == "val_loss":
                self.val_loss.append(value)
            else:
                self.metrics.setdefault(name, []).append(value)
        self.lr.append(lr)
        self.time.append(seconds)

    def __len__(self) -> int:
        return len(self.train_loss)

    def to_dict(self) -> dict[str, list[float]]:
        """All records as ``{name: per-epoch list}`` (JSON friendly)."""
        records = {"epoch": list(range(1, len(self) + 1)), "train_loss": list(self.train_loss)}
        if self.val_loss:
            records["val_loss"] = list(self.val_loss)
        records.update({name: list(values) for name, values in self.metrics.items()})
        records.update(lr=list(self.lr), time=list(self.time))
        return records

    def __getitem__(self, name: str) -> list[float]:
        records = self.to_dict()
        if name not in records:
            raise KeyError(f"History has no {name!r}; it has {sorted(records)}")
        return records[name]

    def plot(self, path: str) -> str:
        """Write a PNG with the loss curves and one panel per metric (train and validation).

        Uses matplotlib without touching pyplot's global state. Returns ``path``. Raises
        ImportError naming the ``examples`` extra when matplotlib is missing.
        """
        try:
            from matplotlib.figure import Figure
            from matplotlib.ticker import MaxNLocator
        except ImportError:
            raise ImportError("History.plot needs matplotlib; install the examples extra: "
                              "pip install autograd_lite[examples]") from None
        records = self.to_dict()
        panels = ["loss"] + sorted({name.split("_", 1)[1] for name in self.metrics})
        figure = Figure(figsize=(4.5 * len(panels), 3.5), layout="constrained")
        for axes, panel in zip(figure.subplots(1, len(panels), squeeze=False)[0], panels):
            for split in ("train", "val"):
                name = f"{split}_{panel}"
                if records.get(name):
                    axes.plot(records["epoch"], records[name], marker=".", label=split)
            axes.set(title=panel, xlabel="epoch")
            axes.xaxis.set_major_locator(MaxNLocator(integer=True))
            axes.legend()
        figure.savefig(path, format="png")
        return path

    def __repr__(self) -> str:
        if not len(self):
            return "History(0 epochs)"
        last = ", ".join(f"{name}={values[-1]:.4g}" for name, values in self.to_dict().items()
                         if name not in ("epoch", "lr", "time"))
        return f"History({len(self)} epochs; last: {last})"


class Callback:
    """Base class of ``fit`` callbacks; override the hooks you need.

    ``on_epoch_end`` receives the epoch number (from 0) and that epoch's logs (``train_loss``,
    ``val_loss``, ``train_accuracy``, ...) and returns True to stop training.
    """

    def on_train_begin(self, model: Any) -> None:
        """Called once before the first epoch."""

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> bool | None:
        """Called after each epoch (after validation); return True to stop."""
        return None

    def on_train_end(self, model: Any) -> None:
        """Called once after the last epoch."""


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs.

    ``mode="auto"`` minimises names containing "loss" or "mae" and maximises the rest
    (accuracy). With ``restore_best_weights=True`` the model gets the parameters of its best
    epoch back when training ends. ``stopped_epoch`` and ``best_epoch`` (from 0) say what happened.
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 5, min_delta: float = 0.0,
                 mode: str = "auto", restore_best_weights: bool = False) -> None:
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'auto', 'min' or 'max', got {mode!r}")
        if patience < 0 or min_delta < 0:
            raise ValueError(f"EarlyStopping: patience and min_delta must be >= 0, got "
                             f"patience={patience}, min_delta={min_delta}")
        if mode == "auto":
            mode = "min" if ("loss" in monitor or "mae" in monitor) else "max"
        self.monitor, self.patience, self.min_delta, self.mode = monitor, patience, min_delta, mode
        self.restore_best_weights = restore_best_weights
        self.on_train_begin(None)

    def on_train_begin(self, model: Any) -> None:
        """Forget earlier runs and remember the model (for restoring its best weights)."""
        self.model = model
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch = self.stopped_epoch = None
        self.best_state = None
        self.wait = 0

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> bool:
        """Update the count of epochs without improvement; True once it reaches ``patience``."""
        if self.monitor not in logs:
            raise ValueError(f"EarlyStopping: monitor {self.monitor!r} is not among the logs "
                             f"{sorted(logs)}; pass val_data to fit for 'val_...' names")
        value = logs[self.monitor]
        if self.mode == "min":
            improved = value < self.best - self.min_delta
        else:
            improved = value > self.best + self.min_delta
        if improved:
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_state = self.model.state_dict()
            return False
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            return True
        return False

    def on_train_end(self, model: Any) -> None:
        """Restore the best epoch's weights if asked to."""
        if self.restore_best_weights and self.best_state is not None:
            model.load_state_dict(self.best_state)


# --- fit --------------------------------------------------------------------------------------


class NonFiniteLossError(RuntimeError):
    """``fit`` met a NaN or infinite training loss and stopped before stepping with it.

    ``epoch`` and ``step`` (both numbered from 1, as the progress bar does) and ``loss`` (the
    value) say where; ``history`` is the ``History`` of the epochs finished before it and
    ``epoch_logs`` the ``train_...`` means of the stopped epoch over its finite steps (empty
    when the first step failed), so everything up to the last finite step is kept.
    """

    def __init__(self, message: str, epoch: int, step: int, loss: float,
                 epoch_logs: dict[str, float]) -> None:
        super().__init__(message)
        self.epoch, self.step, self.loss = epoch, step, loss
        self.epoch_logs = epoch_logs
        self.history: History | None = None


def _in_notebook() -> bool:
    """True inside a Jupyter kernel that can draw tqdm's widget bars (ipywidgets installed)."""
    if "ipykernel" not in sys.modules:
        return False
    try:
        import ipywidgets  # noqa: F401 - only whether it imports matters
    except ImportError:
        return False
    return True


def _progress_mode(progress: bool | str) -> str | None:
    """How ``fit`` reports progress: ``"bar"`` (tqdm on stderr), ``"notebook"`` (tqdm's widget
    bar), ``"lines"`` (one line per epoch on stderr) or None (silent)."""
    if progress not in (True, False, "auto"):
        raise ValueError(f"fit: progress must be 'auto', True or False, got {progress!r}")
    if progress is False:
        return None
    if _in_notebook():
        return "notebook"
    isatty = getattr(sys.stderr, "isatty", None)
    if progress is True or (isatty is not None and isatty()):
        return "bar"
    return "lines"


def _format_logs(logs: dict[str, float]) -> dict[str, str]:
    """Short bar labels: ``loss``, ``accuracy``, ``val_loss``... with 4 significant digits."""
    return {name.removeprefix("train_"): f"{value:.4g}" for name, value in logs.items()}


class _Progress:
    """What the user sees of ``fit``: a bar per epoch, a line per epoch, or nothing."""

    def __init__(self, mode: str | None, epochs: int) -> None:
        self.mode, self.epochs = mode, epochs

    def bar(self, epoch: int, batches: int) -> Any:
        """A tqdm bar for epoch ``epoch`` (from 0); a disabled one unless drawing bars."""
        bar_class = tqdm
        if self.mode == "notebook":
            from tqdm.notebook import tqdm as bar_class
        return bar_class(total=batches, desc=f"epoch {epoch + 1}/{self.epochs}", unit="batch",
                         file=sys.stderr, disable=self.mode not in ("bar", "notebook"),
                         dynamic_ncols=True)

    def epoch_done(self, epoch: int, logs: dict[str, float], seconds: float) -> None:
        """In line mode, print ``epoch 3/10: loss=0.25 accuracy=0.9 ... (0.12 s)``."""
        if self.mode == "lines":
            values = " ".join(f"{name}={value}" for name, value in _format_logs(logs).items())
            print(f"epoch {epoch + 1}/{self.epochs}: {values} ({seconds:.2g} s)",
                  file=sys.stderr, flush=True)


def _check_fit_arguments(model: Any, loss_fn: Any, optimizer: Any, epochs: Any) -> None:
    if not callable(model):
        raise TypeError(f"fit: model must be callable (an nn.Module), got {type(model).__name__}")
    if not callable(loss_fn):
        raise TypeError(f"fit: loss_fn must be callable (e.g. nn.CrossEntropyLoss()), got "
                        f"{type(loss_fn).__name__}")
    if not all(hasattr(optimizer, name) for name in ("step", "zero_grad", "param_groups")):
        raise TypeError(f"fit: optimizer must have step(), zero_grad() and param_groups (e.g. "
                        f"nn.optim.Adam(model.parameters())), got {type(optimizer).__name__}")
    if not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"fit: epochs must be a non-negative integer, got {epochs!r}")


class _Training:
    """The fixed parts of one ``fit`` call, and where it is (``epoch``, ``step``, from 1)."""

    def __init__(self, model: Any, loss_fn: Callable, optimizer: Any,
                 metric_functions: dict[str, Callable], terminate_on_nan: bool,
                 compile: bool = False) -> None:
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        self.metric_functions = metric_functions
        self.terminate_on_nan = terminate_on_nan
        self.epoch = self.step = 0
        # compile=True: zero_grad, forward, loss and backward run as one ag.compile program;
        # the loss is checked and the optimizer steps outside it, so a NaN still stops fit
        # before the step changes the model.
        self.forward_backward = ag.compile(self._forward_backward) if compile else None
        self.live: LiveView | None = None

    def _forward_backward(self, x: Any, y: Any) -> tuple[Any, Any]:
        self.optimizer.zero_grad()
        output = self.model(x)
        loss = self.loss_fn(output, y)
        loss.backward()
        return loss, output

    def train_one_epoch(self, loader: DataLoader, bar: Any) -> dict[str, float]:
        """One pass over ``loader``; returns the ``train_...`` means. Raises NonFiniteLossError
        (before ``backward``) on a NaN or infinite loss when ``terminate_on_nan``."""
        running = _RunningMeans(self.metric_functions)
        for step, batch in enumerate(loader, start=1):
            self.step = step
            x, y = _inputs_and_targets(batch, "fit")
            if self.forward_backward is not None:
                loss, output = self.forward_backward(x, y)
            else:
                self.optimizer.zero_grad()
                output = self.model(x)
                loss = self.loss_fn(output, y)
            value = _loss_value(loss)
            if self.terminate_on_nan and not math.isfinite(value):
                raise self._non_finite(value, len(loader),
                                       running.means("train_") if running.count else {})
            running.add(value, output.detach(), y)
            if self.forward_backward is None:
                loss.backward()
            self.optimizer.step()
            if self.live is not None:
                self.live.update(self.model, loss)
            bar.update()
            if not bar.disable:
                bar.set_postfix(_format_logs(running.means()), refresh=False)
        return running.means("train_")

    def _non_finite(self, value: float, steps: int, epoch_logs: dict[str, float]
                    ) -> NonFiniteLossError:
        lr = self.optimizer.param_groups[0]["lr"]
        return NonFiniteLossError(
            f"fit: the training loss is {value} at epoch {self.epoch}, step {self.step} of "
            f"{steps}; stopped before that step changed the model. Try a smaller learning rate "
            f"(lr={lr:g} now), check the data for NaN or inf, or run fit under `with "
            f"ag.detect_anomaly():` to find the op that made it; terminate_on_nan=False trains "
            f"on regardless", self.epoch, self.step, value, epoch_logs)


def fit(model: Any, loss_fn: Callable, optimizer: Any, train_data: Any, epochs: int = 1,
        val_data: Any = None, metrics: Sequence[str | Callable] | None = None,
        scheduler: Any = None, progress: bool | str = "auto", callbacks: Sequence[Callback] = (),
        batch_size: int = 32, shuffle: bool = True,
        seed: int | np.random.Generator | None = None, terminate_on_nan: bool = True,
        compile: bool = False, live: bool | LiveView = False,
        report: str | os.PathLike | None = None) -> History:
    """Train ``model`` for ``epochs`` epochs and return the ``History``.

    Each batch: ``zero_grad``, forward, ``loss_fn(output, target)`` (a scalar), ``backward``,
    ``optimizer.step()``. ``train_data`` and ``val_data`` are DataLoaders or tuples ``(x, y)``
    of arrays/tensors; tuples are batched with ``batch_size`` (training data shuffled when
    ``shuffle``); DataLoaders keep their own settings.

    Randomness: with ``seed`` (an int or a ``np.random.Generator``), the whole run draws from a
    generator of its own (``ag.random.use_generator``): shuffling, Dropout and anything else
    using ``ag.default_generator()``, so runs repeat and threads fitting at once do not
    disturb each other or the process-wide generator. Without it they draw from the default.

    Metrics: ``metrics=None`` logs the accuracy that fits the loss: probabilities at 0.5 for
    ``BCELoss``, logits at 0 for ``BCEWithLogitsLoss``, the argmax for ``CrossEntropyLoss`` and
    ``NLLLoss`` (modules or ``nn.functional`` functions), and nothing for regression or unknown
    losses. Names (``"accuracy"``, read the same way; ``"mae"``) and callables
    ``(output, target) -> float`` may be listed; ``"accuracy"`` with a regression loss is a
    ValueError. Training metrics are means over the epoch's batches as they were trained (like
    Keras); validation runs after each epoch in eval mode without a graph.

    ``scheduler.step()`` runs after each epoch (``ReduceLROnPlateau`` gets ``val_loss``, or
    ``train_loss`` without validation data). Callbacks (``EarlyStopping``) may stop early.
    ``progress="auto"`` draws a tqdm bar per epoch when stderr is a terminal, tqdm's widget
    bar in Jupyter (with ipywidgets), and otherwise (log files) prints one line per epoch to
    stderr; ``True`` forces a bar, ``False`` is silent.

    Stopping: a NaN or infinite training loss raises ``NonFiniteLossError`` naming the epoch
    and step, before that step's ``backward`` and optimizer step (``error.history`` holds the
    finished epochs); ``terminate_on_nan=False`` trains on instead. Ctrl-C (KeyboardInterrupt)
    ends training early and returns the History of the finished epochs with
    ``history.interrupted`` set, after a RuntimeWarning saying where it stopped (callbacks'
    ``on_train_end`` is not called). Whatever happens, the model's train/eval mode is restored.

    ``compile=True`` runs each batch's zero_grad, forward, loss and backward as one
    ``ag.compile`` program (traced on the first batch, again for a batch of another shape), with
    the same numbers; a loss or model that reads values in Python (``BCELoss``'s range check,
    class-index targets of ``CrossEntropyLoss``) raises ``ag.CompileError`` naming the line.

    Watching: ``live=True`` opens an ``nn.LiveView`` (it prints a local URL; in Jupyter the
    view is shown inline) that updates while training runs and stops when ``fit`` ends; pass
    ``live=nn.LiveView(stay=True, ...)`` to configure it. ``report="train.html"`` writes the
    same page as one self-contained HTML file at the end (with or without ``live``).
    """
    _check_fit_arguments(model, loss_fn, optimizer, epochs)
    train_loader = _as_loader(train_data, batch_size, shuffle, "fit", model)
    val_loader = None if val_data is None else _as_loader(val_data, batch_size, False,
                                                          "fit (val_data)", model)
    metric_functions = _metric_functions(metrics, loss_fn, "fit")
    progress_report = _Progress(_progress_mode(progress), epochs)
    training = _Training(model, loss_fn, optimizer, metric_functions, terminate_on_nan,
                         compile)
    training.live = _live_view(live, report)
    randomness = contextlib.nullcontext() if seed is None else ag.random.use_generator(seed)
    history = History()
    was_training = getattr(model, "training", None)
    try:
        with randomness:
            for callback in callbacks:
                callback.on_train_begin(model)
            for epoch in range(epochs):
                training.epoch, training.step = epoch + 1, 0
                logs, seconds = _fit_one_epoch(training, train_loader, val_loader, epoch,
                                               progress_report, was_training is not None)
                history.record(logs, float(optimizer.param_groups[0]["lr"]), seconds)
                progress_report.epoch_done(epoch, logs, seconds)
                if training.live is not None:
                    training.live.epoch_end(epoch, logs)
                if isinstance(scheduler, ReduceLROnPlateau):
                    scheduler.step(logs.get("val_loss", logs["train_loss"]))
                elif scheduler is not None:
                    scheduler.step()
                if any([bool(callback.on_epoch_end(epoch, logs)) for callback in callbacks]):
                    break
            for callback in callbacks:
                callback.on_train_end(model)
    except NonFiniteLossError as error:
        error.history = history
        raise
    except KeyboardInterrupt:
        history.interrupted = True
        warnings.warn(f"fit: interrupted (KeyboardInterrupt) in epoch {training.epoch} at step "
                      f"{training.step} of {len(train_loader)}; returning the History of the "
                      f"{len(history)} finished epochs", RuntimeWarning, stacklevel=2)
    finally:
        if was_training is not None:
            model.train(was_training)
        if training.live is not None:
            training.live.finish()
    return history


def _live_view(live: bool | LiveView, report: str | os.PathLike | None) -> LiveView | None:
    """The view ``fit`` updates: the one given, a new one (served for ``live=True``, only
    recording for a ``report``), or None (nothing runs)."""
    if isinstance(live, LiveView):
        if report is not None:
            live.report = Path(report)
        return live
    if live not in (True, False):
        raise TypeError(f"fit: live must be True, False or an nn.LiveView, got {live!r}")
    if not live and report is None:
        return None
    return LiveView(serve=None if live else False, report=report)


def _fit_one_epoch(training: _Training, train_loader: DataLoader, val_loader: DataLoader | None,
                   epoch: int, progress_report: _Progress, is_module: bool
                   ) -> tuple[dict[str, float], float]:
    """Train for one epoch in train mode, then validate; return the logs and the seconds."""
    started = time.perf_counter()
    if is_module:
        training.model.train()
    with progress_report.bar(epoch, len(train_loader)) as bar, ag.enable_grad():
        logs = training.train_one_epoch(train_loader, bar)
        if val_loader is not None:
            logs.update(_evaluate_loader(training.model, val_loader, training.loss_fn,
                                         training.metric_functions, "val_"))
        bar.set_postfix(_format_logs(logs))
    return logs, time.perf_counter() - started


__all__ = ["fit", "evaluate", "predict", "History", "Callback", "EarlyStopping",
           "NonFiniteLossError", "accuracy", "binary_accuracy", "logit_accuracy",
           "categorical_accuracy", "mae", "METRICS"]
