"""Check analytic gradients against central finite differences in float64.

``gradcheck(fn, inputs)`` compares the Jacobian that backward computes for ``fn`` with the one
measured by perturbing each input element by ``±eps``. Small problems compare the full
Jacobians element by element; large ones compare ``<u, J v>`` along random directions, computed
once by backward (``(u^T J) . v``) and once by finite differences (``u . (J v)``).
``gradgradcheck`` does the same for the second derivatives, by checking the function that maps
(inputs, v) to the VJP computed with ``create_graph=True``.

    >>> import autograd_lite as ag
    >>> x = ag.tensor([0.5, 1.5], dtype="float64", requires_grad=True)
    >>> ag.gradcheck(lambda x: (x * x.sin()).sum(), [x])
    True
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .backward import grad
from .grad_mode import enable_grad
from .tensor import Tensor


class GradcheckError(RuntimeError):
    """Raised by ``gradcheck``/``gradgradcheck`` when analytic and numeric gradients differ."""


@dataclass(frozen=True)
class _Tolerance:
    eps: float
    atol: float
    rtol: float

    def bad(self, analytic: np.ndarray, numeric: np.ndarray) -> np.ndarray:
        """Where ``|analytic - numeric| > atol + rtol * |numeric|`` (NaN counts as bad)."""
        return ~(np.abs(analytic - numeric) <= self.atol + self.rtol * np.abs(numeric))

    def describe(self) -> str:
        return f"atol {self.atol:g}, rtol {self.rtol:g}, eps {self.eps:g}"


def _relative_error(analytic: float, numeric: float) -> float:
    scale = max(abs(analytic), abs(numeric))
    return 0.0 if scale == 0 else abs(analytic - numeric) / scale


def _is_differentiable_input(x: Any) -> bool:
    return isinstance(x, Tensor) and x.requires_grad


def _as_float64_inputs(inputs: Any, caller: str) -> list[Any]:
    """Copy float tensors to float64 leaves (keeping requires_grad), warning about upcasts."""
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if not any(_is_differentiable_input(x) for x in inputs):
        raise ValueError(f"{caller}: no input requires grad, so there is nothing to check; "
                         f"pass tensors created with requires_grad=True")
    converted = []
    for index, x in enumerate(inputs):
        if isinstance(x, Tensor) and x.dtype.kind == "f":
            if x.dtype != np.float64:
                warnings.warn(f"{caller}: input {index} is {x.dtype}; the check runs in float64 "
                              f"on an upcast copy, because finite differences in lower "
                              f"precision are too coarse", stacklevel=3)
            x = Tensor(x.data.astype(np.float64), requires_grad=x.requires_grad)
        converted.append(x)
    return converted


def _as_outputs(result: Any, caller: str) -> tuple[Tensor, ...]:
    if not isinstance(result, (Tensor, tuple, list)):
        raise TypeError(f"{caller}: the function must return a Tensor or a tuple of Tensors, "
                        f"but it returned a {type(result).__name__}")
    outputs = (result,) if isinstance(result, Tensor) else tuple(result)
    for index, out in enumerate(outputs):
        if not isinstance(out, Tensor):
            raise TypeError(f"{caller}: the function must return a Tensor or a tuple of "
                            f"Tensors, but output {index} is a {type(out).__name__}")
    return outputs


def _float_outputs(outputs: Sequence[Tensor]) -> list[int]:
    """Indices of the outputs that can carry a gradient (float dtype)."""
    return [k for k, out in enumerate(outputs) if out.dtype.kind == "f"]


class _Problem:
    """A function with its float64 inputs: evaluates it and its VJPs for the comparisons."""

    def __init__(self, fn: Callable, inputs: list[Any], caller: str,
                 input_names: Sequence[str], output_names: Sequence[str] | None) -> None:
        self.fn = fn
        self.inputs = inputs
        self.caller = caller
        self.wrt = [i for i, x in enumerate(inputs) if _is_differentiable_input(x)]
        self.outputs = _as_outputs(fn(*inputs), caller)
        self.checked = _float_outputs(self.outputs)
        if not self.checked:
            raise ValueError(f"{caller}: the function has no float output to differentiate")
        self.input_names = list(input_names)
        self.output_names = list(output_names) if output_names is not None else [
            f"output {k}" for k in range(len(self.outputs))]

    def evaluate(self, replaced: int, data: np.ndarray) -> list[np.ndarray]:
        """The float outputs' values with input ``replaced`` holding ``data`` instead."""
        original = self.inputs[replaced]
        args = list(self.inputs)
        args[replaced] = Tensor(data, requires_grad=original.requires_grad)
        outputs = _as_outputs(self.fn(*args), self.caller)
        return [np.asarray(outputs[k].data, dtype=np.float64) for k in self.checked]

    def vjp(self, k: int, cotangent: np.ndarray) -> list[np.ndarray]:
        """``cotangent^T J`` of output ``k`` for every differentiated input (zeros if unused)."""
        out = self.outputs[k]
        if not out.requires_grad:
            return [np.zeros(self.inputs[i].shape) for i in self.wrt]
        grads = grad(out, [self.inputs[i] for i in self.wrt], grad_outputs=[cotangent],
                     retain_graph=True, allow_unused=True)
        results = []
        for i, g in zip(self.wrt, grads):
            x = self.inputs[i]
            if g is None:
                results.append(np.zeros(x.shape))
                continue
            if g.shape != x.shape or g.dtype != x.dtype:
                raise GradcheckError(
                    f"{self.caller}: the gradient of {self.output_names[k]} with respect to "
                    f"{self.input_names[i]} has shape {g.shape} and dtype {g.dtype}, but the "
                    f"input has shape {x.shape} and dtype {x.dtype}")
            results.append(np.asarray(g.data, dtype=np.float64))
        return results


