"""The training loop: ``fit`` a model for some epochs, ``evaluate`` and ``predict`` with it.

    model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 2))
    opt = nn.optim.Adam(model.parameters(), lr=0.01)
    history = nn.fit(model, nn.CrossEntropyLoss(), opt, (x, y), epochs=20, val_data=(xv, yv))
    history.plot("curves.png")

``fit`` shows a tqdm progress bar per epoch (loss and metrics live) when stderr is a terminal and
returns a ``History`` of per-epoch losses, metrics, learning rates and times. Callbacks such as
``EarlyStopping`` can stop training early.
"""

from __future__ import annotations

import contextlib
import math
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
from tqdm import tqdm

import autograd_lite as ag
from autograd_lite import Tensor

from .data import DataLoader, TensorDataset
from .lr_scheduler import ReduceLROnPlateau

# --- metrics: (output array, target array) -> mean over the batch ------------------------------


def accuracy(output: np.ndarray, target: np.ndarray) -> float:
    """Fraction of correct predictions.

    One output per sample (shape (N,) or (N, 1)): the prediction is ``output > 0.5`` (a sigmoid
    probability), compared with ``target > 0.5``. Several outputs (N, C, ...): the prediction is
    the argmax over axis 1 (the class axis, as in ``cross_entropy``), compared with integer
    labels, or with the argmax of one-hot targets of the output's shape.
    """
    if output.ndim == 1 or output.shape[1] == 1:
        predicted = output.reshape(len(output), -1) > 0.5
        return float(np.mean(predicted == (target.reshape(predicted.shape) > 0.5)))
    predicted = output.argmax(axis=1)
    if target.shape == output.shape:
        target = target.argmax(axis=1)
    return float(np.mean(predicted == target))


def mae(output: np.ndarray, target: np.ndarray) -> float:
    """Mean absolute error ``mean(|output - target|)`` (target reshaped to the output's shape)."""
    return float(np.mean(np.abs(output - target.reshape(output.shape))))


METRICS: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {"accuracy": accuracy, "mae": mae}


def _metric_functions(metrics: Sequence[str | Callable]) -> dict[str, Callable]:
    """Resolve metric names (``"accuracy"``, ``"mae"``) and callables into ``name -> function``.

    A callable takes ``(output, target)`` NumPy arrays and returns the batch mean; its name is
    its ``__name__``.
    """
    if isinstance(metrics, str):
        metrics = (metrics,)
    functions = {}
    for metric in metrics:
        if callable(metric):
            functions[getattr(metric, "__name__", type(metric).__name__)] = metric
        elif metric in METRICS:
            functions[metric] = METRICS[metric]
        else:
            raise ValueError(f"unknown metric {metric!r}; use one of {sorted(METRICS)} or a "
                             f"function (output, target) -> float")
    return functions


class _RunningMeans:
    """Sample-weighted running means of the loss and the metrics over an epoch."""

    def __init__(self, metric_functions: dict[str, Callable]) -> None:
        self.metric_functions = metric_functions
        self.count = 0
        self.sums = {}

    def add(self, loss: Tensor | None, output: Tensor, target: Tensor) -> None:
        count = len(target)
        self.count += count
        values = {} if loss is None else {"loss": _loss_value(loss)}
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


def _as_loader(data: Any, batch_size: int, shuffle: bool, seed: int | None,
               where: str) -> DataLoader:
    """A DataLoader as is, or a tuple ``(x, y)`` of arrays/tensors batched into one."""
    if isinstance(data, (tuple, list)) and len(data) == 2:
        data = DataLoader(TensorDataset(*data), batch_size=batch_size, shuffle=shuffle,
                          seed=seed)
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
            running.add(None if loss_fn is None else loss_fn(output, y), output, y)
    return running.means(prefix)


def evaluate(model: Any, data: Any, loss_fn: Callable | None,
             metrics: Sequence[str | Callable] = ("accuracy",), batch_size: int = 256
             ) -> dict[str, float]:
    """Mean loss and metrics of ``model`` over ``data``, in eval mode and without a graph.

    ``data`` is a DataLoader or a tuple ``(x, y)``; ``loss_fn`` may be None to skip the loss.
    Returns e.g. ``{"loss": 0.31, "accuracy": 0.9}``; the model's train/eval mode is restored.
    """
    loader = _as_loader(data, batch_size, False, None, "evaluate")
    return _evaluate_loader(model, loader, loss_fn, _metric_functions(metrics))


def predict(model: Any, x: Any, batch_size: int = 256) -> Tensor:
    """Outputs of ``model`` on all of ``x``, in batches, in eval mode, without a graph.

    ``x`` is an array or Tensor (split into batches of ``batch_size``) or a DataLoader (the
    first field of each batch is the input). Returns one Tensor with the batch outputs
    concatenated along the first axis; the model's train/eval mode is restored.
    """
    loader = x if isinstance(x, DataLoader) else DataLoader(TensorDataset(x), batch_size)
    with _inference_mode(model):
        outputs = [model(batch[0]).data for batch in loader]
    return ag.tensor(np.concatenate(outputs))


