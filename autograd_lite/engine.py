"""The graph engine: grad mode, name scopes, primitives, and the reverse-mode walk.

A primitive is declared once, as a NumPy forward plus one vector-Jacobian product (VJP) rule per
input. Calling it on tensors runs the forward on their arrays and, when a gradient will be needed,
records the output's parents on the output tensor itself (no separate node objects).

Each VJP rule has the signature ``vjp(F, g, ans, *inputs, **params)`` and is written against the
namespace ``F`` of primitives. ``backward()`` passes ``NUMPY`` (the primitives' raw forwards, on
arrays) for first-order gradients, and ``TENSORS`` (the primitives themselves, on tensors) with
``create_graph=True``, so the same rule records a graph that can be differentiated again.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from types import SimpleNamespace
from typing import Any

import numpy as np

from .tensor import Tensor, get_default_dtype

# ---------------------------------------------------------------------------------------------
# Per-thread state: grad mode, the module name-scope stack, anomaly mode.


class _ThreadState(threading.local):
    grad_enabled = True
    scope: tuple[tuple[str, str], ...] = ()  # (qualified name, label) of each enclosing scope
    anomaly = False
    observers: tuple[Callable[[Tensor], None], ...] = ()  # see observe_recorded_ops
    # True while a scope, an observer or anomaly mode is active: one read on the hot path
    # instead of three tells apply() whether it has extra work per op.
    tagging = False


def _set_state(**values: Any) -> None:
    """Set fields of this thread's STATE and keep ``tagging`` in step with them."""
    for name, value in values.items():
        setattr(STATE, name, value)
    STATE.tagging = bool(STATE.scope or STATE.observers or STATE.anomaly)


STATE = _ThreadState()
_sequence = itertools.count(1)
_last_change_in_place = 0  # sequence stamp of the latest in-place change, anywhere


def mark_changed_in_place(tensor: Tensor, writer: str) -> None:
    """Record that ``tensor``'s data just changed in place, and who changed it.

    The one mechanism behind every in-place write (``Tensor.add_`` & co., ``+=``, ``t.data =``,
    optimizer steps, ``load_state_dict``, BatchNorm's running statistics): call it right after
    writing into the array (public as ``ag.mark_changed_in_place`` for writers outside the
    core, such as nn's optimizers). ``writer`` is a short description for error messages
    (``"optimizer.step (SGD)"``, ``"+= (in place)"``). Ops created before the change that
    saved the tensor can no longer compute a correct gradient; ``backward`` checks the stamps
    and raises, naming the writer, instead.
    """
    global _last_change_in_place
    _last_change_in_place = tensor._version = next(_sequence)
    tensor._changed_by = writer


def is_grad_enabled() -> bool:
    """Return True when operations record a graph in the current thread."""
    return STATE.grad_enabled


@contextlib.contextmanager
def _grad_mode(enabled: bool) -> Iterator[None]:
    previous = STATE.grad_enabled
    STATE.grad_enabled = enabled
    try:
        yield
    finally:
        STATE.grad_enabled = previous


def no_grad() -> contextlib.AbstractContextManager:
    """Turn graph recording off in this thread: ``with ag.no_grad():`` or ``@ag.no_grad()``."""
    return _grad_mode(False)


def enable_grad() -> contextlib.AbstractContextManager:
    """Turn graph recording back on inside a ``no_grad`` block (context manager or decorator)."""
    return _grad_mode(True)


def set_grad_enabled(enabled: bool) -> contextlib.AbstractContextManager:
    """Set grad mode to ``enabled`` for a ``with`` block (or a decorated function)."""
    return _grad_mode(bool(enabled))


@contextlib.contextmanager
def name_scope(name: str, label: str = "") -> Iterator[None]:
    """Tag every op recorded inside the block with the scope ``(name, label)``.

    Scopes nest; a tensor records the tuple of all enclosing scopes, outermost first.
    ``nn.Module.__call__`` pushes its qualified name and class name here (``("layers.0",
    "Linear")``), so that graph drawings can group nodes by module without the engine knowing
    about modules.
    """
    previous = STATE.scope
    _set_state(scope=previous + ((name, label),))
    try:
        yield
    finally:
        _set_state(scope=previous)


