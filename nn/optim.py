"""Optimizers: SGD, Adam, AdamW, RMSprop and Adagrad, each step as PyTorch documents it.

An optimizer holds parameter groups (dicts with ``"params"`` and that group's options) and a
per-parameter ``state`` (momentum buffers, running averages). ``step()`` updates every parameter
that has a gradient, in place in the parameter's own dtype, all or nothing: every update and new
state is computed first and then committed together, so an error (or Ctrl-C) during a step
leaves every parameter and its state untouched. Each committed parameter is marked as changed in
place, so a backward through values saved before the step raises instead of using the new
weights::

    opt = nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    opt.zero_grad()
    loss_fn(model(x), y).backward()
    opt.step()
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

import autograd_lite as ag
from autograd_lite import Tensor

# Options that must not be negative, whatever the optimizer.
_NON_NEGATIVE = ("lr", "eps", "weight_decay", "momentum", "dampening", "alpha", "lr_decay",
                 "initial_accumulator_value")


class Optimizer:
    """Base class: parameter groups, ``zero_grad``, ``step`` and state dicts.

    ``params`` is an iterable of tensors (one group) or of dicts ``{"params": [...], "lr": ...}``
    (one group each; options missing from a dict come from ``defaults``). Every parameter must be
    a float leaf tensor (an ``nn.Parameter`` is one) and may appear only once; a frozen one
    (``requires_grad=False``) is accepted and skipped, as it never gets a gradient.
    Subclasses implement ``_update(param, grad, state, group, spare) -> (descent, new_state)``
    on NumPy arrays: it returns the amount to subtract from the parameter and the parameter's
    new state (a new dict), and changes none of its arguments except the arrays of ``spare``,
    which it may overwrite to hold the new state (see ``_reusable``).

    Raises ValueError for an empty parameter list, negative options, non-leaf or duplicate
    parameters, and TypeError for anything that is not a tensor.
    """

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.param_groups: list[dict[str, Any]] = []
        self.state: dict[int, dict[str, Any]] = {}  # keyed by id(param): tensors are unhashable
        # The state each parameter had before its current one. Nothing references it, so a
        # step writes the new state into its arrays: allocating new long-lived arrays every
        # step makes the allocator hand memory back to the system and fault it in again
        # (Adam's step took 3x as long). It costs a second copy of the state.
        self._spare: dict[int, dict[str, Any]] = {}
        if isinstance(params, Tensor):
            raise TypeError(f"{self._name}: params must be an iterable of tensors or of dicts, "
                            f"got a single Tensor; wrap it in a list: [{params.name or 'p'}]")
        groups = list(params)
        if not groups:
            raise ValueError(f"{self._name}: got an empty parameter list; pass "
                             f"model.parameters() or a list of tensors with requires_grad=True")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    @property
    def _name(self) -> str:
        return type(self).__name__

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (the rest from ``defaults``).

        Useful to train new layers with a different learning rate. Raises the same errors as the
        constructor, and ValueError if a parameter is already in another group.
        """
        if not isinstance(param_group, dict) or "params" not in param_group:
            raise TypeError(f"{self._name}.add_param_group: expected a dict with a 'params' "
                            f"entry, got {type(param_group).__name__}")
        params = param_group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        if not params:
            raise ValueError(f"{self._name}.add_param_group: the group has no parameters")
        known = {id(p) for group in self.param_groups for p in group["params"]}
        for index, p in enumerate(params):
            self._check_parameter(p, index)
            if id(p) in known:
                raise ValueError(f"{self._name}: parameter {index} (shape {p.shape}) appears "
                                 f"more than once; each parameter may be in one group only")
            known.add(id(p))
        group = {**self.defaults, **param_group, "params": params}
        unknown = set(group) - set(self.defaults) - {"params", "initial_lr"}
        if unknown:
            raise ValueError(f"{self._name}: unknown option(s) {sorted(unknown)}; the options "
                             f"are {sorted(self.defaults)}")
        self._check_options(group)
        self.param_groups.append(group)

    def _check_parameter(self, p: Any, index: int) -> None:
        if not isinstance(p, Tensor):
            raise TypeError(f"{self._name}: parameter {index} is a {type(p).__name__}, not a "
                            f"Tensor; optimizers update tensors (e.g. model.parameters())")
        if not p.is_leaf:
            raise ValueError(f"{self._name}: parameter {index} (shape {p.shape}) is not a leaf "
                             f"tensor (it was computed by '{p.op_name}'); optimize the leaf it "
                             f"was computed from, or .detach().requires_grad_() it")

    def _check_options(self, group: dict[str, Any]) -> None:
        """Reject option values PyTorch rejects; subclasses add their own checks."""
        for key in _NON_NEGATIVE:
            if key in group and not group[key] >= 0:
                raise ValueError(f"{self._name}: invalid {key}={group[key]!r}; it must be >= 0")
        for beta in group.get("betas", ()):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"{self._name}: invalid betas={group['betas']!r}; each must "
                                 f"be in [0, 1)")

    @ag.opaque(run_when_traced=True)  # inside ag.compile: replayed on every call
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradient of every parameter: ``None`` by default, zeros in place otherwise."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    with ag.no_grad():
                        p.grad.zero_()

    @ag.opaque()  # inside ag.compile: recorded, called again on every call of the program
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; parameters without one are skipped.

        ``closure`` (optional) re-evaluates the model and returns the loss; it runs with grad
        enabled before the update and its loss is returned. All or nothing: the updates are
        computed for every parameter before any is applied. Raises ValueError (changing
        nothing) when a gradient's shape differs from its parameter's.
        """
        loss = None
        if closure is not None:
            with ag.enable_grad():
                loss = closure()
        updates = []
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                param, grad = p.data, p.grad.data
                if grad.shape != param.shape:
                    raise ValueError(f"{self._name}.step: a parameter of shape {param.shape} "
                                     f"has a gradient of shape {grad.shape}")
                grad = grad.astype(param.dtype, copy=False)
                key = id(p)
                updates.append((p, *self._update(param, grad, self.state.get(key, {}), group,
                                                 self._spare.get(key, {}))))
        self._commit(updates)
        return loss

    def _commit(self, updates: list[tuple[Tensor, np.ndarray, dict[str, Any]]]) -> None:
        """Apply the computed updates: a short loop with nothing left to compute or check."""
        writer = f"optimizer.step ({self._name})"
        for p, descent, new_state in updates:
            np.subtract(p.data, descent, out=p.data)
            self._spare[id(p)] = self.state.get(id(p), {})
            self.state[id(p)] = new_state
            ag.mark_changed_in_place(p, writer)

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
                group: dict[str, Any], spare: dict[str, Any]
                ) -> tuple[np.ndarray, dict[str, Any]]:
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        """Return ``{"state": {index: {...}}, "param_groups": [{..., "params": [index...]}]}``.

        Parameters are numbered in group order, as in PyTorch; arrays are copies, so saving and
        later training do not interfere. Holds only numbers and NumPy arrays (npz/JSON friendly).
        """
        state: dict[int, dict[str, Any]] = {}
        groups = []
        index = 0
        for group in self.param_groups:
            indices = []
            for p in group["params"]:
                if id(p) in self.state:
                    state[index] = {key: value.copy() if isinstance(value, np.ndarray) else value
                                    for key, value in self.state[id(p)].items()}
                indices.append(index)
                index += 1
            groups.append({**{k: v for k, v in group.items() if k != "params"},
                           "params": indices})
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore options and state saved by ``state_dict()`` into this optimizer.

        The optimizer must have the same number of groups, each with the same number of
        parameters of the same shapes. Raises ValueError naming the mismatch; nothing is changed
        when it fails.
        """
        if not isinstance(state_dict, dict) or set(state_dict) != {"state", "param_groups"}:
            raise ValueError(f"{self._name}.load_state_dict: expected a dict with keys 'state' "
                             f"and 'param_groups' (from state_dict())")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{self._name}.load_state_dict: the state has {len(saved_groups)} "
                             f"parameter group(s), this optimizer has {len(self.param_groups)}")
        by_index = {}
        for number, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"{self._name}.load_state_dict: group {number} has "
                                 f"{len(saved['params'])} parameters in the state but "
                                 f"{len(group['params'])} in this optimizer")
            by_index.update(zip(saved["params"], group["params"]))
        new_state = {}
        for index, entries in state_dict["state"].items():
            p = by_index.get(int(index))
            if p is None:
                raise ValueError(f"{self._name}.load_state_dict: the state names parameter "
                                 f"{index}, which is in no group")
            new_state[id(p)] = {}
            for key, value in entries.items():
                if isinstance(value, np.ndarray):
                    if value.shape != p.shape:
                        raise ValueError(f"{self._name}.load_state_dict: '{key}' of parameter "
                                         f"{index} has shape {value.shape}, the parameter has "
                                         f"shape {p.shape}")
                    value = value.astype(p.data.dtype, copy=True)
                new_state[id(p)][key] = value
        for saved, group in zip(saved_groups, self.param_groups):
            group.update({k: v for k, v in saved.items() if k != "params"})
        self.state = new_state
        self._spare = {}

    def __repr__(self) -> str:
        lines = [f"{self._name} ("]
        for number, group in enumerate(self.param_groups):
            options = ", ".join(f"{k}={v}" for k, v in group.items() if k != "params")
            lines.append(f"  group {number}: {len(group['params'])} params, {options}")
        return "\n".join(lines + [")"])


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, dampening, Nesterov and L2 decay.

    Per step, with g the gradient: ``g += weight_decay * p``; with momentum,
    ``b = g`` on the first step and ``b = momentum * b + (1 - dampening) * g`` after, then
    ``g = g + momentum * b`` (Nesterov) or ``g = b``; finally ``p -= lr * g``.
    Nesterov needs momentum > 0 and dampening = 0 (ValueError otherwise).
    """

    def __init__(self, params: Iterable[Any], lr: float, momentum: float = 0.0,
                 dampening: float = 0.0, nesterov: bool = False, weight_decay: float = 0.0
                 ) -> None:
        super().__init__(params, {"lr": lr, "momentum": momentum, "dampening": dampening,
                                  "nesterov": nesterov, "weight_decay": weight_decay})

    def _check_options(self, group: dict[str, Any]) -> None:
        super()._check_options(group)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(f"SGD: nesterov=True needs momentum > 0 and dampening = 0, got "
                             f"momentum={group['momentum']}, dampening={group['dampening']}")

    def _update(self, param, grad, state, group, spare):
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * param
        momentum = group["momentum"]
        if not momentum:
            return group["lr"] * grad, {}
        previous = state.get("momentum_buffer")
        if previous is None:
            buffer = grad.copy()
        else:
            buffer = np.multiply(previous, momentum,
                                 out=_reusable(spare, "momentum_buffer", previous))
            buffer += (1 - group["dampening"]) * grad if group["dampening"] else grad
        direction = grad + momentum * buffer if group["nesterov"] else buffer
        return group["lr"] * direction, {"momentum_buffer": buffer}


class Adam(Optimizer):
    """Adam (Kingma & Ba), with L2 weight decay added to the gradient and optional AMSGrad.

    Per step t: ``g += weight_decay * p``; ``m = b1 m + (1 - b1) g``; ``v = b2 v + (1 - b2) g^2``;
    with AMSGrad ``v_max = max(v_max, v)`` replaces v below;
    ``p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)``.
    """

    decoupled_weight_decay = False

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False) -> None:
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps,
                                  "weight_decay": weight_decay, "amsgrad": amsgrad})

    def _update(self, param, grad, state, group, spare):
        lr, (beta1, beta2), decay = group["lr"], group["betas"], group["weight_decay"]
        if decay and not self.decoupled_weight_decay:
            grad = grad + decay * param
        step = state.get("step", 0) + 1
        # Not PyTorch's lerp form m + (1 - b1) (g - m): with a steady gradient g - m becomes
        # subnormal, and arithmetic on subnormals is several times slower.
        exp_avg = _running_average(state, spare, "exp_avg", beta1, (1 - beta1) * grad)
        exp_avg_sq = _running_average(state, spare, "exp_avg_sq", beta2,
                                      _scaled_square(grad, beta2))
        new_state = {"step": step, "exp_avg": exp_avg, "exp_avg_sq": exp_avg_sq}
        second_moment = exp_avg_sq
        if group["amsgrad"]:
            second_moment = new_state["max_exp_avg_sq"] = (
                np.maximum(state["max_exp_avg_sq"], exp_avg_sq,
                           out=_reusable(spare, "max_exp_avg_sq", exp_avg_sq))
                if "max_exp_avg_sq" in state else exp_avg_sq.copy())
        denominator = second_moment / (1 - beta2 ** step)
        np.sqrt(denominator, out=denominator)
        denominator += group["eps"]
        descent = exp_avg * (lr / (1 - beta1 ** step))
        descent /= denominator
        if decay and self.decoupled_weight_decay:
            descent += (lr * decay) * param  # p * (1 - lr * decay) - step, as one subtraction
        return descent, new_state


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): ``p *= 1 - lr * weight_decay``
    before the Adam step, instead of adding ``weight_decay * p`` to the gradient.

    Same options as ``Adam``; ``weight_decay`` defaults to 0.01 as in PyTorch.
    """

    decoupled_weight_decay = True

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)


