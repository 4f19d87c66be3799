"""The primitive: an op declared once, its registry, and ``apply``, which runs it on tensors.

A primitive is a NumPy forward plus one vector-Jacobian product (VJP) rule per input. Calling
it on tensors runs the forward on their arrays and, when a gradient will be needed, records the
output's parents on the output tensor itself (no separate node objects). ``apply`` also turns
non-tensor operands into constants by the dtype rule and translates NumPy's errors into ones
that name the op.

Each VJP rule has the signature ``vjp(F, g, ans, *inputs, **params)`` and is written against a
namespace ``F`` of primitives. ``PRIMITIVES`` is the one registry; ``NUMPY`` (the primitives'
raw forwards, on arrays, the ``F`` of first-order backward) and ``TENSORS`` (the primitives
themselves, on tensors, the ``F`` of ``create_graph=True``) are read-only views of it, so the
same rule records a graph that can be differentiated again.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from .anomaly import check_finite, describe_operands
from .grad_mode import STATE, Scope, close_scope, open_scope
from .tensor import Tensor, get_default_dtype

_NO_PARAMS: dict[str, Any] = {}  # the params of every recorded op that has none; never mutated


class _View:
    """A read-only namespace over one of the registry's dicts: ``F.mul``.

    The instance's ``__dict__`` is the registry's own dict, so an attribute lookup costs what it
    costs on any object (VJP rules make several per backward step) and nothing is copied.
    """

    __slots__ = ("_what", "__dict__")  # a slot, so that _what stays out of the entries

    def __init__(self, entries: dict[str, Any], what: str) -> None:
        object.__setattr__(self, "__dict__", entries)
        object.__setattr__(self, "_what", what)

    def __setattr__(self, name: str, value: Any) -> None:
        self.__delattr__(name)

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{self!r} is a read-only view of the registry of primitives: "
                             f"register {name!r} with @primitive, remove it with "
                             f"del PRIMITIVES[{name!r}]")

    def __repr__(self) -> str:
        return f"<{len(self.__dict__)} {self._what}>"


class Registry(Mapping[str, "Primitive"]):
    """Every primitive by name, the one place where primitives are registered (``@primitive``).

    ``numpy`` and ``tensors`` are read-only namespaces derived from it: ``registry.numpy.mul`` is
    the NumPy forward of ``mul`` and ``registry.tensors.mul`` the primitive. Registering or
    deleting (``del registry[name]``, for throwaway test primitives) updates both.
    """

    def __init__(self) -> None:
        self._primitives: dict[str, Primitive] = {}
        self._forwards: dict[str, Callable] = {}
        self.numpy = _View(self._forwards, "NumPy forwards of the primitives")
        self.tensors = _View(self._primitives, "primitives")

    def add(self, prim: Primitive) -> None:
        """Register ``prim`` under its name; ValueError when the name is taken."""
        if prim.name in self._primitives:
            raise ValueError(f"primitive {prim.name!r} is already registered")
        self._primitives[prim.name] = prim
        self._forwards[prim.name] = prim.forward

    def __getitem__(self, name: str) -> Primitive:
        return self._primitives[name]

    def __delitem__(self, name: str) -> None:
        del self._primitives[name]
        del self._forwards[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._primitives)

    def __len__(self) -> int:
        return len(self._primitives)


PRIMITIVES = Registry()
NUMPY = PRIMITIVES.numpy  # the F of first-order backward: NumPy forwards on arrays
TENSORS = PRIMITIVES.tensors  # the F of create_graph backward: primitives on tensors


class Primitive:
    """An op declared once: a NumPy forward and the VJP rule of each differentiable input.

    Call it with tensors (or numbers/arrays, which become constants) as positional inputs and
    static parameters as keywords: ``mul(x, y)``, ``sum(x, axis=(0,), keepdims=False)``.
    """

    __slots__ = ("name", "forward", "vjps", "vjp_any", "differentiable", "__dict__")

    def __init__(self, name: str, forward: Callable, vjps: Sequence[Callable] = (),
                 vjp_any: Callable | None = None, differentiable: bool = True) -> None:
        self.name = name
        self.forward = forward
        self.vjps = tuple(vjps)
        self.vjp_any = vjp_any
        self.differentiable = differentiable
        self.__doc__ = forward.__doc__

    def vjp(self, argnum: int) -> Callable:
        """Return the VJP rule of input ``argnum`` (``vjp_any`` serves ops with many inputs)."""
        if self.vjp_any is not None:
            return lambda F, g, ans, *inputs, **params: self.vjp_any(
                F, argnum, g, ans, *inputs, **params)
        return self.vjps[argnum]

    def __call__(self, *inputs: Any, **params: Any) -> Tensor:
        return apply(self, inputs, params)

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"


def primitive(name: str, *vjps: Callable, vjp_any: Callable | None = None,
              differentiable: bool = True) -> Callable[[Callable], Primitive]:
    """Decorator registering a NumPy forward as a primitive with its VJP rules.

    ``@primitive("mul", lambda F, g, ans, x, y: g * y, lambda F, g, ans, x, y: g * x)`` on
    ``def mul(x, y): return np.multiply(x, y)``. A rule uses Python operators (themselves
    primitives) and ``F.`` for named functions (``F.exp``, ``F.sum_to``): ``F`` is NumPy's forwards
    on arrays in a plain backward and the primitives on tensors with ``create_graph=True``.
    ``vjp_any(F, argnum, g, ans, *inputs)`` serves ops with a variable number of inputs.
    ``differentiable=False`` declares an op whose output never requires grad (comparisons,
    argmax).
    """

    def register(forward: Callable) -> Primitive:
        prim = Primitive(name, forward, vjps, vjp_any, differentiable)
        PRIMITIVES.add(prim)
        return prim

    return register


def float_dtype_of(operands: Sequence[Any]) -> np.dtype | None:
    """The float dtype that the tensor operands of one op promote to (None without one).

    The first half of the dtype rule (README, "Dtypes"): float tensors promote among
    themselves as in NumPy (float32 with float64 gives float64); integer and bool tensors
    do not count.
    """
    floats = [x._data.dtype for x in operands
              if isinstance(x, Tensor) and x._data.dtype.kind == "f"]
    if not floats:
        return None
    return floats[0] if len(floats) == 1 else np.result_type(*floats)


def as_constant(value: Any, name: str, dtype: np.dtype | None, wrap_numbers: bool = False
              ) -> Any:
    """Turn a non-tensor operand into a constant by the dtype rule (README, "Dtypes").

    ``dtype`` is the float dtype of the op's tensor operands (``float_dtype_of``): integer and
    float arrays and numbers take it, so a float64 NumPy array never widens a float32 op.
    Without one, lists become the default float dtype as in ``ag.tensor`` and NumPy arrays keep
    theirs. Python numbers are returned as they are, since NumPy treats them as weak (float32
    stays float32), unless ``wrap_numbers`` (an op without tensor operands, which must not
    give ``ag.add(1, 2)`` an int64 result where ``ag.tensor(1)`` is float32): then they become
    arrays of ``dtype``, or of the default float dtype. Bool arrays (masks) stay bool.
    """
    if isinstance(value, (bool, int, float)) and not isinstance(value, np.generic):
        # np.float64 subclasses float but is strongly typed, so it takes the array path below.
        if not wrap_numbers:
            return value
        if not isinstance(value, bool):
            return np.asarray(value, dtype=dtype or get_default_dtype())
    if isinstance(value, (np.ndarray, np.generic, list, tuple, bool)):
        try:
            array = np.asarray(value)
        except ValueError:
            raise ValueError(f"{name}: could not make an array of the operand (ragged nested "
                             f"lists?)") from None
        if array.dtype == object or array.dtype.kind not in "biuf":
            raise TypeError(f"{name}: unsupported operand of dtype {array.dtype}; expected "
                            "numbers, a numeric array or a Tensor")
        if dtype is None and isinstance(value, (list, tuple)):
            dtype = get_default_dtype()
        if dtype is not None and array.dtype.kind in "iuf" and array.dtype != dtype:
            return array.astype(dtype)
        return array
    raise TypeError(f"{name}: unsupported operand of type {type(value).__name__}; expected a "
                    "Tensor, a number or a numeric array")


def apply(prim: Primitive, inputs: Sequence[Any], params: dict[str, Any]) -> Tensor:
    """Run ``prim`` on ``inputs`` and record the output's parents when a gradient is needed."""
    arrays = []
    needs_grad = False
    tensor_dtype = None
    for x in inputs:
        if isinstance(x, Tensor):
            arrays.append(x._data)
            needs_grad = needs_grad or x._requires_grad
            tensor_dtype = x._data.dtype
        elif type(x) in (float, int, bool):  # Python numbers (not np.float64) are used as is,
            arrays.append(x)  # as as_constant does, without the second pass below
    if len(arrays) != len(inputs) or tensor_dtype is None:  # constants: the dtype rule
        dtype = float_dtype_of(inputs)
        inputs = [x if isinstance(x, Tensor) else as_constant(x, prim.name, dtype,
                                                              wrap_numbers=tensor_dtype is None)
                  for x in inputs]
        arrays = [x._data if isinstance(x, Tensor) else x for x in inputs]
    try:
        out = prim.forward(*arrays, **params)
    except (ValueError, TypeError, IndexError) as error:
        raise _explain(prim.name, error, arrays) from None
    if type(out) is not np.ndarray:
        out = np.asarray(out)
    # "is not": np.dtype("float64") == None holds, which let ag.exp(1.0) come out float64.
    if out.dtype is not tensor_dtype and out.dtype.kind == "f" and "dtype" not in params:
        out = _keep_float_width(out, arrays)
    # Integer and bool results (comparisons, argmax, casts) never carry a gradient.
    if needs_grad and STATE.grad_enabled and prim.differentiable and out.dtype.kind == "f":
        # Ops without parameters share one empty dict: a dict per node is ~15 % of a graph's memory.
        result = Tensor._from_op(out, prim, tuple(inputs), params or _NO_PARAMS)
        if STATE.tagging:
            _tag(result, prim, inputs, params)
        return result
    if STATE.tagging:
        return _tag_unrecorded(out, prim, inputs, params)
    return Tensor._from_op(out)