@contextlib.contextmanager
def observe_recorded_ops(observer: Callable[[Tensor], None]) -> Iterator[None]:
    """Call ``observer(output)`` for every op output recorded in this thread inside the block.

    The neutral hook behind ``ag.capture_grads()`` (which makes each output retain its
    gradient); blocks nest, and outputs that record no graph are not observed.
    """
    previous = STATE.observers
    _set_state(observers=previous + (observer,))
    try:
        yield
    finally:
        _set_state(observers=previous)


@contextlib.contextmanager
def detect_anomaly() -> Iterator[None]:
    """Check every forward output and backward gradient for NaN/Inf in this block.

    The first op that produces one raises a RuntimeError naming the op, the shapes and where in
    your code the op was created. Off by default; costs nothing when off.
    """
    previous = STATE.anomaly
    _set_state(anomaly=True)
    try:
        yield
    finally:
        _set_state(anomaly=previous)


# ---------------------------------------------------------------------------------------------
# Primitives

NUMPY = SimpleNamespace()  # name -> NumPy forward, the F of first-order backward
TENSORS = SimpleNamespace()  # name -> Primitive, the F of create_graph backward
PRIMITIVES: dict[str, Primitive] = {}
_NO_PARAMS: dict[str, Any] = {}  # the params of every recorded op that has none; never mutated

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

    ``@primitive("mul", lambda F, g, ans, x, y: F.mul(g, y), lambda F, g, ans, x, y: F.mul(g, x))``
    on ``def mul(x, y): return np.multiply(x, y)``. ``vjp_any(F, argnum, g, ans, *inputs)`` serves
    ops with a variable number of inputs. ``differentiable=False`` declares an op whose output
    never requires grad (comparisons, argmax).
    """

    def register(forward: Callable) -> Primitive:
        if name in PRIMITIVES:
            raise ValueError(f"primitive {name!r} is already registered")
        prim = Primitive(name, forward, vjps, vjp_any, differentiable)
        PRIMITIVES[name] = prim
        setattr(NUMPY, name, forward)
        setattr(TENSORS, name, prim)
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


def _constant(value: Any, name: str, dtype: np.dtype | None, wrap_numbers: bool = False
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


def _shape_and_dtype(value: Any) -> str:
    return f"{tuple(np.shape(value))} {np.asarray(value).dtype}"


def _describe(arrays: Sequence[Any]) -> str:
    return "inputs " + ", ".join(_shape_and_dtype(a) for a in arrays)


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
            arrays.append(x)  # as _constant would, without the second pass below
    if len(arrays) != len(inputs) or tensor_dtype is None:  # constants: the dtype rule
        dtype = float_dtype_of(inputs)
        inputs = [x if isinstance(x, Tensor) else _constant(x, prim.name, dtype,
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
        result = Tensor._from_op(out, prim, tuple(inputs), params or _NO_PARAMS, next(_sequence))
        if STATE.tagging:
            _tag(result, prim, inputs)
        return result
    if STATE.tagging and STATE.anomaly:
        _check_finite(out, f"{prim.name} (forward)", inputs)
    return Tensor._from_op(out, None, None, None, next(_sequence))


def _tag(result: Tensor, prim: Primitive, inputs: Sequence[Any]) -> None:
    """The per-op work of scopes, observers and anomaly mode on a recorded output."""
    if STATE.scope:
        result._scope = STATE.scope
    for observer in STATE.observers:
        observer(result)
    if STATE.anomaly:
        _check_finite(result._data, f"{prim.name} (forward)", inputs)
        result._trace = traceback.format_stack(limit=9)[:-3]


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
    return base(f"{name}: {message} ({_describe(arrays)})")


def _nonfinite_kind(value: Any) -> str | None:
    """``"NaN"`` or ``"Inf"`` when a float tensor, array or number holds one, else None."""
    array = value._data if isinstance(value, Tensor) else value
    if isinstance(array, float) or (isinstance(array, (np.ndarray, np.generic))
                                    and array.dtype.kind in "fc"):
        if np.isnan(array).any():
            return "NaN"
        if np.isinf(array).any():
            return "Inf"
    return None


def _describe_tensor(tensor: Tensor) -> str:
    what = "a leaf tensor" if tensor._op is None else f"the output of '{tensor._op.name}'"
    name = f" {tensor.name!r}" if tensor.name else ""
    return f"{what}{name} (shape {tensor.shape}, {tensor.dtype})"


def _origin(value: Any) -> str:
    """Where a value that an op received already non-finite came from, for anomaly reports."""
    if not isinstance(value, Tensor):
        return "it is a constant operand; pass finite values"
    writer = getattr(value, "_changed_by", None)
    if writer is not None:
        return f"it was last changed by {writer}; check that change (a learning rate too large?)"
    if value._version:
        return "it was last changed in place (add_, copy_, ...); check that change"
    if value._op is None:
        return "it is a leaf tensor that held it before this op; check how it was created or loaded"
    return (f"it was produced by '{value._op.name}' before anomaly mode was turned on; turn it "
            f"on earlier to find the op that made it")


def _check_finite(array: Any, where: str, inputs: Sequence[Any], output: Tensor | None = None,
                  trace: list[str] | None = None) -> None:
    """Raise when ``array``, computed by the op ``where`` from ``inputs``, holds NaN/Inf.

    The op is named only if what it computed from was finite: otherwise the first non-finite
    input (or, in backward, the saved ``output``) is named with where it came from.
    """
    kind = _nonfinite_kind(array)
    if kind is None:
        return
    created = "".join(trace or traceback.format_stack(limit=8)[:-3])
    name = where.split(" ")[0]
    suspects = [(f"input {i}", x) for i, x in enumerate(inputs)]
    if output is not None:
        suspects.append(("the output", output))
    for role, value in suspects:
        held = _nonfinite_kind(value)
        if held is not None:
            raise RuntimeError(
                f"detect_anomaly: {role} of {where}, shape {_shape_and_dtype(value)}, "
                f"already contains {held}, so {name} did not make it: {_origin(value)}. The op "
                f"was created at:\n{created}")
    raise RuntimeError(f"detect_anomaly: {where} produced {kind} with output shape "
                       f"{np.shape(array)} from {_describe(inputs)}. The op was created at:\n"
                       f"{created}")


def _check_seeds(outputs: Sequence[Tensor], seeds: Sequence[Any]) -> None:
    for index, (out, seed) in enumerate(zip(outputs, seeds)):
        kind = _nonfinite_kind(seed)
        if kind is not None:
            raise RuntimeError(f"detect_anomaly: the gradient given to backward for output "
                               f"{index} (shape {out.shape}) contains {kind}; pass a finite "
                               f"gradient")


def _check_gathered(tensor: Tensor, grad: Any, after_hooks: bool) -> None:
    """Raise when the gradient gathered for ``tensor`` holds NaN/Inf, naming the culprit.

    Every contribution was checked when it was made, so before the hooks only the sum can have
    overflowed; after them, a hook returned the value.
    """
    kind = _nonfinite_kind(grad)
    if kind is None:
        return
    if after_hooks:
        raise RuntimeError(f"detect_anomaly: a hook registered on {_describe_tensor(tensor)} "
                           f"returned a gradient that contains {kind}; return a finite gradient "
                           f"(or None to keep it)")
    raise RuntimeError(f"detect_anomaly: the gradients flowing into {_describe_tensor(tensor)} "
                       f"are finite, but their sum overflows to {kind} in {tensor.dtype}; scale "
                       f"the loss down or compute in float64")


# ---------------------------------------------------------------------------------------------
# The reverse-mode walk


def _seed_gradients(outputs: Sequence[Tensor], grad_outputs: Sequence[Any] | None,
                    create_graph: bool) -> list[Any]:
    """Check each output and return its starting gradient (ones for a scalar)."""
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"backward: got {len(grad_outputs)} gradients for {len(outputs)} outputs")
    seeds = []
    for out, grad in zip(outputs, grad_outputs):
        if not isinstance(out, Tensor):
            raise TypeError(f"backward: expected Tensor outputs, got {type(out).__name__}")
        if not out.requires_grad:
            raise RuntimeError(
                "backward: the tensor does not require grad, so there is nothing to "
                "differentiate; create an input with requires_grad=True and compute from it "
                "with grad mode on (not under no_grad)")
        if grad is None:
            if out._data.size != 1:
                raise RuntimeError(
                    f"backward: the output has shape {out.shape}, and a gradient can only be "
                    f"created implicitly for a scalar; call .backward(gradient) with a gradient "
                    f"of shape {out.shape}, or reduce the output to a scalar (e.g. .sum())")
            grad = np.ones_like(out._data)
        else:
            grad_array = grad._data if isinstance(grad, Tensor) else np.asarray(grad)
            if grad_array.shape != out.shape:
                raise ValueError(f"backward: the gradient has shape {grad_array.shape} but the "
                                 f"output has shape {out.shape}; they must match")
            if not isinstance(grad, Tensor) or not create_graph:
                grad = np.array(grad_array, dtype=out.dtype)  # a copy: it may become a .grad
        if create_graph and not isinstance(grad, Tensor):
            grad = Tensor._from_op(grad, None, None, None, next(_sequence))
        seeds.append(grad)
    return seeds


def _deliver(tensor: Tensor, grad: Any, pending: dict[int, Any], heap: list) -> None:
    """Add one gradient contribution to ``tensor``, queueing it on its first contribution.

    ``pending`` maps minus a tensor's sequence number to the gradient gathered so far; it
    belongs to one walk, so walks in other threads or in hooks never see it.
    """
    key = -tensor._seq  # the heap's key: the max-heap on sequence numbers is a min-heap on it
    if key in pending:
        pending[key] = pending[key] + grad
    else:
        pending[key] = grad
        heapq.heappush(heap, (key, tensor))


def _accumulate_leaf_grad(leaf: Tensor, grad: Any, create_graph: bool, private: bool) -> None:
    if create_graph:
        leaf.grad = grad if leaf.grad is None else leaf.grad + grad
    elif leaf.grad is None:
        # .grad must own its array, because we add into it later. Arrays that came through the
        # graph already do (see _private_gradient); a hook's result may be shared, so it is copied.
        leaf.grad = Tensor._from_op(grad if private else np.array(grad, dtype=leaf._data.dtype),
                                    None, None, None, next(_sequence))
    elif leaf.grad.requires_grad:
        # A create_graph backward left a differentiable .grad: keep its graph (this walk's part
        # is a constant in it), as PyTorch's in-place accumulation does.
        with _grad_mode(True):
            leaf.grad = leaf.grad + grad
    elif leaf.grad.shape != leaf.shape:
        leaf.grad = Tensor._from_op(leaf.grad._data + grad, None, None, None, next(_sequence))
    else:
        leaf.grad._data += grad
        mark_changed_in_place(leaf.grad, "gradient accumulation into .grad")


# Walks in several threads may end in the same leaves (shared parameters): their additions into
# .grad take turns. Re-entrant, because writing a create_graph .grad records an op, and op
# observers are user code.
_GRAD_WRITE_LOCK = threading.RLock()


def _write_grads(leaf_grads: Sequence[tuple[Tensor, Any, bool]],
                 retained: Sequence[tuple[Tensor, Any]], create_graph: bool) -> None:
    """Write the gradients a finished walk gathered into ``.grad``, all at once."""
    with _GRAD_WRITE_LOCK:
        for leaf, grad, private in leaf_grads:
            _accumulate_leaf_grad(leaf, grad, create_graph, private)
        for tensor, grad in retained:
            tensor.grad = grad if create_graph else Tensor._from_op(
                np.array(grad), None, None, None, next(_sequence))


def _run_hooks(tensor: Tensor, grad: Any, create_graph: bool) -> Any:
    for hook in tensor._hooks:
        # A fresh sequence number: users may keep the tensor and compute with it, and the
        # backward heap orders tensors by these numbers, so they must be unique.
        wrapped = grad if create_graph else Tensor._from_op(grad, None, None, None,
                                                            next(_sequence))
        replaced = hook(wrapped)
        if replaced is not None:
            replaced_array = (replaced._data if isinstance(replaced, Tensor)
                              else np.asarray(replaced))
            if replaced_array.shape != np.shape(grad):
                raise ValueError(f"register_hook: a hook returned a gradient of shape "
                                 f"{replaced_array.shape} for a tensor of shape {tensor.shape}")
            grad = replaced if create_graph and isinstance(replaced, Tensor) else replaced_array
    return grad


def run_backward(outputs: Sequence[Tensor], grad_outputs: Sequence[Any] | None, *,
                 retain_graph: bool, create_graph: bool,
                 capture: Sequence[Tensor] | None = None) -> list[Any] | None:
    """Propagate gradients from ``outputs`` to every tensor they depend on.

    Tensors are processed in decreasing creation order (a max-heap on their sequence numbers),
    which is a reverse topological order, without recursion. Each tensor's gradient is the sum
    of its contributions, reduced to its shape in one place (``sum_to``). All scratch state is
    local to this call, so a backward started in a hook or in another thread is independent.
    Without ``capture`` the leaf (and retained) gradients are written into ``.grad`` once the
    walk has finished, so a walk that raises changes no ``.grad``; with ``capture``, the
    gradients of the captured tensors are returned instead and no ``.grad`` is touched.
    """
    F = TENSORS if create_graph else NUMPY
    seeds = _seed_gradients(outputs, grad_outputs, create_graph)
    anomaly = STATE.anomaly
    if anomaly:
        _check_seeds(outputs, seeds)
    captured = {id(t): None for t in capture} if capture is not None else None
    pending: dict[int, Any] = {}
    heap: list = []
    leaf_grads: list[tuple[Tensor, Any, bool]] = []
    retained: list[tuple[Tensor, Any]] = []
    for out, seed in zip(outputs, seeds):
        _deliver(out, seed, pending, heap)
    # _grad_mode without contextlib's generator, which costs 2 % of a small model's backward
    previous_mode, STATE.grad_enabled = STATE.grad_enabled, create_graph
    try:
        while heap:
            key, tensor = heapq.heappop(heap)
            grad = pending.pop(key)
            if anomaly:
                _check_gathered(tensor, grad, after_hooks=False)
            if tensor._hooks:
                grad = _run_hooks(tensor, grad, create_graph)
                if anomaly:
                    _check_gathered(tensor, grad, after_hooks=True)
            if captured is not None:
                if id(tensor) in captured:
                    captured[id(tensor)] = grad
            elif tensor._op is None:
                leaf_grads.append((tensor, grad, not tensor._hooks))
            elif tensor._retains_grad:
                retained.append((tensor, grad))
            if tensor._op is not None:
                _propagate(tensor, grad, F, create_graph, retain_graph, anomaly, pending, heap)
        if captured is None:
            _write_grads(leaf_grads, retained, create_graph)
            return None
    finally:
        STATE.grad_enabled = previous_mode
    return [captured[id(t)] for t in capture]


def _propagate(tensor: Tensor, grad: Any, F: SimpleNamespace, create_graph: bool,
               retain_graph: bool, anomaly: bool, pending: dict[int, Any], heap: list) -> None:
    """Apply the VJP rules of ``tensor``'s op and deliver the results to its inputs."""
    prim = tensor._op
    inputs = tensor._inputs
    if inputs is None:
        raise RuntimeError(
            f"backward: trying to backward through the graph a second time: the values saved "
            f"by '{prim.name}' (output shape {tensor.shape}) were freed after the first "
            f"backward. Pass retain_graph=True to the first backward() if you need to call it "
            f"again")
    if _last_change_in_place > tensor._seq:  # something changed in place after this op ran
        _check_saved_values(tensor)
    if create_graph:
        args, ans = inputs, tensor
    else:
        args = [x._data if isinstance(x, Tensor) else x for x in inputs]
        ans = tensor._data
    params = tensor._params
    for argnum, x in enumerate(inputs):
        if not (isinstance(x, Tensor) and x._requires_grad):
            continue
        grad_x = prim.vjp(argnum)(F, grad, ans, *args, **params)
        if grad_x.shape != x._data.shape:
            grad_x = F.sum_to(grad_x, shape=x._data.shape)
        if grad_x.dtype != x._data.dtype:
            grad_x = F.astype(grad_x, dtype=x._data.dtype)
        if anomaly:
            # The incoming gradient is known to be finite here (see _check_gathered), so the
            # op's saved values are the only other suspects.
            _check_finite(grad_x, f"{prim.name} (backward, gradient of input {argnum})", inputs,
                          tensor, tensor._trace)
        if x._op is None and not create_graph:
            grad_x = _private_gradient(grad_x, grad, ans, args)
        _deliver(x, grad_x, pending, heap)
    if not retain_graph:
        tensor._inputs = None


