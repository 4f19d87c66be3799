"""Gradient checkpointing: ``ag.checkpoint(fn, *args)`` trades compute for memory.

The graph of ``fn`` is dropped as soon as the forward pass has run, so that its intermediate
values do not stay in memory until backward; backward runs ``fn`` again on the saved inputs and
differentiates that. In the whole graph ``fn`` is one op (a ``Primitive`` named
``checkpoint``, with one rule for all its inputs) whose inputs are ``fn``'s tensor arguments
and every tensor requiring grad that ``fn`` used from outside (a model's parameters), found
from the graph of the forward call before it is dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .backward import run_backward
from .clock import TICKS
from .grad_mode import STATE, enable_grad
from .primitive import TENSORS, Primitive
from .primitive import _tag as tag
from .random import default_generator, use_generator
from .tensor import Tensor

__all__ = ["checkpoint"]


class _Call:
    """What the checkpoint op keeps to run ``fn`` again: the call, and the random state."""

    def __init__(self, fn: Callable, args: tuple, kwargs: dict, positions: tuple[int, ...],
                 rng_state: dict | None) -> None:
        self.fn, self.args, self.kwargs, self.positions = fn, args, kwargs, positions
        self.rng_state = rng_state
        self.outside: tuple[Tensor, ...] = ()  # the tensors fn uses from outside, set later
        self.grads: tuple[Any, list[Any]] | None = None  # (the gradient they answer, grads)

    def run(self, tensors: list[Tensor], replay: bool) -> Any:
        """``fn`` on ``tensors`` in place of the tensor arguments; ``replay`` the random draws.

        The forward pass draws from the user's generator. The replay in backward draws from a
        copy of the generator as it was before the forward pass, so the user's generator is not
        advanced by the recomputation (PyTorch's ``preserve_rng_state``: its RNG state is forked
        for the recomputation and restored afterwards).
        """
        args = list(self.args)
        for position, tensor in zip(self.positions, tensors):
            args[position] = tensor
        if not replay or self.rng_state is None:
            return self.fn(*args, **self.kwargs)
        bit_generator = type(default_generator().bit_generator)()
        bit_generator.state = self.rng_state
        with use_generator(np.random.Generator(bit_generator)):
            return self.fn(*args, **self.kwargs)


def _outside_tensors(output: Tensor, start: int) -> list[Tensor]:
    """The tensors requiring grad made before tick ``start`` that ``output`` depends on."""
    found: dict[int, Tensor] = {}
    stack = [output]
    seen: set[int] = set()
    while stack:
        tensor = stack.pop()
        if id(tensor) in seen:
            continue
        seen.add(id(tensor))
        if tensor._seq < start:
            found[id(tensor)] = tensor
        elif tensor._inputs is not None:  # the stand-ins, made after start, are leaves
            stack.extend(x for x in tensor._inputs if isinstance(x, Tensor) and x._requires_grad)
    return sorted(found.values(), key=lambda t: t._seq)


def checkpoint(fn: Callable[..., Tensor], *args: Any, preserve_rng_state: bool = True,
               use_reentrant: bool | None = None, **kwargs: Any) -> Tensor:
    """Return ``fn(*args, **kwargs)`` without keeping its intermediate values for backward.

    Backward runs ``fn`` again (once per backward walk through it) and differentiates the
    recomputation, so gradients equal the un-checkpointed ones exactly, with respect to the
    tensor arguments and to every tensor requiring grad that ``fn`` uses from outside (a
    module's parameters); ``ag.grad``, ``create_graph=True`` (double backward) and ``ag.func``
    work through it. ``fn`` must return one tensor and be deterministic given its inputs and
    the default random generator: random draws from ``ag.default_generator()`` (Dropout,
    ``ag.rand``, inside ``nn.fit(seed=...)`` too) are replayed from a copy of the generator's
    state before the forward pass, and the recomputation leaves the generator where the
    forward pass left it (``preserve_rng_state=False`` skips this, so that a function drawing
    random numbers fails the check below). A generator passed
    explicitly (``Dropout(generator=g)``) is not replayed; backward then finds a recomputed
    output that differs from the forward's and raises RuntimeError, as it does when ``fn``'s
    parameters changed in place between forward and backward. State that ``fn`` updates
    (BatchNorm's running statistics) is updated again by the recomputation, as in PyTorch.
    ``use_reentrant`` is accepted for PyTorch's signature and ignored (there is one kind).

    Under ``no_grad``, or when nothing requires grad, this is just ``fn(*args, **kwargs)``.
    """
    del use_reentrant
    if not STATE.grad_enabled:
        return fn(*args, **kwargs)
    positions = tuple(i for i, a in enumerate(args) if isinstance(a, Tensor) and a._requires_grad)
    rng_state = default_generator().bit_generator.state if preserve_rng_state else None
    call = _Call(fn, args, kwargs, positions, rng_state)
    start = next(TICKS)
    stand_ins = [_leaf(args[i]._data) for i in positions]
    with enable_grad():
        output = call.run(stand_ins, replay=False)
    if not isinstance(output, Tensor):
        raise TypeError(f"checkpoint: {_name(fn)} must return one Tensor, "
                        f"got {type(output).__name__}; checkpoint a function per output")
    if not output._requires_grad:
        return output
    call.outside = tuple(_outside_tensors(output, start))
    inputs = tuple(args[i] for i in positions) + call.outside
    result = Tensor._from_op(output._data, CHECKPOINT, inputs, {"call": call})
    if STATE.tagging:  # name scopes, capture_grads and anomaly mode see it as any op output
        tag(result, CHECKPOINT, inputs)
    return result


def _name(fn: Callable) -> str:
    return getattr(fn, "__name__", type(fn).__name__)


def _leaf(array: np.ndarray) -> Tensor:
    leaf = Tensor._from_op(array)
    leaf._requires_grad = True
    return leaf


def _checkpoint_vjp(F: Any, argnum: int, g: Any, ans: Any, *inputs: Any, call: _Call) -> Any:
    """The gradient of input ``argnum``: all inputs' are computed on the first request."""
    if call.grads is None or call.grads[0] is not g:
        call.grads = (g, _recompute_gradients(g, ans, inputs, call))
    grads = call.grads[1]
    if argnum == len(inputs) - 1:
        call.grads = None  # the walk asks for the inputs in order: this was the last one
    return grads[argnum]


def _recompute_gradients(g: Any, ans: Any, inputs: tuple, call: _Call) -> list[Any]:
    graph = isinstance(g, Tensor)  # create_graph: the gradients must record a graph
    arguments = inputs[:len(call.positions)]
    boundary = next(TICKS)
    with enable_grad():
        # Stand-ins are aliases of the inputs under create_graph (second derivatives flow
        # through them), fresh leaves otherwise; the walk below stops before both.
        stand_ins = [TENSORS.reshape(x, shape=x.shape) if graph else _leaf(x)
                     for x in arguments]
        output = call.run(stand_ins, replay=True)
    expected = ans._data if graph else ans
    if not isinstance(output, Tensor) or not np.array_equal(output._data, expected):
        raise RuntimeError(
            f"checkpoint: recomputing {_name(call.fn)} in backward gave a "
            f"different output than the forward pass, so its gradient would be wrong: does it "
            f"draw random numbers from a generator passed explicitly (e.g. "
            f"Dropout(generator=...)), or were its parameters changed in place between forward "
            f"and backward? Use the default generator (ag.manual_seed, "
            f"ag.random.use_generator) and call backward before optimizer.step()")
    # The node's inputs are arrays in a first-order walk: the tensors themselves are in call.
    wanted = stand_ins + list(call.outside)
    if not output._requires_grad:
        return [np.zeros_like(x._data if graph else x) for x in inputs]
    grads = run_backward([output], [g], retain_graph=graph, create_graph=graph,
                         capture=wanted, boundary=boundary)
    results = []
    for x, grad in zip(inputs, grads):
        if grad is None:
            zeros = np.zeros_like(x._data if graph else x)
            grad = Tensor._from_op(zeros) if graph else zeros
        results.append(grad)
    return results


def _not_called_directly(*arrays: Any, call: _Call) -> np.ndarray:
    """Gradient checkpoint of a function (see ``ag.checkpoint``)."""
    raise TypeError("checkpoint: call it as ag.checkpoint(fn, *args)")


# Not in the registry of primitives (so not in F, not a public op): the walk needs only the rule.
CHECKPOINT = Primitive("checkpoint", _not_called_directly, vjp_any=_checkpoint_vjp)
