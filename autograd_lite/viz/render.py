"""Rendering: a graph description becomes a ``graphviz.Digraph`` with HTML labels.

One node per tensor (name and role, shape, dtype, and for small tensors the values and
gradients, micrograd-style), an ellipse per op, nested clusters per module scope, and a legend.
With gradients, nodes and edges are coloured by log10 of the gradient norm on the colour-blind
safe viridis scale; NaN and Inf are flagged in red. ``graphviz`` is imported only here, and only
when drawing, so importing autograd_lite stays fast and never needs Graphviz.
"""

from __future__ import annotations

import contextlib
import functools
import html
import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from .core import Description, Edge, Node

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
INSTALL_HINT = (
    "Install Graphviz (Debian/Ubuntu: sudo apt-get install graphviz; macOS: brew install "
    "graphviz; conda: conda install -c conda-forge graphviz) -- `make demo` installs it for "
    "you. The DOT text needs no Graphviz: use graph.source or save_graph(outputs, 'graph.dot').")
NOTES = {
    "freed": "backward() freed the graph that computed this tensor.\\nTo draw it, call "
             "backward(retain_graph=True),\\nor draw before calling backward()",
    "truncated": "max_nodes={max_nodes} reached: {left_out} more tensor(s) and everything "
                 "before them not drawn",
}


class GraphvizNotFoundError(RuntimeError):
    """Rendering a graph to an image needs Graphviz's ``dot`` program, which is missing."""


def render(graph: Description, show_values: bool | str, show_grads: bool | str, rankdir: str,
           theme: str) -> Any:
    """``graph`` as a ``graphviz.Digraph`` (see ``draw_graph`` for the options).

    Nodes are grouped into one nested cluster per scope; the DOT text is deterministic.
    """
    import graphviz

    painter = _Painter(graph, show_values, show_grads, THEMES[theme])
    members: dict[tuple, list[tuple[str, str, dict]]] = {(): []}  # cluster path -> its nodes
    for node in graph.nodes:
        for length in range(len(node.scope) + 1):
            members.setdefault(node.scope[:length], [])
        members[node.scope].append((node.id, *painter.label(node)))
    members[()].append(("legend", painter.legend(), {}))
    colours = painter.theme
    drawing = _digraph_class()(
        name="autograd_lite",
        graph_attr={"rankdir": rankdir, "bgcolor": colours["background"],
                    "fontname": "Helvetica", "fontcolor": colours["text"], "nodesep": "0.25",
                    "ranksep": "0.35"},
        node_attr={"shape": "plain", "fontname": "Helvetica", "fontsize": "11",
                   "fontcolor": colours["text"], "color": colours["line"]},
        edge_attr={"color": colours["line"], "arrowsize": "0.7"})
    subgraphs = {(): drawing}
    for number, path in enumerate(p for p in members if p):
        shades = colours["clusters"]
        subgraphs[path] = graphviz.Digraph(name=f"cluster_{number}", graph_attr={
            "label": _scope_title(path[-1]), "style": "rounded,filled", "color": colours["line"],
            "fillcolor": shades[(len(path) - 1) % len(shades)], "fontsize": "11",
            "labeljust": "l"})
    for path, nodes in members.items():
        for name, label, attrs in nodes:
            subgraphs[path].node(name, label, **attrs)
    # Innermost clusters first, so each is complete when it is copied into its parent.
    for path in sorted((p for p in members if p), key=len, reverse=True):
        subgraphs[path[:-1]].subgraph(subgraphs[path])
    for edge in graph.edges:
        drawing.edge(edge.tail, edge.head, **painter.edge_attrs(edge))
    return drawing


