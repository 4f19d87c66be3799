"""Draw the computation graph: ``ag.draw_graph(loss)`` returns a ``graphviz.Digraph``.

The picture is made to teach backprop. One node per tensor (name, shape, dtype, and for small
tensors the values and gradients, micrograd-style) and one per op, data flowing from the inputs
to the output. A tensor used twice keeps both edges, and its node says that its gradient is the
sum of the contributions. Ops recorded inside ``ag.name_scope`` (which ``nn.Module`` calls push)
sit in nested clusters such as ``layers.0: Linear``; ``depth=k`` folds deeper modules into one
box each. After ``backward(retain_graph=True)`` nodes and edges are coloured by log10 of the
gradient norm on the colour-blind-safe viridis scale; NaN and Inf are flagged in red.

The DOT text never needs Graphviz (``.source``, ``save_graph(out, "g.dot")``); rendering an
image needs its ``dot`` program. ``graphviz`` is imported lazily, so importing autograd_lite
stays fast and never needs Graphviz.
"""

from __future__ import annotations

import contextlib
import functools
import heapq
import html
import itertools
import math
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .grad_mode import observe_recorded_ops
from .tensor import Tensor

SMALL_TENSOR = 6  # tensors with at most this many elements show their values by default

# matplotlib's viridis at nine even stops: perceptually uniform and colour-blind safe.
VIRIDIS = ("#440154", "#472d7b", "#3b528b", "#2c728e", "#21918c", "#28ae80", "#5ec962",
           "#addc30", "#fde725")
FLAG_RED = "#d62728"
ZERO_GREY = "#b3b3b3"  # an exactly zero gradient: off the log scale, and not a viridis colour
ROLE_COLOURS = {  # header colours from the Okabe-Ito palette, lightened for black text
    "param": "#f5c76e", "leaf": "#f0e68c", "input": "#a6d8f5", "constant": "#d9d9d9",
    "output": "#8fd9bf",
}
ROLE_HELP = {
    "param": "parameter", "leaf": "leaf (requires grad)", "input": "input (no grad)",
    "constant": "constant", "output": "output",
}
THEMES = {
    "light": {"background": "white", "text": "#222222", "line": "#555555", "body": "#ffffff",
              "op": "#ececec", "box": "#e4dcf0", "note": "#fff3c4",
              "clusters": ("#f7f7f7", "#ededed", "#e3e3e3")},
    "dark": {"background": "#1e1e1e", "text": "#e6e6e6", "line": "#aaaaaa", "body": "#2b2b2b",
             "op": "#3b3b3b", "box": "#403656", "note": "#4d4322",
             "clusters": ("#262626", "#2f2f2f", "#383838")},
}
RANKDIRS = ("TB", "LR", "BT", "RL")
FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot"}
INSTALL_HINT = (
    "Install Graphviz (Debian/Ubuntu: sudo apt-get install graphviz; macOS: brew install "
    "graphviz; conda: conda install -c conda-forge graphviz) -- `make demo` installs it for "
    "you. The DOT text needs no Graphviz: use graph.source or save_graph(outputs, 'graph.dot').")


class GraphvizNotFoundError(RuntimeError):
    """Rendering a graph to an image needs Graphviz's ``dot`` program, which is missing."""


# ---------------------------------------------------------------------------------------------
# Public API


