"""PyTorch's argument names beside NumPy's: ``dim=`` for ``axis=``, ``keepdim=`` for ``keepdims=``.

autograd_lite's functions take NumPy's names (``axis``, ``keepdims``, ``ddof``, ``start_axis``,
``end_axis``). ``@torch_spellings`` on such a function makes it accept PyTorch's names for the
same arguments too, read from its signature:

    ==================  ==========================================================
    PyTorch             NumPy (the parameter the function has)
    ==================  ==========================================================
    ``dim=``            ``axis=``
    ``keepdim=``        ``keepdims=``
    ``start_dim=``      ``start_axis=``
    ``end_dim=``        ``end_axis=``
    ``correction=``     ``ddof=``
    ``unbiased=``       ``ddof=`` (True is ``ddof=1``, False ``ddof=0``)
    ==================  ==========================================================

Giving one argument under two names (``sum(x, axis=0, dim=1)``, ``sum(x, 0, dim=1)``,
``var(x, ddof=1, unbiased=True)``) raises TypeError naming the function. This module is the
one place that knows the two spellings: ops, Tensor methods and nn functions all use it, and
``tests/test_spellings.py`` fails for any public function taking ``axis=`` (or the others)
that is not decorated.

It imports nothing of the package, so ``tensor.py`` can decorate Tensor's methods with it.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

Function = TypeVar("Function", bound=Callable[..., Any])

# PyTorch's name -> NumPy's name of the same argument.
TORCH_TO_NUMPY: dict[str, str] = {
    "dim": "axis", "keepdim": "keepdims", "start_dim": "start_axis", "end_dim": "end_axis",
    "correction": "ddof", "unbiased": "ddof",
}
NUMPY_NAMES: frozenset[str] = frozenset(TORCH_TO_NUMPY.values())


def torch_spellings(function: Function | None = None, *,
                    torch_variant: Callable[..., Any] | None = None) -> Any:
    """Decorate ``function`` so that it also accepts PyTorch's names of its NumPy arguments.

    ``@torch_spellings`` or ``@torch_spellings(torch_variant=f)``: a call that uses a PyTorch
    name runs ``f`` (same parameters) instead, for functions whose PyTorch result differs in
    kind (``max(x, dim=1)`` gives PyTorch's ``(values, indices)``, ``max(x, axis=1)`` NumPy's
    values).

    ``function`` must have at least one of the parameters ``axis``, ``keepdims``, ``ddof``,
    ``start_axis``, ``end_axis`` (TypeError at decoration otherwise). The wrapper renames the
    PyTorch keywords to NumPy's before the call; a call without them costs one check. Errors
    (raised by the call): TypeError when an argument is given twice, under both names or
    positionally and by PyTorch's name, or when ``unbiased`` is not a bool.
    """
    if function is None:
        return functools.partial(torch_spellings, torch_variant=torch_variant)
    parameters = list(inspect.signature(function).parameters)
    aliases = {torch: numpy for torch, numpy in TORCH_TO_NUMPY.items() if numpy in parameters}
    name = function.__qualname__.removesuffix(".__init__")
    if not aliases:
        raise TypeError(f"torch_spellings: {name} has none of the parameters "
                        f"{sorted(NUMPY_NAMES)}, so there is nothing to alias")
    positions = {numpy: parameters.index(numpy) for numpy in aliases.values()}

    def renamed(args: tuple, kwargs: dict[str, Any]) -> dict[str, Any]:
        kwargs = dict(kwargs)
        for numpy in dict.fromkeys(aliases.values()):
            spellings = [torch for torch, target in aliases.items()
                         if target == numpy and torch in kwargs]
            if not spellings:
                continue
            given = spellings + [numpy] * (numpy in kwargs)
            if len(args) > positions[numpy]:
                given.append(f"{numpy} (positional argument {positions[numpy] + 1})")
            if len(given) > 1:
                shown = " and ".join(g if "(" in g else f"{g}=" for g in given)
                raise TypeError(f"{name}: got {shown}, which are the same argument ({numpy}, "
                                f"called {'/'.join(spellings)} in PyTorch); pass it once")
            value = kwargs.pop(spellings[0])
            if spellings[0] == "unbiased":
                if not isinstance(value, bool):
                    raise TypeError(f"{name}: unbiased must be True or False, got {value!r}; "
                                    f"for another correction pass correction=<number>")
                value = int(value)
            kwargs[numpy] = value
        return kwargs

    @functools.wraps(function)
    def accepting_torch_spellings(*args: Any, **kwargs: Any) -> Any:
        if kwargs and not aliases.keys().isdisjoint(kwargs):
            return (torch_variant or function)(*args, **renamed(args, kwargs))
        return function(*args, **kwargs)

    accepting_torch_spellings.torch_spellings = aliases  # type: ignore[attr-defined]
    accepting_torch_spellings.__doc__ = (function.__doc__ or "").rstrip() + (
        "\n\n    PyTorch's names are accepted too: " + ", ".join(
            f"``{torch}=`` for ``{numpy}=``" for torch, numpy in aliases.items()) + ".")
    return accepting_torch_spellings  # type: ignore[return-value]


def takes_numpy_axis_names(function: Callable[..., Any]) -> bool:
    """Whether ``function``'s signature has a parameter that PyTorch names differently."""
    try:
        return not NUMPY_NAMES.isdisjoint(inspect.signature(function).parameters)
    except (TypeError, ValueError):  # builtins without a signature
        return False


def accepts_torch_spellings(function: Callable[..., Any]) -> bool:
    """Whether ``function`` was decorated with ``torch_spellings``."""
    return hasattr(function, "torch_spellings")


__all__ = ["torch_spellings", "takes_numpy_axis_names", "accepts_torch_spellings",
           "TORCH_TO_NUMPY", "NUMPY_NAMES"]
