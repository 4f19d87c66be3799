"""Learning-rate schedules: change each parameter group's ``lr`` as training goes on.

Call ``scheduler.step()`` once per epoch, after ``optimizer.step()`` (``ReduceLROnPlateau`` takes
the monitored value: ``scheduler.step(val_loss)``). Epoch-based schedules are computed in closed
form from the group's initial lr, so they never drift::

    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    schedule = nn.lr_scheduler.StepLR(opt, step_size=30, gamma=0.1)  # 0.1, then 0.01 at 30...
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence
from typing import Any

import autograd_lite as ag

from .optim import Optimizer


class _Scheduler:
    """What every schedule shares: its optimizer, ``get_last_lr()`` and state dicts."""

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: expected an nn.optim optimizer, got "
                            f"{type(optimizer).__name__}")
        self.optimizer = optimizer

    def get_last_lr(self) -> list[float]:
        """The learning rate of each parameter group after the last ``step()``."""
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """The schedule's counters and options (not the optimizer, not functions)."""
        return {key: value for key, value in self.__dict__.items()
                if key != "optimizer" and not callable(value)
                and not (isinstance(value, list) and any(callable(v) for v in value))}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what ``state_dict()`` returned; ValueError for keys this schedule lacks."""
        unknown = set(state_dict) - set(self.state_dict())
        if unknown:
            raise ValueError(f"{type(self).__name__}.load_state_dict: unknown keys "
                             f"{sorted(unknown)}; was the state saved from another schedule?")
        self.__dict__.update(state_dict)


class LRScheduler(_Scheduler):
    """Base of the epoch-based schedules: ``lr = schedule(initial_lr, epoch)`` per group.

    On construction it records each group's ``initial_lr`` and applies epoch 0; every
    ``step()`` advances ``last_epoch`` by one. Subclasses implement ``_lr(base_lr, epoch,
    group_index)``.
    """

    def __init__(self, optimizer: Optimizer) -> None:
        super().__init__(optimizer)
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = -1
        self.step()

    def _lr(self, base_lr: float, epoch: int, group_index: int) -> float:
        raise NotImplementedError

    @ag.opaque()  # inside ag.compile: called again on every call of the program
    def step(self) -> None:
        """Move to the next epoch and set every group's lr for it."""
        self.last_epoch += 1
        for index, (group, base_lr) in enumerate(zip(self.optimizer.param_groups,
                                                     self.base_lrs)):
            group["lr"] = self._lr(base_lr, self.last_epoch, index)


class StepLR(LRScheduler):
    """Multiply the lr by ``gamma`` every ``step_size`` epochs: ``lr0 * gamma ** (e // step)``."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        if not isinstance(step_size, int) or step_size < 1:
            raise ValueError(f"StepLR: step_size must be a positive integer, got {step_size!r}")
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer)

    def _lr(self, base_lr, epoch, group_index):
        return base_lr * self.gamma ** (epoch // self.step_size)


class MultiStepLR(LRScheduler):
    """Multiply the lr by ``gamma`` at each epoch in ``milestones`` (increasing integers)."""

    def __init__(self, optimizer: Optimizer, milestones: Sequence[int], gamma: float = 0.1
                 ) -> None:
        milestones = list(milestones)
        if milestones != sorted(milestones):
            raise ValueError(f"MultiStepLR: milestones must be increasing, got {milestones}")
        self.milestones = milestones
        self.gamma = gamma
        super().__init__(optimizer)

    def _lr(self, base_lr, epoch, group_index):
        return base_lr * self.gamma ** bisect.bisect_right(self.milestones, epoch)


class ExponentialLR(LRScheduler):
    """Multiply the lr by ``gamma`` every epoch: ``lr0 * gamma ** epoch``."""

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        self.gamma = gamma
        super().__init__(optimizer)

    def _lr(self, base_lr, epoch, group_index):
        return base_lr * self.gamma ** epoch


class CosineAnnealingLR(LRScheduler):
    """Cosine from the initial lr down to ``eta_min`` over ``T_max`` epochs (SGDR, no restarts).

    ``lr = eta_min + (lr0 - eta_min) * (1 + cos(pi * epoch / T_max)) / 2``; past ``T_max`` the
    cosine continues, rising again, as in PyTorch.
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:  # noqa: N803
        if T_max <= 0:
            raise ValueError(f"CosineAnnealingLR: T_max must be positive, got {T_max!r}")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer)

    def _lr(self, base_lr, epoch, group_index):
        return self.eta_min + (base_lr - self.eta_min) * (
            1 + math.cos(math.pi * epoch / self.T_max)) / 2