def _tag(result: Tensor, prim: Primitive, inputs: Sequence[Any], params: dict[str, Any]
         ) -> None:
    """The per-op work of scopes, observers, anomaly mode and tracing on a recorded output."""
    if STATE.scope:
        result._scope = STATE.scope
    for observer in STATE.observers:
        observer(result)
    if STATE.anomaly:
        check_finite(result._data, f"{prim.name} (forward)", inputs)
        result._trace = traceback.format_stack(limit=9)[:-3]
    if STATE.tracer is not None:
        STATE.tracer.record(prim, inputs, params, result)


def _tag_unrecorded(out: np.ndarray, prim: Primitive, inputs: Sequence[Any],
                    params: dict[str, Any]) -> Tensor:
    """The output of an op that records no graph, checked by anomaly mode, seen by a tracer."""
    if STATE.anomaly:
        check_finite(out, f"{prim.name} (forward)", inputs)
    result = Tensor._from_op(out)
    if STATE.tracer is not None:
        STATE.tracer.record(prim, inputs, params, result)
    return result


def call_in_scope(name: str, label: str, function: Callable[..., Any], /, *args: Any,
                  **kwargs: Any) -> Any:
    """Return ``function(*args, **kwargs)``, run inside the name scope ``(name, label)``.

    What ``nn.Module.__call__`` uses (``("layers.0", "Linear")``): unlike ``ag.name_scope``,
    which tags every op in its block, it costs nothing per op. The scope is opened and closed
    once (raising or not) and remembers the interval of ticks it was open between; it is
    attached, once, to each tensor the call returns and made (a tensor, or one in a tuple, list
    or dict value, at any depth) that no inner scope claimed. Graph drawings find the scopes
    there and give every op output the innermost scope whose interval holds its ``_seq``.

        >>> import autograd_lite as ag
        >>> x = ag.tensor([1.0, 2.0], requires_grad=True)
        >>> y = ag.call_in_scope("block", "Block", lambda v: (v * 2).sum(), x)
        >>> y._scope
        (('block', 'Block'),)
    """
    if STATE.tracer is not None:  # ag.compile names the module's parameters after it
        STATE.tracer.entered_scope(name, function)
    scope = open_scope(name, label)
    try:
        out = function(*args, **kwargs)
    finally:
        close_scope(scope)
    _claim(out, scope)
    return out


