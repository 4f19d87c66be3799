"""NumPy's dispatch protocols for Tensor: ``np.exp(t)`` or ``np.sum(t)`` runs the autograd_lite op.

NumPy hands a call with a Tensor argument to ``Tensor.__array_ufunc__`` (ufuncs: ``np.exp``,
``np.add``, and ``ndarray * Tensor``) or ``Tensor.__array_function__`` (``np.sum``,
``np.concatenate``, ...). Both look the NumPy callable up in one table (``UFUNCS``,
``FUNCTIONS``) that names the op computing it, run that op so the graph is kept, and translate
NumPy's keywords: ``dtype=`` converts the inputs first, ``out=`` an ndarray computes on the plain
arrays (so ``ndarray -= Tensor`` stays an in-place array update), ``out=`` a Tensor writes through
``Tensor.copy_`` (the in-place rules apply); a keyword the op cannot honour raises a TypeError.

A NumPy callable with no op runs on the plain arrays and returns NumPy's result, as it does for
PyTorch's tensors (so matplotlib, ``np.isnan`` or ``np.round`` work on data), unless a tensor
argument requires grad: the graph would be dropped silently, so that raises a TypeError naming
the op to use or ``.detach().numpy()``. Functions that only inspect values (``np.shape``,
``np.allclose``, ``INSPECTORS``) run on the arrays in any case.

Tensor's own operators call the ops directly and never come here.
"""

from __future__ import annotations

import functools
import inspect
import numbers
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from . import ops
from .grad_mode import no_grad
from .tensor import Tensor

# --- the tables --------------------------------------------------------------------------------

UFUNCS: dict[np.ufunc, Callable[..., Tensor]] = {
    np.add: ops.add, np.subtract: ops.sub, np.multiply: ops.mul, np.divide: ops.div,
    np.power: ops.pow, np.negative: ops.neg, np.square: ops.square, np.absolute: ops.abs,
    np.exp: ops.exp, np.log: ops.log, np.log1p: ops.log1p, np.sqrt: ops.sqrt, np.sin: ops.sin,
    np.cos: ops.cos, np.tanh: ops.tanh, np.sign: ops.sign, np.maximum: ops.maximum,
    np.minimum: ops.minimum, np.equal: ops.eq, np.not_equal: ops.ne, np.less: ops.lt,
    np.less_equal: ops.le, np.greater: ops.gt, np.greater_equal: ops.ge,
    np.isfinite: ops.isfinite, np.matmul: ops.matmul,
    # elementwise maths (issue 13); np.asin and friends are the same ufuncs as np.arcsin, ...
    np.tan: ops.tan, np.arcsin: ops.arcsin, np.arccos: ops.arccos, np.arctan: ops.arctan,
    np.arctan2: ops.arctan2, np.hypot: ops.hypot, np.sinh: ops.sinh, np.cosh: ops.cosh,
    np.arcsinh: ops.arcsinh, np.arccosh: ops.arccosh, np.arctanh: ops.arctanh,
    np.deg2rad: ops.deg2rad, np.radians: ops.deg2rad, np.rad2deg: ops.rad2deg,
    np.degrees: ops.rad2deg, np.exp2: ops.exp2, np.expm1: ops.expm1, np.log2: ops.log2,
    np.log10: ops.log10, np.logaddexp: ops.logaddexp, np.logaddexp2: ops.logaddexp2,
    np.reciprocal: ops.reciprocal, np.floor: ops.floor, np.ceil: ops.ceil, np.trunc: ops.trunc,
    np.rint: ops.round, np.floor_divide: ops.floor_divide, np.remainder: ops.remainder,
    np.fmod: ops.fmod, np.fmax: ops.fmax, np.fmin: ops.fmin,
}


class Translation(NamedTuple):
    """How a NumPy function maps onto an op: the op and NumPy parameter -> op parameter.

    The first parameter named holds the tensor(s) that ``dtype=`` converts. NumPy parameters
    not named must keep their default value (a TypeError says so otherwise).
    """

    op: Callable[..., Any]
    parameters: dict[str, str]


