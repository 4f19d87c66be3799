"""Tracing: run a function once and record, in order, every primitive it calls.

The tracer sits in this thread's grad-mode state (``STATE.tracer``); ``primitive.apply`` hands
it every op it runs (``record``), ``backward`` hands it ``loss.backward()`` (recorded by running
the engine's own walk with the VJP rules on traced tensors, so the backward is made of
primitives too: one source of derivative truth), ``Tensor.__isub__`` & co. hand it in-place
updates, and functions decorated with ``opaque`` (an optimizer's ``step``) are recorded as calls
to replay. The result is a ``Trace``: a list of steps over ``Value`` objects, which
``codegen`` turns into Python source.

Every op output made while tracing becomes a ``TracedTensor``: its shape and dtype are known,
its numbers are not part of the program, so reading them (``.item()``, ``.numpy()``, ``.data``,
``bool()``) raises ``CompileError`` naming the line, never silently freezing a branch.
"""

from __future__ import annotations

import inspect
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .. import clock
from ..grad_mode import STATE, _set_state
from ..tensor import Tensor

_PACKAGE = str(Path(__file__).resolve().parent.parent)
_TRACING_LOCK = threading.Lock()
_LIBRARIES = {"autograd_lite", "nn", "numpy", "functools", "contextlib", "_pytest", "pluggy"}


class CompileError(RuntimeError):
    """What ``ag.compile`` raises for a function it cannot turn into a program."""


def user_line() -> str:
    """``file:line`` of the innermost frame outside autograd_lite: where the user's code is."""
    for frame in reversed(traceback.extract_stack()):
        if not frame.filename.startswith(_PACKAGE):
            return f"{frame.filename}:{frame.lineno}"
    return "<unknown>"


def _refuse(tensor: Tensor, what: str) -> CompileError:
    tracer = STATE.tracer
    name = tracer.name if tracer is not None else "the compiled function"
    return CompileError(
        f"compile: {what} of a value traced inside '{name}' (shape {tensor.shape}) at "
        f"{user_line()}: a compiled function runs as NumPy code without your Python in "
        f"between, so its values cannot be read or steer Python; move this out of the compiled "
        f"function (return the tensor and call {what} on the result), or use ag.where instead "
        f"of an if")


class TracedTensor(Tensor):
    """A tensor made while tracing: its shape and dtype are known, its values are not."""

    __slots__ = ()

    @property
    def data(self) -> np.ndarray:
        raise _refuse(self, ".data")

    @data.setter
    def data(self, value: Any) -> None:
        raise _refuse(self, "assigning .data")

    def numpy(self) -> np.ndarray:
        raise _refuse(self, ".numpy()")

    def item(self) -> Any:
        raise _refuse(self, ".item()")

    def tolist(self) -> Any:
        raise _refuse(self, ".tolist()")

    def __bool__(self) -> bool:
        raise _refuse(self, "bool()")

    def __float__(self) -> float:
        raise _refuse(self, "float()")

    def __int__(self) -> int:
        raise _refuse(self, "int()")

    def __index__(self) -> int:
        raise _refuse(self, "using as an index")

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        raise _refuse(self, "np.asarray()")

    def __format__(self, spec: str) -> str:
        raise _refuse(self, "formatting (f-string, print)")

    def __str__(self) -> str:
        raise _refuse(self, "str()")

    def __repr__(self) -> str:
        return f"<traced tensor, shape {self.shape}, dtype {self.dtype}>"


class Draw:
    """A random draw as a step: ``generator.method(size)`` (None: the default generator)."""

    __slots__ = ("name", "method", "generator")

    def __init__(self, method: str, generator: np.random.Generator | None) -> None:
        self.name, self.method, self.generator = "random", method, generator


class Host:
    """NumPy arrays computed from tensors' values on every call (``ag.runtime_arrays``): the
    prim of a Node; ``outputs`` are the "host" Values of the arrays it returns."""

    __slots__ = ("name", "function", "outputs")

    def __init__(self, function: Callable) -> None:
        self.name, self.function, self.outputs = "arrays", function, []


