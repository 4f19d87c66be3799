"""The logical clock: one counter orders the creation of tensors and their in-place changes.

Every tensor takes the next tick when it is made (``Tensor._seq``), so creation order is a
topological order of the graph, which ``backward`` walks in reverse. Every in-place change takes
the next tick too (``Tensor._version``, and ``last_change_in_place`` for the latest change
anywhere), so ``backward`` can tell which ops saved a value before it changed. This module
imports nothing of the package, so ``Tensor`` imports it at the top.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .tensor import Tensor

TICKS = itertools.count(1)  # next(TICKS) is a new tensor's sequence number
last_change_in_place = 0  # the tick of the latest in-place change, anywhere


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
    global last_change_in_place
    last_change_in_place = tensor._version = next(TICKS)
    tensor._changed_by = writer
    if tracing:
        _report_to_tracer(tensor, writer)


tracing = 0  # how many ag.compile traces are running, in any thread (compiler/trace.py)


def _report_to_tracer(tensor: Tensor, writer: str) -> None:
    """Tell this thread's ag.compile tracer (if any) about an in-place write it cannot replay."""
    from .grad_mode import STATE  # grad_mode imports this module; only reached while tracing

    if STATE.tracer is not None:
        STATE.tracer.changed_in_place(tensor, writer)
