"""The reverse-mode walk: ``backward()`` and ``ag.grad``.

The walk visits tensors in decreasing creation order (a max-heap on their sequence numbers from
``clock``), which is a reverse topological order, without recursion. At each recorded tensor it
applies the op's VJP rules (from ``primitive``) to the gathered gradient and delivers the
results to the op's inputs. All scratch state of a walk (the pending gradients, the heap, the
gradients to write into ``.grad``) is local to one ``run_backward`` call, so a backward started
in a hook or in another thread is independent of this one.
"""

from __future__ import annotations

import heapq
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import clock
from .anomaly import check_finite, check_gathered, check_seeds
from .clock import mark_changed_in_place
from .grad_mode import STATE, enable_grad
from .primitive import NUMPY, TENSORS
from .tensor import Tensor


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
            grad = Tensor._from_op(grad)
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
        # graph already do (see _private_gradient); a hook's result may be shared, so it is copied,
        # and so is a NumPy scalar (two 0-d contributions add up to one), so .grad holds an array.
        adopt = private and type(grad) is np.ndarray
        leaf.grad = Tensor._from_op(grad if adopt else np.array(grad, dtype=leaf._data.dtype))
    elif leaf.grad.requires_grad:
        # A create_graph backward left a differentiable .grad: keep its graph (this walk's part
        # is a constant in it), as PyTorch's in-place accumulation does.
        with enable_grad():
            leaf.grad = leaf.grad + grad
    elif leaf.grad.shape != leaf.shape:
        leaf.grad = Tensor._from_op(np.asarray(leaf.grad._data + grad))
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
            tensor.grad = grad if create_graph else Tensor._from_op(np.array(grad))


def _run_hooks(tensor: Tensor, grad: Any, create_graph: bool) -> Any:
    for hook in tensor._hooks:
        # A fresh sequence number: users may keep the tensor and compute with it, and the
        # backward heap orders tensors by these numbers, so they must be unique.
        wrapped = grad if create_graph else Tensor._from_op(np.asarray(grad))
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
                 capture: Sequence[Tensor] | None = None, boundary: int = 0
                 ) -> list[Any] | None:
    """Propagate gradients from ``outputs`` to every tensor they depend on.

    Tensors are processed in decreasing creation order (a max-heap on their sequence numbers),
    which is a reverse topological order, without recursion. Each tensor's gradient is the sum
    of its contributions, reduced to its shape in one place (``sum_to``). All scratch state is
    local to this call, so a backward started in a hook or in another thread is independent.
    Without ``capture`` the leaf (and retained) gradients are written into ``.grad`` once the
    walk has finished, so a walk that raises changes no ``.grad``; with ``capture``, the
    gradients of the captured tensors are returned instead and no ``.grad`` is touched.
    Tensors made at or before the tick ``boundary`` end the walk (their gradient can be captured,
    but their hooks do not run and nothing propagates past them): what ``ag.func`` and
    ``ag.checkpoint`` use to differentiate a function without walking the graph it was called on.
    """
    tracer = STATE.tracer
    if tracer is not None and tracer.intercepts_backward:  # inside ag.compile: recorded
        return tracer.backward(outputs, grad_outputs, retain_graph=retain_graph,
                               create_graph=create_graph, capture=capture)
    F = TENSORS if create_graph else NUMPY
    seeds = _seed_gradients(outputs, grad_outputs, create_graph)
    anomaly = STATE.anomaly
    if anomaly:
        check_seeds(outputs, seeds)
    captured = {id(t): None for t in capture} if capture is not None else None
    pending: dict[int, Any] = {}
    heap: list = []
    leaf_grads: list[tuple[Tensor, Any, bool]] = []
    retained: list[tuple[Tensor, Any]] = []
    for out, seed in zip(outputs, seeds):
        _deliver(out, seed, pending, heap)
    # set_grad_enabled without contextlib's generator, which costs 2 % of a small model's backward
    previous_mode, STATE.grad_enabled = STATE.grad_enabled, create_graph
    stop = -boundary  # keys are minus sequence numbers: the walk goes on while key < stop
    try:
        while heap:
            key, tensor = heapq.heappop(heap)
            grad = pending.pop(key)
            if anomaly:
                check_gathered(tensor, grad, after_hooks=False)
            if tensor._hooks and key < stop:
                grad = _run_hooks(tensor, grad, create_graph)
                if anomaly:
                    check_gathered(tensor, grad, after_hooks=True)
            if captured is not None:
                if id(tensor) in captured:
                    captured[id(tensor)] = grad
            elif tensor._op is None:
                leaf_grads.append((tensor, grad, not tensor._hooks))
            elif tensor._retains_grad:
                retained.append((tensor, grad))
            if tensor._op is not None and key < stop:
                _propagate(tensor, grad, F, create_graph, retain_graph, anomaly, pending, heap)
        if captured is None:
            _write_grads(leaf_grads, retained, create_graph)
            return None
    finally:
        STATE.grad_enabled = previous_mode
    return [captured[id(t)] for t in capture]


def _propagate(tensor: Tensor, grad: Any, F: Any, create_graph: bool,
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
    if clock.last_change_in_place > tensor._seq:  # something changed in place after this op ran
        _check_saved_values(tensor)
    if create_graph:
        args, ans = inputs, tensor
    else:
        args = [x._data if isinstance(x, Tensor) else x for x in inputs]
        ans = tensor._data
    params = tensor._params
    rules = prim.vjps if prim.vjp_any is None else None  # indexing them skips a method call
    for argnum, x in enumerate(inputs):
        if not (isinstance(x, Tensor) and x._requires_grad):
            continue
        rule = rules[argnum] if rules is not None else prim.vjp(argnum)
        grad_x = rule(F, grad, ans, *args, **params)
        data = x._data
        if grad_x.shape != data.shape:
            grad_x = F.sum_to(grad_x, shape=data.shape)
        if grad_x.dtype != data.dtype:
            grad_x = F.astype(grad_x, dtype=data.dtype)
        if anomaly:
            # The incoming gradient is known to be finite here (see check_gathered), so the
            # op's saved values are the only other suspects.
            check_finite(grad_x, f"{prim.name} (backward, gradient of input {argnum})", inputs,
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
            results.append(Tensor._from_op(np.array(g, dtype=x.dtype)))
    return tuple(results)