class Check:
    """A validation that reads values (``check(*arrays)`` raises or returns None), run on
    every call of the program: the prim of a Node whose output nothing uses."""

    __slots__ = ("name", "function")

    def __init__(self, function: Callable) -> None:
        self.name, self.function = "check", function


class TracedGenerator:
    """What ``resolve_generator`` returns while tracing: its draws are steps, drawn anew (from
    the same generator as eager) on every call of the program."""

    def __init__(self, tracer: Tracer, generator: np.random.Generator | None) -> None:
        self._tracer, self._generator = tracer, generator

    def random(self, size: Any = None) -> Tensor:
        """Uniform draws in [0, 1), as ``np.random.Generator.random``."""
        return self._tracer.draw(Draw("random", self._generator), size)

    def standard_normal(self, size: Any = None) -> Tensor:
        """Standard normal draws, as ``np.random.Generator.standard_normal``."""
        return self._tracer.draw(Draw("standard_normal", self._generator), size)

    def __getattr__(self, name: str) -> Any:
        raise CompileError(f"compile: Generator.{name} inside a compiled function is not "
                           f"supported (random, standard_normal are); draw the numbers "
                           f"outside and pass them as an argument")


class Value:
    """One value of the program: an argument, an external tensor, a constant, or an op output.

    ``kind`` is "arg" (``source`` = its position), "external" (``source`` = the Tensor, read on
    every call), "grad" (``source`` = the external Value whose ``.grad`` it is, read on every
    call), "const" (``source`` = the array, baked in), "seed" (the incoming gradient of output
    ``source``) or "op" (made by ``node``).
    """

    __slots__ = ("kind", "source", "shape", "dtype", "node", "name", "requires_grad")

    def __init__(self, kind: str, source: Any, shape: tuple, dtype: np.dtype,
                 requires_grad: bool = False) -> None:
        self.kind, self.source, self.shape, self.dtype = kind, source, shape, dtype
        self.node = None
        self.name: str | None = None
        self.requires_grad = requires_grad

    def __repr__(self) -> str:
        return f"<{self.kind} {self.name or ''} {self.shape} {self.dtype}>"


class Node:
    """One primitive call: ``out = prim(*inputs, **params)``; inputs are Values or numbers."""

    __slots__ = ("prim", "inputs", "params", "out", "phase", "scope", "note", "host_inputs")

    def __init__(self, prim: Any, inputs: list, params: dict, out: Value, phase: str,
                 scope: str) -> None:
        self.prim, self.inputs, self.params, self.out = prim, inputs, params, out
        self.phase, self.scope = phase, scope
        self.note = ""  # what a rewrite did here, for the comment
        self.host_inputs: list[Value] = []  # runtime arrays inside params (an index)


class Accumulate:
    """Add ``grad`` into ``.grad`` of the tensor of ``leaf``, as ``backward()`` does; ``slot``
    is the "grad" Value that reads the result back."""

    __slots__ = ("leaf", "grad", "slot")

    def __init__(self, leaf: Value, grad: Value) -> None:
        self.leaf, self.grad, self.slot = leaf, grad, None


class SetGrad:
    """``leaf.grad = value`` (None or a Value), as the traced function did by assignment."""

    __slots__ = ("leaf", "value")

    def __init__(self, leaf: Value, value: Value | None) -> None:
        self.leaf, self.value = leaf, value


class InPlace:
    """``target op= other`` on an external tensor (or its ``.grad``), outside the graph."""

    __slots__ = ("target", "name", "ufunc", "other")

    def __init__(self, target: Value, name: str, ufunc: np.ufunc, other: Any) -> None:
        self.target, self.name, self.ufunc, self.other = target, name, ufunc, other


class Mark:
    """``mark_changed_in_place(target, writer)`` after recorded in-place updates of it (so the
    writer backward names is the eager one, e.g. BatchNorm's running statistics)."""

    __slots__ = ("target", "writer")

    def __init__(self, target: Value, writer: str) -> None:
        self.target, self.writer = target, writer


class Call:
    """A call of an ``opaque`` function (``optimizer.step()``), replayed as is."""

    __slots__ = ("function", "args", "kwargs")

    def __init__(self, function: Callable, args: tuple, kwargs: dict) -> None:
        self.function, self.args, self.kwargs = function, args, kwargs