_REDUCTION = {"a": "x", "axis": "axis", "keepdims": "keepdims"}
_SPREAD = {**_REDUCTION, "ddof": "ddof", "correction": "ddof"}

FUNCTIONS: dict[Callable, Translation] = {
    np.sum: Translation(ops.sum, _REDUCTION),
    np.mean: Translation(ops.mean, _REDUCTION),
    np.max: Translation(ops.max, _REDUCTION),
    np.min: Translation(ops.min, _REDUCTION),
    np.prod: Translation(ops.prod, _REDUCTION),
    np.var: Translation(ops.var, _SPREAD),
    np.std: Translation(ops.std, _SPREAD),
    np.argmax: Translation(ops.argmax, _REDUCTION),
    np.argmin: Translation(ops.argmin, _REDUCTION),
    np.clip: Translation(ops.clip, {"a": "x", "a_min": "min", "a_max": "max", "min": "min",
                                    "max": "max"}),
    np.where: Translation(ops.where, {"condition": "condition", "x": "x", "y": "y"}),
    np.dot: Translation(ops.dot, {"a": "a", "b": "b"}),
    np.outer: Translation(ops.outer, {"a": "a", "b": "b"}),
    np.reshape: Translation(ops.reshape, {"a": "x", "shape": "shape", "newshape": "shape"}),
    np.transpose: Translation(ops.transpose, {"a": "x", "axes": "axes"}),
    np.swapaxes: Translation(ops.swapaxes, {"a": "x", "axis1": "axis1", "axis2": "axis2"}),
    np.squeeze: Translation(ops.squeeze, {"a": "x", "axis": "axis"}),
    np.expand_dims: Translation(ops.expand_dims, {"a": "x", "axis": "axis"}),
    np.broadcast_to: Translation(ops.broadcast_to, {"array": "x", "shape": "shape"}),
    np.flip: Translation(ops.flip, {"m": "x", "axis": "axis"}),
    np.concatenate: Translation(ops.concatenate, {"arrays": "tensors", "axis": "axis"}),
    np.stack: Translation(ops.stack, {"arrays": "tensors", "axis": "axis"}),
    np.split: Translation(ops.split, {"ary": "x", "indices_or_sections": "indices_or_sections",
                                      "axis": "axis"}),
    np.pad: Translation(ops.pad, {"array": "x", "pad_width": "pad_width",
                                  "constant_values": "value"}),
    # elementwise maths (issue 13)
    np.round: Translation(ops.round, {"a": "x", "decimals": "decimals"}),
    np.around: Translation(ops.round, {"a": "x", "decimals": "decimals"}),
    np.sinc: Translation(ops.sinc, {"x": "x"}),
    np.nan_to_num: Translation(ops.nan_to_num, {"x": "x", "nan": "nan", "posinf": "posinf",
                                                "neginf": "neginf"}),
    # --- linear algebra (issue 13); np.linalg.svd is not here: its default full_matrices=True
    # has no gradient, so it takes the hint below.
    **{getattr(np.linalg, name): Translation(getattr(ops.decompositions, name), {"a": "a"})
       for name in ("inv", "det", "slogdet")},
    np.linalg.pinv: Translation(ops.decompositions.pinv, {"a": "a", "rcond": "rcond",
                                                          "hermitian": "hermitian"}),
    np.linalg.svdvals: Translation(ops.decompositions.svdvals, {"x": "a"}),
    np.linalg.solve: Translation(ops.decompositions.solve, {"a": "a", "b": "b"}),
    np.linalg.cholesky: Translation(ops.decompositions.cholesky, {"a": "a", "upper": "upper"}),
    np.linalg.eigh: Translation(ops.decompositions.eigh, {"a": "a", "UPLO": "UPLO"}),
    np.linalg.eigvalsh: Translation(ops.decompositions.eigvalsh, {"a": "a", "UPLO": "UPLO"}),
    np.linalg.qr: Translation(ops.decompositions.qr, {"a": "a", "mode": "mode"}),
    np.linalg.matrix_power: Translation(ops.decompositions.matrix_power, {"a": "a", "n": "n"}),
    np.linalg.norm: Translation(ops.norms.norm, {"x": "x", "ord": "ord", "axis": "axis",
                                                 "keepdims": "keepdims"}),
    np.linalg.vector_norm: Translation(ops.norms.vector_norm, {
        "x": "x", "ord": "ord", "axis": "axis", "keepdims": "keepdims"}),
    np.linalg.matrix_norm: Translation(ops.norms.matrix_norm, {"x": "x", "ord": "ord",
                                                               "keepdims": "keepdims"}),
    # arrays (issue 13)
    **{f: Translation(getattr(ops, f.__name__), {"a": "a", "b": "b"})
       for f in (np.inner, np.kron)},
    np.tensordot: Translation(ops.tensordot, {"a": "a", "b": "b", "axes": "axes"}),
    np.cross: Translation(ops.cross, {"a": "a", "b": "b", "axis": "axis"}),
    **{f: Translation(getattr(ops, f.__name__), {"a": "x", "offset": "offset", "axis1": "axis1",
                                                 "axis2": "axis2"})
       for f in (np.trace, np.diagonal)},
    np.diag: Translation(ops.diag, {"v": "v", "k": "k"}),
    **{f: Translation(getattr(ops, f.__name__), {"m": "x", "k": "k"}) for f in (np.tril, np.triu)},
    np.roll: Translation(ops.roll, {"a": "x", "shift": "shift", "axis": "axis"}),
    np.tile: Translation(ops.tile, {"A": "x", "reps": "reps"}),
    np.repeat: Translation(ops.repeat, {"a": "x", "repeats": "repeats", "axis": "axis"}),
    np.rot90: Translation(ops.rot90, {"m": "x", "k": "k", "axes": "axes"}),
    **{f: Translation(getattr(ops, f.__name__), {"tup": "tensors"})
       for f in (np.hstack, np.vstack, np.dstack, np.column_stack)},
    np.append: Translation(ops.append, {"arr": "x", "values": "values", "axis": "axis"}),
    **{f: Translation(getattr(ops, f.__name__), {"a": "x", "axis": "axis"})
       for f in (np.cumsum, np.cumprod)},
    np.diff: Translation(ops.diff, {"a": "x", "n": "n", "axis": "axis", "prepend": "prepend",
                                    "append": "append"}),
    np.take: Translation(ops.take, {"a": "x", "indices": "indices", "axis": "axis"}),
    np.take_along_axis: Translation(ops.take_along_axis, {"arr": "x", "indices": "indices",
                                                          "axis": "axis"}),
    **{f: Translation(getattr(ops, f.__name__), {"a": "x", "axis": "axis", "kind": "kind",
                                                 "stable": "stable"})
       for f in (np.sort, np.argsort)},
    **{f: Translation(getattr(ops, f.__name__), {"a": "x"}) for f in (np.nonzero, np.argwhere)},
}

