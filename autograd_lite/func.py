"""Function transforms: gradients, VJPs, JVPs, Jacobians and Hessians as functions.

``ag.func`` is named after ``torch.func`` and follows its signatures::

    from autograd_lite import func
    df = func.grad(f)                       # df(x) is the gradient of the scalar f at x
    d2f = func.grad(func.grad(f))           # transforms nest
    out, vjp_fn = func.vjp(f, x)            # vjp_fn(cotangent) -> (J^T cotangent,)
    out, jv = func.jvp(f, (x,), (v,))       # J v, forward mode (see below)
    func.jacrev(f)(x), func.jacfwd(f)(x)    # the Jacobian, row by row or column by column
    func.hessian(f)(x), func.hvp(f, (x,), (v,))
    func.functional_call(model, params, (x,))

Every transform is built on the engine's reverse walk: each VJP rule is written against ``F``,
so a backward pass recorded with ``create_graph=True`` is itself a graph that can be walked
again. That is all the transforms need:

- **Reverse mode** (``grad``, ``vjp``, ``jacrev``): one forward pass, then one backward walk per
  cotangent (``jacrev`` walks once per output element, with the graph kept).
- **Forward mode** (``jvp``, ``linearize``, ``jacfwd``) comes from the VJP rules by
  transposition (the "double-VJP trick"); there are no separate JVP rules. For a dummy cotangent
  ``u`` the recorded backward pass ``u -> J^T u`` is linear in ``u``, and its own VJP with
  cotangent ``v`` is ``J v``. Cost: the forward pass, one backward pass recorded with
  ``create_graph=True`` (dearer than a plain one: it builds a graph), then one walk of that
  recorded pass per tangent. A single ``jvp`` costs about two ``vjp``s (1.5x to 2.3x in
  ``make bench``); ``linearize`` and ``jacfwd`` pay the recording once and then one walk per
  tangent, which is why ``jacfwd`` beats ``jacrev`` on tall Jacobians (few inputs, many
  outputs). Because every op (user ops from ``ag.custom_op`` and ``ag.Function`` included)
  gets forward mode from its VJP rules, forward mode needs the VJP rules to be differentiable:
  a ``Function`` whose ``backward`` leaves autograd_lite ops raises when used in forward mode.
- **Second order** (``hessian``, ``hvp``) is reverse over reverse: the gradient is recorded with
  ``create_graph=True`` and differentiated again. ``hvp`` never builds the Hessian: one forward
  pass, one recorded backward pass and one walk of it.

Arguments may be tensors, NumPy arrays or numbers (made float tensors; NumPy float arrays keep
their dtype), or tuples, lists and dicts of them (``grad`` of a loss with respect to a dict of
parameters returns a dict of gradients). Results are tensors of the inputs' shapes.

Nesting and outer gradients: each transform differentiates with respect to its own copies of
its arguments, so ``func.grad(lambda y: x * y)(x)`` is ``x`` (no perturbation confusion), and
walks only the graph its function made. Its results record a graph (are differentiable) exactly
when grad mode is on at the call and something they depend on requires grad outside the call (an
argument, or a tensor the function closes over, such as a model's parameters in a gradient
penalty); otherwise they are plain tensors computed at first-order speed. As in ``torch.func``
a transform ignores an enclosing ``no_grad`` for its own derivatives (it is a function of ``f``
alone) but then returns results without a graph.

``vmap`` is not provided: the Jacobian transforms loop over basis vectors in Python.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from .backward import run_backward
from .clock import TICKS
from .grad_mode import STATE, enable_grad
from .primitive import TENSORS
from .tensor import Tensor, get_default_dtype

__all__ = ["functional_call", "grad", "hessian", "hvp", "jacfwd", "jacrev", "jvp", "linearize",
           "value_and_grad", "vjp"]

# --- trees of tensors: tuples, lists and dicts ------------------------------------------------


def _flatten(tree: Any) -> tuple[list[Any], Any]:
    """The leaves of ``tree`` (tuples, lists and dicts are containers) and its structure."""
    if isinstance(tree, (tuple, list)):
        parts = [_flatten(item) for item in tree]
        return [leaf for leaves, _ in parts for leaf in leaves], (type(tree), None,
                                                                  [s for _, s in parts])
    if isinstance(tree, dict):
        parts = [_flatten(item) for item in tree.values()]
        return [leaf for leaves, _ in parts for leaf in leaves], (dict, list(tree),
                                                                  [s for _, s in parts])
    return [tree], None


def _unflatten(structure: Any, leaves: Iterator[Any] | Sequence[Any]) -> Any:
    """Rebuild the tree that ``_flatten`` described from ``leaves`` (in order)."""
    leaves = iter(leaves)

    def build(node: Any) -> Any:
        if node is None:
            return next(leaves)
        kind, keys, children = node
        values = [build(child) for child in children]
        return dict(zip(keys, values)) if kind is dict else kind(values)

    return build(structure)


def _describe(f: Callable) -> str:
    return getattr(f, "__name__", type(f).__name__)


# --- tracing a function: its inputs as it sees them, and the walks back -------------------------


def _as_float_tensor(value: Any, where: str, position: str) -> Tensor:
    if isinstance(value, Tensor):
        if value.dtype.kind != "f":
            raise TypeError(f"{where}: {position} has dtype {value.dtype}; transforms "
                            f"differentiate with respect to float tensors (convert it with "
                            f".astype('float32'), or pass it through a closure)")
        return value
    try:
        array = np.asarray(value)
    except ValueError:
        raise ValueError(f"{where}: could not make an array of {position} (ragged nested "
                         f"lists?)") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{where}: {position} is a {type(value).__name__}; expected a Tensor, "
                        f"a number or a numeric array")
    dtype = array.dtype if array.dtype.kind == "f" else get_default_dtype()
    return Tensor._from_op(np.array(array, dtype=dtype))


class _Trace:
    """One call of ``f`` on fresh copies of the differentiated arguments, ready to walk back.

    ``inputs`` are the tensors ``f`` saw in place of the differentiated leaves: an alias op of
    the argument when it requires grad outside (so outer gradients flow through it), a fresh
    leaf otherwise. Walks stop at everything made before the call (``start``), so they never
    run through, or free, the caller's graph. ``create_graph`` says whether the results must
    record a graph (see the module docstring).
    """

    def __init__(self, f: Callable, args: Sequence[Any], kwargs: Mapping[str, Any],
                 argnums: int | tuple[int, ...], where: str, has_aux: bool = False) -> None:
        self.where = where
        argnum_list = _check_argnums(argnums, len(args), where)
        self.argnums = argnums
        grad_was_enabled = STATE.grad_enabled
        self.start = next(TICKS)
        outer = False
        new_args = list(args)
        self.arg_structures = []
        self.arg_counts = []
        self.inputs: list[Tensor] = []
        with enable_grad():
            for argnum in argnum_list:
                leaves, structure = _flatten(args[argnum])
                fresh = []
                for index, leaf in enumerate(leaves):
                    tensor = _as_float_tensor(leaf, where, f"argument {argnum}"
                                              + (f" (leaf {index})" if structure else ""))
                    if grad_was_enabled and tensor._requires_grad:
                        outer = True
                        fresh.append(TENSORS.reshape(tensor, shape=tensor.shape))
                    else:
                        leaf_copy = Tensor._from_op(tensor._data)
                        leaf_copy._requires_grad = True
                        fresh.append(leaf_copy)
                self.arg_structures.append(structure)
                self.arg_counts.append(len(fresh))
                self.inputs.extend(fresh)
                new_args[argnum] = _unflatten(structure, fresh)
            result = f(*new_args, **kwargs)
        self.aux = None
        if has_aux:
            if not (isinstance(result, tuple) and len(result) == 2):
                raise TypeError(f"{where}: with has_aux=True, {_describe(f)} must return a "
                                f"pair (output, aux), got {type(result).__name__}")
            result, self.aux = result
        self.output = result
        self.outputs, self.out_structure = _flatten(result)
        for index, out in enumerate(self.outputs):
            if not isinstance(out, Tensor):
                raise TypeError(f"{where}: {_describe(f)} must return tensors (or tuples, lists, "
                                f"dicts of them), but output {index} is a "
                                f"{type(out).__name__}")
        self.create_graph = grad_was_enabled and (outer or _reaches_outer(self.outputs,
                                                                           self.start))
        self.aux = self.result(self.aux)

    def split_by_argnum(self, values: Sequence[Any]) -> Any:
        """Group per-input ``values`` back into the differentiated arguments' trees."""
        values = iter(values)
        trees = [_unflatten(structure, [next(values) for _ in range(count)])
                 for structure, count in zip(self.arg_structures, self.arg_counts)]
        return trees[0] if isinstance(self.argnums, int) else tuple(trees)

    def pull(self, cotangents: Sequence[Any], create_graph: bool | None = None) -> list[Tensor]:
        """``J^T cotangents`` for every input: one walk of f's graph, which is kept."""
        create_graph = self.create_graph if create_graph is None else create_graph
        return _walk(self.outputs, cotangents, self.inputs, self.start, create_graph)

    def result(self, value: Any) -> Any:
        """``value`` as the caller gets it: without a graph unless the results record one."""
        if self.create_graph:
            return value
        leaves, structure = _flatten(value)
        return _unflatten(structure, [x.detach() if isinstance(x, Tensor) else x
                                      for x in leaves])


