"""``ag.compile``: trace a step once, run it as the generated NumPy code a tutorial writes.

    >>> import autograd_lite as ag
    >>> w = ag.tensor([1.0, 2.0], requires_grad=True)
    >>> loss_of = ag.compile(lambda x: (x * w).sum())
    >>> loss = loss_of(ag.tensor([3.0, 4.0]))
    >>> loss.backward()
    >>> w.grad
    tensor([3., 4.])

``trace`` records a run, ``codegen`` writes the program, ``compiled`` caches and runs it;
``opaque`` marks functions (an optimizer's ``step``) that a program calls as they are.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from ..grad_mode import STATE
from .compiled import Compiled
from .trace import CompileError


def compile(fn: Callable, *, cache_size: int = 8, rewrite: bool = True  # noqa: A001
            ) -> Compiled:
    """Compile ``fn`` (tensors and numbers in, a tensor or a tuple of tensors out).

    The first call with a given kind of input (shapes, dtypes, requires_grad of the tensors,
    values of the numbers, grad mode, modules' training flags) runs ``fn`` once, recording every
    primitive, and generates one straight-line Python function of NumPy calls for the forward
    and one for the backward (``.code`` shows them); later calls run that code. Tensors ``fn``
    reaches through a closure or a module are read on every call, never baked in. The outputs
    are ordinary tensors: ``compiled(x).backward()`` fills ``.grad`` as the eager call would,
    through one node named after ``fn``. A ``fn`` that itself calls ``loss.backward()``,
    ``optimizer.zero_grad()``/``step()`` or updates parameters in place under ``no_grad`` is
    compiled as a whole step, side effects included, and returns tensors without a graph.

    Raises CompileError (a RuntimeError) when ``fn`` reads a traced value (``.item()``,
    ``.numpy()``, ``.data``, ``bool()``, an ``if`` on a tensor), changes a tensor in place in a
    way a program cannot replay, or returns something other than tensors; and for
    ``backward(create_graph=True)`` through a compiled function. ``rewrite=False`` skips the
    rewrites (``compiler/rewrites.py``) and the reuse of dead buffers (``out=``), which change
    no numbers except where a rewrite says so (the fused sigmoid + BCE gradient);
    ``cache_size`` is how many programs are kept.
    """
    return Compiled(fn, cache_size=cache_size, rewrite=rewrite)


def opaque(run_when_traced: bool = False) -> Callable[[Callable], Callable]:
    """Decorator: inside a compiled function, record calls of the decorated function, and call
    it again (with the same arguments) every time the program runs.

    For functions that work on arrays outside the graph, such as an optimizer's ``step``.
    ``run_when_traced=True`` also runs it during the trace (``zero_grad``, whose effect on
    ``.grad`` the rest of the trace must see). Outside compiled functions it costs one check.
    """

    def decorate(function: Callable) -> Callable:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            tracer = STATE.tracer
            if tracer is None:
                return function(*args, **kwargs)
            return tracer.opaque(function, args, kwargs, run_when_traced)

        return wrapper

    return decorate


def runtime_check(check: Callable[..., None], *tensors: Any) -> None:
    """Call ``check(*arrays)`` on the tensors' arrays now, and, inside a compiled function, on
    every call of the program.

    For validations that read values (``BCELoss``'s "probabilities lie in [0, 1]"): ``check``
    raises or returns None; reading ``.data`` instead would be refused while tracing.
    """
    tracer = STATE.tracer
    if tracer is not None:
        tracer.check(check, tensors)
    check(*[t._data for t in tensors])


def runtime_arrays(compute: Callable[..., tuple], *tensors: Any) -> tuple:
    """Return ``compute(*arrays)`` (a tuple of NumPy arrays) on the tensors' arrays; inside a
    compiled function it runs on every call of the program.

    For NumPy work that depends on values, such as picking each row's target class
    (``cross_entropy``'s indices and weights): the returned arrays must reach ops as they are
    (as operands, or inside an index), which then use each call's arrays.
    """
    tracer = STATE.tracer
    if tracer is not None:
        return tracer.host_arrays(compute, tensors)
    return tuple(compute(*[t._data for t in tensors]))


__all__ = ["CompileError", "Compiled", "compile", "opaque", "runtime_arrays", "runtime_check"]