class LambdaLR(LRScheduler):
    """``lr = lr0 * lr_lambda(epoch)``; ``lr_lambda`` is a function or one function per group.

    The functions are not part of the state dict.
    """

    def __init__(self, optimizer: Optimizer,
                 lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]]) -> None:
        groups = len(optimizer.param_groups) if isinstance(optimizer, Optimizer) else 0
        lambdas = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * groups
        if len(lambdas) != groups or not all(callable(f) for f in lambdas):
            raise ValueError(f"LambdaLR: expected a function or a list of {groups} functions "
                             f"(one per parameter group), got {lr_lambda!r}")
        self.lr_lambdas = lambdas
        super().__init__(optimizer)

    def _lr(self, base_lr, epoch, group_index):
        return base_lr * self.lr_lambdas[group_index](epoch)


class ReduceLROnPlateau(_Scheduler):
    """Multiply the lr by ``factor`` when a monitored value stops improving.

    ``step(value)`` once per epoch. A value improves on the best so far when it is lower
    (``mode="min"``) or higher (``"max"``) by more than ``threshold`` (relative:
    ``best * (1 -/+ threshold)``, or absolute with ``threshold_mode="abs"``). After more than
    ``patience`` epochs without improvement every lr becomes ``max(lr * factor, min_lr)`` (changes
    smaller than ``eps`` are ignored), then ``cooldown`` epochs pass before counting again.
    """

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1,
                 patience: int = 10, threshold: float = 1e-4, threshold_mode: str = "rel",
                 cooldown: int = 0, min_lr: float | Sequence[float] = 0.0, eps: float = 1e-8
                 ) -> None:
        super().__init__(optimizer)
        if mode not in ("min", "max"):
            raise ValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs', got "
                             f"{threshold_mode!r}")
        if not 0 <= factor < 1:
            raise ValueError(f"ReduceLROnPlateau: factor must be in [0, 1), got {factor!r}")
        groups = len(optimizer.param_groups)
        min_lrs = list(min_lr) if isinstance(min_lr, (list, tuple)) else [min_lr] * groups
        if len(min_lrs) != groups:
            raise ValueError(f"ReduceLROnPlateau: expected {groups} min_lr values (one per "
                             f"group), got {len(min_lrs)}")
        self.mode, self.factor, self.patience = mode, factor, patience
        self.threshold, self.threshold_mode = threshold, threshold_mode
        self.cooldown, self.min_lrs, self.eps = cooldown, min_lrs, eps
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0

    def _improves(self, value: float) -> bool:
        sign = 1 if self.mode == "min" else -1
        if self.threshold_mode == "rel":
            target = self.best * (1 - sign * self.threshold)
        else:
            target = self.best - sign * self.threshold
        return value < target if self.mode == "min" else value > target

    def step(self, value: float) -> None:
        """Record this epoch's monitored ``value`` (e.g. the validation loss)."""
        value = float(value)
        self.last_epoch += 1
        if self._improves(value):
            self.best = value
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs):
                reduced = max(group["lr"] * self.factor, min_lr)
                if group["lr"] - reduced > self.eps:
                    group["lr"] = reduced
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0


__all__ = ["LRScheduler", "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR",
           "LambdaLR", "ReduceLROnPlateau"]
