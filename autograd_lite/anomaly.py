"""Anomaly mode's checks: find the op that made a NaN or Inf, and say where it came from.

``detect_anomaly`` (in ``grad_mode``) turns them on; ``primitive.apply`` checks every forward
output and ``backward`` every gradient with them. A report names the op only when what it
computed from was finite; otherwise it names the non-finite input and where that came from.
"""

from __future__ import annotations

import traceback
from collections.abc import Sequence
from typing import Any

import numpy as np

from .tensor import Tensor


def shape_and_dtype(value: Any) -> str:
    """``"(3, 4) float32"``: the shape and dtype of an operand, for error messages."""
    return f"{tuple(np.shape(value))} {np.asarray(value).dtype}"


def describe_operands(arrays: Sequence[Any]) -> str:
    """``"inputs (3,) float32, () float64"``: the operands of one op, for error messages."""
    return "inputs " + ", ".join(shape_and_dtype(a) for a in arrays)


def _nonfinite_kind(value: Any) -> str | None:
    """``"NaN"`` or ``"Inf"`` when a float tensor, array or number holds one, else None."""
    array = value._data if isinstance(value, Tensor) else value
    if isinstance(array, float) or (isinstance(array, (np.ndarray, np.generic))
                                    and array.dtype.kind in "fc"):
        if np.isnan(array).any():
            return "NaN"
        if np.isinf(array).any():
            return "Inf"
    return None


def _describe_tensor(tensor: Tensor) -> str:
    what = "a leaf tensor" if tensor._op is None else f"the output of '{tensor._op.name}'"
    name = f" {tensor.name!r}" if tensor.name else ""
    return f"{what}{name} (shape {tensor.shape}, {tensor.dtype})"


def _origin(value: Any) -> str:
    """Where a value that an op received already non-finite came from, for anomaly reports."""
    if not isinstance(value, Tensor):
        return "it is a constant operand; pass finite values"
    writer = getattr(value, "_changed_by", None)
    if writer is not None:
        return f"it was last changed by {writer}; check that change (a learning rate too large?)"
    if value._version:
        return "it was last changed in place (add_, copy_, ...); check that change"
    if value._op is None:
        return "it is a leaf tensor that held it before this op; check how it was created or loaded"
    return (f"it was produced by '{value._op.name}' before anomaly mode was turned on; turn it "
            f"on earlier to find the op that made it")


def check_finite(array: Any, where: str, inputs: Sequence[Any], output: Tensor | None = None,
                  trace: list[str] | None = None) -> None:
    """Raise when ``array``, computed by the op ``where`` from ``inputs``, holds NaN/Inf.

    The op is named only if what it computed from was finite: otherwise the first non-finite
    input (or, in backward, the saved ``output``) is named with where it came from.
    """
    kind = _nonfinite_kind(array)
    if kind is None:
        return
    created = "".join(trace or traceback.format_stack(limit=8)[:-3])
    name = where.split(" ")[0]
    suspects = [(f"input {i}", x) for i, x in enumerate(inputs)]
    if output is not None:
        suspects.append(("the output", output))
    for role, value in suspects:
        held = _nonfinite_kind(value)
        if held is not None:
            raise RuntimeError(
                f"detect_anomaly: {role} of {where}, shape {shape_and_dtype(value)}, "
                f"already contains {held}, so {name} did not make it: {_origin(value)}. The op "
                f"was created at:\n{created}")
    raise RuntimeError(f"detect_anomaly: {where} produced {kind} with output shape "
                       f"{np.shape(array)} from {describe_operands(inputs)}. The op was created "
                       f"at:\n{created}")


def check_seeds(outputs: Sequence[Tensor], seeds: Sequence[Any]) -> None:
    """Raise when a gradient given to ``backward`` for one of ``outputs`` holds NaN/Inf."""
    for index, (out, seed) in enumerate(zip(outputs, seeds)):
        kind = _nonfinite_kind(seed)
        if kind is not None:
            raise RuntimeError(f"detect_anomaly: the gradient given to backward for output "
                               f"{index} (shape {out.shape}) contains {kind}; pass a finite "
                               f"gradient")


def check_gathered(tensor: Tensor, grad: Any, after_hooks: bool) -> None:
    """Raise when the gradient gathered for ``tensor`` holds NaN/Inf, naming the culprit.

    Every contribution was checked when it was made, so before the hooks only the sum can have
    overflowed; after them, a hook returned the value.
    """
    kind = _nonfinite_kind(grad)
    if kind is None:
        return
    if after_hooks:
        raise RuntimeError(f"detect_anomaly: a hook registered on {_describe_tensor(tensor)} "
                           f"returned a gradient that contains {kind}; return a finite gradient "
                           f"(or None to keep it)")
    raise RuntimeError(f"detect_anomaly: the gradients flowing into {_describe_tensor(tensor)} "
                       f"are finite, but their sum overflows to {kind} in {tensor.dtype}; scale "
                       f"the loss down or compute in float64")
