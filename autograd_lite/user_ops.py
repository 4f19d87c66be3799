"""Your own ops: ``ag.custom_op`` (the library's own ``@primitive``) and ``ag.Function``.

``custom_op`` registers a NumPy forward with one VJP rule per input, exactly as every op in
``autograd_lite/ops/`` is declared (``@primitive``): the rules are written against ``F``, so
``create_graph=True``, ``ag.func`` (forward mode included: it transposes the VJP rules) and
``ag.gradcheck`` work on a user op unchanged::

    @ag.custom_op("legendre3", lambda F, g, ans, x: g * 1.5 * (5 * x ** 2 - 1))
    def legendre3(x):                       # x is a NumPy array
        return 0.5 * (5 * x ** 3 - 3 * x)

    ag.gradcheck(legendre3, [ag.tensor([0.3, -0.7], dtype="float64", requires_grad=True)])

``Function`` is ``torch.autograd.Function`` for code ported from PyTorch: ``forward(ctx, ...)``
and ``backward(ctx, grad_output)`` as static methods on tensors, ``ctx.save_for_backward``,
``MyFunction.apply(...)``. Each subclass becomes one primitive of the same registry.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .grad_mode import no_grad
from .primitive import PRIMITIVES, Primitive, primitive
from .tensor import Tensor

__all__ = ["Function", "FunctionCtx", "custom_op"]


def _make_room(name: str, where: str) -> None:
    """Free ``name`` for a redefinition of a user op; refuse the library's own names."""
    existing = PRIMITIVES.get(name)
    if existing is None:
        return
    if not getattr(existing, "is_custom", False):
        raise ValueError(f"{where}: {name!r} is the name of one of autograd_lite's own ops; "
                         f"choose another name (e.g. 'mylib.{name}')")
    del PRIMITIVES[name]  # re-running a notebook cell redefines the op


def custom_op(name: str, *vjps: Callable, vjp_any: Callable | None = None,
              differentiable: bool = True) -> Callable[[Callable], Primitive]:
    """Decorator declaring a NumPy forward as a primitive op with its VJP rules.

    The same mechanism as the library's ops (``autograd_lite.primitive.primitive``). The forward
    receives NumPy arrays (and keyword parameters, which stay static) and returns one array.
    Give one VJP rule per positional input, ``vjp(F, g, ans, *inputs, **params)``: ``g`` is the
    gradient of the output, ``ans`` the output, ``inputs`` the forward's inputs; return the
    gradient of that input (the engine sums it to the input's shape). Write the rules with
    Python operators and ``F.`` functions (``F.exp``, ``F.sum_to``), never ``np.``: the same
    rule then runs on arrays in a plain backward and on tensors with ``create_graph=True``,
    which is what makes higher derivatives and forward mode (``ag.func.jvp``) work through the
    op. ``vjp_any(F, argnum, g, ans, *inputs, **params)`` serves ops with any number of inputs;
    ``differentiable=False`` declares an op whose output never requires grad (it needs no rules).

    The op is registered under ``name`` (``F.<name>`` exists from then on); defining a user op
    of the same name again replaces it, and ValueError is raised for a name of the library's
    ops. The result is called like any op: ``legendre3(x)`` with tensors, arrays or numbers.
    """

    def register(forward: Callable) -> Primitive:
        _make_room(name, "custom_op")
        op = primitive(name, *vjps, vjp_any=vjp_any, differentiable=differentiable)(forward)
        op.is_custom = True
        return op

    if differentiable and not vjps and vjp_any is None:
        raise TypeError(f"custom_op: {name!r} needs a VJP rule per input (or vjp_any); "
                        f"e.g. custom_op({name!r}, lambda F, g, ans, x: g * ...)")
    return register


class FunctionCtx:
    """The ``ctx`` of one ``Function`` call: what ``forward`` saves for ``backward``.

    ``save_for_backward(*tensors)`` keeps tensors (inputs, the output or intermediates);
    ``saved_tensors`` returns them in ``backward``, inputs and the output as the graph's own
    tensors (so a ``create_graph`` backward differentiates through them). Other values can be
    stored as attributes (``ctx.constant = 2``). ``needs_input_grad`` tells which inputs want a
    gradient, as in PyTorch.
    """

    def __init__(self, needs_input_grad: tuple[bool, ...]) -> None:
        self.needs_input_grad = needs_input_grad
        self._input_wrappers: tuple[Tensor | None, ...] = ()
        self._output: Tensor | None = None
        self._saved: tuple[Any, ...] = ()
        self._graph_inputs: tuple[Any, ...] = ()
        self._graph_output: Any = None
        # backward's gradients for the pending walk: (the gradient they answer, the gradients)
        self._cache: tuple[Any, tuple[Any, ...]] | None = None

    def save_for_backward(self, *tensors: Any) -> None:
        """Keep ``tensors`` (or None) for ``backward``, which reads them as ``saved_tensors``."""
        self._saved = tensors

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        """The saved tensors; inputs and the output come back as the graph's tensors."""
        resolved = []
        for saved in self._saved:
            position = next((i for i, w in enumerate(self._input_wrappers) if w is saved), None)
            if position is not None:
                resolved.append(self._graph_inputs[position])
            elif saved is not None and saved is self._output:
                resolved.append(self._graph_output)
            else:
                resolved.append(saved)
        return tuple(resolved)


