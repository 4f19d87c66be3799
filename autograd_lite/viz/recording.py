"""Record one step's graph so that it can still be read after ``backward()`` freed it.

What the live view (``nn.live``) needs from the engine, through the neutral observer hook that
``capture_grads`` uses: ``StepRecording`` keeps every op output of a step, with its gradient
(``retain_grad``) and its inputs, and ``restored_graph()`` gives the inputs back for the time of
a graph walk (``describe``); ``module_runs`` says which op outputs are what each module call
returned, read from the scopes that module calls record.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, NamedTuple

from ..grad_mode import observe_recorded_ops
from ..tensor import Tensor


class StepRecording:
    """Records the op outputs made in this thread between ``start()`` and ``stop()``.

    Each output retains its gradient, and its inputs are kept (``backward()`` frees them), so
    that after ``backward()`` the step's activations, their gradients and, inside
    ``restored_graph()``, its whole graph can be read. ``tensors`` lists them in creation order.
    """

    def __init__(self) -> None:
        self.tensors: list[Tensor] = []
        self._inputs: list[Any] = []
        self._stack: contextlib.ExitStack | None = None

    def _record(self, tensor: Tensor) -> None:
        tensor.retain_grad()
        self.tensors.append(tensor)
        self._inputs.append(tensor._inputs)

    def start(self) -> None:
        """Forget what was recorded and record the ops of this thread until ``stop``."""
        self.clear()
        self._stack = contextlib.ExitStack()
        self._stack.enter_context(observe_recorded_ops(self._record))

    def stop(self) -> None:
        """Stop recording; what was recorded stays in ``tensors``."""
        if self._stack is not None:
            self._stack.close()
            self._stack = None

    @property
    def recording(self) -> bool:
        """True between ``start()`` and ``stop()``."""
        return self._stack is not None

    @contextlib.contextmanager
    def restored_graph(self) -> Iterator[None]:
        """Inside the block the recorded tensors have their inputs again (``describe`` sees the
        step's whole graph after ``backward()``); afterwards they are freed as before."""
        freed = [(tensor, inputs) for tensor, inputs in zip(self.tensors, self._inputs)
                 if tensor._inputs is None]
        for tensor, inputs in freed:
            tensor._inputs = inputs
        try:
            yield
        finally:
            for tensor, _ in freed:
                tensor._inputs = None

    def clear(self) -> None:
        """Drop the references to the recorded tensors (their memory can go)."""
        self.tensors, self._inputs = [], []


class ModuleRun(NamedTuple):
    """Consecutive recorded ops of one module call: its title (``0: Linear``), the name of its
    last op, that op's output, and whether the module calls others (a container)."""

    title: str
    op: str
    output: Tensor
    calls_others: bool


def module_runs(tensors: list[Tensor]) -> list[ModuleRun]:
    """The runs of consecutive ops made inside one module call (or ``name_scope`` block) among
    ``tensors`` (a ``StepRecording``'s, in creation order); ops outside every scope are left
    out. A leaf module's run ends in its output (a Linear's ``add``, a Tanh's ``tanh``)."""
    runs: list[tuple[Any, Tensor]] = []
    for tensor in tensors:
        scope = tensor._scope
        if not scope:
            continue
        if runs and runs[-1][0] is scope:
            runs[-1] = (scope, tensor)
        else:
            runs.append((scope, tensor))
    parents = {id(scope.parent) for scope, _ in runs if scope.parent}
    result = []
    for scope, tensor in runs:
        qualified, label = scope[-1]
        title = f"{qualified}: {label}" if qualified and label else (qualified or label)
        result.append(ModuleRun(title, tensor._op.name, tensor, id(scope) in parents))
    return result