def _check_argnums(argnums: Any, count: int, where: str) -> list[int]:
    numbers = [argnums] if isinstance(argnums, int) else argnums
    if not isinstance(numbers, (tuple, list)) or not numbers or not all(
            isinstance(n, int) and not isinstance(n, bool) for n in numbers):
        raise TypeError(f"{where}: argnums must be an int or a non-empty tuple of ints, got "
                        f"{argnums!r}")
    if isinstance(argnums, list):
        raise TypeError(f"{where}: argnums must be an int or a tuple of ints, got a list; "
                        f"write argnums={tuple(argnums)}")
    normalized = []
    for n in numbers:
        if not -count <= n < count:
            raise ValueError(f"{where}: argnums {argnums!r} is out of range for a call with "
                             f"{count} positional arguments")
        normalized.append(n % count)
    if len(set(normalized)) != len(normalized):
        raise ValueError(f"{where}: argnums {argnums!r} names an argument twice")
    return normalized


def _reaches_outer(outputs: Sequence[Tensor], start: int) -> bool:
    """Whether ``outputs`` depend on a tensor requiring grad made before tick ``start``."""
    stack = [t for t in outputs if t._requires_grad]
    seen: set[int] = set()
    while stack:
        tensor = stack.pop()
        if tensor._seq < start:
            return True
        if id(tensor) in seen or tensor._inputs is None:
            continue
        seen.add(id(tensor))
        stack.extend(x for x in tensor._inputs if isinstance(x, Tensor) and x._requires_grad)
    return False


