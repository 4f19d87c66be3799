"""Optimizers: SGD, Adam, AdamW, RMSprop and Adagrad, each step as PyTorch documents it.

An optimizer holds parameter groups (dicts with ``"params"`` and that group's options) and a
per-parameter ``state`` (momentum buffers, running averages). ``step()`` updates every parameter
that has a gradient, in place on ``p.data`` under ``no_grad``, in the parameter's own dtype::

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
    Subclasses implement ``_update(param, grad, state, group)`` on NumPy arrays.

    Raises ValueError for an empty parameter list, negative options, non-leaf or duplicate
    parameters, and TypeError for anything that is not a tensor.
    """

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.param_groups: list[dict[str, Any]] = []
        self.state: dict[int, dict[str, Any]] = {}  # keyed by id(param): tensors are unhashable
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

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradient of every parameter: ``None`` by default, zeros in place otherwise."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad.data[...] = 0

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; parameters without one are skipped.

        ``closure`` (optional) re-evaluates the model and returns the loss; it runs with grad
        enabled before the update and its loss is returned.
        """
        loss = None
        if closure is not None:
            with ag.enable_grad():
                loss = closure()
        with ag.no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    grad = p.grad.data
                    if grad.shape != p.shape:
                        raise ValueError(f"{self._name}.step: a parameter of shape {p.shape} "
                                         f"has a gradient of shape {grad.shape}")
                    grad = grad.astype(p.data.dtype, copy=False)
                    self._update(p.data, grad, self.state.setdefault(id(p), {}), group)
        return loss

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:
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

    def _update(self, param, grad, state, group):
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * param
        momentum = group["momentum"]
        if momentum:
            buffer = state.get("momentum_buffer")
            if buffer is None:
                buffer = state["momentum_buffer"] = grad.copy()
            else:
                buffer *= momentum
                buffer += (1 - group["dampening"]) * grad
            grad = grad + momentum * buffer if group["nesterov"] else buffer
        param -= group["lr"] * grad


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

    def _update(self, param, grad, state, group):
        lr, (beta1, beta2), decay = group["lr"], group["betas"], group["weight_decay"]
        if decay and self.decoupled_weight_decay:
            param *= 1 - lr * decay
        elif decay:
            grad = grad + decay * param
        if not state:
            state.update(step=0, exp_avg=np.zeros_like(param), exp_avg_sq=np.zeros_like(param))
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(param)
        state["step"] += 1
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg *= beta1
        exp_avg += (1 - beta1) * grad
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * grad * grad
        if group["amsgrad"]:
            np.maximum(state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"])
            exp_avg_sq = state["max_exp_avg_sq"]
        bias_correction1 = 1 - beta1 ** state["step"]
        bias_correction2 = 1 - beta2 ** state["step"]
        denominator = np.sqrt(exp_avg_sq / bias_correction2) + group["eps"]
        param -= (lr / bias_correction1) * exp_avg / denominator


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

    def _update(self, param, grad, state, group):
        alpha = group["alpha"]
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * param
        if not state:
            state.update(step=0, square_avg=np.zeros_like(param))
            if group["momentum"]:
                state["momentum_buffer"] = np.zeros_like(param)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(param)
        state["step"] += 1
        square_avg = state["square_avg"]
        square_avg *= alpha
        square_avg += (1 - alpha) * grad * grad
        if group["centered"]:
            grad_avg = state["grad_avg"]
            grad_avg *= alpha
            grad_avg += (1 - alpha) * grad
            denominator = np.sqrt(square_avg - grad_avg * grad_avg) + group["eps"]
        else:
            denominator = np.sqrt(square_avg) + group["eps"]
        if group["momentum"]:
            buffer = state["momentum_buffer"]
            buffer *= group["momentum"]
            buffer += grad / denominator
            param -= group["lr"] * buffer
        else:
            param -= group["lr"] * grad / denominator


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

    def _update(self, param, grad, state, group):
        if not state:
            state.update(step=0, sum=np.full_like(param, group["initial_accumulator_value"]))
        state["step"] += 1
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * param
        step_lr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        state["sum"] += grad * grad
        param -= step_lr * grad / (np.sqrt(state["sum"]) + group["eps"])


__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad"]