class _Painter:
    """Labels and colours for the nodes and edges of one drawing; remembers what the legend
    must explain (the roles drawn, whether anything was flagged)."""

    def __init__(self, graph: Description, show_values: bool | str, show_grads: bool | str,
                 theme: dict) -> None:
        self.nodes = {node.id: node for node in graph.nodes}
        norms = [node.fields["grad_norm"] for node in _with_hidden(graph.nodes)
                 if node.kind == "tensor" and node.fields["grad_norm"] is not None]
        self.show_values = show_values
        self.grads = show_grads is not False and bool(norms)
        self.summarise_grads = show_grads is True
        self.scale = _GradScale(norms) if self.grads else None
        self.theme = theme
        self.roles_seen: set[str] = set()
        self.flagged = False

    def label(self, node: Node) -> tuple[str, dict]:
        """The HTML label and the node attributes of ``node``."""
        theme = self.theme
        if node.kind == "op":
            return _op_label(node.fields), {"shape": "ellipse", "style": "filled",
                                            "fillcolor": theme["op"]}
        if node.kind == "module":
            return self._module_label(node.fields), {}
        if node.kind == "note":
            return NOTES[node.id].format(**node.fields), {
                "shape": "note", "style": "filled", "fillcolor": theme["note"],
                "fontcolor": theme["text"]}
        return self._value_label(node.fields), {}

    def edge_attrs(self, edge: Edge) -> dict[str, str]:
        """Dashed from a note; coloured by the gradient of the tensor the edge carries."""
        attrs = {"style": "dashed"} if self.nodes[edge.tail].kind == "note" else {}
        norm = self.nodes[edge.carries].fields["grad_norm"] if edge.carries else None
        if self.grads and norm is not None:
            attrs["color"] = self.scale.colour(norm) if math.isfinite(norm) else FLAG_RED
            attrs["penwidth"] = "2"
        return attrs

    def _value_label(self, fields: dict) -> str:
        theme = self.theme
        fill, text = theme["body"], theme["text"]
        norm = fields["grad_norm"] if self.grads else None
        if norm is not None and math.isfinite(norm):
            fill = self.scale.colour(norm)
            text = _text_on(fill)
        role = fields["role"]
        title = fields["name"] or ROLE_HELP.get(role, "")
        rows = []
        if title or role:
            self.roles_seen.add(role)
            tag = f"{title} \u00b7 {role}" if role and title != ROLE_HELP.get(role) else title
            rows.append(_cell(tag, ROLE_COLOURS.get(role, theme["op"]), "#000000", bold=True))
        rows.append(_cell(_shape_text(fields["shape"], fields["dtype"]), colour=text, size=10))
        data = fields["data"]
        problems = []
        if self.show_values is not False:
            values = _array_text(data, summary=self.show_values is True)
            if values:
                rows.append(_cell(f"data {values}", colour=text))
        if data.dtype.kind in "fc" and not np.all(np.isfinite(data)):
            problems.append("NaN/Inf in data")
        if norm is not None:
            grad = fields["grad"]
            values = _array_text(grad, summary=self.summarise_grads)
            if grad.size > SMALL_TENSOR:
                values = f"\u2016grad\u2016 {_number(norm)}" + (f"  ({values})" if values else "")
            else:
                values = f"grad {values}"
            rows.append(_cell(values, colour=text))
            if not np.all(np.isfinite(grad)):
                problems.append("NaN/Inf in grad")
        if fields["uses"] > 1 and fields["requires_grad"]:
            rows.append(_cell(f"grad = sum of {fields['uses']} contributions", colour=text,
                              size=9))
        for problem in problems:
            rows.append(_cell(f"\u26a0 {problem}", FLAG_RED, "#ffffff", bold=True))
        if problems:
            self.flagged = True
            return _table(rows, FLAG_RED, fill, border=3)
        return _table(rows, theme["line"], fill, border=3 if role == "output" else 1)

    def _module_label(self, fields: dict) -> str:
        """A folded module: shapes in and out, parameter count, its parameters' grad norm."""
        theme = self.theme
        fill, text = theme["body"], theme["text"]
        norm = fields["grad_norm"] if self.grads else None
        if norm is not None:
            fill = self.scale.colour(norm) if math.isfinite(norm) else FLAG_RED
            text = _text_on(fill)
        rows = [_cell(_scope_title(fields["module"]), theme["box"], _text_on(theme["box"]),
                      bold=True)]
        for key in ("inputs", "outputs"):
            shapes = [_shape_text(*shape) for shape in fields[key]]
            if shapes:
                rows.append(_cell(f"{key[:-1] if len(shapes) == 1 else key}: "
                                  f"{', '.join(shapes)}", colour=text, size=10))
        rows.append(_cell(f"parameters: {fields['parameters']:,}", colour=text, size=10))
        if norm is not None:
            rows.append(_cell(f"\u2016grad\u2016 of parameters {_number(norm)}", colour=text))
        return _table(rows, theme["line"], fill, 2)

    def legend(self) -> str:
        """What the colours and shapes mean; call after labelling every node."""
        theme = self.theme
        rows = [_cell("legend", theme["op"], _text_on(theme["op"]), bold=True)]
        for role in ("param", "leaf", "input", "constant", "output"):
            if role in self.roles_seen:
                rows.append(_cell(ROLE_HELP[role], ROLE_COLOURS[role], "#000000", size=10))
        rows.append(_cell("ellipse = op; arrows follow the data", colour=theme["text"], size=10))
        if self.grads:
            cells = "".join(
                f'<td bgcolor="{self.scale.colour(10.0 ** d)}"><font point-size="9" '
                f'color="{_text_on(self.scale.colour(10.0 ** d))}">1e{d}</font></td>'
                for d in self.scale.decades())
            cells += f'<td bgcolor="{ZERO_GREY}"><font point-size="9">0</font></td>'
            rows.append(_cell("fill = \u2016grad\u2016 (log scale)", colour=theme["text"],
                              size=10))
            rows.append(f'<tr><td><table border="0" cellspacing="0" cellpadding="2"><tr>{cells}'
                        f'</tr></table></td></tr>')
        if self.flagged or self.grads:
            rows.append(_cell("NaN / Inf", FLAG_RED, "#ffffff", size=10))
        return _table(rows, theme["line"], theme["body"])