def draw_graph(*outputs: Tensor, params: Any = None, show_values: bool | str = "auto",
               show_grads: bool | str = "auto", depth: int | None = None, rankdir: str = "TB",
               theme: str = "light", max_nodes: int | None = None) -> Any:
    """Draw the graph that computed ``outputs`` and return it as a ``graphviz.Digraph``.

    ``params``: a module (anything with ``named_parameters()``) or a dict name -> Tensor, used to
    name parameter nodes (leaves of a class named ``Parameter`` are parameters too); other
    leaves show ``Tensor.name`` or their role (leaf, input, constant).
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
    options = _Options(outputs, params, show_values, show_grads, depth, rankdir, theme,
                       max_nodes)
    return _Drawing(options).build()


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


# ---------------------------------------------------------------------------------------------
# Options and the Digraph class


class _Options:
    """The checked arguments of ``draw_graph``."""

    def __init__(self, outputs: Sequence[Any], params: Any, show_values: Any, show_grads: Any,
                 depth: Any, rankdir: str, theme: str, max_nodes: Any) -> None:
        if not outputs:
            raise TypeError("draw_graph: give at least one output tensor, e.g. "
                            "draw_graph(loss)")
        for index, out in enumerate(outputs):
            if not isinstance(out, Tensor):
                raise TypeError(f"draw_graph: output {index} is a {type(out).__name__}, not a "
                                f"Tensor; pass the tensors to draw as positional arguments")
        for name, value in (("show_values", show_values), ("show_grads", show_grads)):
            if value not in ("auto", True, False):
                raise ValueError(f"draw_graph: {name} must be 'auto', True or False, got "
                                 f"{value!r}")
        for name, value, least in (("depth", depth, 0), ("max_nodes", max_nodes, 1)):
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                                      or value < least):
                raise ValueError(f"draw_graph: {name} must be None or an integer >= {least}, "
                                 f"got {value!r}")
        if rankdir not in RANKDIRS:
            raise ValueError(f"draw_graph: rankdir must be one of {RANKDIRS}, got {rankdir!r}")
        if theme not in THEMES:
            raise ValueError(f"draw_graph: theme must be one of {tuple(THEMES)}, got {theme!r}")
        self.outputs = tuple(outputs)
        self.named_params = _named_parameters(params)
        self.show_values = show_values
        self.show_grads = show_grads
        self.depth = depth
        self.rankdir = rankdir
        self.theme = THEMES[theme]
        self.max_nodes = max_nodes


def _named_parameters(params: Any) -> list[tuple[str, Tensor]]:
    """(name, tensor) pairs from a module (duck-typed: ``named_parameters()``) or a dict."""
    if params is None:
        return []
    if hasattr(params, "named_parameters"):
        pairs = list(params.named_parameters())
    elif isinstance(params, Mapping):
        pairs = list(params.items())
    else:
        raise TypeError(f"draw_graph: params must be a module with named_parameters() or a dict "
                        f"name -> Tensor, got {type(params).__name__}")
    for name, value in pairs:
        if not isinstance(value, Tensor):
            raise TypeError(f"draw_graph: params[{name!r}] is a {type(value).__name__}, not a "
                            f"Tensor")
    return pairs


def _translate_missing_dot(method: Any) -> Any:
    """Wrap a rendering method so that a missing ``dot`` raises GraphvizNotFoundError."""
    import graphviz

    @functools.wraps(method)
    def render_or_explain(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except graphviz.ExecutableNotFound:
            raise GraphvizNotFoundError(
                "draw_graph: rendering an image needs Graphviz's `dot` program, which is not on "
                "PATH. " + INSTALL_HINT) from None

    return render_or_explain


@functools.cache
def _digraph_class() -> type:
    """A ``graphviz.Digraph`` whose rendering explains how to install a missing Graphviz."""
    import graphviz

    return type("GraphDrawing", (graphviz.Digraph,), {
        "__doc__": "A graphviz.Digraph drawn by autograd_lite.draw_graph.",
        "pipe": _translate_missing_dot(graphviz.Digraph.pipe),
        "render": _translate_missing_dot(graphviz.Digraph.render),
    })


# ---------------------------------------------------------------------------------------------
# Text and colour helpers


def _number(value: float) -> str:
    return f"{value:.4g}"


def _array_text(array: np.ndarray, summary: bool) -> str:
    """Values of a small array in full; of a big one, a min/mean/max summary (or nothing)."""
    if array.size == 1:
        return _number(array.item())
    if array.size <= SMALL_TENSOR:
        return np.array2string(array, separator=", ", formatter={"all": _number})
    if not summary:
        return ""
    values = array.astype(np.float64)
    return (f"min {_number(values.min())}  mean {_number(values.mean())}  "
            f"max {_number(values.max())}")


def _shape_text(tensor: Any) -> str:
    if isinstance(tensor, (bool, int, float)):
        return "Python number"
    shape = np.shape(tensor)
    where = "scalar" if shape == () else str(tuple(shape))
    return f"{where} {np.asarray(tensor).dtype}"


def _short(value: Any, limit: int = 28) -> str:
    text = repr(value.tolist() if isinstance(value, np.ndarray) else value)
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"


def _scope_title(scope: tuple[str, str]) -> str:
    """``layers.0: Linear`` for the scope ("layers.0", "Linear"); the outermost module has no
    qualified name, so it shows its class alone."""
    qualified, label = scope
    return f"{qualified}: {label}" if qualified and label else (qualified or label)


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _viridis(fraction: float) -> str:
    """The viridis colour at ``fraction`` in [0, 1] (clamped), interpolated between stops."""
    position = min(max(fraction, 0.0), 1.0) * (len(VIRIDIS) - 1)
    index = min(int(position), len(VIRIDIS) - 2)
    mix = position - index
    low, high = _rgb(VIRIDIS[index]), _rgb(VIRIDIS[index + 1])
    return "#" + "".join(f"{round(a + (b - a) * mix):02x}" for a, b in zip(low, high))


def _text_on(fill: str) -> str:
    """Black or white, whichever reads better on ``fill``."""
    red, green, blue = _rgb(fill)
    return "#000000" if 0.299 * red + 0.587 * green + 0.114 * blue > 140 else "#ffffff"


class _GradScale:
    """Maps gradient norms to viridis by log10, over whole decades spanning the graph's norms."""

    def __init__(self, norms: Sequence[float]) -> None:
        logs = [math.log10(n) for n in norms if n > 0 and math.isfinite(n)]
        self.low = math.floor(min(logs)) if logs else -1
        self.high = max(math.ceil(max(logs)) if logs else 0, self.low + 1)

    def colour(self, norm: float) -> str:
        if norm <= 0:
            return ZERO_GREY
        return _viridis((math.log10(norm) - self.low) / (self.high - self.low))

    def decades(self) -> list[int]:
        step = max(1, math.ceil((self.high - self.low) / 12))
        return list(range(self.low, self.high + 1, step))