# Functions that only look at the values (no tensor result, so no graph to keep).
INSPECTORS = frozenset({np.shape, np.ndim, np.size, np.allclose, np.isclose, np.array_equal,
                        np.array_equiv, np.result_type})

# What to write instead of a NumPy callable that has no op of its own.
HINTS: dict[Any, str] = {
    np.isnan: "t != t", np.ravel: "t.reshape(-1)",
    np.moveaxis: "t.permute(...)", np.average: "ag.mean(t, axis)",
    np.einsum: "ag.einsum", np.meshgrid: "ag.meshgrid(x, y, indexing='xy')",  # arrays (issue 13)
    np.cbrt: "ag.sign(t) * ag.abs(t) ** (1 / 3)",
    np.linalg.svd: "ag.linalg.svd(t, full_matrices=False)",  # linear algebra (issue 13)
    np.linalg.eig: "ag.linalg.eigh for symmetric matrices",
}

_REDUCING_UFUNCS = {np.add: "sum", np.multiply: "prod", np.maximum: "max", np.minimum: "min"}
# Ufunc keywords that ops accept only at NumPy's default value.
_UFUNC_DEFAULTS = {"where": True, "casting": "same_kind", "order": "K", "subok": True,
                   "signature": None}
_HANDLED = (Tensor, np.ndarray, np.generic, numbers.Number, list, tuple)