class Trace:
    """What one run of the traced function did: its values, steps and outputs."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.args: list[Value] = []
        self.externals: list[Value] = []
        self.steps: list[Any] = []
        self.outputs: list[Value] = []
        self.seeds: list[Value] = []  # drop-in programs: the gradient of each output
        self.grads: list[Value | None] = []  # drop-in programs: the gradient of each input
        self.grad_inputs: list[Value] = []  # drop-in programs: the inputs those belong to
        self.local_names: dict[int, str] = {}
        self.module_names: dict[int, str] = {}
        self.guards: list[tuple[Any, str, Any]] = []  # (object, attribute, traced value)
        self.host_values: dict[int, Value] = {}  # id(array) -> its Value (ag.runtime_arrays)
        self.whole_step = False  # it ran backward, an opaque call or an in-place update


def _host_values_in(params: Any, host_values: dict[int, Value]) -> list[Value]:
    """The runtime arrays (by identity) inside an op's parameters, at any tuple depth."""
    found = []
    stack = list(params.values()) if isinstance(params, dict) else [params]
    while stack:
        item = stack.pop()
        if isinstance(item, tuple):
            stack.extend(item)
        elif isinstance(item, np.ndarray) and id(item) in host_values:
            found.append(host_values[id(item)])
    return found


def _outer_names(fn: Callable) -> dict[int, str]:
    """id -> name of the tensors ``fn`` reaches by a global or closure name (for the code)."""
    try:
        found = inspect.getclosurevars(fn)
    except (TypeError, ValueError):
        return {}
    names = {}
    for scope in (found.globals, found.nonlocals):
        for name, value in scope.items():
            if isinstance(value, Tensor):
                names[id(value)] = name
    return names


