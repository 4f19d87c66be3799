"""Tensor: a NumPy array that remembers how it was computed, and the factories that make one.

Every method that computes is a one-line delegation to a function in ``autograd_lite.ops``.

Imports go one way: ``ops``, ``primitive``, ``backward``, ``conversion`` and ``numpy_dispatch``
build on Tensor and import this module, which imports none of them (only ``grad_mode``,
``clock``, ``random`` and ``spellings``, which import nothing of the package). Tensor's methods
still call them, at call time, through the module references ``_ops``, ``_primitive``,
``_backward``, ``_conversion`` and ``_numpy_dispatch``: ``autograd_lite/__init__.py`` imports
those modules after this one and then hands them to ``bind_dependents``, before any tensor can
compute. A method call costs one
global and one attribute lookup, as a module imported at the top would.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .clock import TICKS, mark_changed_in_place
from .grad_mode import STATE

# manual_seed and default_generator are re-exported: they were defined here before random.py.
from .random import default_generator as default_generator
from .random import manual_seed as manual_seed
from .random import resolve_generator
from .spellings import torch_spellings

if TYPE_CHECKING:
    from types import ModuleType

# The modules that import Tensor, bound by bind_dependents (see the module docstring).
_ops: Any = None
_primitive: Any = None
_backward: Any = None
_conversion: Any = None
_numpy_dispatch: Any = None


def bind_dependents(ops: ModuleType, primitive: ModuleType, backward: ModuleType,
                    conversion: ModuleType, numpy_dispatch: ModuleType) -> None:
    """Give Tensor's methods the modules that build on Tensor (called once, by the package).

    They import this module, so it cannot import them; ``autograd_lite/__init__.py`` imports
    them and calls this before returning, so every tensor a user makes can compute.
    """
    global _ops, _primitive, _backward, _conversion, _numpy_dispatch
    _ops, _primitive, _backward = ops, primitive, backward
    _conversion, _numpy_dispatch = conversion, numpy_dispatch


_default_dtype = np.dtype(np.float32)


def set_default_dtype(dtype: Any) -> None:
    """Set the float dtype that Python numbers become (float32 unless changed).

    Raises TypeError for a non-float dtype.
    """
    global _default_dtype
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype: expected a float dtype, got {dtype}")
    _default_dtype = dtype


def get_default_dtype() -> np.dtype:
    """Return the float dtype that Python numbers become."""
    return _default_dtype


def _to_array(data: Any, dtype: Any, where: str) -> np.ndarray:
    """Convert user data to an array: Python numbers -> default float dtype, arrays keep theirs."""
    if isinstance(data, Tensor):
        if STATE.tracer is not None:  # inside ag.compile: a traced value cannot be copied out
            STATE.tracer.refuse_copy(data, where)
        array = data._data
    elif isinstance(data, np.ndarray):
        array = data
    else:
        try:
            array = np.asarray(data)
        except ValueError as error:
            raise ValueError(f"{where}: could not make an array of the data (ragged nested "
                             f"lists?): {error}") from None
        if array.dtype.kind in "iuf" and dtype is None and not isinstance(data, np.generic):
            array = array.astype(_default_dtype)
    if array.dtype == object or array.dtype.kind not in "biuf":
        raise TypeError(f"{where}: expected numbers, got data of dtype {array.dtype} "
                        f"(type {type(data).__name__})")
    if dtype is not None:
        array = array.astype(dtype, copy=False)
    return array


class Tensor:
    """An n-dimensional array that records the operations that produce it.

    ``data`` is the NumPy array; ``grad`` holds the accumulated gradient (a Tensor) after
    ``backward()``; ``requires_grad`` asks for gradients of this tensor. Python numbers become
    the default float dtype (float32); NumPy arrays keep their dtype. Integer and bool tensors
    hold indices, labels and masks and cannot require grad.
    """

    # True on the learnable tensors of a model (nn.Parameter sets it): how a drawing tells a
    # parameter from any other leaf without knowing about nn.
    is_parameter = False
    # ``_changed_by`` stays unset until the first in-place change (read it with getattr), so that
    # making a tensor costs no extra store.
    __slots__ = ("_data", "grad", "name", "_requires_grad", "_op", "_inputs", "_params", "_seq",
                 "_version", "_changed_by", "_hooks", "_retains_grad", "_scope", "_trace",
                 "__weakref__")

    def __init__(self, data: Any, dtype: Any = None, requires_grad: bool = False,
                 name: str | None = None) -> None:
        self._data = _to_array(data, dtype, "tensor")
        self.grad = None
        self.name = name
        self._requires_grad = False
        self._op = self._inputs = self._params = None
        self._hooks = self._scope = self._trace = None
        self._retains_grad = False
        self._seq = next(TICKS)
        self._version = 0
        if requires_grad:
            self.requires_grad = True

    @staticmethod
    def _from_op(data: np.ndarray, op: Any = None, inputs: Any = None, params: Any = None,
                 seq: int = 0) -> Tensor:
        """Wrap an op's output array; it requires grad exactly when ``op`` is recorded.

        ``Tensor._from_op(array)`` is the one way to make a tensor with no history (an op's
        output when nothing records, a constant, a detached view, a gradient). ``seq`` keeps
        a sequence number; by default the tensor takes the next tick of the clock.
        """
        t = object.__new__(Tensor)
        t._data = data
        t.grad = t.name = t._hooks = t._scope = t._trace = None
        t._requires_grad = op is not None
        t._op = op
        t._inputs = inputs
        t._params = params
        t._seq = seq or next(TICKS)
        t._version = 0
        t._retains_grad = False
        return t

    # --- autograd state -------------------------------------------------------------------

    @property
    def requires_grad(self) -> bool:
        """Whether gradients flow to this tensor. Only float tensors can require grad."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and self._data.dtype.kind != "f":
            raise TypeError(f"requires_grad: only float tensors can require grad, but this "
                            f"tensor has dtype {self._data.dtype}; convert it first, e.g. "
                            f"ag.tensor(data, dtype='float32')")
        if not value and self._op is not None:
            raise RuntimeError("requires_grad: cannot turn off gradients of a non-leaf tensor; "
                               "use .detach() to get a tensor outside the graph")
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place and return self."""
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user (not by a recorded op)."""
        return self._op is None

    @property
    def op_name(self) -> str | None:
        """Name of the op that produced this tensor, or None for a leaf."""
        return None if self._op is None else self._op.name

    def backward(self, gradient: Any = None, retain_graph: bool = False,
                 create_graph: bool = False) -> None:
        """Accumulate the gradient of this tensor into the ``.grad`` of every leaf it depends on.

        ``gradient`` (same shape as self) is required unless self holds one element.
        ``.grad`` accumulates across calls: clear it with ``zero_grad()`` (or the optimizer's).
        Saved values are freed afterwards unless ``retain_graph=True``; ``create_graph=True``
        records the backward pass so the gradients can be differentiated again.
        """
        _backward.run_backward([self], None if gradient is None else [gradient],
                               retain_graph=retain_graph or create_graph, create_graph=create_graph)

    def retain_grad(self) -> Tensor:
        """Keep this non-leaf tensor's gradient in ``.grad`` after backward; return self."""
        if not self._requires_grad:
            raise RuntimeError("retain_grad: the tensor does not require grad")
        self._retains_grad = True
        return self

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> _HookHandle:
        """Call ``hook(grad)`` when this tensor's gradient is computed.

        The hook may return a replacement gradient of the same shape, or None to keep it.
        Returns a handle whose ``remove()`` unregisters the hook.
        """
        if not self._requires_grad:
            raise RuntimeError("register_hook: cannot register a hook on a tensor that does "
                               "not require grad")
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        return _HookHandle(self._hooks, hook)

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (``.grad = None``)."""
        self.grad = None

    # --- in-place changes -------------------------------------------------------------------
    # Every write into a tensor's values goes through clock.mark_changed_in_place, so that
    # backward can refuse a value that an op saved before the write.

    @property
    def data(self) -> np.ndarray:
        """The NumPy array holding the values (shared, not copied).

        Assigning ``t.data = array`` replaces the array outside the graph, as in PyTorch, and
        counts as an in-place change. The value must be a NumPy array of numbers, of a float
        dtype when the tensor requires grad; a Tensor gives its array, so micrograd's
        ``p.data -= lr * p.grad`` works. Raises TypeError for anything else.
        """
        if STATE.tracer is not None:  # inside ag.compile the values would be frozen
            STATE.tracer.read_data(self)
        return self._data

    @data.setter
    def data(self, value: Any) -> None:
        # A float array (every optimizer-style update) skips the checks below.
        if type(value) is not np.ndarray or value.dtype.kind != "f":
            value = self._checked_data(value)
        self._data = value
        mark_changed_in_place(self, "Tensor.data assignment")

    def _checked_data(self, value: Any) -> np.ndarray:
        """``value`` as the new array of ``data``: a Tensor's array, or a numeric array (a float
        one when self requires grad); TypeError otherwise."""
        if isinstance(value, Tensor):
            value = value._data
        elif not isinstance(value, np.ndarray) or value.dtype.kind not in "biuf":
            kind = (f"an array of dtype {value.dtype}" if isinstance(value, np.ndarray)
                    else f"a {type(value).__name__}")
            raise TypeError(f"Tensor.data: expected a NumPy array of numbers, got {kind}; "
                            f"assign an array (e.g. p.data = p.data - lr * p.grad.data), or "
                            f"write values into the tensor with p.copy_(values)")
        if self._requires_grad and value.dtype.kind != "f":
            raise TypeError(f"Tensor.data: the tensor requires grad, so its data must have a "
                            f"float dtype, got {value.dtype}; convert it first, e.g. "
                            f"array.astype('float32')")
        return value

    def _refuse_in_place(self, name: str, source: Any) -> None:
        """Raise if changing this tensor in place with grad mode on would lose a gradient."""
        if self._requires_grad and self._op is None:
            raise RuntimeError(
                f"{name}: cannot change a leaf tensor that requires grad (shape {self.shape}) "
                f"in place while grad mode is on, because the graph would lose the value it "
                f"was created with; update it under `with ag.no_grad():` as optimizers do "
                f"(with ag.no_grad(): p -= lr * p.grad, or p.sub_(lr * p.grad)), or make a new "
                f"tensor out of place (p = p - lr * p.grad)")
        if self._requires_grad:
            raise RuntimeError(
                f"{name}: cannot change a tensor computed by '{self._op.name}' in place while "
                f"grad mode is on, because {name} records no graph; compute a new tensor "
                f"instead (e.g. ag.where(mask, value, y) rather than y[mask] = value), or "
                f"change it under `with ag.no_grad():` if no gradient should flow through it")
        if isinstance(source, Tensor) and source._requires_grad:
            raise RuntimeError(
                f"{name}: the source requires grad, but {name} records no graph, so its "
                f"gradient would be lost; build the tensor out of place (ag.stack, "
                f"ag.concatenate, ag.where), or pass source.detach() if no gradient should "
                f"flow to it")

    def _explained(self, name: str, error: Exception) -> Exception:
        """Re-raise NumPy's error of an in-place write as the same kind, naming ``name``."""
        kind = TypeError if isinstance(error, TypeError) else ValueError
        fix = ("; an in-place result keeps the tensor's dtype, so convert it first "
               "(x = x.astype('float32')) or compute a new tensor (x = x + y)"
               if "Cannot cast" in str(error) else "")
        return kind(f"{name}: {error} (tensor of shape {self.shape}, dtype {self.dtype}){fix}")

    def _change_in_place(self, name: str, update: Callable[[np.ndarray], Any],
                         source: Any = None) -> Tensor:
        """Apply ``update`` to ``self._data`` in place, outside the graph, and stamp the change.

        With grad mode on, a tensor that requires grad or a ``source`` that does is refused
        (``_refuse_in_place``); NumPy's errors are re-raised naming ``name``.
        """
        if STATE.grad_enabled:
            self._refuse_in_place(name, source)
        try:
            update(self._data)
        except (TypeError, ValueError) as error:
            raise self._explained(name, error) from None
        mark_changed_in_place(self, _writer(name))
        return self

    def _arithmetic_in_place(self, name: str, ufunc: np.ufunc, op: Callable, other: Any
                             ) -> Tensor:
        """``self = op(self, other)`` in place, with NumPy's same_kind casting.

        Outside the graph (grad mode off, or nothing requires grad) the ufunc writes into the
        array. Otherwise the op is recorded, as PyTorch does, see ``_record_in_place``; a leaf
        that requires grad is refused.
        """
        if STATE.tracer is not None:  # inside ag.compile: recorded, replayed on every call
            return STATE.tracer.in_place(self, name, ufunc, other)
        if STATE.grad_enabled and (
                self._requires_grad or (isinstance(other, Tensor) and other._requires_grad)):
            if self._requires_grad and self._op is None:
                self._refuse_in_place(name, other)
            return self._record_in_place(name, ufunc, op, other)
        value = other._data if isinstance(other, Tensor) else other
        return self._change_in_place(
            name, lambda data: ufunc(data, value, out=data, casting="same_kind"))

    def _record_in_place(self, name: str, ufunc: np.ufunc, op: Callable, other: Any
                         ) -> Tensor:
        """Rebase this tensor's history in place: it becomes the output of ``op(old, other)``.

        The graph records ops on their output tensors, so the history this tensor had moves to
        a new tensor holding a copy of the old value (the old op's VJP may need it); the hooks
        registered so far move with it, as PyTorch's do. Ops recorded earlier that used this
        tensor still point at it, so backward through them meets the new version and raises.
        The recorded op runs on the old value; its result is checked against this tensor's
        shape and dtype before anything changes, then written into the same array, so every
        reference to the tensor and every view of its array sees the new value.
        """
        previous = Tensor._from_op(self._data.copy(), self._op, self._inputs, self._params,
                                   self._seq)
        previous.name, previous._version = self.name, self._version
        previous._hooks, previous._scope, previous._trace = self._hooks, self._scope, self._trace
        if hasattr(self, "_changed_by"):
            previous._changed_by = self._changed_by
        try:
            result = op(previous, previous if other is self else other)
            if result.shape != self.shape:
                raise ValueError(f"non-broadcastable output operand with shape {self.shape} "
                                 f"doesn't match the broadcast shape {result.shape}")
            if not np.can_cast(result.dtype, self.dtype, "same_kind"):
                raise TypeError(f"Cannot cast ufunc '{ufunc.__name__}' output from "
                                f"dtype('{result.dtype}') to dtype('{self.dtype}') with casting "
                                f"rule 'same_kind'")
        except (TypeError, ValueError) as error:
            raise self._explained(name, error) from None
        np.copyto(self._data, result._data, casting="same_kind")
        mark_changed_in_place(self, _writer(name))
        self._op, self._inputs, self._params = result._op, result._inputs, result._params
        self._requires_grad = True
        # Numbered after the version stamp: this op saw the new value, earlier ones did not.
        self._seq = next(TICKS)
        self._hooks, self._scope, self._trace = None, result._scope, result._trace
        self._retains_grad = self._retains_grad or result._retains_grad
        return self

    def add_(self, other: Any) -> Tensor:
        """In place: self += other (broadcast to self's shape). Returns self.

        Recorded in the graph like ``+=`` (see ``__iadd__``).
        """
        return self._arithmetic_in_place("add_", np.add, _ops.add, other)

    def sub_(self, other: Any) -> Tensor:
        """In place: self -= other. Returns self."""
        return self._arithmetic_in_place("sub_", np.subtract, _ops.sub, other)

    def mul_(self, other: Any) -> Tensor:
        """In place: self *= other. Returns self."""
        return self._arithmetic_in_place("mul_", np.multiply, _ops.mul, other)

    def div_(self, other: Any) -> Tensor:
        """In place: self /= other. Returns self."""
        return self._arithmetic_in_place("div_", np.true_divide, _ops.div, other)

    def __iadd__(self, other: Any) -> Tensor:
        """``x += y`` changes x in place, as in NumPy and PyTorch (every reference sees it).

        Under ``no_grad``, or when nothing involved requires grad, the array is updated and
        the version bumped. With grad mode on, a tensor computed by an op gets the addition
        recorded as its new history (gradients as in PyTorch); a leaf that requires grad is
        refused (RuntimeError: update parameters under ``with ag.no_grad():``). The result
        must fit self's shape and cast to its dtype with NumPy's same_kind rule (an integer
        tensor ``+= 0.5`` raises TypeError; a shape mismatch raises ValueError).
        """
        return self._arithmetic_in_place("+=", np.add, _ops.add, other)

    def __isub__(self, other: Any) -> Tensor:
        """``x -= y`` in place; the rules of ``__iadd__``."""
        return self._arithmetic_in_place("-=", np.subtract, _ops.sub, other)

    def __imul__(self, other: Any) -> Tensor:
        """``x *= y`` in place; the rules of ``__iadd__``."""
        return self._arithmetic_in_place("*=", np.multiply, _ops.mul, other)

    def __itruediv__(self, other: Any) -> Tensor:
        """``x /= y`` in place; the rules of ``__iadd__`` (an integer tensor raises)."""
        return self._arithmetic_in_place("/=", np.true_divide, _ops.div, other)

    def __ipow__(self, other: Any) -> Tensor:
        """``x **= y`` in place; the rules of ``__iadd__``."""
        return self._arithmetic_in_place("**=", np.power, _ops.pow, other)

    def fill_(self, value: float) -> Tensor:
        """In place: set every element to ``value``. Returns self."""
        return self._change_in_place("fill_", lambda data: data.fill(value), value)

    def zero_(self) -> Tensor:
        """In place: set every element to 0. Returns self."""
        return self._change_in_place("zero_", lambda data: data.fill(0))

    def copy_(self, source: Any) -> Tensor:
        """In place: copy ``source`` (broadcast to self's shape) into self. Returns self.

        Records no graph: with grad mode on, a ``source`` that requires grad is refused.
        """
        value = source._data if isinstance(source, Tensor) else source
        return self._change_in_place(
            "copy_", lambda data: np.copyto(data, value, casting="same_kind"), source)

    def __setitem__(self, index: Any, value: Any) -> None:
        """In place: ``self[index] = value`` (same rules as ``fill_``/``copy_``)."""
        array = value._data if isinstance(value, Tensor) else value
        self._change_in_place("__setitem__", lambda data: data.__setitem__(index, array),
                              value)

    def detach(self) -> Tensor:
        """Return a tensor sharing this data, outside the graph (it does not require grad)."""
        if STATE.tracer is not None:  # inside ag.compile: a step of the program
            return STATE.tracer.record_copy(self, "detach")
        return Tensor._from_op(self._data)

    # --- array facts ------------------------------------------------------------------------

    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def size(self) -> Size:
        """The number of elements, an int as NumPy's ``ndarray.size`` (``x.size * 2``), that
        can also be called as PyTorch's ``x.size()`` (the shape) and ``x.size(dim)``."""
        data = self._data
        return Size(data.size, data.shape)

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def T(self) -> Tensor:
        """The tensor with its axes reversed (the transpose of a matrix)."""
        return _ops.transpose(self)

    def numpy(self) -> np.ndarray:
        """Return the underlying array (shared, not copied)."""
        if STATE.tracer is not None:  # inside ag.compile the values would be frozen
            STATE.tracer.read_data(self, ".numpy()")
        return self._data

    def item(self) -> float | int | bool:
        """Return the single element as a Python number; ValueError for other sizes."""
        if STATE.tracer is not None:
            STATE.tracer.read_data(self, ".item()")
        if self._data.size != 1:
            raise ValueError(f"item: only a tensor with one element can be converted to a "
                             f"Python number, got shape {self.shape}")
        return self._data.item()

    def tolist(self) -> Any:
        """Return the data as (nested) Python lists."""
        if STATE.tracer is not None:
            STATE.tracer.read_data(self, ".tolist()")
        return self._data.tolist()

    def astype(self, dtype: Any) -> Tensor:
        """Return a copy converted to ``dtype`` (differentiable between float dtypes)."""
        return _ops.astype(self, dtype)

    @property
    def device(self) -> str:
        """Where the data lives: always ``"cpu"`` (autograd_lite runs on the CPU only)."""
        return _conversion.DEVICE

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """PyTorch's ``to``: ``t.to(dtype)``, ``t.to("cpu")``, ``t.to("cpu", dtype)``,
        ``t.to(other)`` (other's dtype), keywords ``dtype=``, ``device=``, ``copy=``.

        A dtype converts like ``astype`` (differentiable between floats); self is returned when
        nothing changes. RuntimeError for any device but the CPU.
        """
        return _conversion.to(self, args, kwargs)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        """The data for NumPy: ``np.asarray(t)`` shares it, ``np.array(t)`` copies it."""
        if STATE.tracer is not None:
            STATE.tracer.read_data(self, "np.asarray()")
        if copy is False and dtype is not None and np.dtype(dtype) != self._data.dtype:
            raise ValueError(f"__array__: converting dtype {self._data.dtype} to "
                             f"{np.dtype(dtype)} needs a copy, but copy=False was given")
        if dtype is not None:
            return self._data.astype(dtype, copy=bool(copy))
        return self._data.copy() if copy else self._data

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any
                        ) -> Any:
        """NumPy ufuncs on tensors (``np.exp(t)``, ``ndarray * t``) run autograd_lite's ops."""
        return _numpy_dispatch.array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func: Callable, types: Any, args: tuple,
                           kwargs: dict[str, Any]) -> Any:
        """NumPy functions on tensors (``np.sum(t)``, ``np.concatenate``) run autograd_lite's
        ops."""
        return _numpy_dispatch.array_function(func, types, args, kwargs)

    def __format__(self, spec: str) -> str:
        """``f"{loss:.4f}"`` formats a one-element tensor like its number; ``f"{t}"`` is str."""
        return _conversion.format_tensor(self, spec)

    def __reduce__(self) -> tuple:
        """Pickling and ``copy.deepcopy``: a leaf keeps ``requires_grad`` and ``grad``; a
        non-leaf becomes a detached copy of its data."""
        return _conversion.reduce_tensor(self)

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self._data)

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self._data)))

    def __bool__(self) -> bool:
        if STATE.tracer is not None:
            STATE.tracer.read_data(self, "bool()")
        if self._data.size != 1:
            raise ValueError(f"the truth value of a tensor with shape {self.shape} is "
                             f"ambiguous; use .any() or .all() on .numpy()")
        return bool(self._data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        body = np.array2string(self._data, separator=", ", prefix="tensor(", precision=4,
                               threshold=100, edgeitems=3)
        extras = []
        if self._data.dtype != _default_dtype:
            extras.append(f"dtype={self._data.dtype}")
        if self.name is not None:
            extras.append(f"name={self.name!r}")
        if self._requires_grad:
            extras.append("requires_grad=True")
        if self._op is not None:
            extras.append(f"op={self._op.name}")
        return "tensor(" + ", ".join([body] + extras) + ")"

    # --- operators: one-line delegations to autograd_lite.ops ------------------------------

    def __add__(self, other: Any) -> Tensor:
        return _ops.add(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return _ops.add(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return _ops.sub(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return _ops.sub(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return _ops.mul(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return _ops.mul(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return _ops.div(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return _ops.div(other, self)

    def __pow__(self, other: Any) -> Tensor:
        return _ops.pow(self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return _ops.pow(other, self)

    def __matmul__(self, other: Any) -> Tensor:
        return _ops.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return _ops.matmul(other, self)

    def __neg__(self) -> Tensor:
        return _ops.neg(self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return _ops.abs(self)

    def __getitem__(self, index: Any) -> Tensor:
        return _ops.getitem(self, index)

    def __eq__(self, other: Any) -> Tensor | bool:  # type: ignore[override]
        if other is None:  # `t == None` is False, as in PyTorch
            return False
        return _ops.eq(self, other)

    def __ne__(self, other: Any) -> Tensor | bool:  # type: ignore[override]
        if other is None:
            return True
        return _ops.ne(self, other)

    def __lt__(self, other: Any) -> Tensor:
        return _ops.lt(self, other)

    def __le__(self, other: Any) -> Tensor:
        return _ops.le(self, other)

    def __gt__(self, other: Any) -> Tensor:
        return _ops.gt(self, other)

    def __ge__(self, other: Any) -> Tensor:
        return _ops.ge(self, other)

    # --- methods: one-line delegations to autograd_lite.ops --------------------------------

    def exp(self) -> Tensor:
        return _ops.exp(self)

    def log(self) -> Tensor:
        return _ops.log(self)

    def log1p(self) -> Tensor:
        return _ops.log1p(self)

    def sqrt(self) -> Tensor:
        return _ops.sqrt(self)

    def abs(self) -> Tensor:
        return _ops.abs(self)

    def sin(self) -> Tensor:
        return _ops.sin(self)

    def cos(self) -> Tensor:
        return _ops.cos(self)

    def tanh(self) -> Tensor:
        return _ops.tanh(self)

    def sigmoid(self) -> Tensor:
        return _ops.sigmoid(self)

    def relu(self) -> Tensor:
        return _ops.relu(self)

    def clip(self, min: float | None = None, max: float | None = None) -> Tensor:
        return _ops.clip(self, min, max)

    @torch_spellings
    def sum(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return _ops.sum(self, axis, keepdims)

    @torch_spellings
    def mean(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return _ops.mean(self, axis, keepdims)

    def max(self, *args: Any, **kwargs: Any) -> Tensor:
        """``ag.max(self, axis=None, keepdims=False)``; with PyTorch's ``dim=`` it gives
        ``(values, indices)``, so the arguments go to ``ag.max`` as given."""
        return _ops.max(self, *args, **kwargs)

    def min(self, *args: Any, **kwargs: Any) -> Tensor:
        """``ag.min(self, axis=None, keepdims=False)``; ``(values, indices)`` with ``dim=``."""
        return _ops.min(self, *args, **kwargs)

    def var(self, *args: Any, **kwargs: Any) -> Tensor:
        """``ag.var(self, axis=None, keepdims=False, ddof=0)``; a call in PyTorch's spelling
        (``dim=``, ``unbiased=``, ...) gets PyTorch's ``correction=1``, so the arguments go to
        ``ag.var`` as given."""
        return _ops.var(self, *args, **kwargs)

    def std(self, *args: Any, **kwargs: Any) -> Tensor:
        """``ag.std(self, axis=None, keepdims=False, ddof=0)``; PyTorch's ``correction=1`` for
        a call in PyTorch's spelling, as ``var``."""
        return _ops.std(self, *args, **kwargs)

    @torch_spellings
    def prod(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return _ops.prod(self, axis, keepdims)

    @torch_spellings
    def logsumexp(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return _ops.logsumexp(self, axis, keepdims)

    @torch_spellings
    def argmax(self, axis: int | None = None, keepdims: bool = False) -> Tensor:
        return _ops.argmax(self, axis, keepdims)

    @torch_spellings
    def argmin(self, axis: int | None = None, keepdims: bool = False) -> Tensor:
        return _ops.argmin(self, axis, keepdims)

    def reshape(self, *shape: Any) -> Tensor:
        return _ops.reshape(self, shape[0] if len(shape) == 1 else shape)

    def transpose(self, *axes: Any) -> Tensor:
        """Permute the axes: ``x.transpose()`` reverses them; ``x.transpose(2, 0, 1)`` or
        ``x.transpose((2, 0, 1))`` permutes them as NumPy does; exactly two axes,
        ``x.transpose(0, 1)``, swap those two as PyTorch does (the one call where the two
        libraries differ, on 2-D tensors)."""
        if len(axes) == 2 and all(isinstance(a, (int, np.integer)) for a in axes):
            return _ops.swapaxes(self, *axes)
        return _ops.transpose(self, (axes[0] if len(axes) == 1 else axes) or None)

    def permute(self, *axes: Any) -> Tensor:
        return _ops.permute(self, *axes)

    def swapaxes(self, axis1: int, axis2: int) -> Tensor:
        return _ops.swapaxes(self, axis1, axis2)

    @torch_spellings
    def squeeze(self, axis: Any = None) -> Tensor:
        return _ops.squeeze(self, axis)

    @torch_spellings
    def unsqueeze(self, axis: int) -> Tensor:
        return _ops.unsqueeze(self, axis)

    @torch_spellings
    def expand_dims(self, axis: Any) -> Tensor:
        return _ops.expand_dims(self, axis)

    @torch_spellings
    def flatten(self, start_axis: int = 0, end_axis: int = -1) -> Tensor:
        return _ops.flatten(self, start_axis, end_axis)

    def broadcast_to(self, shape: Sequence[int]) -> Tensor:
        return _ops.broadcast_to(self, shape)

    @torch_spellings
    def flip(self, axis: Any = None) -> Tensor:
        return _ops.flip(self, axis)

    def matmul(self, other: Any) -> Tensor:
        return _ops.matmul(self, other)

    def dot(self, other: Any) -> Tensor:
        return _ops.dot(self, other)

    # --- elementwise maths (issue 13) ---

    def __floordiv__(self, other: Any) -> Tensor:
        return _ops.floor_divide(self, other)

    def __rfloordiv__(self, other: Any) -> Tensor:
        return _ops.floor_divide(other, self)

    def __mod__(self, other: Any) -> Tensor:
        return _ops.remainder(self, other)

    def __rmod__(self, other: Any) -> Tensor:
        return _ops.remainder(other, self)

    def __ifloordiv__(self, other: Any) -> Tensor:
        """``x //= y`` in place, as in PyTorch; the rules of ``__iadd__``."""
        return self._arithmetic_in_place("//=", np.floor_divide, _ops.floor_divide, other)

    def __imod__(self, other: Any) -> Tensor:
        """``x %= y`` in place, as in PyTorch; the rules of ``__iadd__``."""
        return self._arithmetic_in_place("%=", np.remainder, _ops.remainder, other)

    def tan(self) -> Tensor:
        return _ops.tan(self)

    def sinh(self) -> Tensor:
        return _ops.sinh(self)

    def cosh(self) -> Tensor:
        return _ops.cosh(self)

    def arcsin(self) -> Tensor:
        return _ops.arcsin(self)

    def arccos(self) -> Tensor:
        return _ops.arccos(self)

    def arctan(self) -> Tensor:
        return _ops.arctan(self)

    def arctan2(self, other: Any) -> Tensor:
        return _ops.arctan2(self, other)

    def arcsinh(self) -> Tensor:
        return _ops.arcsinh(self)

    def arccosh(self) -> Tensor:
        return _ops.arccosh(self)

    def arctanh(self) -> Tensor:
        return _ops.arctanh(self)

    # PyTorch's names for the inverse functions: the same methods.
    asin, acos, atan, atan2 = arcsin, arccos, arctan, arctan2
    asinh, acosh, atanh = arcsinh, arccosh, arctanh

    def hypot(self, other: Any) -> Tensor:
        return _ops.hypot(self, other)

    def sinc(self) -> Tensor:
        return _ops.sinc(self)

    def deg2rad(self) -> Tensor:
        return _ops.deg2rad(self)

    def rad2deg(self) -> Tensor:
        return _ops.rad2deg(self)

    def exp2(self) -> Tensor:
        return _ops.exp2(self)

    def expm1(self) -> Tensor:
        return _ops.expm1(self)

    def log2(self) -> Tensor:
        return _ops.log2(self)

    def log10(self) -> Tensor:
        return _ops.log10(self)

    def logaddexp(self, other: Any) -> Tensor:
        return _ops.logaddexp(self, other)

    def logaddexp2(self, other: Any) -> Tensor:
        return _ops.logaddexp2(self, other)

    def reciprocal(self) -> Tensor:
        return _ops.reciprocal(self)

    def rsqrt(self) -> Tensor:
        return _ops.rsqrt(self)

    def erf(self) -> Tensor:
        return _ops.erf(self)

    def erfc(self) -> Tensor:
        return _ops.erfc(self)

    def floor(self) -> Tensor:
        return _ops.floor(self)

    def ceil(self) -> Tensor:
        return _ops.ceil(self)

    def round(self, decimals: int = 0) -> Tensor:
        return _ops.round(self, decimals)

    def trunc(self) -> Tensor:
        return _ops.trunc(self)

    def floor_divide(self, other: Any) -> Tensor:
        return _ops.floor_divide(self, other)

    def remainder(self, other: Any) -> Tensor:
        return _ops.remainder(self, other)

    def fmod(self, other: Any) -> Tensor:
        return _ops.fmod(self, other)

    def fmax(self, other: Any) -> Tensor:
        return _ops.fmax(self, other)

    def fmin(self, other: Any) -> Tensor:
        return _ops.fmin(self, other)

    def nan_to_num(self, nan: float = 0.0, posinf: float | None = None,
                   neginf: float | None = None) -> Tensor:
        return _ops.nan_to_num(self, nan, posinf, neginf)

    # --- linear algebra (issue 13) ---
    def mm(self, other: Any) -> Tensor:
        return _ops.mm(self, other)

    def bmm(self, other: Any) -> Tensor:
        return _ops.bmm(self, other)

    def mv(self, other: Any) -> Tensor:
        return _ops.mv(self, other)

    def inverse(self) -> Tensor:
        """PyTorch's name for ``ag.linalg.inv(self)``."""
        return _ops.decompositions.inv(self)

    def det(self) -> Tensor:
        """``ag.linalg.det(self)``."""
        return _ops.decompositions.det(self)

    def slogdet(self) -> tuple[Tensor, Tensor]:
        """``ag.linalg.slogdet(self)``: the named tuple (sign, logabsdet)."""
        return _ops.decompositions.slogdet(self)

    def matrix_power(self, n: int) -> Tensor:
        """``ag.linalg.matrix_power(self, n)``."""
        return _ops.decompositions.matrix_power(self, n)

    def norm(self, p: Any = "fro", dim: Any = None, keepdim: bool = False) -> Tensor:
        """``torch.Tensor.norm``: a number ``p`` is a vector norm over ``dim`` (None: all
        elements), 'fro' the 2-norm of those elements, 'nuc' the nuclear norm over two dims.
        See ``autograd_lite.ops.norms.tensor_norm``."""
        return _ops.norms.tensor_norm(self, p, dim, keepdim)

    # --- arrays (issue 13) ---
    # PyTorch's spellings and argument names (dim, index): the methods a PyTorch user calls.

    def gather(self, dim: int, index: Any) -> Tensor:
        return _ops.gather(self, dim, index)

    def scatter(self, dim: int, index: Any, src: Any = None, *, value: Any = None) -> Tensor:
        """Out of place, as PyTorch's ``Tensor.scatter`` (see ``ag.scatter``)."""
        return _ops.scatter(self, dim, index, src, value=value)

    def scatter_add(self, dim: int, index: Any, src: Any) -> Tensor:
        """Out of place, as PyTorch's ``Tensor.scatter_add`` (see ``ag.scatter_add``)."""
        return _ops.scatter_add(self, dim, index, src)

    def take_along_dim(self, indices: Any, dim: int | None = None) -> Tensor:
        """PyTorch's name for ``ag.take_along_axis`` (``dim=None``: the flattened tensor)."""
        return _ops.take_along_axis(self, indices, dim)

    def index_select(self, dim: int, index: Any) -> Tensor:
        return _ops.index_select(self, dim, index)

    def masked_select(self, mask: Any) -> Tensor:
        return _ops.masked_select(self, mask)

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:
        """``(values, indices)`` of the k largest along ``dim``, as PyTorch (``ag.topk``)."""
        return _ops.topk(self, k, dim, largest, sorted)

    def sort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:
        """``(values, indices)`` sorted along ``dim``, as PyTorch's ``Tensor.sort`` (unlike
        ``ag.sort``, which gives NumPy's values only)."""
        return _ops.indexing.sort_with_indices(self, dim, descending, stable)

    def argsort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
        return _ops.argsort(self, dim, descending=descending, stable=stable)

    def cumsum(self, dim: int) -> Tensor:
        return _ops.cumsum(self, dim)

    def cumprod(self, dim: int) -> Tensor:
        return _ops.cumprod(self, dim)

    def cummax(self, dim: int) -> Any:
        return _ops.cummax(self, dim)

    def cummin(self, dim: int) -> Any:
        return _ops.cummin(self, dim)

    def repeat(self, *sizes: Any) -> Tensor:
        """PyTorch's ``Tensor.repeat``: tile the whole tensor ``sizes`` times along each axis
        (NumPy's ``tile``; NumPy's ``repeat`` is ``repeat_interleave``). ``sizes`` needs at
        least one entry per dimension, as in PyTorch."""
        reps = sizes
        if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
            reps = tuple(sizes[0])
        if len(reps) < self.ndim:
            raise ValueError(f"repeat: {len(reps)} sizes {reps} for a tensor of shape "
                             f"{self.shape}; give one per dimension (at least {self.ndim})")
        return _ops.tile(self, reps)

    def repeat_interleave(self, repeats: Any, dim: int | None = None) -> Tensor:
        """Repeat each element ``repeats`` times along ``dim`` (NumPy's ``repeat``)."""
        return _ops.repeat(self, repeats, dim)

    def diagonal(self, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
        return _ops.diagonal(self, offset, dim1, dim2)

    def trace(self) -> Tensor:
        return _ops.trace(self)

    def tril(self, k: int = 0) -> Tensor:
        return _ops.tril(self, k)

    def triu(self, k: int = 0) -> Tensor:
        return _ops.triu(self, k)

    def roll(self, shifts: Any, dims: Any = None) -> Tensor:
        return _ops.roll(self, shifts, dims)

    def nonzero(self, *, as_tuple: bool = False) -> Any:
        """PyTorch's ``Tensor.nonzero``: an (n, ndim) int64 tensor of indices
        (``ag.argwhere``); ``as_tuple=True`` gives NumPy's tuple (``ag.nonzero``)."""
        return _ops.nonzero(self) if as_tuple else _ops.argwhere(self)

    # --- PyTorch spellings (issue 13) ---
    # Defined last in the class body: the methods float, int and bool shadow the builtins for
    # the class-level code after them.

    def view(self, *shape: Any) -> Tensor:
        """PyTorch's ``view``: ``reshape`` (``x.view(2, -1)``, ``x.view((2, 3))``). NumPy decides
        whether the result shares memory; writes go through a tensor's own in-place methods."""
        return self.reshape(*shape)

    def clone(self) -> Tensor:
        return _ops.clone(self)

    def numel(self) -> int:
        """The number of elements (PyTorch's ``numel()``; also ``x.size``)."""
        return self._data.size

    def dim(self) -> int:
        """The number of dimensions (PyTorch's ``dim()``; also ``x.ndim``)."""
        return self._data.ndim

    def t(self) -> Tensor:
        """The transpose of a matrix, as PyTorch's ``t()``; 0-d and 1-d tensors are returned as
        they are. ValueError for more than 2 dimensions."""
        return _ops.torch_names.matrix_transpose(self)

    def _as_dtype(self, dtype: type) -> Tensor:
        """``astype(dtype)``, or self when it already has that dtype (as PyTorch's ``float()``)."""
        return self if self._data.dtype == dtype else _ops.astype(self, dtype)

    def float(self) -> Tensor:
        """As float32 (self if it is float32); differentiable from other floats."""
        return self._as_dtype(np.float32)

    def double(self) -> Tensor:
        """As float64 (self if it is float64); differentiable from other floats."""
        return self._as_dtype(np.float64)

    def long(self) -> Tensor:
        """As int64, truncating towards zero (indices and class targets); no gradient."""
        return self._as_dtype(np.int64)

    def int(self) -> Tensor:
        """As int32, truncating towards zero; no gradient."""
        return self._as_dtype(np.int32)

    def bool(self) -> Tensor:
        """As bool (nonzero is True); no gradient."""
        return self._as_dtype(np.bool_)

    def pow(self, exponent: Any) -> Tensor:
        return _ops.pow(self, exponent)

    def square(self) -> Tensor:
        return _ops.square(self)

    def neg(self) -> Tensor:
        return _ops.neg(self)

    def clamp(self, min: float | None = None, max: float | None = None) -> Tensor:
        return _ops.clamp(self, min, max)

    def masked_fill(self, mask: Any, value: Any) -> Tensor:
        return _ops.masked_fill(self, mask, value)

    def where(self, condition: Any, other: Any) -> Tensor:
        """PyTorch's ``x.where(condition, other)``: ``ag.where(condition, x, other)``."""
        return _ops.where(condition, self, other)

    @torch_spellings
    def any(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return _ops.any(self, axis, keepdims)

    @torch_spellings
    def all(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return _ops.all(self, axis, keepdims)

    @torch_spellings
    def softmax(self, axis: int = -1) -> Tensor:
        return _ops.softmax(self, axis)

    @torch_spellings
    def log_softmax(self, axis: int = -1) -> Tensor:
        return _ops.log_softmax(self, axis)

    def expand(self, *sizes: Any) -> Tensor:
        """PyTorch's ``expand``: ``broadcast_to`` where -1 keeps an axis's size
        (``x.expand(-1, 4)``, ``x.expand((2, 3, 4))``)."""
        return _ops.torch_names.expand(self, _sizes_of(sizes, "Tensor.expand"))

    def expand_as(self, other: Any) -> Tensor:
        """``broadcast_to(other.shape)``."""
        return _ops.broadcast_to(self, other.shape)

    @torch_spellings
    def chunk(self, chunks: int, axis: int = 0) -> tuple[Tensor, ...]:
        return _ops.chunk(self, chunks, axis)

    @torch_spellings
    def split(self, split_size_or_sections: Any, axis: int = 0) -> tuple[Tensor, ...]:
        """PyTorch's ``split``: pieces of ``split_size`` (the last smaller) or of the listed sizes
        (``x.split([2, 3], dim=1)``). NumPy's sections or cut indices are ``ag.split``."""
        return _ops.torch_names.split_by_size(self, split_size_or_sections, axis)

    def ravel(self) -> Tensor:
        return _ops.ravel(self)

    @torch_spellings
    def unbind(self, axis: int = 0) -> tuple[Tensor, ...]:
        return _ops.unbind(self, axis)

    def __invert__(self) -> Tensor:
        """``~mask``: logical not of a bool tensor, bitwise not of an integer one."""
        return _ops.bitwise_not(self)


class Size(int):
    """``Tensor.size``: the number of elements, an int (NumPy's ``ndarray.size``), that can be
    called as PyTorch's ``size()``, which gives the shape, and ``size(dim)``, one axis's length.
    IndexError for an axis out of range."""

    def __new__(cls, size: int, shape: tuple[int, ...]) -> Size:
        instance = int.__new__(cls, size)
        instance.shape = shape
        return instance

    def __reduce__(self) -> tuple:
        return Size, (int(self), self.shape)

    def __call__(self, dim: int | None = None) -> Any:
        if dim is None:
            return self.shape
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or not (
                -len(self.shape) <= dim < len(self.shape)):
            raise IndexError(f"Tensor.size: dim {dim!r} is out of range for a tensor with "
                             f"{len(self.shape)} dimensions (shape {self.shape})")
        return self.shape[dim]


def _sizes_of(sizes: tuple, where: str) -> tuple[int, ...]:
    """Accept ``f(2, 3)`` and ``f((2, 3))`` (sizes may be -1); TypeError naming ``where``."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    if not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in sizes):
        raise TypeError(f"{where}: sizes must be integers, got {sizes!r}")
    return tuple(int(s) for s in sizes)


def _writer(name: str) -> str:
    """How an in-place change is described in backward's errors: ``+= (in place)``,
    ``Tensor.add_``."""
    return f"{name} (in place)" if name.endswith("=") else f"Tensor.{name}"


class _HookHandle:
    """Returned by ``register_hook``; ``remove()`` unregisters the hook."""

    def __init__(self, hooks: list, hook: Callable) -> None:
        self._hooks = hooks
        self._hook = hook

    def remove(self) -> None:
        """Unregister the hook (a no-op if it is already gone)."""
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


# --- factories -----------------------------------------------------------------------------


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False,
           name: str | None = None) -> Tensor:
    """Make a tensor from numbers, nested lists or an array.

    Python numbers become the default float dtype (float32), NumPy arrays keep their dtype,
    ``dtype`` overrides both. ``requires_grad=True`` needs a float dtype (TypeError otherwise).
    The data is copied, as ``torch.tensor`` does, so in-place updates of the tensor (an
    optimizer step) never change the caller's array. Raises ValueError for ragged lists.
    Example: ``ag.tensor([[1, 2], [3, 4]], requires_grad=True)``.
    """
    if isinstance(data, Tensor):
        if STATE.tracer is not None:  # inside ag.compile: the copy is a step of the program
            return STATE.tracer.copy_of(data, dtype, requires_grad, name)
        data = data._data
    if isinstance(data, np.ndarray):
        data = data.copy()
    return Tensor(data, dtype=dtype, requires_grad=requires_grad, name=name)


def as_input(x: Any, where: str) -> Tensor:
    """Return ``x`` if it is a Tensor, else a constant tensor of it (``as_inputs`` for one
    operand: lists and numbers become the default float dtype, arrays keep theirs); errors
    name ``where``."""
    return x if isinstance(x, Tensor) else as_inputs((x,), where)[0]


def as_inputs(operands: Sequence[Any], where: str) -> list[Tensor]:
    """The operands of one op as tensors, converted by the dtype rule (README, "Dtypes").

    Tensors stay as they are. Everything else is a constant that takes the float dtype of the
    float tensors among ``operands`` (so ``ag.matmul(float32_tensor, float64_array)`` is
    float32); without a float tensor, lists and numbers become the default float dtype and
    NumPy arrays keep theirs, as ``ag.tensor`` makes them. Errors name ``where``.
    """
    if all(isinstance(x, Tensor) for x in operands):
        return list(operands)
    dtype = _primitive.float_dtype_of(operands)
    return [x if isinstance(x, Tensor) else Tensor._from_op(
        _primitive.as_constant(x, where, dtype, wrap_numbers=True)) for x in operands]


def _shape_of(shape: tuple, where: str) -> tuple[int, ...]:
    """Accept ``f(2, 3)`` and ``f((2, 3))``; reject negative or non-integer sizes."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    for size in shape:
        if not isinstance(size, (int, np.integer)) or isinstance(size, bool):
            raise TypeError(f"{where}: sizes must be integers, got {shape!r}")
        if size < 0:
            raise ValueError(f"{where}: sizes must be non-negative, got {shape!r}")
    return tuple(int(size) for size in shape)


def _float_dtype(dtype: Any) -> np.dtype:
    return _default_dtype if dtype is None else np.dtype(dtype)


def zeros(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    return Tensor(np.zeros(_shape_of(shape, "zeros"), _float_dtype(dtype)),
                  requires_grad=requires_grad)


def ones(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones: ``ones(2, 3)`` or ``ones((2, 3))``."""
    return Tensor(np.ones(_shape_of(shape, "ones"), _float_dtype(dtype)),
                  requires_grad=requires_grad)


def full(shape: Any, fill_value: float, dtype: Any = None, requires_grad: bool = False
         ) -> Tensor:
    """A tensor of ``shape`` filled with ``fill_value``."""
    shape = _shape_of((shape,) if isinstance(shape, int) else tuple(shape), "full")
    return Tensor(np.full(shape, fill_value, _float_dtype(dtype)), requires_grad=requires_grad)


def zeros_like(other: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros with the shape (and, unless given, the dtype) of ``other``."""
    return Tensor(np.zeros_like(np.asarray(other), dtype=dtype), requires_grad=requires_grad)


def ones_like(other: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones with the shape (and, unless given, the dtype) of ``other``."""
    return Tensor(np.ones_like(np.asarray(other), dtype=dtype), requires_grad=requires_grad)


def arange(start: float, stop: float | None = None, step: float = 1, dtype: Any = None,
           requires_grad: bool = False) -> Tensor:
    """Evenly spaced values in [start, stop) like ``np.arange``; ints stay int64 by default."""
    values = np.arange(start, stop, step) if stop is not None else np.arange(start)
    if dtype is None and values.dtype.kind == "f":
        dtype = _default_dtype
    return Tensor(values, dtype=dtype, requires_grad=requires_grad)


def linspace(start: float, stop: float, num: int = 50, dtype: Any = None,
             requires_grad: bool = False) -> Tensor:
    """``num`` evenly spaced values from ``start`` to ``stop`` inclusive."""
    return Tensor(np.linspace(start, stop, num, dtype=_float_dtype(dtype)),
                  requires_grad=requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """An ``n x m`` identity matrix (square when ``m`` is omitted)."""
    return Tensor(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad=requires_grad)


def rand(*shape: Any, dtype: Any = None, requires_grad: bool = False,
         generator: np.random.Generator | None = None) -> Tensor:
    """Uniform samples in [0, 1), drawn in float64 from ``generator`` (default:
    ``default_generator()``, which ``manual_seed`` reseeds), stored in ``dtype``."""
    values = resolve_generator(generator, "rand").random(_shape_of(shape, "rand"))
    return Tensor(values.astype(_float_dtype(dtype)), requires_grad=requires_grad)


def randn(*shape: Any, dtype: Any = None, requires_grad: bool = False,
          generator: np.random.Generator | None = None) -> Tensor:
    """Standard normal samples, drawn in float64 from ``generator`` (default:
    ``default_generator()``, which ``manual_seed`` reseeds), stored in ``dtype``."""
    values = resolve_generator(generator, "randn").standard_normal(_shape_of(shape, "randn"))
    return Tensor(values.astype(_float_dtype(dtype)), requires_grad=requires_grad)



# --- PyTorch spellings (issue 13) ---


def empty(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """PyTorch's ``empty``: ``empty(2, 3)`` or ``empty((2, 3))``. Here it is zeros (NumPy's
    uninitialised memory would make runs irreproducible), so never rely on its values."""
    return Tensor(np.zeros(_shape_of(shape, "empty"), _float_dtype(dtype)),
                  requires_grad=requires_grad)


def full_like(other: Any, fill_value: float, dtype: Any = None, requires_grad: bool = False
              ) -> Tensor:
    """``fill_value`` with the shape (and, unless given, the dtype) of ``other``; an integer
    dtype truncates the value, as PyTorch's ``full_like``."""
    return Tensor(np.full_like(np.asarray(other), fill_value, dtype=dtype),
                  requires_grad=requires_grad)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing ``array``'s memory and dtype, as ``torch.from_numpy``.

    Writes through the tensor (``t += 1``, ``t[0] = 5``, an optimizer step) change the array,
    and go through the in-place rules (the version counter, the refusal on leaves that require
    grad); writes made to the array directly bypass them, so do not change it while a graph
    that saved it is alive. ``ag.tensor(array)`` copies instead. TypeError for anything but a
    NumPy array of numbers (a list: use ``ag.tensor``).
    """
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a NumPy array, got {type(array).__name__}; "
                        f"use ag.tensor(data) for lists and numbers")
    return Tensor(_to_array(array, None, "from_numpy"))
