"""Code generation: a ``Trace`` as readable straight-line Python over NumPy arrays.

One line per primitive call, forward then backward, each with a comment naming the op (and the
module it ran in). Common primitives are written as the NumPy expression a tutorial writes
(``l1 @ W1``, ``1 / (1 + np.exp(-z))``) when their operands already have the result's dtype;
every other call goes to the primitive's own NumPy forward (``op_sum_to(g, shape=(4, 1))``), so
a program computes what the engine computes, op for op. The namespace the code runs in holds
``np``, those forwards, the constants, the external tensors and the replayed calls.
"""

from __future__ import annotations

import functools
import inspect
import keyword
import math
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..backward import _accumulate_leaf_grad
from ..clock import mark_changed_in_place
from ..primitive import Primitive
from ..random import default_generator
from ..tensor import Tensor
from .trace import (
    Accumulate,
    Call,
    Check,
    Draw,
    Host,
    InPlace,
    Mark,
    Node,
    SetGrad,
    Trace,
    Value,
)

# The primitives written as NumPy expressions; {0}, {1}... are the operands, {axis} & co. the
# parameters. Each computes exactly what the primitive's forward computes.
INLINE = {
    "add": "{0} + {1}", "sub": "{0} - {1}", "mul": "{0} * {1}", "div": "{0} / {1}",
    "neg": "-{0}", "pow": "{0} ** {1}", "matmul": "{0} @ {1}",
    "exp": "np.exp({0})", "log": "np.log({0})", "tanh": "np.tanh({0})",
    "sqrt": "np.sqrt({0})", "square": "np.square({0})", "relu": "np.maximum({0}, 0)",
    "sin": "np.sin({0})", "cos": "np.cos({0})", "log1p": "np.log1p({0})",
    "abs": "np.abs({0})", "sign": "np.sign({0})", "softplus": "np.logaddexp(0, {0})",
    "sigmoid": "1 / (1 + np.exp(-{0}))",
    "gt": "{0} > {1}", "ge": "{0} >= {1}", "lt": "{0} < {1}", "le": "{0} <= {1}",
    "where": "np.where({0}, {1}, {2})",
    "sum": "np.add.reduce({0}, axis={axis}, keepdims={keepdims})",  # what ndarray.sum calls
    "transpose": "{0}.transpose({axes})", "reshape": "{0}.reshape({shape})",
    "transpose2d": "{0}.T",
    "broadcast_to": "np.broadcast_to({0}, {shape})",
}
_COMPARISONS = {"gt", "ge", "lt", "le"}
# Primitives whose NumPy forward returns a new array (never a view or an operand).
FRESH = {"add", "sub", "mul", "div", "neg", "matmul", "exp", "log", "tanh", "sigmoid",
         "square", "sqrt", "relu", "where"}
# Elementwise primitives as ufuncs, for the form that writes into a dead operand's buffer.
UFUNCS = {"add": "np.add", "sub": "np.subtract", "mul": "np.multiply", "div": "np.divide",
          "neg": "np.negative", "exp": "np.exp", "log": "np.log", "tanh": "np.tanh",
          "sqrt": "np.sqrt", "square": "np.square", "sin": "np.sin", "cos": "np.cos"}
# Below this many elements a new array is cheaper than the keyword call with out= (measured:
# 0.28 us against 0.40 us for 16 float64, level from about 4,096).
REUSE_FROM = 4096
RESERVED = {"np", "Tensor", "accumulate", "mark_changed_in_place", "default_generator",
            "forward", "backward", "step", "run", "node", "new_call", "saved", "call"}


class Program:
    """Generated source plus the functions compiled from it.

    Drop-in programs have ``forward(*arrays) -> (outputs, saved)``, ``backward(*saved,
    *seeds) -> grads`` and ``run(args)``, which calls forward and makes the output tensors (its
    namespace gets ``node`` and ``new_call`` from the caller); whole-step programs have
    ``step(args) -> outputs``. ``code`` is the source a person reads.
    """

    def __init__(self, code: str, namespace: dict[str, Any]) -> None:
        self.code = code
        self.namespace = namespace
        exec(compile(code, "<ag.compile>", "exec"), namespace)  # our own generated source
        self.forward = namespace.get("forward")
        self.backward = namespace.get("backward")
        self.step = namespace.get("step")
        self.run = namespace.get("run")