def _cell(text: str, fill: str | None = None, colour: str | None = None, bold: bool = False,
          size: int | None = None) -> str:
    """One HTML-label table row holding ``text`` (escaped)."""
    body = html.escape(text)
    if bold:
        body = f"<b>{body}</b>"
    font = []
    if colour:
        font.append(f'color="{colour}"')
    if size:
        font.append(f'point-size="{size}"')
    if font:
        body = f"<font {' '.join(font)}>{body}</font>"
    background = f' bgcolor="{fill}"' if fill else ""
    return f"<tr><td{background}>{body}</td></tr>"


def _table(rows: list[str], border_colour: str, fill: str, border: int = 1) -> str:
    return (f'<<table border="{border}" cellborder="0" cellspacing="0" cellpadding="3" '
            f'color="{border_colour}" bgcolor="{fill}">{"".join(rows)}</table>>')


# ---------------------------------------------------------------------------------------------
# Building the drawing


def _collect(outputs: Sequence[Tensor], max_nodes: int | None
             ) -> tuple[list[Tensor], list[Tensor]]:
    """The tensors to draw in creation order, and those left out by ``max_nodes``.

    Walks back from the outputs in decreasing creation order (a max-heap, no recursion), so a
    cut keeps the tensors nearest the outputs.
    """
    tiebreak = itertools.count()
    heap: list = []
    seen: set[int] = set()
    for out in outputs:
        if id(out) not in seen:
            seen.add(id(out))
            heapq.heappush(heap, (-out._seq, next(tiebreak), out))
    drawn = []
    while heap and (max_nodes is None or len(drawn) < max_nodes):
        tensor = heapq.heappop(heap)[2]
        drawn.append(tensor)
        for x in tensor._inputs or ():
            if isinstance(x, Tensor) and id(x) not in seen:
                seen.add(id(x))
                heapq.heappush(heap, (-x._seq, next(tiebreak), x))
    drawn.reverse()
    return drawn, [entry[2] for entry in heap]