def _failure(problem: _Problem, k: int, i: int, where: str, analytic: float, numeric: float,
             tolerance: _Tolerance, bad_count: int, total: int) -> str:
    out, x = problem.outputs[k], problem.inputs[i]
    return (f"{problem.caller}: the gradient of {problem.output_names[k]} (shape {out.shape}) "
            f"with respect to {problem.input_names[i]} (shape {x.shape}) does not match finite "
            f"differences. Worst element: {where}: analytic {analytic:.10g}, numeric "
            f"{numeric:.10g}, relative error {_relative_error(analytic, numeric):.3g} "
            f"({tolerance.describe()}); {bad_count} of {total} compared values are out of "
            f"tolerance")


def _check_full_jacobian(problem: _Problem, tolerance: _Tolerance) -> str | None:
    """Compare every Jacobian entry; report the first failing block's worst entry, or None."""
    numeric = {}  # (k, i) -> (output size, input size) Jacobian block
    for i in problem.wrt:
        x = problem.inputs[i].data
        for flat in range(x.size):
            shifted = []
            for sign in (1.0, -1.0):
                data = x.copy()
                data.flat[flat] += sign * tolerance.eps
                shifted.append(problem.evaluate(i, data))
            for k, plus, minus in zip(problem.checked, *shifted):
                block = numeric.setdefault((k, i), np.zeros((plus.size, x.size)))
                block[:, flat] = ((plus - minus) / (2 * tolerance.eps)).ravel()
    for k in problem.checked:
        out = problem.outputs[k]
        analytic = {i: np.zeros((out.size, problem.inputs[i].size)) for i in problem.wrt}
        for flat in range(out.size):
            cotangent = np.zeros(out.shape)
            cotangent.flat[flat] = 1.0
            for i, row in zip(problem.wrt, problem.vjp(k, cotangent)):
                analytic[i][flat] = row.ravel()
        for i in problem.wrt:
            expected = numeric.get((k, i), np.zeros_like(analytic[i]))
            bad = tolerance.bad(analytic[i], expected)
            if bad.any():
                excess = np.abs(analytic[i] - expected) - tolerance.rtol * np.abs(expected)
                worst = np.unravel_index(np.argmax(np.where(np.isnan(excess), np.inf, excess)),
                                         excess.shape)
                out_index = np.unravel_index(worst[0], out.shape)
                in_index = np.unravel_index(worst[1], problem.inputs[i].shape)
                where = (f"d {problem.output_names[k]}{list(map(int, out_index))} / d "
                         f"{problem.input_names[i]}{list(map(int, in_index))}")
                return _failure(problem, k, i, where, analytic[i][worst], expected[worst],
                                tolerance, int(bad.sum()), bad.size)
    return None


def _check_random_directions(problem: _Problem, tolerance: _Tolerance, directions: int,
                             rng: np.random.Generator) -> str | None:
    """Compare ``<u, J v>`` (finite differences) with ``<u^T J, v>`` (backward) per block."""
    for direction in range(directions):
        for i in problem.wrt:
            x = problem.inputs[i].data
            v = rng.standard_normal(x.shape)
            plus = problem.evaluate(i, x + tolerance.eps * v)
            minus = problem.evaluate(i, x - tolerance.eps * v)
            for k, up, down in zip(problem.checked, plus, minus):
                u = rng.standard_normal(problem.outputs[k].shape)
                numeric = float(np.sum(u * (up - down)) / (2 * tolerance.eps))
                row = problem.vjp(k, u)[problem.wrt.index(i)]
                analytic = float(np.sum(row * v))
                if tolerance.bad(np.array(analytic), np.array(numeric)):
                    where = f"<u, J v> along random direction {direction}"
                    return _failure(problem, k, i, where, analytic, numeric, tolerance, 1, 1)
    return None


def _run_check(fn: Callable, inputs: list[Any], tolerance: _Tolerance, raise_exception: bool,
               max_full_size: int, directions: int, seed: int, caller: str,
               input_names: Sequence[str] | None = None,
               output_names: Sequence[str] | None = None) -> bool:
    names = input_names or [f"input {i}" for i in range(len(inputs))]
    with enable_grad():
        problem = _Problem(fn, inputs, caller, names, output_names)
        input_size = sum(problem.inputs[i].size for i in problem.wrt)
        output_size = sum(problem.outputs[k].size for k in problem.checked)
        if max(input_size, output_size) <= max_full_size:
            report = _check_full_jacobian(problem, tolerance)
        else:
            report = _check_random_directions(problem, tolerance, directions,
                                              np.random.default_rng(seed))
    if report is None:
        return True
    if raise_exception:
        raise GradcheckError(report)
    return False