def literal(value: Any) -> str | None:
    """Python source for a parameter or number (None when it has none, e.g. an array)."""
    if value is None or isinstance(value, (bool, str)) or type(value) is int:
        return repr(value)
    if type(value) is float:
        return repr(value) if math.isfinite(value) else f"float('{value}')"
    if isinstance(value, (np.integer, np.floating)) and np.isfinite(value):
        return literal(value.item())
    if isinstance(value, tuple):
        parts = [literal(v) for v in value]
        if any(p is None for p in parts):
            return None
        return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
    if isinstance(value, slice):
        parts = [literal(v) for v in (value.start, value.stop, value.step)]
        return None if None in parts else f"slice({', '.join(parts)})"
    if value is Ellipsis:
        return "..."
    if isinstance(value, np.dtype):
        return f"np.{value.name}" if hasattr(np, value.name) else None
    return None


class _Writer:
    """Names, namespace and lines of one program being written."""

    def __init__(self, trace: Trace, arg_names: Sequence[str]) -> None:
        self.trace = trace
        self.used = set(RESERVED)
        self.namespace: dict[str, Any] = {"np": np, "Tensor": Tensor,
                                          "accumulate": _accumulate,
                                          "mark_changed_in_place": mark_changed_in_place,
                                          "default_generator": default_generator}
        self.names: dict[int, str] = {}
        self.tensor_names: dict[int, str] = {}
        self.reusable: set[int] = set()  # values whose buffer their one user may overwrite
        self.counter = 0
        for value in trace.args:  # named after the parameter at the argument's position
            self.names[id(value)] = self.fresh(arg_names[value.source])

    def fresh(self, base: str) -> str:
        """A new identifier from ``base`` (made valid, numbered when taken)."""
        base = re.sub(r"\W", "_", base) or "v"
        if base[0].isdigit() or keyword.iskeyword(base):
            base = "v_" + base
        name, n = base, 2
        while name in self.used:
            name, n = f"{base}_{n}", n + 1
        self.used.add(name)
        return name

    def bind(self, base: str, obj: Any) -> str:
        """Put ``obj`` in the namespace under a new name; return the name."""
        name = self.fresh(base)
        self.namespace[name] = obj
        return name

    def name(self, value: Any) -> str:
        """The expression of an operand: a variable name, or a literal number."""
        if not isinstance(value, Value):
            text = literal(value)
            return f"({text})" if text.startswith("-") else text
        known = self.names.get(id(value))
        if known is not None:
            return known
        if value.kind == "const":
            name = self.bind("const", value.source)
        elif value.kind == "external":
            name = self.fresh(value.name or "param")
        elif value.kind == "grad":
            name = self.fresh("grad_" + self.name(value.source))
        elif value.kind == "host":
            name = self.fresh(value.name or "array")
        elif value.kind == "seed":
            name = self.fresh(f"grad_{self.name(self.trace.outputs[value.source])}")
        else:
            node = value.node
            prim = node.prim if isinstance(node.prim, str) else node.prim.name
            self.counter += 1
            name = self.fresh(value.name or f"{prim}_{self.counter}")
        self.names[id(value)] = name
        return name

    def tensor(self, value: Value) -> str:
        """The name of the tensor of an external Value (``_W0``), or of an argument."""
        if value.kind == "arg":
            return f"_args[{value.source}]"
        known = self.tensor_names.get(id(value))
        if known is None:
            known = self.tensor_names[id(value)] = self.bind("_" + self.name(value),
                                                             value.source)
        return known

    def expression(self, node: Node) -> str:
        """The right-hand side of ``node``'s line."""
        operands = [self.name(v) for v in node.inputs]
        if node.prim == "copy":  # ag.tensor(t): a new array
            return f"np.array({operands[0]}, dtype={literal(node.params['dtype'])})"
        if isinstance(node.prim, str):  # detach: the same array
            return operands[0]
        if isinstance(node.prim, Draw):
            source = ("default_generator()" if node.prim.generator is None
                      else self.bind("generator", node.prim.generator))
            return f"{source}.{node.prim.method}({literal(node.params['size'])})"
        prim, out = node.prim, node.out
        params = {k: self.parameter(v, f"{prim.name}_{k}") for k, v in node.params.items()}
        buffer = self._dead_operand(node)
        if buffer is not None:
            # The operand's last use: its buffer takes the result (out=), no new array.
            return f"{UFUNCS[prim.name]}({', '.join(operands)}, out={self.name(buffer)})"
        template = INLINE.get(prim.name)
        if prim.name == "transpose" and node.params.get("axes") == (1, 0):
            template = INLINE["transpose2d"]
        if template is not None and _keeps_dtype(node):
            return template.format(*operands, **params)
        if prim.name == "sum_to" and isinstance(node.inputs[0], Value):
            return _sum_to(operands[0], node.inputs[0].shape, node.params["shape"])
        forward = self.namespace.get(f"op_{prim.name}")
        if forward is not prim.forward:
            forward = self.bind(f"op_{prim.name}", prim.forward)
        else:
            forward = f"op_{prim.name}"
        call = f"{forward}({', '.join(operands + [f'{k}={v}' for k, v in params.items()])})"
        values = [v for v in node.inputs if isinstance(v, Value)]
        if (out.dtype.kind == "f" and "dtype" not in node.params
                and any(v.dtype != out.dtype for v in values)):
            call = f"np.asarray({call}).astype(np.{out.dtype.name}, copy=False)"
        return call

    def _dead_operand(self, node: Node) -> Value | None:
        """An operand of an elementwise op whose buffer can hold the result: used by nothing
        else, a fresh array of the result's shape and dtype (see ``reusable_buffers``)."""
        if (node.prim.name not in UFUNCS or not _keeps_dtype(node)
                or math.prod(node.out.shape) < REUSE_FROM):
            return None
        for v in node.inputs:
            if (isinstance(v, Value) and id(v) in self.reusable and v.shape == node.out.shape
                    and v.dtype == node.out.dtype):
                self.reusable.discard(id(v))
                return v
        return None

    def parameter(self, value: Any, base: str) -> str:
        """Source for an op parameter: a literal, a runtime array's name (inside an index
        tuple too), or a constant bound in the namespace."""
        host = self.trace.host_values.get(id(value)) if isinstance(value, np.ndarray) else None
        if host is not None:
            return self.name(host)
        if isinstance(value, tuple) and any(isinstance(v, (np.ndarray, tuple)) for v in value):
            parts = [self.parameter(v, base) for v in value]
            return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
        text = literal(value)
        return text if text is not None else self.bind(base, value)

    def comment(self, node: Node) -> str:
        """The comment of a line: the op, the module it ran in, what a rewrite did."""
        prim = node.prim if isinstance(node.prim, str) else node.prim.name
        where = f" in {node.scope}" if node.scope else ""
        return f"{prim}{where}{'; ' + node.note if node.note else ''}"


