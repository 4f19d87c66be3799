"""Rewrites: passes over a trace's steps that leave fewer NumPy calls and the same numbers.

Each pass keeps the order of floating-point operations, so a rewritten program gives exactly
the unrewritten one's numbers (``tests/test_compile.py`` checks each against
``ag.compile(fn, rewrite=False)``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..primitive import PRIMITIVES, Primitive
from .trace import Node, Trace, Value


def fold_constants(trace: Trace) -> None:
    """Compute once the ops whose operands are all constants (the seed's ``ones * 0.5``,
    its reshape and broadcast): the same NumPy calls, made at generation time."""
    kept = []
    for step in trace.steps:
        if (isinstance(step, Node) and isinstance(step.prim, Primitive)
                and not step.host_inputs
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
    ``x`` itself, exactly (NaN, infinities and signed zeros included); so are a reshape,
    broadcast, ``sum_to`` or cast to the shape and dtype ``x`` has, and a transpose that keeps
    the axes in place."""
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
    """The operand that ``step`` returns unchanged, if it is one of the identities above, or a
    reshape, broadcast, ``sum_to``, cast or transpose that changes nothing."""
    if _is_op(step, "reshape", "broadcast_to", "sum_to", "astype", "transpose"):
        value = step.inputs[0]
        axes = step.params.get("axes")
        if (isinstance(value, Value) and value.shape == step.out.shape
                and value.dtype == step.out.dtype
                and (axes is None or tuple(axes) == tuple(range(len(value.shape))))):
            return value
        return None
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


def _producer(value: Any, *names: str) -> Node | None:
    """The node that made ``value`` when it is one of the primitives ``names``."""
    if isinstance(value, Value) and value.kind == "op" and _is_op(value.node, *names):
        return value.node
    return None


def _one_minus(value: Any) -> Value | None:
    """``x`` when ``value`` is ``1 - x``."""
    node = _producer(value, "sub")
    if node is not None and type(node.inputs[0]) in (int, float) and node.inputs[0] == 1:
        return node.inputs[1] if isinstance(node.inputs[1], Value) else None
    return None


def _scaled(value: Any) -> tuple[float, Value] | None:
    """``(c, x)`` when ``value`` is ``c * x`` or ``x * c`` for a number c."""
    node = _producer(value, "mul")
    if node is None:
        return None
    a, b = node.inputs
    if type(a) is float and isinstance(b, Value):
        return a, b
    if type(b) is float and isinstance(a, Value):
        return b, a
    return None


def _bce_gradient_parts(grad: Any, p: Value) -> tuple[float, Value] | None:
    """``(c, y)`` when ``grad`` is the gradient that ``c * sum(y log p + (1 - y) log(1 - p))``
    sends to ``p``: ``c y / p - c (1 - y) / (1 - p)``, as the VJP rules of log, mul, sub and the
    walk's accumulation write it (either order of the two terms)."""
    node = _producer(grad, "add")
    if node is None:
        return None
    for first, second in (node.inputs, node.inputs[::-1]):
        direct, negated = _producer(first, "div"), _producer(second, "neg")
        if direct is None or negated is None or direct.inputs[1] is not p:
            continue
        complement = _producer(negated.inputs[0], "div")
        if complement is None or _one_minus(complement.inputs[1]) is not p:
            continue
        c_y, c_one_minus_y = _scaled(direct.inputs[0]), _scaled(complement.inputs[0])
        if c_y is None or c_one_minus_y is None or c_y[0] != c_one_minus_y[0]:
            continue
        if _one_minus(c_one_minus_y[1]) is c_y[1]:
            return c_y
    return None


def fuse_sigmoid_binary_cross_entropy(trace: Trace) -> None:
    """Sigmoid followed by binary cross-entropy: the gradient that reaches the logits,
    ``(c y / p - c (1 - y) / (1 - p)) * p * (1 - p)`` (eight passes over the batch), is
    ``c * (y - p)`` (two), the line a tutorial writes as ``dZ = (A - Y) / m``.

    Not the same floating-point operations: the two agree to rounding (about 1e-16 relative
    per step; the tests check 1e-12 over thousands of training steps in float64)."""
    kept = []
    for step in trace.steps:
        kept.append(step)
        if not _is_op(step, "mul") or step.phase != "backward":
            continue
        for left, right in (step.inputs, step.inputs[::-1]):
            inner = _producer(left, "mul")
            p = _one_minus(right)
            if inner is None or p is None or _producer(p, "sigmoid") is None:
                continue
            grad = next((g for g, a in (inner.inputs, inner.inputs[::-1]) if a is p), None)
            parts = _bce_gradient_parts(grad, p) if grad is not None else None
            if parts is None:
                continue
            c, y = parts
            if not y.dtype == p.dtype == step.out.dtype:
                continue
            difference = Value("op", None, step.out.shape, step.out.dtype)
            difference.node = Node(PRIMITIVES["sub"], [y, p], {}, difference, step.phase,
                                   step.scope)
            kept.insert(len(kept) - 1, difference.node)
            difference.node.note = "fused: sigmoid + binary cross-entropy, y - p"
            step.inputs = [c, difference]
            step.note = "fused: the logits' gradient c * (y - p)"
            break
    trace.steps = kept