class Function:
    """Base class of a PyTorch-style custom op: ``forward(ctx, ...)``, ``backward(ctx, g)``.

    ::

        class LegendrePolynomial3(ag.Function):
            @staticmethod
            def forward(ctx, input):
                ctx.save_for_backward(input)
                return 0.5 * (5 * input ** 3 - 3 * input)

            @staticmethod
            def backward(ctx, grad_output):
                (input,) = ctx.saved_tensors
                return grad_output * 1.5 * (5 * input ** 2 - 1)

        y = LegendrePolynomial3.apply(x)

    ``forward`` receives the tensor arguments as tensors without a graph (it runs under
    ``no_grad``) and other arguments as given; it returns one tensor. ``backward`` receives
    the gradient of the output and returns one gradient per argument of ``forward`` (a tuple
    when there are several; None for non-tensor arguments and for inputs that need none).
    Each subclass is registered as one primitive (``ag.custom_op``'s mechanism), named after
    its module and qualified name.

    Double backward (``create_graph=True``, ``ag.func.hessian``, forward mode, which transposes
    ``backward``) is supported when ``backward`` computes with autograd_lite ops on its
    arguments and on ``ctx.saved_tensors``, as in PyTorch: it then runs on graph tensors and
    records its own graph. Tensors saved that are neither inputs nor the output are constants
    there. A ``backward`` that leaves the ops (NumPy arrays, ``.numpy()``) works for first order
    only, and returning an array under ``create_graph=True`` raises a RuntimeError saying so.
    """

    _primitive: Primitive

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        name = f"{cls.__module__}.{cls.__qualname__}"
        _make_room(name, cls.__qualname__)
        cls._primitive = primitive(name, vjp_any=_function_vjp(cls))(_function_forward(cls))
        cls._primitive.is_custom = True

    @staticmethod
    def forward(ctx: FunctionCtx, *args: Any) -> Tensor:
        """Compute the output from the arguments; define it in the subclass."""
        raise NotImplementedError("Function: define forward(ctx, ...) as a @staticmethod")

    @staticmethod
    def backward(ctx: FunctionCtx, grad_output: Tensor) -> Any:
        """Return the gradient of each argument of ``forward``; define it in the subclass."""
        raise NotImplementedError("Function: define backward(ctx, grad_output) as a "
                                  "@staticmethod")

    @classmethod
    def apply(cls, *args: Any) -> Tensor:
        """Run the op on ``args``: tensors are its differentiable inputs, the rest static."""
        positions = tuple(i for i, a in enumerate(args) if isinstance(a, Tensor))
        static = tuple(None if i in positions else a for i, a in enumerate(args))
        ctx = FunctionCtx(tuple(isinstance(a, Tensor) and a.requires_grad for a in args))
        return cls._primitive(*(args[i] for i in positions), ctx=ctx, static=static,
                              positions=positions)


def _function_forward(cls: type[Function]) -> Callable[..., np.ndarray]:
    def forward(*arrays: Any, ctx: FunctionCtx, static: tuple, positions: tuple) -> np.ndarray:
        args = list(static)
        wrappers: list[Tensor | None] = [None] * len(static)
        for position, array in zip(positions, arrays):
            args[position] = wrappers[position] = Tensor._from_op(array)
        ctx._input_wrappers = tuple(wrappers)
        with no_grad():
            out = cls.forward(ctx, *args)
        if not isinstance(out, Tensor):
            raise TypeError(f"{cls.__qualname__}.forward must return one Tensor, got "
                            f"{type(out).__name__} (several outputs are not supported: "
                            f"write one Function per output)")
        ctx._output = out
        return out._data

    forward.__doc__ = cls.__doc__
    return forward


def _function_vjp(cls: type[Function]) -> Callable[..., Any]:
    def vjp_any(F: Any, argnum: int, g: Any, ans: Any, *inputs: Any, ctx: FunctionCtx,
                static: tuple, positions: tuple) -> Any:
        if ctx._cache is None or ctx._cache[0] is not g:
            graph = isinstance(g, Tensor)  # create_graph: the rule runs on the graph's tensors
            as_tensor = (lambda v: v) if graph else Tensor._from_op
            graph_inputs = [None] * len(static)
            for position, x in zip(positions, inputs):
                graph_inputs[position] = as_tensor(x)
            ctx._graph_inputs, ctx._graph_output = tuple(graph_inputs), as_tensor(ans)
            grads = cls.backward(ctx, as_tensor(g))
            grads = grads if isinstance(grads, tuple) else (grads,)
            if len(grads) != len(static):
                raise ValueError(f"{cls.__qualname__}.backward returned {len(grads)} gradients "
                                 f"for the {len(static)} arguments of forward; return one per "
                                 f"argument (None for non-tensors)")
            ctx._cache = (g, tuple(grads[p] for p in positions))
        grad = ctx._cache[1][argnum]
        if argnum == max(i for i, p in enumerate(positions) if ctx.needs_input_grad[p]):
            ctx._cache = None  # the walk asks for the inputs in order: this was the last one
        x = inputs[argnum]
        if grad is None:
            zeros = np.zeros_like(x._data if isinstance(x, Tensor) else x)
            return Tensor._from_op(zeros) if isinstance(g, Tensor) else zeros
        if isinstance(g, Tensor):
            if not isinstance(grad, Tensor):
                raise RuntimeError(
                    f"{cls.__qualname__}.backward returned a {type(grad).__name__} (not a "
                    f"Tensor) during a create_graph=True backward (double backward, "
                    f"ag.func.hessian or forward mode); these need backward to compute with "
                    f"autograd_lite ops on its tensor arguments so that its own graph is "
                    f"recorded. Rewrite backward with tensor ops, or use first-order gradients "
                    f"only")
            return grad
        return grad._data if isinstance(grad, Tensor) else np.asarray(grad)

    return vjp_any