def _sum_to(operand: str, shape: tuple, target: tuple) -> str:
    """``sum_to``'s forward with the axes worked out now, from the known shapes: the same sum
    (``np.add.reduce`` over the same axes, kept), then a reshape only when one is needed."""
    extra = len(shape) - len(target)
    axes = tuple(range(extra)) + tuple(extra + i for i, size in enumerate(target)
                                       if size == 1 and shape[extra + i] != 1)
    if not axes:
        return operand if tuple(shape) == tuple(target) else f"{operand}.reshape({target!r})"
    summed = f"np.add.reduce({operand}, axis={axes!r}, keepdims=True)"
    kept = tuple(1 if i in axes else size for i, size in enumerate(shape))
    return summed if kept == tuple(target) else f"{summed}.reshape({literal(tuple(target))})"


def _keeps_dtype(node: Node) -> bool:
    """Whether NumPy's own dtype rule gives the traced dtype (so the inline form is exact)."""
    out = node.out.dtype
    values = [v for v in node.inputs if isinstance(v, Value)]
    if node.prim.name in _COMPARISONS:
        return len({v.dtype for v in values}) <= 1
    for index, v in enumerate(values):
        if v.dtype != out and not (node.prim.name == "where" and index == 0
                                   and v.dtype.kind == "b"):
            return False
    return True


def _accumulate(leaf: Tensor, grad: Any, fresh: bool = True) -> None:
    """``backward()``'s accumulation into ``leaf.grad``, adopting a fresh array as it does
    (never a constant of the program: ``fresh=False``)."""
    private = fresh and type(grad) is np.ndarray and grad.base is None
    _accumulate_leaf_grad(leaf, grad, False, private)