class Tracer:
    """Records one run of a function; see the module docstring."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.trace = Trace(name)
        self.values: dict[int, Value] = {}
        self.keep: list[Any] = []  # the traced tensors, so that their ids stay unique
        self.start_tick = next(clock.TICKS)
        self.phase = "forward"
        self.intercepts_backward = True
        self.in_opaque = False
        self.tracked: dict[int, list] = {}  # id(leaf) -> [leaf, grad before the trace, last]
        self.arg_tensors: dict[int, TracedTensor] = {}  # argument position -> placeholder
        self.outer_names: dict[int, str] = {}

    # --- running ------------------------------------------------------------------------

    def run(self, fn: Callable, args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
        """Call ``fn`` on placeholders of ``args`` with this tracer active; return its result."""
        placeholders = [self.placeholder(i, a) if isinstance(a, (Tensor, np.ndarray)) else a
                        for i, a in enumerate(args)]
        code = getattr(fn, "__code__", None)
        self.outer_names = _outer_names(fn)

        def profile(frame: Any, event: str, arg: Any) -> None:
            # The user's frames name their tensors (innermost first); library frames do not.
            if event != "return" or (frame.f_code is not code and frame.f_globals.get(
                    "__name__", "").partition(".")[0] in _LIBRARIES):
                return
            for local, value in frame.f_locals.items():
                if isinstance(value, Tensor) and not local.startswith("_"):
                    self.trace.local_names.setdefault(id(value), local)

        # Local names come from a profile hook on the function's return; a profiler already
        # running (cProfile) keeps its hook, and the code gets generated names instead.
        names_locals = sys.getprofile() is None
        with _TRACING_LOCK:
            clock.tracing += 1
        _set_state(tracer=self)
        if names_locals:
            sys.setprofile(profile)
        try:
            return fn(*placeholders, **kwargs)
        except BaseException:
            self.restore_grads()
            raise
        finally:
            if names_locals:
                sys.setprofile(None)
            _set_state(tracer=None)
            with _TRACING_LOCK:
                clock.tracing -= 1

    def restore_grads(self) -> None:
        """Give every ``.grad`` the trace changed its value from before the trace."""
        for leaf, before, _ in self.tracked.values():
            leaf.grad = before

    def placeholder(self, index: int, arg: Any) -> TracedTensor:
        """A traced stand-in for argument ``index`` (a tensor, or an array made one)."""
        array = arg._data if isinstance(arg, Tensor) else arg
        if isinstance(arg, np.ndarray) and array.dtype.kind not in "biuf":
            raise CompileError(f"compile: argument {index} of '{self.name}' is an array of "
                               f"dtype {array.dtype}; pass numbers")
        t = Tensor._from_op(array)
        t.__class__ = TracedTensor
        t._requires_grad = isinstance(arg, Tensor) and arg._requires_grad
        value = Value("arg", index, array.shape, array.dtype, t._requires_grad)
        self.values[id(t)] = value
        self.keep.append(t)
        self.arg_tensors[index] = t
        self.trace.args.append(value)
        return t

    # --- what the engine reports --------------------------------------------------------

    def ref(self, x: Any) -> Any:
        """The Value of an op operand (a number stays a number)."""
        if isinstance(x, Tensor):
            value = self.values.get(id(x))
            return value if value is not None else self.external(x)
        if type(x) in (float, int, bool):
            return x
        host = self.trace.host_values.get(id(x))
        if host is not None:
            return host
        array = np.asarray(x)
        return self.constant(array)

    def host_arrays(self, function: Callable, tensors: Sequence[Tensor]) -> tuple:
        """``ag.runtime_arrays`` inside the traced function: a step that computes the arrays
        on every call; ops that get them (as operands or inside an index) read them there."""
        operands = [self.ref(t) for t in tensors]
        arrays = tuple(function(*[t._data for t in tensors]))
        how = Host(function)
        out = Value("effect", None, (), np.dtype(bool))
        out.node = Node(how, operands, {}, out, self.phase, "")
        self.trace.steps.append(out.node)
        for index, array in enumerate(arrays):
            value = Value("host", (out, index), np.shape(array), np.asarray(array).dtype)
            how.outputs.append(value)
            self.trace.host_values[id(array)] = value
            self.keep.append(array)
        return arrays

    def constant(self, array: np.ndarray) -> Value:
        """A Value baked into the program (kept alive, so that its id stays unique)."""
        value = Value("const", array, array.shape, array.dtype)
        self.keep.append(array)
        return value

    def external(self, t: Tensor) -> Value:
        """The Value of a tensor made outside the traced ops (a parameter, a constant)."""
        if t._seq > self.start_tick and t._op is None:
            value = self.constant(t._data)  # made while tracing: ag.tensor(3.0), ones seeds
        elif t._op is not None:
            raise CompileError(
                f"compile: '{self.name}' uses a tensor computed outside it that carries a graph "
                f"(made by '{t._op.name}', shape {t.shape}) at {user_line()}; pass it as an "
                f"argument of the compiled function, or use .detach() if no gradient should "
                f"flow to it")
        else:
            value = Value("external", t, t.shape, t.dtype, t._requires_grad)
            value.name = (self.trace.module_names.get(id(t)) or t.name
                          or self.outer_names.get(id(t)))
            self.trace.externals.append(value)
        self.values[id(t)] = value
        self.keep.append(t)
        return value

    def record(self, prim: Any, inputs: Sequence[Any], params: dict[str, Any],
               result: Tensor) -> None:
        """``primitive.apply`` ran ``prim``: append the call, make its output traced."""
        operands = [self.ref(x) for x in inputs]
        self._add_node(prim, operands, params, result)

    def _add_node(self, prim: Any, operands: list, params: dict, result: Tensor) -> Value:
        result.__class__ = TracedTensor
        value = Value("op", None, result.shape, result.dtype, result._requires_grad)
        scope = f"{STATE.scope[-1][1]} {STATE.scope[-1][0]}".strip() if STATE.scope else ""
        value.node = Node(prim, operands, dict(params), value, self.phase, scope)
        if self.trace.host_values:
            value.node.host_inputs = _host_values_in(params, self.trace.host_values)
        self.trace.steps.append(value.node)
        self.values[id(result)] = value
        self.keep.append(result)
        return value

    def record_copy(self, t: Tensor, how: str) -> Tensor:
        """``t.detach()`` (or a copy of a traced tensor) as a step of the program."""
        copy = Tensor._from_op(t._data)
        self._add_node(how, [self.ref(t)], {}, copy)
        return copy

    def generator(self, generator: np.random.Generator | None) -> TracedGenerator:
        """What ``resolve_generator`` returns while tracing."""
        return TracedGenerator(self, generator)

    def draw(self, how: Draw, size: Any) -> Tensor:
        """A random draw: a traced float64 tensor (zeros while tracing, fresh on every call)."""
        shape = () if size is None else (size,) if isinstance(size, int) else tuple(size)
        t = Tensor._from_op(np.zeros(shape))
        self._add_node(how, [], {"size": shape}, t)
        return t

    def check(self, function: Callable, tensors: Sequence[Tensor]) -> None:
        """``ag.runtime_check`` inside the traced function: a step of the program."""
        operands = [self.ref(t) for t in tensors]
        out = Value("effect", None, (), np.dtype(bool))
        scope = f"{STATE.scope[-1][1]} {STATE.scope[-1][0]}".strip() if STATE.scope else ""
        out.node = Node(Check(function), operands, {}, out, self.phase, scope)
        self.trace.steps.append(out.node)

    def read_data(self, t: Tensor, what: str = ".data") -> None:
        """``.data`` (``.numpy()``, ``.item()``...) of a tensor made outside the traced
        function: its values would be frozen into the program, so it is refused (optimizers
        read it in opaque calls, which run outside the trace)."""
        if self.in_opaque or (t._seq > self.start_tick and t._op is None):
            return
        raise CompileError(
            f"compile: {what} of a tensor made outside '{self.name}' (shape {t.shape}) read at "
            f"{user_line()}: its values would be frozen into the compiled program; compute "
            f"with the tensor itself (ops read it on every call), or move this out of the "
            f"compiled function")

    def copy_of(self, t: Tensor, dtype: Any, requires_grad: bool, name: str | None
                ) -> Tensor:
        """``ag.tensor(t)`` inside the traced function: a copy made on every call (of a
        traced value or of a tensor from outside, whose values change between calls)."""
        if requires_grad:
            raise CompileError(
                f"compile: ag.tensor(..., requires_grad=True) of a tensor inside "
                f"'{self.name}' at {user_line()} would make a new leaf on every call, whose "
                f"gradient nothing could read; make the leaf outside the compiled function")
        target = np.dtype(dtype) if dtype is not None else t._data.dtype
        copy = Tensor._from_op(np.array(t._data, dtype=target))
        self._add_node("copy", [self.ref(t)], {"dtype": target}, copy)
        copy.name = name
        return copy

    def refuse_copy(self, t: Tensor, where: str) -> None:
        """``ag.tensor(traced)`` (or ``ag.randn`` inside) would bake one call's values in."""
        if isinstance(t, TracedTensor):
            raise CompileError(
                f"compile: {where}(...) of a value traced inside '{self.name}' at "
                f"{user_line()} would freeze that call's values into the program; use the "
                f"tensor itself (x.astype(...) to convert), and make random tensors with "
                f"nn.functional.dropout or outside the compiled function")

    def entered_scope(self, name: str, function: Callable) -> None:
        """A module call: name its parameters after its path, guard its ``training`` flag."""
        module = getattr(function, "__self__", None)
        if module is None or not hasattr(module, "named_parameters"):
            return
        prefix = name.replace(".", "_")
        for pname, p in module.named_parameters():
            full = f"{prefix}_{pname}" if prefix else pname
            full = "m" + full if full[0].isdigit() else full  # Sequential's "0.weight"
            self.trace.module_names.setdefault(id(p), full.replace(".", "_"))
        if hasattr(module, "training"):
            self.trace.guards.append((module, "training", module.training))

    def backward(self, outputs: Sequence[Tensor], grad_outputs: Sequence[Any] | None, *,
                 retain_graph: bool, create_graph: bool,
                 capture: Sequence[Tensor] | None) -> list[Any] | None:
        """``loss.backward()`` (or ``ag.grad``) inside the traced function: record its steps."""
        from ..backward import run_backward

        if create_graph:
            raise CompileError(f"compile: backward(create_graph=True) inside '{self.name}' "
                               f"(at {user_line()}) is not supported; compile the function "
                               f"without the backward and differentiate its result")
        self.trace.whole_step = True
        for out in outputs:
            self.ref(out)  # a parameter itself as the loss is an external
        if capture is None:
            leaves = [self.arg_tensors[v.source] for v in self.trace.args if v.requires_grad]
            leaves += [v.source for v in self.trace.externals
                       if v.requires_grad and v.source._op is None]
        else:
            leaves = list(capture)
        self._names_from_callers()
        self._name_values()
        remove_hooks = self.naming_hooks()
        self.intercepts_backward, self.phase = False, "backward"
        try:
            grads = run_backward(outputs, grad_outputs, retain_graph=True, create_graph=True,
                                 capture=leaves)
        finally:
            self.intercepts_backward, self.phase = True, "forward"
            remove_hooks()
        if capture is not None:
            return grads
        for leaf, grad in zip(leaves, grads):
            if grad is None:
                continue
            leaf_value = self.values[id(leaf)]
            grad_value = self.ref(grad)
            if grad_value.kind == "op" and grad_value.name is None and leaf_value.name:
                grad_value.name = "grad_" + leaf_value.name
            accumulate = Accumulate(leaf_value, grad_value)
            self.trace.steps.append(accumulate)
            slot = Tensor._from_op(np.array(grad._data))
            slot.__class__ = TracedTensor
            value = accumulate.slot = Value("grad", leaf_value, slot.shape, slot.dtype)
            self.values[id(slot)] = value
            self.keep.append(slot)
            entry = self.tracked.setdefault(id(leaf), [leaf, leaf.grad, None])
            leaf.grad = entry[2] = slot
        return None

    def in_place(self, t: Tensor, name: str, ufunc: np.ufunc, other: Any) -> Tensor:
        """``t op= other`` inside the traced function: record it (it runs on every call)."""
        value = self.values.get(id(t)) or self.external(t)
        where = f"'{name}' on a tensor of shape {t.shape} inside '{self.name}' at {user_line()}"
        if value.kind not in ("external", "grad"):
            raise CompileError(f"compile: {where}: only parameters and other tensors made "
                               f"outside the compiled function (or their .grad) can be changed "
                               f"in place; compute a new tensor instead (x = x + y)")
        if STATE.grad_enabled and (t._requires_grad or (isinstance(other, Tensor)
                                                         and other._requires_grad)):
            t._refuse_in_place(name, other)
        self.trace.whole_step = True
        self.trace.steps.append(InPlace(value, name, ufunc, self.ref(other)))
        return t

    def changed_in_place(self, t: Tensor, writer: str) -> None:
        """Any other in-place write while tracing cannot be replayed: refuse it (a stamp
        after recorded updates of the same tensor is recorded too)."""
        if self.in_opaque:
            return
        value = self.values.get(id(t))
        if value is not None and any(isinstance(step, InPlace) and step.target is value
                                     for step in self.trace.steps):
            self.trace.steps.append(Mark(value, writer))
            return
        raise CompileError(
            f"compile: {writer} changed a tensor of shape {t.shape} in place inside "
            f"'{self.name}' at {user_line()}, which a compiled program cannot replay; use "
            f"`with ag.no_grad(): p -= ...` or an nn.optim optimizer for updates, or move the "
            f"change out of the compiled function")

    def opaque(self, function: Callable, args: tuple, kwargs: dict, run_now: bool) -> Any:
        """A call of an ``opaque`` function: record it; run it now only when ``run_now``."""
        for a in list(args) + list(kwargs.values()):
            if isinstance(a, TracedTensor):
                raise CompileError(f"compile: '{function.__qualname__}' got a traced tensor "
                                   f"inside '{self.name}' at {user_line()}; it runs as Python "
                                   f"code on every call, so pass it tensors made outside")
        self.sync_grads()
        self.trace.whole_step = True
        self.trace.steps.append(Call(function, args, kwargs))
        if not run_now:
            return None
        self.in_opaque = True
        _set_state(tracer=None)
        try:
            return function(*args, **kwargs)
        finally:
            _set_state(tracer=self)
            self.in_opaque = False
            for entry in self.tracked.values():
                entry[2] = entry[0].grad

    def sync_grads(self) -> None:
        """Record ``p.grad = ...`` assignments the function made since the last sync."""
        for entry in self.tracked.values():
            leaf, _, last = entry
            if leaf.grad is not last:
                new = None if leaf.grad is None else self.ref(leaf.grad)
                self.trace.steps.append(SetGrad(self.values[id(leaf)], new))
                entry[2] = leaf.grad

    # --- the end ----------------------------------------------------------------------------

    def finish(self, result: Any, differentiate: bool) -> Trace:
        """Record the outputs (and, for a drop-in program, its backward); return the trace."""
        trace = self.trace
        outputs = result if isinstance(result, tuple) else (result,)
        for out in outputs:
            if not isinstance(out, Tensor):
                raise CompileError(f"compile: '{self.name}' returned a {type(out).__name__}; "
                                   f"a compiled function returns a tensor or a tuple of "
                                   f"tensors")
        self._name_values()
        _set_state(tracer=self)
        try:
            self.sync_grads()
            trace.outputs = [self.ref(out) for out in outputs]
            if differentiate and not trace.whole_step:
                self._record_backward(outputs)
        finally:
            _set_state(tracer=None)
            self.restore_grads()
        return trace

    def _names_from_callers(self) -> None:
        """Names from the locals of the user's frames now running (``backward()`` is called
        before they return, so the profile hook has not seen them yet)."""
        frame = sys._getframe(1)
        while frame is not None:
            if frame.f_globals.get("__name__", "").partition(".")[0] not in _LIBRARIES:
                for local, value in frame.f_locals.items():
                    if isinstance(value, Tensor) and not local.startswith("_"):
                        self.trace.local_names.setdefault(id(value), local)
            frame = frame.f_back

    def _name_values(self) -> None:
        """Give values the names the user's code gave them: locals, globals, closure cells."""
        for tid, local in self.trace.local_names.items():
            value = self.values.get(tid)
            if value is not None and value.name is None:
                value.name = local

    def naming_hooks(self) -> Callable[[], None]:
        """Name each gradient the walk gathers for a named value ``l1``: ``grad_l1``.

        Returns the function that removes the hooks again.
        """
        hooked = []
        for t in self.keep:
            value = self.values.get(id(t)) if isinstance(t, Tensor) else None
            if value is None or value.kind != "op" or not t._requires_grad:
                continue
            name = value.name or self.trace.local_names.get(id(t))
            if name is None:
                continue

            def hook(grad: Tensor, name: str = name) -> None:
                gathered = self.values.get(id(grad))
                if gathered is not None and gathered.kind == "op" and gathered.name is None:
                    gathered.name = "grad_" + name

            if t._hooks is None:
                t._hooks = []
            t._hooks.append(hook)
            hooked.append((t, hook))

        def remove() -> None:
            for t, hook in hooked:
                t._hooks.remove(hook)
        return remove

    def _record_backward(self, outputs: Sequence[Tensor]) -> None:
        """The drop-in program's backward: the engine's walk from seed placeholders."""
        from ..backward import run_backward

        trace = self.trace
        inputs = [v for v in trace.args + trace.externals if v.requires_grad]
        differentiable = [out for out in outputs if out._requires_grad]
        if not inputs or not differentiable:
            return
        seeds = []
        for index, out in enumerate(outputs):
            if not out._requires_grad:
                continue
            seed = Tensor._from_op(np.ones_like(out._data))
            seed.__class__ = TracedTensor
            value = Value("seed", index, out.shape, out.dtype)
            self.values[id(seed)] = value
            self.keep.append(seed)
            trace.seeds.append(value)
            seeds.append(seed)
        leaves = [self.arg_tensors[v.source] if v.kind == "arg" else v.source for v in inputs]
        remove_hooks = self.naming_hooks()
        self.intercepts_backward, self.phase = False, "backward"
        try:
            grads = run_backward(differentiable, seeds, retain_graph=True, create_graph=True,
                                 capture=leaves)
        finally:
            self.intercepts_backward, self.phase = True, "forward"
            remove_hooks()
        for value, grad in zip(inputs, grads):
            if grad is not None:
                grad_value = self.ref(grad)
                if grad_value.kind == "op" and grad_value.name is None and value.name:
                    grad_value.name = "grad_" + value.name
                trace.grad_inputs.append(value)
                trace.grads.append(grad_value)