class RMSprop(Optimizer):
    """RMSprop (Hinton), optionally centered and with momentum.

    Per step: ``g += weight_decay * p``; ``v = alpha v + (1 - alpha) g^2``; centered:
    ``g_avg = alpha g_avg + (1 - alpha) g`` and ``v~ = v - g_avg^2`` (else ``v~ = v``); with
    momentum ``b = momentum b + g / (sqrt(v~) + eps)`` and ``p -= lr b``, else
    ``p -= lr g / (sqrt(v~) + eps)``.
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0,
                 centered: bool = False) -> None:
        super().__init__(params, {"lr": lr, "alpha": alpha, "eps": eps,
                                  "weight_decay": weight_decay, "momentum": momentum,
                                  "centered": centered})

    def _update(self, param, grad, state, group, spare):
        alpha, momentum = group["alpha"], group["momentum"]
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * param
        square_avg = _running_average(state, spare, "square_avg", alpha,
                                      _scaled_square(grad, alpha))
        new_state = {"step": state.get("step", 0) + 1, "square_avg": square_avg}
        if group["centered"]:
            grad_avg = _running_average(state, spare, "grad_avg", alpha, (1 - alpha) * grad)
            new_state["grad_avg"] = grad_avg
            denominator = np.sqrt(square_avg - grad_avg * grad_avg) + group["eps"]
        else:
            denominator = np.sqrt(square_avg) + group["eps"]
        if not momentum:
            return group["lr"] * grad / denominator, new_state
        buffer = _running_average(state, spare, "momentum_buffer", momentum, grad / denominator)
        new_state["momentum_buffer"] = buffer
        return group["lr"] * buffer, new_state


class Adagrad(Optimizer):
    """Adagrad (Duchi et al.): per-coordinate steps shrinking with the summed squared gradients.

    Per step t: ``lr_t = lr / (1 + (t - 1) lr_decay)``; ``g += weight_decay * p``;
    ``s += g^2`` (s starts at ``initial_accumulator_value``); ``p -= lr_t g / (sqrt(s) + eps)``.
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10) -> None:
        super().__init__(params, {"lr": lr, "lr_decay": lr_decay, "weight_decay": weight_decay,
                                  "initial_accumulator_value": initial_accumulator_value,
                                  "eps": eps})

    def _update(self, param, grad, state, group, spare):
        step = state.get("step", 0) + 1
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * param
        step_lr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        squares = np.multiply(grad, grad, out=_reusable(spare, "sum", grad))
        squares += state["sum"] if state else group["initial_accumulator_value"]
        return step_lr * grad / (np.sqrt(squares) + group["eps"]), {"step": step, "sum": squares}


def _scaled_square(grad: np.ndarray, decay: float) -> np.ndarray:
    """``(1 - decay) * grad ** 2`` in one new array."""
    square = grad * grad
    square *= 1 - decay
    return square


def _reusable(spare: dict[str, Any], name: str, like: np.ndarray) -> np.ndarray | None:
    """``spare[name]`` if it can hold an array of ``like``'s shape and dtype, else None (which
    makes a NumPy ``out=`` allocate)."""
    buffer = spare.get(name)
    if buffer is not None and buffer.shape == like.shape and buffer.dtype == like.dtype:
        return buffer
    return None


def _running_average(state: dict[str, Any], spare: dict[str, Any], name: str, decay: float,
                     update: np.ndarray) -> np.ndarray:
    """The new value of the average ``state[name]``: ``decay * state[name] + update``, written
    into ``spare[name]`` when it fits; ``update`` itself (a new array) when the entry does not
    exist yet, as the average starts from zero."""
    previous = state.get(name)
    if previous is None:
        return update
    average = np.multiply(previous, decay, out=_reusable(spare, name, previous))
    average += update
    return average


__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad"]