def _walk(outputs: Sequence[Tensor], cotangents: Sequence[Any], inputs: Sequence[Tensor],
          boundary: int, create_graph: bool) -> list[Tensor]:
    """The gradients of ``inputs`` for ``cotangents`` on ``outputs``; zeros where unused.

    The graph is kept (the walks can be repeated) and the walk stops at tensors made at or
    before ``boundary``.
    """
    pairs = [(out, cot) for out, cot in zip(outputs, cotangents) if out._requires_grad]
    grads = None
    if pairs:
        grads = run_backward([out for out, _ in pairs], [cot for _, cot in pairs],
                             retain_graph=True, create_graph=create_graph, capture=inputs,
                             boundary=boundary)
    results = []
    for index, x in enumerate(inputs):
        g = None if grads is None else grads[index]
        if g is None:
            results.append(Tensor._from_op(np.zeros_like(x._data)))
        elif isinstance(g, Tensor):
            results.append(g if create_graph else g.detach())
        else:
            results.append(Tensor._from_op(np.array(g, dtype=x.dtype)))
    return results


def _check_like(values: Any, references: Sequence[Tensor], what: str, of: str, where: str
                ) -> list[Tensor]:
    """Flatten ``values`` (tangents or cotangents) and check them against ``references``."""
    leaves = _flatten(values)[0]
    if len(leaves) != len(references):
        raise ValueError(f"{where}: got {len(leaves)} {what}s for {len(references)} {of}s; "
                         f"give one {what} per {of}, in the same structure")
    checked = []
    for index, (value, ref) in enumerate(zip(leaves, references)):
        array = value._data if isinstance(value, Tensor) else np.asarray(value)
        if array.shape != ref.shape:
            raise ValueError(f"{where}: {what} {index} has shape {array.shape} but {of} {index} "
                             f"has shape {ref.shape}; each {what} must have its {of}'s shape")
        if isinstance(value, Tensor):
            checked.append(value if value.dtype == ref.dtype else value.astype(ref.dtype))
        else:
            checked.append(Tensor._from_op(np.array(array, dtype=ref.dtype)))
    return checked