def _claim(value: Any, scope: Scope) -> None:
    """Attach ``scope`` to the op outputs in ``value`` that it made and no inner scope claimed."""
    if isinstance(value, Tensor):
        if value._scope is None and value._op is not None and value._seq > scope.first:
            value._scope = scope
    elif isinstance(value, (tuple, list)):
        for item in value:
            _claim(item, scope)
    elif isinstance(value, dict):
        for item in value.values():
            _claim(item, scope)


def _keep_float_width(out: np.ndarray, arrays: Sequence[Any]) -> np.ndarray:
    """Stop integer and bool operands from widening a float result (PyTorch's rule).

    NumPy makes int64 * float32 float64; here the result takes the widest float operand's
    dtype, or the default float dtype when no operand is a float array (``arange(3) / 2``).
    """
    floats = [a.dtype for a in arrays if isinstance(a, (np.ndarray, np.generic))
              and a.dtype.kind == "f"]
    target = np.result_type(*floats) if floats else get_default_dtype()
    return out if out.dtype == target else out.astype(target)


def _explain(name: str, error: Exception, arrays: Sequence[Any]) -> Exception:
    message = str(error)
    if message.startswith(name + ":"):
        return error
    if "broadcast" in message and len(arrays) >= 2:
        shapes = " and ".join(str(tuple(np.shape(a))) for a in arrays)
        return ValueError(f"{name}: shapes {shapes} cannot be broadcast together")
    base = next(kind for kind in (IndexError, TypeError, ValueError) if isinstance(error, kind))
    return base(f"{name}: {message} ({describe_operands(arrays)})")