# --- history and callbacks --------------------------------------------------------------------


class History:
    """What ``fit`` recorded, one entry per epoch.

    ``train_loss`` and ``val_loss`` (empty without validation data), ``metrics`` (a dict such as
    ``{"train_accuracy": [...], "val_accuracy": [...]}``), ``lr`` (the first group's learning
    rate during the epoch) and ``time`` (wall seconds). ``history["val_accuracy"]`` reads any
    of them; ``to_dict()`` returns them all, with ``"epoch"`` numbered from 1.
    """

    def __init__(self) -> None:
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


def _progress_enabled(progress: bool) -> bool:
    """Draw bars only when asked and stderr (where tqdm writes) is a terminal."""
    isatty = getattr(sys.stderr, "isatty", None)
    return bool(progress) and isatty is not None and isatty()


def _format_logs(logs: dict[str, float]) -> dict[str, str]:
    """Short bar labels: ``loss``, ``accuracy``, ``val_loss``... with 4 significant digits."""
    return {name.removeprefix("train_"): f"{value:.4g}" for name, value in logs.items()}


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


def _train_one_epoch(model: Any, loss_fn: Callable, optimizer: Any, loader: DataLoader,
                     metric_functions: dict[str, Callable], bar: Any) -> dict[str, float]:
    running = _RunningMeans(metric_functions)
    for batch in loader:
        x, y = _inputs_and_targets(batch, "fit")
        optimizer.zero_grad()
        output = model(x)
        loss = loss_fn(output, y)
        running.add(loss, output.detach(), y)
        loss.backward()
        optimizer.step()
        bar.update()
        if not bar.disable:
            bar.set_postfix(_format_logs(running.means()), refresh=False)
    return running.means("train_")


def fit(model: Any, loss_fn: Callable, optimizer: Any, train_data: Any, epochs: int = 1,
        val_data: Any = None, metrics: Sequence[str | Callable] = ("accuracy",),
        scheduler: Any = None, progress: bool = True, callbacks: Sequence[Callback] = (),
        batch_size: int = 32, shuffle: bool = True, seed: int | None = None) -> History:
    """Train ``model`` for ``epochs`` epochs and return the ``History``.

    Each batch: ``zero_grad``, forward, ``loss_fn(output, target)`` (a scalar), ``backward``,
    ``optimizer.step()``. ``train_data`` and ``val_data`` are DataLoaders or tuples ``(x, y)``
    of arrays/tensors; tuples are batched with ``batch_size`` (training data shuffled when
    ``shuffle``, reproducibly with ``seed``); DataLoaders keep their own settings.

    Training metrics are means over the epoch's batches as they were trained (like Keras);
    validation runs after each epoch in eval mode without a graph. See ``accuracy`` for how
    predictions are read. ``scheduler.step()`` runs after each epoch
    (``ReduceLROnPlateau`` gets ``val_loss``, or ``train_loss`` without validation data).
    Callbacks (``EarlyStopping``) may stop early. A progress bar per epoch is drawn on stderr
    when ``progress`` is true and stderr is a terminal. The model's train/eval mode is restored
    at the end.
    """
    _check_fit_arguments(model, loss_fn, optimizer, epochs)
    train_loader = _as_loader(train_data, batch_size, shuffle, seed, "fit")
    val_loader = None if val_data is None else _as_loader(val_data, batch_size, False, None,
                                                          "fit (val_data)")
    metric_functions = _metric_functions(metrics)
    show_progress = _progress_enabled(progress)
    history = History()
    was_training = getattr(model, "training", None)
    try:
        for callback in callbacks:
            callback.on_train_begin(model)
        for epoch in range(epochs):
            lr = float(optimizer.param_groups[0]["lr"])
            started = time.perf_counter()
            if was_training is not None:
                model.train()
            with tqdm(total=len(train_loader), desc=f"epoch {epoch + 1}/{epochs}", unit="batch",
                      file=sys.stderr, disable=not show_progress, dynamic_ncols=True) as bar, \
                    ag.enable_grad():
                logs = _train_one_epoch(model, loss_fn, optimizer, train_loader, metric_functions,
                                        bar)
                if val_loader is not None:
                    logs.update(_evaluate_loader(model, val_loader, loss_fn, metric_functions,
                                                 "val_"))
                bar.set_postfix(_format_logs(logs))
            history.record(logs, lr, time.perf_counter() - started)
            if isinstance(scheduler, ReduceLROnPlateau):
                scheduler.step(logs.get("val_loss", logs["train_loss"]))
            elif scheduler is not None:
                scheduler.step()
            if any([bool(callback.on_epoch_end(epoch, logs)) for callback in callbacks]):
                break
        for callback in callbacks:
            callback.on_train_end(model)
    finally:  # an interrupted run (Ctrl-C, an error) still restores the mode
        if was_training is not None:
            model.train(was_training)
    return history


__all__ = ["fit", "evaluate", "predict", "History", "Callback", "EarlyStopping", "accuracy",
           "mae", "METRICS"]