# --- reverse mode --------------------------------------------------------------------------------


def _scalar_output(trace: _Trace, f: Callable) -> Tensor:
    out = trace.output
    if not isinstance(out, Tensor) or out.ndim != 0:
        shape = out.shape if isinstance(out, Tensor) else type(out).__name__
        raise ValueError(f"{trace.where}: {_describe(f)} must return a 0-d tensor (a scalar), "
                         f"got {shape}; reduce it (e.g. .sum() or .mean()), or use func.vjp or "
                         f"func.jacrev for non-scalar outputs")
    return out


def value_and_grad(f: Callable, argnums: int | tuple[int, ...] = 0, has_aux: bool = False
                   ) -> Callable[..., Any]:
    """``f`` -> a function returning ``(f(*args), gradient of f)``.

    ``f`` returns a 0-d tensor (with ``has_aux=True``, a pair ``(scalar, aux)``; the result is
    then ``((value, aux), gradient)``). The gradient is with respect to argument ``argnums``
    (an int: a tensor of its shape, or a tree of them for a dict/list/tuple argument) or
    each of ``argnums`` (a tuple: a tuple of those). Reverse mode: one forward pass and one
    backward walk. Raises ValueError for a non-scalar output, naming ``f`` and its shape.

        >>> import autograd_lite as ag
        >>> value, g = ag.func.value_and_grad(lambda x: (x ** 3).sum())(ag.tensor([1.0, 2.0]))
        >>> value, g
        (tensor(9.), tensor([ 3., 12.]))
    """

    @functools.wraps(f)
    def value_and_grad_f(*args: Any, **kwargs: Any) -> Any:
        trace = _Trace(f, args, kwargs, argnums, "func.value_and_grad", has_aux)
        out = _scalar_output(trace, f)
        grads = trace.split_by_argnum(trace.pull([None]))
        value = trace.result(out)
        return ((value, trace.aux) if has_aux else value), grads

    return value_and_grad_f


def grad(f: Callable, argnums: int | tuple[int, ...] = 0, has_aux: bool = False
         ) -> Callable[..., Any]:
    """``f`` -> the function computing the gradient of the scalar ``f`` (``torch.func.grad``).

    Same arguments as ``value_and_grad``; returns the gradient only (``(gradient, aux)`` with
    ``has_aux=True``). Nests: ``grad(grad(f))(x)`` is the second derivative of a scalar ``f``.

        >>> import autograd_lite as ag
        >>> ag.func.grad(ag.func.grad(lambda x: x ** 3))(ag.tensor(2.0))
        tensor(12.)
    """

    @functools.wraps(f)
    def grad_f(*args: Any, **kwargs: Any) -> Any:
        trace = _Trace(f, args, kwargs, argnums, "func.grad", has_aux)
        _scalar_output(trace, f)
        grads = trace.split_by_argnum(trace.pull([None]))
        return (grads, trace.aux) if has_aux else grads

    return grad_f