def _private_gradient(grad_x: Any, grad: Any, ans: Any, args: Sequence[Any]) -> np.ndarray:
    """Return ``grad_x``, copied unless it is a new array that nothing else references.

    A leaf's ``.grad`` adopts the array and accumulates into it in place. A VJP's result is
    usually new (a product, a matmul), and adopting it saves a copy of every weight gradient;
    but it may be the incoming gradient (``add``), a view, a scalar or a saved value.
    """
    if (type(grad_x) is np.ndarray and grad_x.base is None and grad_x is not grad
            and grad_x is not ans and all(grad_x is not a for a in args)):
        return grad_x
    return np.array(grad_x)


def _check_saved_values(tensor: Tensor) -> None:
    """Raise if an input or the output of ``tensor``'s op changed in place after the op ran."""
    for role, saved in [("the output", tensor)] + [
            (f"input {i}", x) for i, x in enumerate(tensor._inputs) if isinstance(x, Tensor)]:
        if saved._version > tensor._seq:
            raise RuntimeError(
                f"backward: {role} of '{tensor._op.name}' (shape {saved.shape}) was changed "
                f"in place by {saved._changed_by} after '{tensor._op.name}' used it, so its "
                f"gradient would be wrong; call backward() before the change (e.g. "
                f"optimizer.step() after loss.backward()), change a copy instead (x = x + 1 "
                f"rather than x += 1), or make the change before using the tensor")