def reusable_buffers(steps: Sequence[Any], kept: Sequence[Any]) -> set[int]:
    """The values whose array only one op reads and nobody keeps, made by an op that returns a
    new array: that op may write its result into it (``np.add(a, b, out=a)``, the same
    numbers). ``kept`` are values that outlive the function (outputs, saved, gradients)."""
    uses: dict[int, int] = {}
    for step in steps:
        operands = (list(step.inputs) + step.host_inputs if isinstance(step, Node)
                    else [getattr(step, f, None) for f in ("grad", "value", "other", "target")])
        for v in operands:
            if isinstance(v, Value):
                uses[id(v)] = uses.get(id(v), 0) + (1 if isinstance(step, Node) else 2)
    for v in kept:
        if isinstance(v, Value):
            uses[id(v)] = uses.get(id(v), 0) + 2
    return {id(step.out) for step in steps
            if isinstance(step, Node) and isinstance(step.prim, Primitive)
            and step.prim.name in FRESH and uses.get(id(step.out)) == 1}


def live_steps(steps: Sequence[Any], needed: Sequence[Any]) -> list[Any]:
    """Drop the op calls whose results nothing needs (dead values)."""
    live = {id(v) for v in needed if isinstance(v, Value)}
    kept = []
    for step in reversed(steps):
        if isinstance(step, Node):
            if isinstance(step.prim, Host):
                if not any(id(v) in live for v in step.prim.outputs):
                    continue
            elif id(step.out) not in live and not isinstance(step.prim, Check):
                continue
            live.update(id(v) for v in step.inputs if isinstance(v, Value))
            live.update(id(v) for v in step.host_inputs)
        else:
            for v in (getattr(step, "grad", None), getattr(step, "value", None),
                      getattr(step, "other", None), getattr(step, "target", None)):
                if isinstance(v, Value):
                    live.add(id(v))
        kept.append(step)
    kept.reverse()
    return kept