def vjp(f: Callable, *primals: Any, has_aux: bool = False) -> tuple[Any, ...]:
    """Run ``f(*primals)`` and return ``(output, vjp_fn)`` (``(output, vjp_fn, aux)`` with aux).

    ``vjp_fn(cotangents)`` takes one cotangent per output of ``f`` (a tensor or array of the
    output's shape; a tree like the output for several) and returns a tuple with ``J^T
    cotangent`` for each primal, of its shape. It can be called many times (the graph is kept
    while ``vjp_fn`` lives). Raises ValueError when a cotangent's shape differs from its
    output's, naming both.
    """
    trace = _Trace(f, primals, {}, tuple(range(len(primals))), "func.vjp", has_aux)
    where = f"vjp_fn of func.vjp({_describe(f)})"

    def vjp_fn(cotangents: Any) -> tuple[Any, ...]:
        checked = _check_like(cotangents, trace.outputs, "cotangent", "output", where)
        return trace.split_by_argnum(trace.pull(checked))

    output = trace.result(trace.output)
    return (output, vjp_fn, trace.aux) if has_aux else (output, vjp_fn)


def _jacobian_rows(trace: _Trace) -> list[list[Tensor]]:
    """For each output, the gradient of each of its elements: ``rows[k][i]`` for input i."""
    rows_per_output = []
    for k, out in enumerate(trace.outputs):
        rows = []
        for flat in range(out.size):
            cotangents = [np.zeros(o.shape, dtype=o.dtype) for o in trace.outputs]
            cotangents[k].reshape(-1)[flat] = 1
            rows.append(trace.pull(cotangents))
        rows_per_output.append(rows)
    return rows_per_output


def _assemble(pieces: Sequence[Tensor], shape: tuple[int, ...]) -> Tensor:
    """Stack ``pieces`` (one per entry of ``shape``'s leading block) into ``shape``."""
    from .ops import stack  # the ops package builds on Tensor, as this module does

    if not pieces:
        return Tensor._from_op(np.zeros(shape, dtype=get_default_dtype()))
    return stack(list(pieces)).reshape(shape)


def jacrev(f: Callable, argnums: int | tuple[int, ...] = 0, has_aux: bool = False
           ) -> Callable[..., Any]:
    """``f`` -> the function computing its Jacobian by reverse mode, one row at a time.

    For an output of shape ``O`` and an argument of shape ``I`` the Jacobian has shape
    ``O + I`` (``J[o..., i...] = d out[o...] / d x[i...]``). Tuple ``argnums`` give a tuple of
    Jacobians, several outputs a tuple of those. Cost: one forward pass and one backward walk
    per output element, so use it when outputs are fewer than inputs (wide Jacobians);
    ``jacfwd`` for tall ones.
    """

    @functools.wraps(f)
    def jacrev_f(*args: Any, **kwargs: Any) -> Any:
        trace = _Trace(f, args, kwargs, argnums, "func.jacrev", has_aux)
        per_output = []
        for out, rows in zip(trace.outputs, _jacobian_rows(trace)):
            jacobians = [_assemble([row[i] for row in rows], out.shape + x.shape)
                         for i, x in enumerate(trace.inputs)]
            per_output.append(trace.split_by_argnum(jacobians))
        result = _unflatten(trace.out_structure, per_output)
        return (result, trace.aux) if has_aux else result

    return jacrev_f


# --- forward mode, by transposing the recorded backward pass ---------------------------------


