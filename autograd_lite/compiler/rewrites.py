"""Rewrites: passes over a trace's steps that leave fewer NumPy calls and the same numbers.

Each pass keeps the order of floating-point operations, so a rewritten program gives exactly
the unrewritten one's numbers (``tests/test_compile.py`` checks each against
``ag.compile(fn, rewrite=False)``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..primitive import Primitive
from .trace import Node, Trace, Value


def fold_constants(trace: Trace) -> None:
    """Compute once the ops whose operands are all constants (the seed's ``ones * 0.5``,
    its reshape and broadcast): the same NumPy calls, made at generation time."""
    kept = []
    for step in trace.steps:
        if (isinstance(step, Node) and isinstance(step.prim, Primitive)
                and all(not isinstance(v, Value) or v.kind == "const" for v in step.inputs)):
            arrays = [v.source if isinstance(v, Value) else v for v in step.inputs]
            value = np.asarray(step.prim.forward(*arrays, **step.params))
            if value.dtype != step.out.dtype:
                value = value.astype(step.out.dtype)
            step.out.kind, step.out.source, step.out.node = "const", value, None
            continue
        kept.append(step)
    trace.steps = kept


def _is_op(step: Any, *names: str) -> bool:
    return (isinstance(step, Node) and isinstance(step.prim, Primitive)
            and step.prim.name in names)


def numbers_for_uniform_constants(trace: Trace) -> None:
    """A constant array of one repeated value (the folded seed of ``loss.backward()``) that an
    elementwise op only broadcasts becomes that number: ``ones * g`` is ``1.0 * g``. A Python
    number takes the other operand's dtype, and the value is exact in it, so nothing changes."""
    for step in trace.steps:
        if not _is_op(step, "add", "sub", "mul", "div") or len(step.inputs) != 2:
            continue
        for index, value in enumerate(step.inputs):
            other = step.inputs[1 - index]
            if (isinstance(value, Value) and value.kind == "const" and value.source.size
                    and value.dtype.kind == "f" and isinstance(other, Value)
                    and other.dtype == step.out.dtype == value.dtype
                    and other.shape == step.out.shape):
                first = value.source.flat[0]
                if np.all(value.source == first) and np.isfinite(first):
                    step.inputs = list(step.inputs)
                    step.inputs[index] = float(first)


def drop_identities(trace: Trace) -> None:
    """``x * 1``, ``1 * x``, ``x / 1`` and ``x ** 1`` (what the VJP of ``x ** 2`` computes) are
    ``x`` itself, exactly (NaN, infinities and signed zeros included)."""
    replaced: dict[int, Value] = {}
    kept = []
    for step in trace.steps:
        _substitute(step, replaced)
        same = _identity_operand(step)
        if same is not None:
            replaced[id(step.out)] = same
            continue
        kept.append(step)
    trace.steps = kept
    trace.outputs = [replaced.get(id(v), v) for v in trace.outputs]
    trace.grads = [replaced.get(id(v), v) for v in trace.grads]


def _identity_operand(step: Any) -> Value | None:
    """The operand that ``step`` returns unchanged, if it is one of the identities above."""
    if not _is_op(step, "mul", "div", "pow"):
        return None
    candidates = {"mul": (0, 1), "div": (0,), "pow": (0,)}[step.prim.name]
    for index in candidates:
        value, number = step.inputs[index], step.inputs[1 - index]
        if (type(number) in (int, float) and number == 1 and isinstance(value, Value)
                and value.dtype == step.out.dtype and value.shape == step.out.shape):
            return value
    return None


def share_common_values(trace: Trace) -> None:
    """An op repeated on the same operands (``1 - A2`` in BCE's gradient and again in
    sigmoid's) is computed once. Only primitives whose parameters are plain literals count;
    random draws never do."""
    from .codegen import literal  # codegen imports this module's callers, not this module

    seen: dict[tuple, Value] = {}
    replaced: dict[int, Value] = {}
    kept = []
    for step in trace.steps:
        _substitute(step, replaced)
        if isinstance(step, Node) and isinstance(step.prim, Primitive):
            params = tuple((k, literal(v)) for k, v in sorted(step.params.items()))
            if all(text is not None for _, text in params):
                operands = tuple(("value", id(v)) if isinstance(v, Value)
                                 else ("number", type(v).__name__, v) for v in step.inputs)
                key = (step.prim.name, operands, params)
                if key in seen:
                    replaced[id(step.out)] = seen[key]
                    continue
                seen[key] = step.out
        kept.append(step)
    trace.steps = kept
    trace.outputs = [replaced.get(id(v), v) for v in trace.outputs]
    trace.grads = [replaced.get(id(v), v) for v in trace.grads]


def _substitute(step: Any, replaced: dict[int, Value]) -> None:
    if not replaced:
        return
    if isinstance(step, Node):
        step.inputs = [replaced.get(id(v), v) if isinstance(v, Value) else v
                       for v in step.inputs]
        return
    for field in ("grad", "value", "other", "target"):
        v = getattr(step, field, None)
        if isinstance(v, Value) and id(v) in replaced:
            setattr(step, field, replaced[id(v)])


def rewrite(trace: Trace) -> None:
    """Every pass, in order (folding again after the identities are gone)."""
    fold_constants(trace)
    numbers_for_uniform_constants(trace)
    drop_identities(trace)
    fold_constants(trace)
    share_common_values(trace)