def flip_negated_differences(trace: Trace) -> None:
    """``d = y - p`` used only squared and negated (``0.5 * sum((y - p) ** 2)`` and its VJP's
    ``-d``) becomes ``d = p - y``: the square is the same, bit for bit, and ``-d`` is ``d``,
    one pass fewer. Equal under ``==`` (only the sign of an exact zero can differ)."""
    uses: dict[int, list[Node]] = {}
    for step in trace.steps:
        if isinstance(step, Node):
            for v in step.inputs:
                if isinstance(v, Value):
                    uses.setdefault(id(v), []).append(step)
    needed = {id(v) for v in trace.outputs + trace.grads if isinstance(v, Value)}
    replaced: dict[int, Value] = {}
    for step in trace.steps:
        if not _is_op(step, "sub") or not all(isinstance(v, Value) for v in step.inputs):
            continue
        users = uses.get(id(step.out), [])
        negations = [u for u in users if _is_op(u, "neg")]
        squares = [u for u in users if _is_op(u, "square") or (
            _is_op(u, "pow") and type(u.inputs[1]) in (int, float) and u.inputs[1] == 2)]
        if (len(negations) != 1 or len(negations) + len(squares) != len(users)
                or id(step.out) in needed or any(u.inputs[0] is not step.out for u in users)):
            continue
        step.inputs = step.inputs[::-1]
        step.note = "flipped to p - y, which is also the backward's -(y - p)"
        replaced[id(negations[0].out)] = step.out
    kept = []
    for step in trace.steps:
        _substitute(step, replaced)
        if not (isinstance(step, Node) and id(step.out) in replaced):
            kept.append(step)
    trace.steps = kept
    trace.outputs = [replaced.get(id(v), v) for v in trace.outputs]
    trace.grads = [replaced.get(id(v), v) for v in trace.grads]


def drop_broadcasts(trace: Trace) -> None:
    """``broadcast_to`` (what the VJP of a sum does to the incoming gradient) costs a
    Python-level NumPy call; elementwise arithmetic broadcasts by itself. So an elementwise op
    of a broadcast and a number is done before the broadcast (``broadcast(g) * 2`` becomes
    ``broadcast(g * 2)``, the same values), and a broadcast met by an operand of the full
    shape is dropped (``broadcast(g) * d`` becomes ``g * d``, the same values)."""
    changed = True
    while changed:
        changed = False
        uses: dict[int, int] = {}
        for step in trace.steps:
            if isinstance(step, Node):
                for v in step.inputs:
                    if isinstance(v, Value):
                        uses[id(v)] = uses.get(id(v), 0) + 1
        for v in trace.outputs + trace.grads:
            if isinstance(v, Value):
                uses[id(v)] = uses.get(id(v), 0) + 1
        for step in trace.steps:
            if not _is_op(step, "add", "sub", "mul", "div") or len(step.inputs) != 2:
                continue
            for index, operand in enumerate(step.inputs):
                broadcast = _producer(operand, "broadcast_to")
                other = step.inputs[1 - index]
                if broadcast is None or not isinstance(broadcast.inputs[0], Value):
                    continue
                source = broadcast.inputs[0]
                if source.dtype != step.out.dtype:
                    continue
                if isinstance(other, Value) and other.shape == step.out.shape:
                    step.inputs = list(step.inputs)
                    step.inputs[index] = source  # NumPy broadcasts it against `other`
                    changed = True
                elif type(other) in (int, float) and uses.get(id(operand)) == 1:
                    # op(broadcast(x), c) -> broadcast(op(x, c)): the step computes on x's
                    # shape and the broadcast node takes its place in the order.
                    inner = Value("op", None, source.shape, step.out.dtype)
                    inner.node = Node(step.prim, list(step.inputs), step.params, inner,
                                      step.phase, step.scope)
                    inner.node.inputs[index] = source
                    position = trace.steps.index(step)
                    trace.steps.insert(position, inner.node)
                    step.prim, step.params = broadcast.prim, broadcast.params
                    step.inputs = [inner]
                    changed = True
                if changed:
                    break
            if changed:
                break


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
    drop_broadcasts(trace)
    share_common_values(trace)
    fuse_sigmoid_binary_cross_entropy(trace)
    flip_negated_differences(trace)