class _Linearized:
    """``v -> J v`` for one trace: its backward pass ``u -> J^T u`` recorded once."""

    def __init__(self, trace: _Trace) -> None:
        self.trace = trace
        self.start = next(TICKS)
        self.dummies = []
        for out in trace.outputs:
            dummy = Tensor._from_op(np.zeros(out.shape, dtype=out.dtype))
            dummy._requires_grad = True
            self.dummies.append(dummy)
        self.transposed = trace.pull(self.dummies, create_graph=True)

    def apply(self, tangents: Sequence[Tensor]) -> list[Tensor]:
        """``J v`` for each output, ``tangents`` aligned with the trace's inputs."""
        return _walk(self.transposed, tangents, self.dummies, self.start,
                     self.trace.create_graph)


def _check_primals(primals: Any, where: str, what: str) -> tuple:
    if not isinstance(primals, (tuple, list)):
        raise TypeError(f"{where}: {what} must be a tuple (one entry per argument of f), got "
                        f"{type(primals).__name__}; write ({what[:-1]},) for one argument")
    return tuple(primals)


def jvp(f: Callable, primals: Sequence[Any], tangents: Sequence[Any], has_aux: bool = False
        ) -> tuple[Any, ...]:
    """Return ``(f(*primals), J v)``: the Jacobian-vector product (``torch.func.jvp``).

    ``primals`` and ``tangents`` are tuples with one entry per argument of ``f``; each tangent
    has its primal's shape (a tree like it for dict/list arguments). The result ``J v`` has the
    output's shape (a tree like it for several outputs). Forward mode by transposing the VJP
    rules (module docstring): costs a forward pass, a recorded backward pass and one walk of it,
    about two ``vjp``s. Raises ValueError when a tangent's shape differs from its
    primal's, naming both.
    """
    where = f"func.jvp({_describe(f)})"
    primals = _check_primals(primals, where, "primals")
    tangents = _check_primals(tangents, where, "tangents")
    if len(tangents) != len(primals):
        raise ValueError(f"{where}: got {len(tangents)} tangents for {len(primals)} primals; "
                         f"give one tangent per primal")
    trace = _Trace(f, primals, {}, tuple(range(len(primals))), where, has_aux)
    checked = _check_like(tangents, trace.inputs, "tangent", "primal", where)
    out_tangents = _unflatten(trace.out_structure, _Linearized(trace).apply(checked))
    output = trace.result(trace.output)
    return (output, out_tangents, trace.aux) if has_aux else (output, out_tangents)


def linearize(f: Callable, *primals: Any) -> tuple[Any, Callable[..., Any]]:
    """Return ``(f(*primals), jvp_fn)`` with ``jvp_fn(*tangents) = J v`` (``torch.func``'s).

    The backward pass is recorded once, here; each ``jvp_fn`` call is then one walk of it, about
    the cost of one ``vjp``. ``jvp_fn`` takes one tangent per primal, of its shape.
    """
    where = f"func.linearize({_describe(f)})"
    trace = _Trace(f, primals, {}, tuple(range(len(primals))), where)
    linearized = _Linearized(trace)

    def jvp_fn(*tangents: Any) -> Any:
        checked = _check_like(tangents, trace.inputs, "tangent", "primal",
                              f"jvp_fn of {where}")
        return _unflatten(trace.out_structure, linearized.apply(checked))

    return trace.result(trace.output), jvp_fn