def grad(outputs: Tensor | Sequence[Tensor], inputs: Tensor | Sequence[Tensor],
         grad_outputs: Any = None, retain_graph: bool | None = None, create_graph: bool = False,
         allow_unused: bool = False) -> tuple[Tensor | None, ...]:
    """Return the gradients of ``outputs`` with respect to ``inputs`` without touching ``.grad``.

    ``outputs`` and ``inputs`` are tensors or sequences of them; ``grad_outputs`` gives the
    gradient of each output (optional for scalars). With ``create_graph=True`` the returned
    gradients carry a graph, so they can be differentiated again (``retain_graph`` then defaults
    to True). Raises RuntimeError when an input was not used to compute the outputs, unless
    ``allow_unused=True`` (its gradient is then None).
    """
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if isinstance(grad_outputs, (Tensor, np.ndarray, np.generic, int, float)):
        grad_outputs = [grad_outputs]
    for index, x in enumerate(inputs):
        if not isinstance(x, Tensor) or not x.requires_grad:
            raise RuntimeError(f"grad: input {index} does not require grad; create it with "
                               f"requires_grad=True")
    if retain_graph is None:
        retain_graph = create_graph
    grads = run_backward(outputs, grad_outputs, retain_graph=retain_graph,
                         create_graph=create_graph, capture=inputs)
    results = []
    for index, (x, g) in enumerate(zip(inputs, grads)):
        if g is None:
            if not allow_unused:
                raise RuntimeError(f"grad: input {index} (shape {x.shape}) was not used to "
                                   f"compute the outputs; pass allow_unused=True to get None")
            results.append(None)
        elif isinstance(g, Tensor):
            results.append(g)
        else:
            results.append(Tensor._from_op(np.array(g, dtype=x.dtype), None, None, None,
                                           next(_sequence)))
    return tuple(results)