# --- the protocols ----------------------------------------------------------------------------


def array_ufunc(ufunc: np.ufunc, method: str, inputs: tuple, kwargs: dict[str, Any]) -> Any:
    """``Tensor.__array_ufunc__``: run the op of ``ufunc`` on the inputs (see the module doc).

    Raises TypeError when a tensor that requires grad meets a ufunc without an op, a ufunc
    method other than a call (``np.add.reduce``), or a keyword the op cannot honour.
    """
    out = kwargs.pop("out", None)
    if not all(isinstance(x, _HANDLED) for x in inputs + (out or ())):
        return NotImplemented
    on_arrays = functools.partial(getattr(ufunc, method), *_arrays(inputs), **kwargs)
    if out is not None and not any(isinstance(o, Tensor) for o in out):
        return on_arrays(out=out)
    name = f"np.{ufunc.__name__}"
    op = UFUNCS.get(ufunc) if method == "__call__" else None
    if op is None:
        reduction = _REDUCING_UFUNCS.get(ufunc) if method == "reduce" else None
        hint = f"ag.{reduction}(t, axis)" if reduction else HINTS.get(ufunc)
        problem = _unsupported(name if method == "__call__" else f"{name}.{method}", hint)
    else:
        problem = next((_refused(name, key, value, op) for key, value in kwargs.items()
                        if key != "dtype" and (key not in _UFUNC_DEFAULTS
                                               or not _same(value, _UFUNC_DEFAULTS[key]))),
                       None)
    if problem is not None:
        return _on_arrays_unless_grad(problem, inputs, name, out, on_arrays)
    dtype = kwargs.get("dtype")
    if dtype is not None:
        inputs = tuple(_converted(x, dtype) for x in inputs)
    return _compute(name, out, lambda: op(*inputs))


def array_function(func: Callable, types: Any, args: tuple, kwargs: dict[str, Any]) -> Any:
    """``Tensor.__array_function__``: run the op of ``func`` (see the module doc).

    Raises TypeError when a tensor that requires grad meets a function without an op, a
    keyword the op cannot honour, or a form the op lacks (``np.where(condition)`` alone).
    """
    if not all(issubclass(kind, (Tensor, np.ndarray)) for kind in types):
        return NotImplemented
    on_arrays = functools.partial(func, *_arrays(args), **_arrays(kwargs))
    if func in INSPECTORS:
        return on_arrays()
    name = (func.__module__ or "numpy").replace("numpy", "np", 1) + "." + func.__name__
    translation = FUNCTIONS.get(func)
    if translation is None:
        return _on_arrays_unless_grad(_unsupported(name, HINTS.get(func)), (args, kwargs),
                                      name, None, on_arrays)
    given, defaults = _bind(func, args, kwargs)
    out = given.pop("out", None)
    if out is not None and not isinstance(out, Tensor):
        return on_arrays()
    dtype = given.pop("dtype", None)
    arguments, problem = {}, None
    for key, value in given.items():
        if key in translation.parameters:
            arguments[translation.parameters[key]] = value
        elif not (_same(value, defaults.get(key)) or (key == "where" and _same(value, True))):
            problem = problem or _refused(name, key, value, translation.op)
    missing = [p for p in _required_parameters(translation.op) if p not in arguments]
    if missing and problem is None:
        problem = TypeError(f"{name}: with a tensor that requires grad this runs "
                            f"ag.{_op_name(translation.op)}, which needs {', '.join(missing)}; "
                            f"for other uses call {name} on t.detach().numpy()")
    out = None if out is None else (out,)
    if problem is not None:
        return _on_arrays_unless_grad(problem, (args, kwargs), name, out, on_arrays)
    if dtype is not None:
        data = next(iter(translation.parameters.values()))
        arguments[data] = _converted(arguments[data], dtype)
    return _compute(name, out, lambda: translation.op(**arguments))


def _on_arrays_unless_grad(problem: TypeError, arguments: Any, name: str, out: tuple | None,
                           on_arrays: Callable[[], Any]) -> Any:
    """NumPy's own result on the plain arrays, or ``problem`` raised when that would drop the
    gradient of a tensor in ``arguments``."""
    if _needs_grad(arguments):
        raise problem
    return _compute(name, out, on_arrays)