def jacfwd(f: Callable, argnums: int | tuple[int, ...] = 0, has_aux: bool = False
           ) -> Callable[..., Any]:
    """``f`` -> the function computing its Jacobian by forward mode, one column at a time.

    Same shapes as ``jacrev`` (``out.shape + x.shape``). Cost: one forward pass, one recorded
    backward pass, then one walk of it per input element: use it when inputs are fewer than
    outputs (tall Jacobians).
    """

    @functools.wraps(f)
    def jacfwd_f(*args: Any, **kwargs: Any) -> Any:
        trace = _Trace(f, args, kwargs, argnums, "func.jacfwd", has_aux)
        linearized = _Linearized(trace)
        columns_per_input = []
        for i, x in enumerate(trace.inputs):
            columns = []
            for flat in range(x.size):
                tangents = [Tensor._from_op(np.zeros(t.shape, dtype=t.dtype))
                            for t in trace.inputs]
                tangents[i]._data.reshape(-1)[flat] = 1
                columns.append(linearized.apply(tangents))
            columns_per_input.append(columns)
        per_output = []
        for k, out in enumerate(trace.outputs):
            jacobians = []
            for x, columns in zip(trace.inputs, columns_per_input):
                stacked = _assemble([column[k] for column in columns], x.shape + out.shape)
                axes = tuple(range(x.ndim, x.ndim + out.ndim)) + tuple(range(x.ndim))
                jacobians.append(stacked.transpose(axes) if stacked.ndim else stacked)
            per_output.append(trace.split_by_argnum(jacobians))
        result = _unflatten(trace.out_structure, per_output)
        return (result, trace.aux) if has_aux else result

    return jacfwd_f


# --- second order ------------------------------------------------------------------------------


def hessian(f: Callable, argnums: int | tuple[int, ...] = 0) -> Callable[..., Any]:
    """``f`` -> the function computing the Hessian of ``f``, of shape ``out + x + x``.

    Reverse over reverse: ``jacrev(jacrev(f))``, one recorded backward pass and then one walk of
    it per input element (PyTorch composes ``jacfwd(jacrev(f))``; here forward mode is itself
    built from reverse passes, so going forward would only add one). For a Hessian-vector
    product use ``hvp``, which does not build the Hessian.
    """
    return jacrev(jacrev(f, argnums), argnums)


def hvp(f: Callable, primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Any, Any]:
    """Return ``(f(*primals), H v)`` for a scalar ``f`` without building the Hessian ``H``.

    ``primals`` and ``tangents`` are tuples with one entry per argument of ``f``, each tangent of
    its primal's shape; ``H v`` is a tuple with one tensor per primal (the Hessian of ``f``
    with respect to all its arguments together, applied to all tangents). Reverse over reverse:
    one forward pass, one backward pass recorded with ``create_graph=True`` and one walk of it.
    Raises ValueError for a non-scalar output or a tangent of the wrong shape.
    """
    where = f"func.hvp({_describe(f)})"
    primals = _check_primals(primals, where, "primals")
    tangents = _check_primals(tangents, where, "tangents")
    trace = _Trace(f, primals, {}, tuple(range(len(primals))), where)
    out = _scalar_output(trace, f)
    checked = _check_like(tangents, trace.inputs, "tangent", "primal", where)
    gradient = trace.pull([None], create_graph=True)
    products = _walk(gradient, checked, trace.inputs, trace.start, trace.create_graph)
    return trace.result(out), trace.split_by_argnum(products)


# --- running a module with other parameters -------------------------------------------------------


