"""The compiled function: a small cache of programs keyed by the inputs' shapes and dtypes.

``Compiled.__call__`` looks the call up (shapes, dtypes and requires_grad of the tensor
arguments, the values of number arguments, grad mode, and the ``training`` flag of every module
the trace went through), traces on a miss (``trace``), generates the program (``codegen``) and
runs it. A drop-in program's outputs are ordinary tensors recorded as outputs of one primitive
named after the function, whose VJP runs the generated backward once for all its inputs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import tensor as _tensor_module
from ..grad_mode import STATE
from ..primitive import NUMPY, Primitive
from ..tensor import Tensor
from . import codegen, rewrites
from .trace import CompileError, Trace, Tracer

CACHE_SIZE = 8


def _key_of(value: Any) -> Any:
    if isinstance(value, Tensor):
        return (value._data.shape, value._data.dtype, value._requires_grad)
    if isinstance(value, np.ndarray):
        return ("array", value.shape, value.dtype.str)
    if value is None or type(value) in (bool, int, float, str):
        return ("value", type(value).__name__, value)
    if isinstance(value, (list, tuple)):  # the program reads the tensors it held when traced
        return ("object", id(value), tuple(id(x) for x in value if isinstance(x, Tensor)))
    return ("object", id(value))


class _Entry:
    """One traced program and what it needs to run."""

    def __init__(self, trace: Trace, fn: Callable, returned_tuple: bool, pinned: list,
                 rewrite: bool, tensor_args: list[bool]) -> None:
        if rewrite:
            rewrites.rewrite(trace)
        self.trace = trace
        self.returned_tuple = returned_tuple
        self.pinned = pinned  # the objects whose ids are in the key stay alive
        if trace.whole_step:
            self.program = codegen.whole_step(trace, fn, tensor_args, returned_tuple, rewrite)
            self.saved = []
        else:
            self.program, self.saved = codegen.drop_in(trace, fn, tensor_args, returned_tuple,
                                                       rewrite)
        # One VJP per input, made once: each reads its entry of the backward program's
        # result, which the first of them computes for all.
        vjps = [functools.partial(self._vjp, argnum) for argnum in range(len(trace.grads))]
        self.prim = Primitive(getattr(fn, "__name__", "compiled"), self.program.forward, vjps)
        self.seed_of_output = {v.source: i for i, v in enumerate(trace.seeds)}
        self.single_seed = len(trace.seeds) == 1
        self.guards = trace.guards
        # What a call runs: the generated step, or the drop-in program's run (which records
        # its outputs as outputs of this entry's node).
        if self.program.step is not None:
            self.run = self.program.step
        else:
            self.program.namespace.update(node=self.prim,
                                          new_call=functools.partial(_Call, self))
            self.run = self.program.run

    def guards_hold(self) -> bool:
        """Whether every module the trace went through still has its traced ``training``."""
        return all(getattr(obj, attr) == value for obj, attr, value in self.guards)

    def _vjp(self, argnum: int, F: Any, g: Any, ans: Any, *inputs: Any, call: _Call,
             output: int) -> Any:
        if F is not NUMPY:
            raise CompileError(
                f"compile: backward(create_graph=True) through the compiled "
                f"'{self.prim.name}' is not supported (its backward is generated NumPy code, "
                f"not recorded ops); call the function without ag.compile where you need "
                f"higher derivatives")
        return call.gradients(output, g)[argnum]


class _Call:
    """One call of a drop-in program: its saved values, and the gradients of its last VJP."""

    __slots__ = ("entry", "saved", "last")

    def __init__(self, entry: _Entry, saved: tuple) -> None:
        self.entry, self.saved, self.last = entry, saved, None

    def __repr__(self) -> str:  # how graph drawings show the node's parameter
        return f"program({len(self.saved)} saved)"

    def gradients(self, output: int, g: Any) -> tuple:
        """Every input's gradient for the gradient ``g`` of output ``output`` (run once)."""
        last = self.last
        if last is not None and last[1] is g and last[0] == output:
            return last[2]
        entry = self.entry
        if entry.single_seed:
            grads = entry.program.backward(*self.saved, g)
        else:  # the other outputs' gradients are zero: backward is linear in them
            seeds = [np.zeros(v.shape, v.dtype) for v in entry.trace.seeds]
            seeds[entry.seed_of_output[output]] = g
            grads = entry.program.backward(*self.saved, *seeds)
        self.last = (output, g, grads)
        return grads


class Compiled:
    """``ag.compile(fn)``: ``fn`` traced once per kind of input, then run as generated code.

    ``trace_count`` counts the traces so far; ``code`` is the source of the latest program.
    """

    def __init__(self, fn: Callable, cache_size: int = CACHE_SIZE, rewrite: bool = True
                 ) -> None:
        if not callable(fn):
            raise TypeError(f"compile: expected a function, got {type(fn).__name__}")
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.cache_size = cache_size
        self.rewrite = rewrite
        self.trace_count = 0
        self._cache: dict[Any, _Entry] = {}
        self._latest: _Entry | None = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if STATE.tracer is not None:  # called inside another compiled function: inlined
            return self.fn(*args, **kwargs)
        key = [STATE.grad_enabled, _tensor_module._default_dtype]
        for a in args:
            if type(a) is Tensor:  # the common case, spelled out: this runs on every call
                data = a._data
                key.append((data.shape, data.dtype, a._requires_grad))
            else:
                key.append(_key_of(a))
        if kwargs:
            key.append(tuple((k, _key_of(v)) for k, v in sorted(kwargs.items())))
        key = tuple(key)
        entry = self._cache.get(key)
        if entry is None or (entry.guards and not entry.guards_hold()):
            entry = self._trace(key, args, kwargs)
        return entry.run(args)

    def _trace(self, key: Any, args: tuple, kwargs: dict) -> _Entry:
        """Trace ``fn`` on these arguments, generate its program and cache it under ``key``."""
        name = getattr(self.fn, "__name__", "compiled")
        tracer = Tracer(name)
        result = tracer.run(self.fn, args, kwargs)
        trace = tracer.finish(result, STATE.grad_enabled)
        entry = _Entry(trace, self.fn, isinstance(result, tuple),
                       [a for a in list(args) + list(kwargs.values())
                        if _key_of(a)[0] == "object"], self.rewrite,
                       [isinstance(args[v.source], Tensor) for v in trace.args])
        self.trace_count += 1
        if len(self._cache) >= self.cache_size:
            self._cache.pop(next(iter(self._cache)))
        self._cache[key] = entry
        self._latest = entry
        return entry

    @property
    def code(self) -> str:
        """The generated source of the latest program (RuntimeError before the first call)."""
        if self._latest is None:
            raise RuntimeError(f"compile: '{getattr(self.fn, '__name__', 'fn')}' has not been "
                               f"called yet, so there is no code; call it once first")
        return self._latest.program.code

    def __repr__(self) -> str:
        return (f"<ag.compile({getattr(self.fn, '__qualname__', self.fn)}): "
                f"{len(self._cache)} programs, traced {self.trace_count} times>")
