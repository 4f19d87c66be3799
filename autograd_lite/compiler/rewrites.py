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


def drop_identity_powers(trace: Trace) -> None:
    """``x ** 1`` (what the VJP of ``x ** 2`` computes) is ``x`` itself, exactly."""
    replaced: dict[int, Value] = {}
    kept = []
    for step in trace.steps:
        _substitute(step, replaced)
        if (isinstance(step, Node) and isinstance(step.prim, Primitive)
                and step.prim.name == "pow" and type(step.inputs[1]) in (int, float)
                and step.inputs[1] == 1 and isinstance(step.inputs[0], Value)
                and step.inputs[0].dtype == step.out.dtype
                and step.inputs[0].shape == step.out.shape):
            replaced[id(step.out)] = step.inputs[0]
            continue
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
    for field in ("grad", "value", "other"):
        v = getattr(step, field, None)
        if isinstance(v, Value) and id(v) in replaced:
            setattr(step, field, replaced[id(v)])


def rewrite(trace: Trace) -> None:
    """Every pass, in order."""
    drop_identity_powers(trace)
    fold_constants(trace)