# --- helpers --------------------------------------------------------------------------------


def _arrays(value: Any) -> Any:
    """``value`` with every Tensor (also inside lists, tuples and dicts) replaced by its array."""
    if isinstance(value, Tensor):
        return value.data
    if isinstance(value, (list, tuple)):
        return type(value)(_arrays(v) for v in value)
    if isinstance(value, dict):
        return {k: _arrays(v) for k, v in value.items()}
    return value


def _needs_grad(value: Any) -> bool:
    """Whether ``value`` holds a tensor that requires grad (also inside lists, tuples, dicts)."""
    if isinstance(value, Tensor):
        return value.requires_grad
    if isinstance(value, (list, tuple)):
        return any(_needs_grad(v) for v in value)
    if isinstance(value, dict):
        return any(_needs_grad(v) for v in value.values())
    return False


def _converted(value: Any, dtype: Any) -> Any:
    """``value`` (a tensor, array, number or a list of them) converted to ``dtype``."""
    if isinstance(value, Tensor):
        return ops.astype(value, dtype)
    if isinstance(value, (list, tuple)):
        return [_converted(v, dtype) for v in value]
    return np.asarray(value, dtype=dtype)


def _compute(name: str, out: tuple | None, compute: Callable[[], Any]) -> Any:
    """Run ``compute``; with ``out=(tensor,)`` write the result into it through ``copy_``."""
    if out is None:
        return compute()
    if len(out) != 1 or not isinstance(out[0], Tensor):
        raise TypeError(f"{name}: out= must be one Tensor or ndarray, got "
                        f"{[type(o).__name__ for o in out]}")
    with no_grad():  # the result only fills ``out``; copy_ applies the in-place rules
        result = compute()
    return out[0].copy_(result)


def _same(value: Any, default: Any) -> bool:
    """Whether a keyword's value is the default (without comparing arrays elementwise)."""
    if value is default:
        return True
    return type(value) is type(default) and isinstance(value, (bool, int, float, str)) and (
        value == default)


_SIGNATURES: dict[Callable, inspect.Signature] = {}


def _signature(func: Callable) -> inspect.Signature:
    if func not in _SIGNATURES:
        _SIGNATURES[func] = inspect.signature(func)
    return _SIGNATURES[func]


def _bind(func: Callable, args: tuple, kwargs: dict[str, Any]
          ) -> tuple[dict[str, Any], dict[str, Any]]:
    """The arguments a NumPy call gave, by parameter name, and the parameters' defaults."""
    signature = _signature(func)
    name = f"np.{func.__name__}"
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError as error:
        raise TypeError(f"{name}: {error}") from None
    given = dict(bound.arguments)
    for parameter in signature.parameters.values():
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            given.update(given.pop(parameter.name, {}))
    defaults = {p.name: p.default for p in signature.parameters.values()}
    return given, defaults


def _required_parameters(op: Callable) -> list[str]:
    return [p.name for p in _signature(op).parameters.values()
            if p.default is inspect.Parameter.empty and p.kind is not p.VAR_POSITIONAL]


def _op_name(op: Callable) -> str:
    """The public name of an op: a primitive's ``name``, or a function's ``__name__``."""
    return getattr(op, "name", None) or op.__name__


def _unsupported(name: str, hint: str | None) -> TypeError:
    instead = f"use {hint}" if hint else "compute it with autograd_lite ops"
    return TypeError(f"{name}: autograd_lite has no op for it, so it would drop the gradient of "
                     f"a tensor that requires grad; {instead}, or call it on t.detach().numpy() "
                     f"for a plain array without gradient")


def _refused(name: str, key: str, value: Any, op: Callable) -> TypeError:
    return TypeError(f"{name}: {key}={value!r} would drop the gradient of a tensor that "
                     f"requires grad (ag.{_op_name(op)} has no such option); leave it out, or "
                     f"call {name} on t.detach().numpy() for a plain array without gradient")
