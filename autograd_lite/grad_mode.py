"""What recording does in this thread: grad mode, name scopes, op observers, anomaly mode.

Every flag here is per thread (``threading.local``), so ``no_grad`` in one thread never turns
recording off in another. ``autograd_lite.primitive.apply`` reads them on every op; this module
imports nothing of the package, so every other module (``tensor`` included) can import it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .tensor import Tensor


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
    your code the op was created (the checks are in ``autograd_lite.anomaly``). Off by default;
    costs nothing when off.
    """
    previous = STATE.anomaly
    _set_state(anomaly=True)
    try:
        yield
    finally:
        _set_state(anomaly=previous)