def _with_hidden(nodes: Sequence[Node]) -> list[Node]:
    """``nodes`` and the nodes folded module boxes hide (they count for the colour scale)."""
    return [*nodes, *(inner for node in nodes if node.kind == "module"
                      for inner in node.fields["inner"])]


def _op_label(fields: dict) -> str:
    name = html.escape(fields["op"])
    details = [f"{key}={_short(value)}" for key, value in fields["params"].items()]
    if fields["inputs_freed"]:
        details.append("inputs freed")
    if not details:
        return f"<<b>{name}</b>>"
    small = html.escape(", ".join(details))
    return f'<<b>{name}</b><br/><font point-size="9">{small}</font>>'


@contextlib.contextmanager
def _explaining_missing_dot() -> Iterator[None]:
    """Inside the block a missing ``dot`` raises GraphvizNotFoundError with the install hint."""
    import graphviz

    try:
        yield
    except graphviz.ExecutableNotFound:
        raise GraphvizNotFoundError(
            "draw_graph: rendering an image needs Graphviz's `dot` program, which is not on "
            "PATH. " + INSTALL_HINT) from None


def _translate_missing_dot(method: Any) -> Any:
    """Wrap a rendering method so that a missing ``dot`` raises GraphvizNotFoundError."""

    @functools.wraps(method)
    def render_or_explain(self: Any, *args: Any, **kwargs: Any) -> Any:
        with _explaining_missing_dot():
            return method(self, *args, **kwargs)

    return render_or_explain


def svg_documents(drawings: Sequence[Any]) -> list[str]:
    """The SVG of each drawing (``render``'s, or any graphviz graph for ``dot``), from one run
    of ``dot`` for all of them: the process starts once, not once a drawing.

    Each text is the ``<svg>`` element alone (no XML prolog), as the drawing's own ``pipe``
    would give it but for the outer group's id, which numbers the graphs of the run. Raises
    GraphvizNotFoundError without Graphviz, and ``graphviz.CalledProcessError`` if ``dot``
    rejects a drawing.
    """
    import graphviz

    source = "".join(drawing.source for drawing in drawings).encode("utf-8")
    with _explaining_missing_dot():
        text = graphviz.pipe("dot", "svg", source).decode("utf-8")
    documents = text.split("</svg>")[:-1]  # dot writes one SVG document per graph, in order
    return [document[document.find("<svg"):] + "</svg>" for document in documents]


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


def _shape_text(shape: tuple[int, ...] | None, dtype: str) -> str:
    """``(2, 3) float32``, ``scalar float64``, or ``Python number`` (shape None)."""
    if shape is None:
        return "Python number"
    return f"{'scalar' if shape == () else str(shape)} {dtype}"


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