def gradcheck(fn: Callable[..., Any], inputs: Tensor | Sequence[Any], eps: float = 1e-6,
              atol: float = 1e-5, rtol: float = 1e-3, raise_exception: bool = True,
              max_full_size: int = 128, directions: int = 3, seed: int = 0) -> bool:
    """Check the gradients of ``fn`` at ``inputs`` against central finite differences.

    ``fn(*inputs)`` must return a Tensor or a tuple of Tensors (non-float outputs are ignored).
    Gradients are checked with respect to every input tensor with ``requires_grad=True``; other
    inputs (tensors, numbers, arrays) are passed through unchanged. Float inputs are copied to
    float64 first (with a warning when they were float32: finite differences need float64).

    When the differentiated inputs and the float outputs each hold at most ``max_full_size``
    elements, every Jacobian entry is compared; otherwise ``directions`` random directions
    (seeded by ``seed``) compare ``<u, J v>`` computed by backward and by finite differences.
    An entry passes when ``|analytic - numeric| <= atol + rtol * |numeric|``.

    Returns True when every check passes. Otherwise raises ``GradcheckError`` naming the input,
    the output, the worst element's index, the analytic and numeric values and the relative
    error, or returns False when ``raise_exception=False``.
    """
    inputs = _as_float64_inputs(inputs, "gradcheck")
    return _run_check(fn, inputs, _Tolerance(eps, atol, rtol), raise_exception, max_full_size,
                      directions, seed, "gradcheck")


def gradgradcheck(fn: Callable[..., Any], inputs: Tensor | Sequence[Any],
                  grad_outputs: Sequence[Any] | None = None, eps: float = 1e-6,
                  atol: float = 1e-5, rtol: float = 1e-3, raise_exception: bool = True,
                  max_full_size: int = 128, directions: int = 3, seed: int = 0) -> bool:
    """Check the first and second derivatives of ``fn`` against finite differences.

    First runs ``gradcheck(fn, inputs)`` (a wrong first derivative would otherwise be
    differentiated consistently and go unnoticed), then ``gradcheck`` on the function
    ``(inputs, v) -> VJP of fn at inputs with cotangents v``, computed with
    ``create_graph=True``. ``grad_outputs`` gives the cotangents ``v`` (one per float output);
    by default they are drawn from a standard normal seeded by ``seed``. Same arguments,
    return value and errors as ``gradcheck``; reports name the input or cotangent and the
    gradient that is wrong.
    """
    inputs = _as_float64_inputs(inputs, "gradgradcheck")
    tolerance = _Tolerance(eps, atol, rtol)
    check = dict(raise_exception=raise_exception, max_full_size=max_full_size,
                 directions=directions, seed=seed)
    if not _run_check(fn, inputs, tolerance, caller="gradgradcheck (first derivatives)",
                      **check):
        return False
    with enable_grad():
        outputs = _as_outputs(fn(*inputs), "gradgradcheck")
    checked = _float_outputs(outputs)
    if grad_outputs is None:
        rng = np.random.default_rng(seed)
        grad_outputs = [rng.standard_normal(outputs[k].shape) for k in checked]
    if len(grad_outputs) != len(checked):
        raise ValueError(f"gradgradcheck: got {len(grad_outputs)} grad_outputs for "
                         f"{len(checked)} float outputs")
    cotangents = [Tensor(np.asarray(v.data if isinstance(v, Tensor) else v, dtype=np.float64),
                         requires_grad=True) for v in grad_outputs]
    wrt = [i for i, x in enumerate(inputs) if _is_differentiable_input(x)]
    primal_count = len(inputs)

    def vjp_of_fn(*args: Any) -> tuple[Tensor, ...]:
        primal, vs = args[:primal_count], args[primal_count:]
        results = _as_outputs(fn(*primal), "gradgradcheck")
        pairs = [(results[k], v) for k, v in zip(checked, vs) if results[k].requires_grad]
        targets = [primal[i] for i in wrt]
        if not pairs:
            return tuple(Tensor(np.zeros(x.shape)) for x in targets)
        grads = grad([out for out, _ in pairs], targets, grad_outputs=[v for _, v in pairs],
                     create_graph=True, allow_unused=True)
        return tuple(Tensor(np.zeros(x.shape)) if g is None else g
                     for g, x in zip(grads, targets))

    input_names = [f"input {i}" for i in range(primal_count)] + [
        f"cotangent v of output {k}" for k in checked]
    output_names = [f"gradient for input {i}" for i in wrt]
    return _run_check(vjp_of_fn, inputs + cotangents, tolerance,
                      caller="gradgradcheck (second derivatives)", input_names=input_names,
                      output_names=output_names, **check)