def argument_names(fn: Callable, count: int) -> list[str]:
    """The names of ``fn``'s first ``count`` positional parameters (``arg0``... otherwise)."""
    try:
        params = [p.name for p in inspect.signature(fn).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    return [params[i] if i < len(params) else f"arg{i}" for i in range(count)]


def _header(trace: Trace, title: str) -> list[str]:
    return [f"# ag.compile({trace.name}): {title}",
            "# generated from the trace of one call; one line per primitive, forward then "
            "backward"]


def _node_line(writer: _Writer, node: Node) -> str:
    """The source line of one node (an assignment, or a check or runtime arrays call)."""
    if isinstance(node.prim, Host):
        function = writer.bind(getattr(node.prim.function, "__name__", "arrays").lstrip("_"),
                               node.prim.function)
        names = "".join(writer.name(v) + ", " for v in node.prim.outputs)
        operands = ", ".join(writer.name(v) for v in node.inputs)
        return f"    {names}= {function}({operands})  # arrays from values, on every call"
    if isinstance(node.prim, Check):
        check = writer.bind(getattr(node.prim.function, "__name__", "check").lstrip("_"),
                            node.prim.function)
        operands = ", ".join(writer.name(v) for v in node.inputs)
        return f"    {check}({operands})  # check of values{writer.comment(node)[5:]}"
    return f"    {writer.name(node.out)} = {writer.expression(node)}  # {writer.comment(node)}"


def _emit_nodes(writer: _Writer, nodes: Sequence[Node], lines: list[str]) -> None:
    phase = None
    for node in nodes:
        if node.phase != phase:
            phase = node.phase
            lines.append(f"    # --- {phase} ---")
        lines.append(_node_line(writer, node))


def drop_in(trace: Trace, fn: Callable, tensor_args: Sequence[bool], returned_tuple: bool,
            reuse: bool = True) -> tuple[Program, list[Value]]:
    """The forward and backward functions of a program used as one node of the graph, and
    the ``run`` that calls them (``reuse``: dead operands' buffers take results)."""
    args = list(trace.args)
    writer = _Writer(trace, argument_names(fn, 1 + max((v.source for v in trace.args),
                                                       default=-1)))
    needed = list(trace.outputs) + [g for g in trace.grads if g is not None]
    steps = live_steps([s for s in trace.steps if isinstance(s, Node)], needed)
    forward_nodes = [n for n in steps if n.phase == "forward"]
    backward_nodes = [n for n in steps if n.phase == "backward"]
    made_in_backward = {id(n.out) for n in backward_nodes}
    saved: list[Value] = []
    seen: set[int] = set()
    made_in_backward.update(id(v) for n in backward_nodes if isinstance(n.prim, Host)
                            for v in n.prim.outputs)
    for v in ([v for n in backward_nodes for v in list(n.inputs) + n.host_inputs]
              + list(trace.grads)):
        if (isinstance(v, Value) and id(v) not in made_in_backward and id(v) not in seen
                and v.kind not in ("const", "seed")):
            seen.add(id(v))
            saved.append(v)
    inputs = [writer.name(v) for v in args + trace.externals]
    if reuse:
        writer.reusable = reusable_buffers(steps, list(trace.outputs) + saved + list(trace.grads))
    lines = _header(trace, "a drop-in node (forward, then the backward its VJP runs)")
    lines.append(f"def forward({', '.join(inputs)}):")
    _emit_nodes(writer, forward_nodes, lines)
    outputs = [writer.name(v) for v in trace.outputs]
    kept = "".join(writer.name(v) + ", " for v in saved)
    lines.append(f"    return ({', '.join(outputs)},), ({kept})")
    lines.append("")
    seeds = [writer.name(v) for v in trace.seeds]
    lines.append(f"def backward({', '.join([writer.name(v) for v in saved] + seeds)}):")
    _emit_nodes(writer, backward_nodes, lines)
    grads = [writer.name(g) for g in trace.grads]
    lines.append(f"    return ({''.join(g + ', ' for g in grads)})")
    lines += ["", *_drop_in_runner(writer, trace, tensor_args, returned_tuple)]
    return Program("\n".join(lines) + "\n", writer.namespace), saved


def _drop_in_runner(writer: _Writer, trace: Trace, tensor_args: Sequence[bool],
                    returned_tuple: bool) -> list[str]:
    """``run(args)``: the call's arrays into ``forward``, its results out as tensors, those
    that need a gradient recorded as outputs of the one node ``node``."""
    lines = ["def run(_args):  # the arrays of this call in, tensors out"]
    for value, is_tensor in zip(trace.args, tensor_args):
        lines.append(f"    {writer.name(value)} = _args[{value.source}]"
                     f"{'._data' if is_tensor else ''}")
    for value in trace.externals:
        lines.append(f"    {writer.name(value)} = {writer.tensor(value)}._data")
    outputs = [f"out_{i}" for i in range(len(trace.outputs))]
    inputs = ", ".join(writer.name(v) for v in trace.args + trace.externals)
    lines.append(f"    ({''.join(o + ', ' for o in outputs)}), saved = forward({inputs})")
    results = [f"Tensor._from_op(np.asarray({o}))" for o in outputs]
    if trace.grads:
        lines.append("    call = new_call(saved)")
        sources = "".join((f"_args[{v.source}]" if v.kind == "arg" else writer.tensor(v)) + ", "
                          for v in trace.grad_inputs)
        for i, value in enumerate(trace.outputs):
            if value.requires_grad:
                results[i] = (f"Tensor._from_op(np.asarray(out_{i}), node, ({sources}), "
                              f"{{'call': call, 'output': {i}}})")
    lines.append(f"    return ({''.join(r + ', ' for r in results)})" if returned_tuple
                 else f"    return {results[0]}")
    return lines


def whole_step(trace: Trace, fn: Callable, tensor_args: Sequence[bool], returned_tuple: bool,
               reuse: bool = True) -> Program:
    """One function that runs a whole traced step, side effects included.

    ``step(args)`` takes the call's arguments (``tensor_args`` says which are tensors, the
    others are arrays) and returns what ``fn`` returned: a tensor or a tuple of them, without
    a graph.
    """
    writer = _Writer(trace, argument_names(fn, 1 + max((v.source for v in trace.args),
                                                       default=-1)))
    steps = live_steps(trace.steps, trace.outputs)
    if reuse:
        writer.reusable = reusable_buffers(steps, trace.outputs)
    lines = _header(trace, "a whole step (forward, backward, updates)")
    lines.append("def step(_args):")
    for value, is_tensor in zip(trace.args, tensor_args):
        lines.append(f"    {writer.name(value)} = _args[{value.source}]"
                     f"{'._data' if is_tensor else ''}")
    fresh: dict[int, Value] = {}  # the externals and .grads loaded since the last change
    transient = _transient_gradients(steps)
    phase = None

    def read(value: Any) -> None:
        """Load an external's array (or a .grad's) before its first use in this stretch."""
        if not isinstance(value, Value) or id(value) in fresh:
            return
        if value.kind == "external":
            lines.append(f"    {writer.name(value)} = {writer.tensor(value)}._data")
        elif value.kind == "grad":
            lines.append(f"    {writer.name(value)} = {writer.tensor(value.source)}.grad._data")
        else:
            return
        fresh[id(value)] = value

    def forget_grads_of(leaf: Value) -> None:
        for key, value in list(fresh.items()):
            if value.kind == "grad" and value.source is leaf:
                del fresh[key]

    for step in steps:
        if isinstance(step, Node):
            for v in step.inputs:
                read(v)
            if step.phase != phase:
                phase = step.phase
                lines.append(f"    # --- {phase} ---")
            lines.append(_node_line(writer, step))
        elif isinstance(step, Accumulate):
            read(step.grad)
            leaf, grad = writer.tensor(step.leaf), writer.name(step.grad)
            lines.append(f"    # .grad of {writer.name(step.leaf)}, as backward() adds it")
            if id(step) in transient:
                # Set back to None before anything else can see it: where .grad was None,
                # the gradient is used as it is and no tensor is made for it.
                slot = writer.name(step.slot)
                lines.append(f"    if {leaf}.grad is None:")
                lines.append(f"        {slot} = {grad}")
                lines.append("    else:")
                lines.append(f"        accumulate({leaf}, {grad}, False)")
                lines.append(f"        {slot} = {leaf}.grad._data")
                fresh[id(step.slot)] = step.slot
            elif step.grad.kind == "op" and step.grad.node.prim.name in FRESH:
                # A new array that nothing else holds becomes .grad, as in backward().
                lines.append(f"    if {leaf}.grad is None and type({grad}) is np.ndarray:")
                lines.append(f"        {leaf}.grad = Tensor._from_op({grad})")
                lines.append("    else:")
                lines.append(f"        accumulate({leaf}, {grad})")
            else:
                lines.append(f"    accumulate({leaf}, {grad}, False)")
            if id(step) not in transient:
                forget_grads_of(step.leaf)
        elif isinstance(step, SetGrad):
            target = writer.tensor(step.leaf)
            if step.value is None:
                lines.append(f"    {target}.grad = None")
            else:
                read(step.value)
                lines.append(f"    {target}.grad = Tensor._from_op(np.array("
                             f"{writer.name(step.value)}))")
            forget_grads_of(step.leaf)
        elif isinstance(step, InPlace):
            read(step.other)
            read(step.target)
            array = writer.name(step.target)
            owner = (writer.tensor(step.target) if step.target.kind == "external"
                     else f"{writer.tensor(step.target.source)}.grad")
            ufunc = (f"np.{step.ufunc.__name__}" if getattr(np, step.ufunc.__name__, None)
                     is step.ufunc else writer.bind("ufunc", step.ufunc))
            lines.append(f"    {ufunc}({array}, {writer.name(step.other)}, out={array})"
                         f"  # {step.name} on {array}")
            lines.append(f"    mark_changed_in_place({owner}, {step.name + ' (in place)'!r})")
        elif isinstance(step, Mark):
            owner = (writer.tensor(step.target) if step.target.kind == "external"
                     else f"{writer.tensor(step.target.source)}.grad")
            lines.append(f"    mark_changed_in_place({owner}, {step.writer!r})")
        elif isinstance(step, Call):
            call = writer.bind("call", functools.partial(step.function, *step.args,
                                                         **step.kwargs))
            lines.append(f"    {call}()  # {step.function.__qualname__}(), replayed")
            fresh.clear()
    for v in trace.outputs:
        read(v)
    outputs = [f"Tensor._from_op(np.asarray({writer.name(v)}))" for v in trace.outputs]
    lines.append(f"    return {outputs[0]}" if not returned_tuple
                 else f"    return ({''.join(o + ', ' for o in outputs)})")
    return Program("\n".join(lines) + "\n", writer.namespace)



def _transient_gradients(steps: Sequence[Any]) -> set[int]:
    """The accumulations whose ``.grad`` only the program's own updates read before the
    program sets it to None again (``p -= lr * p.grad; p.grad = None``): no call, no other
    accumulation into it and no in-place change of it in between."""
    transient = set()
    for index, step in enumerate(steps):
        if not isinstance(step, Accumulate) or step.slot is None:
            continue
        for later in steps[index + 1:]:
            if isinstance(later, SetGrad) and later.leaf is step.leaf:
                if later.value is None:
                    transient.add(id(step))
                break
            if isinstance(later, Call) or (isinstance(later, Accumulate)
                                           and later.leaf is step.leaf):
                break
            if isinstance(later, InPlace) and later.target.kind == "grad" \
                    and later.target.source is step.leaf:
                break
    return transient