def _common_prefix(paths: Sequence[tuple]) -> tuple:
    first = paths[0]
    length = len(first)
    for path in paths[1:]:
        length = min(length, len(path))
        while path[:length] != first[:length]:
            length -= 1
    return first[:length]


class _Drawing:
    """One ``draw_graph`` call: decides every node's place and style, then writes the DOT."""

    def __init__(self, options: _Options) -> None:
        self.options = options
        self.theme = options.theme
        self.drawn, self.cut = _collect(options.outputs, options.max_nodes)
        self.index = {id(t): i for i, t in enumerate(self.drawn)}
        self.cut_ids = {id(t) for t in self.cut}
        self.output_ids = {id(t) for t in options.outputs}
        self.param_names = {}
        for name, tensor in options.named_params:
            self.param_names.setdefault(id(tensor), name)
        self.grad_norms = self._gradient_norms()
        self.show_grads = options.show_grads is not False and bool(self.grad_norms)
        self.scale = _GradScale(list(self.grad_norms.values())) if self.show_grads else None
        self.uses: dict[int, int] = {}
        self.boxes: dict[tuple, dict] = {}  # folded module path -> its facts
        self.members: dict[tuple, list[tuple[str, str, dict]]] = {(): []}  # cluster -> nodes
        self.edges: list[tuple[str, str, dict]] = []
        self.box_edges: set[tuple[str, str]] = set()
        self.roles_seen: set[str] = set()
        self.flagged = False

    # --- facts about tensors -----------------------------------------------------------------

    def _gradient_norms(self) -> dict[int, float]:
        norms = {}
        for tensor in self.drawn:
            if tensor.grad is not None:
                grad = tensor.grad.data
                norms[id(tensor)] = float(np.sqrt(np.sum(np.square(grad, dtype=np.float64))))
        return norms

    def _role(self, tensor: Tensor) -> str:
        if id(tensor) in self.output_ids:
            return "output"
        if tensor._op is not None:
            return ""
        if id(tensor) in self.param_names or type(tensor).__name__ == "Parameter":
            return "param"
        return "leaf" if tensor.requires_grad else "input"

    def _box_of(self, tensor: Tensor) -> tuple | None:
        """The folded module holding ``tensor``'s op, or None when the op is drawn."""
        depth = self.options.depth
        scope = tensor._scope
        if depth is None or tensor._op is None or not scope or len(scope) <= depth:
            return None
        return scope[:depth + 1]

    def _cluster_of_op(self, tensor: Tensor) -> tuple:
        scope = tensor._scope or ()
        box = self._box_of(tensor)
        return box[:-1] if box is not None else scope

    # --- the passes ------------------------------------------------------------------------

    def build(self) -> Any:
        consumers = self._consumers()
        placements = self._place_leaves(consumers)
        visible = self._visible_tensors(consumers, placements)
        for i, tensor in enumerate(self.drawn):
            if id(tensor) in visible:
                self._add_tensor_node(i, tensor, placements.get(id(tensor)))
            if tensor._op is not None:
                self._add_op(i, tensor, visible, placements)
        self._add_boxes()
        self._add_notes()
        return self._emit()

    def _consumers(self) -> dict[int, list[tuple]]:
        """For each tensor, where its consumers sit: a cluster path or a ("box", path) pair."""
        consumers: dict[int, list[tuple]] = {}
        for tensor in self.drawn:
            box = self._box_of(tensor)
            where = ("box", box) if box is not None else ("cluster", self._cluster_of_op(tensor))
            for x in tensor._inputs or ():
                if isinstance(x, Tensor):
                    self.uses[id(x)] = self.uses.get(id(x), 0) + 1
                    consumers.setdefault(id(x), []).append(where)
        return consumers

    def _place_leaves(self, consumers: dict[int, list[tuple]]) -> dict[int, tuple]:
        """Put each parameter/leaf in the innermost cluster shared by its consumers.

        Returns id -> ("box", path) for parameters folded into a module box (not drawn), or
        ("cluster", path). Inputs stay at the top level: they come from outside the model.
        Only parameters fold into a box: any other leaf (an input image with requires_grad) is
        drawn and feeds the box, so the box shows the shape the module was called with.
        """
        placements = {}
        for tensor in self.drawn:
            where = consumers.get(id(tensor))
            if tensor._op is not None or not where or not tensor.requires_grad:
                continue
            if id(tensor) in self.output_ids:
                continue
            if (where[0][0] == "box" and all(w == where[0] for w in where)
                    and self._role(tensor) == "param"):
                placements[id(tensor)] = where[0]
                continue
            paths = [w[1][:-1] if w[0] == "box" else w[1] for w in where]
            placements[id(tensor)] = ("cluster", _common_prefix(paths))
        return placements

    def _visible_tensors(self, consumers: dict[int, list[tuple]], placements: dict[int, tuple]
                         ) -> set[int]:
        """Ids of the tensors that get a node: all but those hidden inside a module box."""
        visible = set()
        for tensor in self.drawn:
            if tensor._op is None:
                hidden = placements.get(id(tensor), ("cluster",))[0] == "box"
            else:
                box = self._box_of(tensor)
                hidden = box is not None and id(tensor) not in self.output_ids and all(
                    w == ("box", box) for w in consumers.get(id(tensor), ()))
            if not hidden:
                visible.add(id(tensor))
        return visible

    def _box(self, path: tuple) -> dict:
        if path not in self.boxes:
            self.boxes[path] = {"id": f"m{len(self.boxes)}", "inputs": [], "outputs": [],
                                "leaves": {}}
        return self.boxes[path]

    def _add_tensor_node(self, i: int, tensor: Tensor, placement: tuple | None) -> None:
        role = self._role(tensor)
        if placement is not None and placement[0] == "cluster":
            cluster = placement[1]
        elif tensor._op is not None:
            cluster = self._cluster_of_op(tensor)
        else:
            cluster = ()
        title = self.param_names.get(id(tensor)) or tensor.name or ROLE_HELP.get(role, "")
        self._add_node(cluster, f"t{i}", self._tensor_label(tensor, role, title), {})

    def _tensor_label(self, tensor: Any, role: str, title: str) -> str:
        theme = self.theme
        fill, text = theme["body"], theme["text"]
        norm = self.grad_norms.get(id(tensor)) if self.show_grads else None
        if norm is not None and math.isfinite(norm):
            fill = self.scale.colour(norm)
            text = _text_on(fill)
        rows = []
        if title or role:
            self.roles_seen.add(role)
            tag = f"{title} \u00b7 {role}" if role and title != ROLE_HELP.get(role) else title
            rows.append(_cell(tag, ROLE_COLOURS.get(role, theme["op"]), "#000000", bold=True))
        rows.append(_cell(_shape_text(tensor), colour=text, size=10))
        data = tensor.data if isinstance(tensor, Tensor) else np.asarray(tensor)
        problems = []
        show_values = self.options.show_values
        if show_values is not False:
            values = _array_text(data, summary=show_values is True)
            if values:
                rows.append(_cell(f"data {values}", colour=text))
        if data.dtype.kind in "fc" and not np.all(np.isfinite(data)):
            problems.append("NaN/Inf in data")
        if norm is not None:
            grad = tensor.grad.data
            values = _array_text(grad, summary=self.options.show_grads is True)
            if grad.size > SMALL_TENSOR:
                values = f"\u2016grad\u2016 {_number(norm)}" + (f"  ({values})" if values else "")
            else:
                values = f"grad {values}"
            rows.append(_cell(values, colour=text))
            if not np.all(np.isfinite(grad)):
                problems.append("NaN/Inf in grad")
        uses = self.uses.get(id(tensor), 0)
        if uses > 1 and isinstance(tensor, Tensor) and tensor.requires_grad:
            rows.append(_cell(f"grad = sum of {uses} contributions", colour=text, size=9))
        for problem in problems:
            rows.append(_cell(f"\u26a0 {problem}", FLAG_RED, "#ffffff", bold=True))
        if problems:
            self.flagged = True
            return _table(rows, FLAG_RED, fill, border=3)
        border = 3 if role == "output" else 1
        return _table(rows, theme["line"], fill, border=border)

    def _add_op(self, i: int, tensor: Tensor, visible: set[int], placements: dict) -> None:
        box = self._box_of(tensor)
        if box is None:
            target = f"op{i}"
            self._add_node(self._cluster_of_op(tensor), target, self._op_label(tensor),
                           {"shape": "ellipse", "style": "filled",
                            "fillcolor": self.theme["op"]})
            self._add_edge(target, f"t{i}", tensor)
        else:
            facts = self._box(box)
            target = facts["id"]
            if id(tensor) in visible:
                facts["outputs"].append(_shape_text(tensor))
                self._add_edge(target, f"t{i}", tensor)
        if tensor._inputs is None:
            self._add_edge("freed", target, None, style="dashed")
            return
        for argnum, x in enumerate(tensor._inputs):
            if not isinstance(x, Tensor):
                source = f"c{i}_{argnum}"
                if box is None:
                    label = self._tensor_label(x, "constant", "constant")
                    self._add_node(self._cluster_of_op(tensor), source, label, {})
                    self._add_edge(source, target, None)
                continue
            if id(x) in self.cut_ids:
                self._add_edge("truncated", target, None, style="dashed")
                continue
            if placements.get(id(x), ("cluster",))[0] == "box":
                facts["leaves"][id(x)] = x
                continue
            source = f"t{self.index[id(x)]}"
            if id(x) not in visible:
                source = self._box(self._box_of(x))["id"]
            if source == target:
                continue
            if box is not None:
                facts["inputs"].append(_shape_text(x))
            self._add_edge(source, target, x)

    def _op_label(self, tensor: Tensor) -> str:
        name = html.escape(tensor._op.name)
        details = [f"{key}={_short(value)}" for key, value in (tensor._params or {}).items()]
        if tensor._inputs is None:
            details.append("inputs freed")
        if not details:
            return f"<<b>{name}</b>>"
        small = html.escape(", ".join(details))
        return f'<<b>{name}</b><br/><font point-size="9">{small}</font>>'

    def _add_edge(self, tail: str, head: str, tensor: Tensor | None, **attrs: str) -> None:
        if tail in ("freed", "truncated") or tail.startswith("m") or head.startswith("m"):
            if (tail, head) in self.box_edges:
                return
            self.box_edges.add((tail, head))
        norm = self.grad_norms.get(id(tensor)) if self.show_grads and tensor is not None else None
        if norm is not None:
            attrs["color"] = self.scale.colour(norm) if math.isfinite(norm) else FLAG_RED
            attrs["penwidth"] = "2"
        self.edges.append((tail, head, attrs))

    def _add_node(self, cluster: tuple, name: str, label: str, attrs: dict) -> None:
        for length in range(len(cluster) + 1):
            self.members.setdefault(cluster[:length], [])
        self.members[cluster].append((name, label, attrs))

    def _add_boxes(self) -> None:
        """One node per folded module: shapes in and out, parameter count, parameters' grad."""
        for path, facts in self.boxes.items():
            title = _scope_title(path[-1])
            leaves = facts["leaves"].values()
            norms = [self.grad_norms[id(leaf)] for leaf in leaves if id(leaf) in self.grad_norms]
            fill, text = self.theme["body"], self.theme["text"]
            if self.show_grads and norms:
                norm = math.sqrt(sum(n * n for n in norms))
                fill = self.scale.colour(norm) if math.isfinite(norm) else FLAG_RED
                text = _text_on(fill)
            rows = [_cell(title, self.theme["box"], _text_on(self.theme["box"]), bold=True)]
            for key in ("inputs", "outputs"):
                shapes = list(dict.fromkeys(facts[key]))
                if shapes:
                    rows.append(_cell(f"{key[:-1] if len(shapes) == 1 else key}: "
                                      f"{', '.join(shapes)}", colour=text, size=10))
            rows.append(_cell(f"parameters: {sum(leaf.size for leaf in leaves):,}", colour=text,
                              size=10))
            if fill != self.theme["body"]:
                rows.append(_cell(f"\u2016grad\u2016 of parameters {_number(norm)}", colour=text))
            self._add_node(path[:-1], facts["id"], _table(rows, self.theme["line"], fill, 2), {})

    def _add_notes(self) -> None:
        note = {"shape": "note", "style": "filled", "fillcolor": self.theme["note"],
                "fontcolor": self.theme["text"]}
        if any(edge[0] == "freed" for edge in self.edges):
            self._add_node((), "freed", "backward() freed the graph that computed this tensor."
                           "\\nTo draw it, call backward(retain_graph=True),\\nor draw before "
                           "calling backward()", note)
        if self.cut:
            self._add_node((), "truncated", f"max_nodes={self.options.max_nodes} reached: "
                           f"{len(self.cut)} more tensor(s) and everything before them not "
                           f"drawn", note)
        self._add_node((), "legend", self._legend(), {})

    def _legend(self) -> str:
        theme = self.theme
        rows = [_cell("legend", theme["op"], _text_on(theme["op"]), bold=True)]
        for role in ("param", "leaf", "input", "constant", "output"):
            if role in self.roles_seen:
                rows.append(_cell(ROLE_HELP[role], ROLE_COLOURS[role], "#000000", size=10))
        rows.append(_cell("ellipse = op; arrows follow the data", colour=theme["text"], size=10))
        if self.show_grads:
            cells = "".join(
                f'<td bgcolor="{self.scale.colour(10.0 ** d)}"><font point-size="9" '
                f'color="{_text_on(self.scale.colour(10.0 ** d))}">1e{d}</font></td>'
                for d in self.scale.decades())
            cells += f'<td bgcolor="{ZERO_GREY}"><font point-size="9">0</font></td>'
            rows.append(_cell("fill = \u2016grad\u2016 (log scale)", colour=theme["text"],
                              size=10))
            rows.append(f'<tr><td><table border="0" cellspacing="0" cellpadding="2"><tr>{cells}'
                        f'</tr></table></td></tr>')
        if self.flagged or self.show_grads:
            rows.append(_cell("NaN / Inf", FLAG_RED, "#ffffff", size=10))
        return _table(rows, theme["line"], theme["body"])

    # --- writing DOT -----------------------------------------------------------------------

    def _emit(self) -> Any:
        import graphviz

        theme = self.theme
        digraph = _digraph_class()
        graph = digraph(
            name="autograd_lite",
            graph_attr={"rankdir": self.options.rankdir, "bgcolor": theme["background"],
                        "fontname": "Helvetica", "fontcolor": theme["text"], "nodesep": "0.25",
                        "ranksep": "0.35"},
            node_attr={"shape": "plain", "fontname": "Helvetica", "fontsize": "11",
                       "fontcolor": theme["text"], "color": theme["line"]},
            edge_attr={"color": theme["line"], "arrowsize": "0.7"})
        subgraphs = {(): graph}
        for number, path in enumerate(p for p in self.members if p):
            shades = theme["clusters"]
            subgraphs[path] = graphviz.Digraph(name=f"cluster_{number}", graph_attr={
                "label": _scope_title(path[-1]), "style": "rounded,filled", "color": theme["line"],
                "fillcolor": shades[(len(path) - 1) % len(shades)], "fontsize": "11",
                "labeljust": "l"})
        for path, nodes in self.members.items():
            for name, label, attrs in nodes:
                subgraphs[path].node(name, label, **attrs)
        # Innermost clusters first, so each is complete when it is copied into its parent.
        for path in sorted((p for p in self.members if p), key=len, reverse=True):
            subgraphs[path[:-1]].subgraph(subgraphs[path])
        for tail, head, attrs in self.edges:
            graph.edge(tail, head, **attrs)
        return graph