def functional_call(module: Any, parameter_and_buffer_dicts: Mapping[str, Tensor]
                    | Sequence[Mapping[str, Tensor]], args: Any = (),
                    kwargs: Mapping[str, Any] | None = None, *, tie_weights: bool = True,
                    strict: bool = False) -> Any:
    """Call ``module(*args, **kwargs)`` with some parameters and buffers replaced.

    ``parameter_and_buffer_dicts`` maps state_dict names (``"layers.0.weight"``) to tensors of
    the same shapes (or is a sequence of such dicts); ``args`` is a tuple, or one argument. The
    module is not copied: its entries are swapped for the call and the originals put back
    afterwards, even when the call raises (so, like PyTorch's, it is not for a module being
    called in another thread at the same time). The result is differentiable with respect to
    the given tensors: the basis of MAML and of ensembles (``func.grad`` of a loss of
    ``functional_call(model, params, x)`` with respect to ``params``). With ``tie_weights``
    (the default) a parameter registered under several names is replaced under all of them.
    ``strict=True`` requires every parameter and buffer to be given.

    Works on any object with ``named_modules(remove_duplicate=False)`` whose modules keep their
    entries in ``_parameters`` and ``_buffers`` dicts (``nn.Module``); autograd_lite does not
    import ``nn``. Raises ValueError for a name the module does not have (PyTorch ignores it
    unless ``strict``; here a typo never goes unnoticed) and for a tensor of the wrong shape,
    naming both.
    """
    where = "func.functional_call"
    if isinstance(parameter_and_buffer_dicts, Mapping):
        given = dict(parameter_and_buffer_dicts)
    else:
        given = {}
        for mapping in parameter_and_buffer_dicts:
            for key in mapping:
                if key in given:
                    raise ValueError(f"{where}: {key!r} appears in more than one dict")
            given.update(mapping)
    slots = _tensor_slots(module, where)
    for key, value in given.items():
        if key not in slots:
            raise ValueError(f"{where}: {type(module).__name__} has no parameter or buffer "
                             f"{key!r}; its names are {sorted(slots)}")
        registry, name = slots[key][0]
        current = registry[name]
        if not isinstance(value, Tensor):
            raise TypeError(f"{where}: the value for {key!r} is a {type(value).__name__}; "
                            f"give a Tensor")
        if current is not None and value.shape != current.shape:
            raise ValueError(f"{where}: the tensor for {key!r} has shape {value.shape} but the "
                             f"module's has shape {current.shape}")
    if strict:
        missing = sorted(key for key in slots if key not in given)
        if missing:
            raise ValueError(f"{where}: strict=True but no tensor is given for {missing}")
    replacements = _replacements(slots, given, tie_weights, where)
    originals = []
    try:
        for registry, name, value in replacements:
            originals.append((registry, name, registry[name]))
            registry[name] = value
        call_args = args if isinstance(args, tuple) else (args,)
        return module(*call_args, **(kwargs or {}))
    finally:
        for registry, name, original in reversed(originals):
            registry[name] = original


def _tensor_slots(module: Any, where: str) -> dict[str, list[tuple[dict, str]]]:
    """Every dotted parameter and buffer name of ``module``, with the dict entry holding it."""
    if not hasattr(module, "named_modules"):
        raise TypeError(f"{where}: expected an nn.Module, got {type(module).__name__}")
    slots: dict[str, list[tuple[dict, str]]] = {}
    for prefix, owner in module.named_modules(remove_duplicate=False):
        for kind in ("_parameters", "_buffers"):
            registry = owner.__dict__.get(kind, {})
            for name in registry:
                key = f"{prefix}.{name}" if prefix else name
                slots.setdefault(key, []).append((registry, name))
    return slots


def _replacements(slots: dict[str, list[tuple[dict, str]]], given: Mapping[str, Tensor],
                  tie_weights: bool, where: str) -> list[tuple[dict, str, Tensor]]:
    """The (dict, name, new tensor) entries to swap, tied names included when asked."""
    by_identity: dict[int, list[str]] = {}
    if tie_weights:
        for key, entries in slots.items():
            registry, name = entries[0]
            if registry[name] is not None:
                by_identity.setdefault(id(registry[name]), []).append(key)
    chosen: dict[str, Tensor] = {}
    for key, value in given.items():
        registry, name = slots[key][0]
        tied = by_identity.get(id(registry[name]), [key]) if tie_weights else [key]
        for other in tied:
            if other in given and given[other] is not value and other != key:
                raise ValueError(f"{where}: {key!r} and {other!r} are the same (tied) "
                                 f"parameter but got different tensors; give one of them, or "
                                 f"pass tie_weights=False")
            chosen[other] = value
    return [(registry, name, value) for key, value in chosen.items()
            for registry, name in slots[key]]
