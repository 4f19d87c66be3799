"""What recording does in this thread: grad mode, name scopes, op observers, anomaly mode.

Every flag here is per thread (``threading.local``), so ``no_grad`` in one thread never turns
recording off in another. ``autograd_lite.primitive.apply`` reads them on every op; this module
imports only the clock, so every other module (``tensor`` included) can import it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from .clock import TICKS

if TYPE_CHECKING:
    from .tensor import Tensor


class Scope(tuple):
    """An open or closed name scope: its path, plus the ticks of the clock it was open between.

    As a tuple it is the path, ``(qualified name, label)`` of each enclosing scope, outermost
    first (``(("", "MLP"), ("layers.0", "Linear"))``), which is what drawings show. ``parent``
    is the enclosing scope (``()`` at the top), ``thread`` the thread that opened it, and
    every tensor made inside it by that thread has ``first < _seq < last`` (``last`` is None
    while it is open). A tensor therefore needs no tag to know its scope: drawings derive it
    from the nested intervals of the scopes they find on the graph (``autograd_lite.viz``).
    """

    parent: Scope | tuple[()]
    first: int
    last: int | None
    thread: int


class _ThreadState(threading.local):
    grad_enabled = True
    scope: Scope | tuple[()] = ()  # the innermost open scope
    named = 0  # how many ``name_scope`` blocks are open: those tag every op
    anomaly = False
    observers: tuple[Callable[[Tensor], None], ...] = ()  # see observe_recorded_ops
    tracer: Any = None  # the ag.compile tracer recording this thread's ops (compiler/trace.py)
    # True while a name_scope block, an observer, anomaly mode or a tracer is active: one read
    # on the hot path instead of four tells apply() whether it has extra work per op. Module
    # calls open scopes without setting it, so that they cost nothing per op.
    tagging = False


def _set_state(**values: Any) -> None:
    """Set fields of this thread's STATE and keep ``tagging`` in step with them."""
    for name, value in values.items():
        setattr(STATE, name, value)
    STATE.tagging = bool(STATE.named or STATE.observers or STATE.anomaly or STATE.tracer)


STATE = _ThreadState()


def open_scope(name: str, label: str) -> Scope:
    """Open the scope ``(name, label)`` inside the current one, once per call: no per-op cost.

    The engine side of ``name_scope`` and of ``ag.call_in_scope`` (what ``nn.Module`` calls
    use); every ``open_scope`` is matched by a ``close_scope`` in a ``finally``.
    """
    parent = STATE.scope
    scope = Scope(parent + ((name, label),))
    scope.parent, scope.first, scope.last = parent, next(TICKS), None
    scope.thread = threading.get_ident()
    STATE.scope = scope
    return scope


def close_scope(scope: Scope) -> None:
    """Close ``scope`` (the innermost open one): record its last tick, reopen its parent."""
    scope.last = next(TICKS)
    STATE.scope = scope.parent


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

    Scopes nest, with each other and with module calls; an op output records the path of all
    enclosing scopes, outermost first, in ``_scope`` (graph drawings group nodes by it). This
    costs a little on every op inside the block; ``nn.Module`` calls, which give their
    qualified name and class name (``("layers.0", "Linear")``), use ``ag.call_in_scope``
    instead, which costs nothing per op.
    """
    scope = open_scope(name, label)
    _set_state(named=STATE.named + 1)
    try:
        yield
    finally:
        close_scope(scope)
        _set_state(named=STATE.named - 1)


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
