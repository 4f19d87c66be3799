"""Draw the computation graph: ``ag.draw_graph(loss)`` returns a ``graphviz.Digraph``.

The picture is made to teach backprop. One node per tensor (name, shape, dtype, and for small
tensors the values and gradients, micrograd-style) and one per op, data flowing from the inputs
to the output. A tensor used twice keeps both edges, and its node says that its gradient is the
sum of the contributions. Ops recorded inside a module call or an ``ag.name_scope`` block
sit in nested clusters such as ``layers.0: Linear``; ``depth=k`` folds deeper modules into one
box each. After ``backward(retain_graph=True)`` nodes and edges are coloured by log10 of the
gradient norm on the colour-blind-safe viridis scale; NaN and Inf are flagged in red.

Three steps, one module each: ``core.describe`` walks the graph once into plain nodes and edges,
``folding.fold`` groups that description by module, ``render.render`` writes Graphviz DOT.
The DOT text never needs Graphviz (``.source``, ``save_graph(out, "g.dot")``); rendering an
image needs its ``dot`` program.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..grad_mode import observe_recorded_ops
from ..tensor import Tensor
from .core import Description, Edge, Node, describe
from .folding import fold
from .recording import ModuleRun, StepRecording, module_runs
from .render import (
    RANKDIRS,
    THEMES,
    VIRIDIS,
    ZERO_GREY,
    GraphvizNotFoundError,
    render,
    svg_documents,
)

__all__ = [
    "CapturedGrads", "Description", "Edge", "GraphvizNotFoundError", "Node", "VIRIDIS",
    "ZERO_GREY", "capture_grads", "describe", "draw_graph", "fold", "render", "save_graph",
    "ModuleRun", "StepRecording", "module_runs",  # what the live view records (issue 15)
    "svg_documents",  # and how it draws several graphs with one run of dot
]

FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot"}


def draw_graph(*outputs: Tensor, params: Any = None, show_values: bool | str = "auto",
               show_grads: bool | str = "auto", depth: int | None = None, rankdir: str = "TB",
               theme: str = "light", max_nodes: int | None = None) -> Any:
    """Draw the graph that computed ``outputs`` and return it as a ``graphviz.Digraph``.

    ``params``: a module (anything with ``named_parameters()``) or a dict name -> Tensor; those
    leaves are drawn as named parameters (and fold into their module's box). Only ``params``
    makes a leaf a parameter (autograd_lite never imports nn); other leaves show
    ``Tensor.name`` or their role (leaf, input, constant).
    ``show_values``/``show_grads``: "auto" shows the values/gradients of tensors with at most 6
    elements (and a gradient norm for bigger ones), True also a min/mean/max summary of bigger
    ones, False none; shown gradients colour nodes and edges by log10 of their norm (an exactly
    zero gradient is grey). ``depth``: modules nested deeper than ``depth`` are folded into one
    box each, showing input/output shapes and parameter count (None: no folding; 0: every
    top-level module is one box). ``rankdir``: "TB", "LR", "BT" or "RL". ``theme``: "light" or
    "dark". ``max_nodes``: draw at most this many tensors (those nearest the outputs; each
    computed tensor also brings its op node) and note the cut.

    The DOT text (``.source``) is deterministic. In Jupyter the result displays inline as SVG;
    ``.render()``/``.pipe()`` need Graphviz's ``dot`` and raise GraphvizNotFoundError without it.
    Raises TypeError/ValueError for bad arguments.
    Example: ``ag.draw_graph(loss, params=model, depth=1)``.
    """
    _check_options(outputs, show_values, show_grads, depth, rankdir, theme, max_nodes)
    graph = describe(outputs, _parameter_names(params), max_nodes)
    return render(fold(graph, depth), show_values, show_grads, rankdir, theme)


def save_graph(outputs: Tensor | Sequence[Tensor], path: str | os.PathLike, **kwargs: Any
               ) -> Path:
    """Draw ``outputs`` (a tensor or a sequence of them) and write the picture to ``path``.

    The format follows the extension: .svg, .png, .pdf, or .dot/.gv (DOT text, no Graphviz
    needed). ``kwargs`` go to ``draw_graph``. Returns the path. Raises ValueError for another
    extension and GraphvizNotFoundError when an image is asked for without Graphviz installed.
    """
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"save_graph: cannot tell the format of {str(path)!r} from its "
                         f"extension; use one of {', '.join(FORMATS)}")
    outputs = (outputs,) if isinstance(outputs, Tensor) else tuple(outputs)
    graph = draw_graph(*outputs, **kwargs)
    if fmt == "dot":
        path.write_text(graph.source, encoding="utf-8")
    else:
        path.write_bytes(graph.pipe(format=fmt))
    return path


class CapturedGrads:
    """The op outputs recorded inside ``capture_grads()``; ``grads[t]`` is ``t.grad``.

    Iterating yields the tensors in creation order; ``len(grads)`` counts them.
    """

    def __init__(self) -> None:
        self.tensors: list[Tensor] = []
        self._ids: set[int] = set()

    def _record(self, tensor: Tensor) -> None:
        tensor.retain_grad()
        self.tensors.append(tensor)
        self._ids.add(id(tensor))

    def __getitem__(self, tensor: Tensor) -> Tensor | None:
        if id(tensor) not in self._ids:
            raise KeyError("capture_grads: this tensor was not computed inside the block")
        return tensor.grad

    def __contains__(self, tensor: object) -> bool:
        return id(tensor) in self._ids

    def __iter__(self) -> Iterator[Tensor]:
        return iter(self.tensors)

    def __len__(self) -> int:
        return len(self.tensors)


@contextlib.contextmanager
def capture_grads() -> Iterator[CapturedGrads]:
    """Make every intermediate tensor computed in this block keep its gradient in ``.grad``.

    Like calling ``retain_grad()`` on each op output, so that ``draw_graph`` can colour the
    whole graph by gradient norm after ``backward()``, not just the leaves. Per thread.
    Example::

        with ag.capture_grads() as grads:
            loss = model(x).sum()
        loss.backward(retain_graph=True)
        ag.draw_graph(loss, params=model)
    """
    captured = CapturedGrads()
    with observe_recorded_ops(captured._record):
        yield captured


def _check_options(outputs: Sequence[Any], show_values: Any, show_grads: Any, depth: Any,
                   rankdir: str, theme: str, max_nodes: Any) -> None:
    """Raise TypeError/ValueError naming the first bad argument of ``draw_graph``."""
    if not outputs:
        raise TypeError("draw_graph: give at least one output tensor, e.g. draw_graph(loss)")
    for index, out in enumerate(outputs):
        if not isinstance(out, Tensor):
            raise TypeError(f"draw_graph: output {index} is a {type(out).__name__}, not a "
                            f"Tensor; pass the tensors to draw as positional arguments")
    for name, value in (("show_values", show_values), ("show_grads", show_grads)):
        if value not in ("auto", True, False):
            raise ValueError(f"draw_graph: {name} must be 'auto', True or False, got {value!r}")
    for name, value, least in (("depth", depth, 0), ("max_nodes", max_nodes, 1)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                                  or value < least):
            raise ValueError(f"draw_graph: {name} must be None or an integer >= {least}, "
                             f"got {value!r}")
    if rankdir not in RANKDIRS:
        raise ValueError(f"draw_graph: rankdir must be one of {RANKDIRS}, got {rankdir!r}")
    if theme not in THEMES:
        raise ValueError(f"draw_graph: theme must be one of {tuple(THEMES)}, got {theme!r}")


def _parameter_names(params: Any) -> dict[int, str]:
    """id(tensor) -> name from a module (duck-typed: ``named_parameters()``) or a dict; the
    first name of a tensor registered twice wins."""
    if params is None:
        return {}
    if hasattr(params, "named_parameters"):
        pairs = list(params.named_parameters())
    elif isinstance(params, Mapping):
        pairs = list(params.items())
    else:
        raise TypeError(f"draw_graph: params must be a module with named_parameters() or a dict "
                        f"name -> Tensor, got {type(params).__name__}")
    names: dict[int, str] = {}
    for name, value in pairs:
        if not isinstance(value, Tensor):
            raise TypeError(f"draw_graph: params[{name!r}] is a {type(value).__name__}, not a "
                            f"Tensor")
        names.setdefault(id(value), name)
    return names
