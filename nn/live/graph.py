"""The computation graph of a sampled step, as the page shows it.

The same description and drawing as ``ag.draw_graph(loss, params=model, depth=1)``
(``autograd_lite.viz``): folded by module, coloured by gradient norm. A sampled step's graph
is described and its arrays copied (``snapshot``); when the budget allows, between later steps,
it is drawn with Graphviz's ``dot`` to SVG, one run for all its drawings ("variants"): ``""``
folded at depth 1, one per module box with that module unfolded (what a click on the box
shows), and ``"*"`` with nothing folded (what the backward step-through walks). A served
page gets the folded one pushed (``to_payload``) and asks for the others when wanted
(``module_drawing``); a report has them all. With each drawing go the texts that hovering
its nodes shows, and with the graph the order in which ``backward()`` completes the
gradients: decreasing creation order, the engine's own walk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograd_lite import Tensor
from autograd_lite.viz import (
    Description,
    GraphvizNotFoundError,
    Node,
    describe,
    fold,
    render,
    svg_documents,
)

MAX_NODES = 300  # tensors drawn at most (those nearest the loss)
MAX_UNFOLDED = 12  # module boxes that get a drawing of their own, unfolded
STEP_THROUGH_LIMIT = 80  # tensors at most for the backward step-through


@dataclass
class GraphSnapshot:
    """One step's graph description, its arrays copied (the optimizer changes parameters in
    place), ready to be drawn by ``to_payload`` later."""

    step: int
    graph: Description


def snapshot(loss: Tensor, param_names: dict[int, str], step: int) -> GraphSnapshot:
    """Describe the graph that computed ``loss`` (its inputs must be intact: before backward,
    with ``retain_graph=True``, or inside ``ag.viz.StepRecording.restored_graph``)."""
    graph = describe([loss], param_names, MAX_NODES)
    for node in graph.nodes:
        for key in ("data", "grad"):
            if isinstance(node.fields.get(key), np.ndarray):
                node.fields[key] = node.fields[key].copy()
    return GraphSnapshot(step, graph)


@dataclass
class _Drawings:
    """``variants[key]`` is a graphviz.Digraph; ``info[key]`` maps its node ids to hover text,
    ``unfold[key]`` a box's node id to the variant key that opens it."""

    variants: dict[str, Any] = field(default_factory=dict)
    info: dict[str, dict[str, str]] = field(default_factory=dict)
    unfold: dict[str, dict[str, str]] = field(default_factory=dict)
    hover: dict[str, str] = field(default_factory=dict)  # node id -> text, shared by variants


def _boxes(folded: Description) -> dict[str, Node]:
    """The module boxes of a folded drawing that can be opened, by variant key."""
    boxes = [node for node in folded.nodes if node.kind == "module"][:MAX_UNFOLDED]
    return {_module_key(box): box for box in boxes}


def _drawings(graph: Description, every_module: bool) -> _Drawings:
    """The folded drawing, and with ``every_module`` the unfolded one and one per module
    box."""
    result = _Drawings()
    folded = fold(graph, 1)
    _add(result, "", folded)
    boxes = _boxes(folded)
    for key, box in boxes.items():
        result.unfold[""][box.id] = key
        if every_module:
            _add(result, key, _unfolded(graph, box))
    if boxes and every_module:
        _add(result, "*", graph)
    elif not boxes:
        result.variants["*"], result.info["*"], result.unfold["*"] = (
            result.variants[""], result.info[""], {})
    return result


def drawing_count(snapshot: GraphSnapshot, every_module: bool) -> int:
    """How many drawings ``to_payload(snapshot, every_module)`` makes."""
    if not every_module:
        return 1
    boxes = len(_boxes(fold(snapshot.graph, 1)))
    return boxes + 2 if boxes else 1


def _backward_order(graph: Description) -> tuple[list[str], dict[str, str]]:
    """The tensor ids in the order backward completes their gradients, and those gradients'
    text; nothing for a graph too big to step through."""
    tensors = [node for node in graph.nodes if node.kind == "tensor"]
    if len(tensors) > STEP_THROUGH_LIMIT:
        return [], {}
    visited = [node for node in tensors if node.fields["grad"] is not None]
    visited.sort(key=lambda node: int(node.id[1:]), reverse=True)
    return [node.id for node in visited], {node.id: _array_summary(node.fields["grad"])
                                           for node in visited}


def _unfolded(graph: Description, box: Node) -> Description:
    return fold(graph, 1, unfolded={box.scope + (box.fields["module"],)})


def _module_key(box: Node) -> str:
    return box.fields["module"][0] or box.fields["module"][1]


def _add(result: _Drawings, key: str, graph: Description) -> None:
    result.variants[key] = render(graph, "auto", "auto", "TB", "light")
    info = {}
    for node in graph.nodes:
        if node.kind == "module" or node.id not in result.hover:
            text = _hover_text(node)
            if node.kind == "module":  # box ids differ from one variant to the next
                info[node.id] = text
                continue
            result.hover[node.id] = text
        info[node.id] = result.hover[node.id]
    result.info[key] = info
    result.unfold.setdefault(key, {})


def _array_summary(array: np.ndarray) -> str:
    """Values of a small array, else shape, min/mean/max and norm; NaN/Inf counted."""
    values = np.asarray(array, dtype=np.float64)
    if values.size <= 6:
        text = ", ".join(f"{value:.4g}" for value in values.ravel())
        return text if values.ndim == 0 else f"{values.shape}: [{text}]"
    finite = values[np.isfinite(values)]
    text = f"{values.shape}: " + (f"min {finite.min():.4g}  mean {finite.mean():.4g}  max "
                                  f"{finite.max():.4g}  \u2016\u00b7\u2016 "
                                  f"{np.sqrt(np.sum(finite ** 2)):.4g}" if finite.size else "")
    if finite.size < values.size:
        text += f"  ({values.size - finite.size} NaN/Inf)"
    return text


def _hover_text(node: Node) -> str:
    fields = node.fields
    if node.kind == "op":
        params = ", ".join(f"{k}={_short(v)}" for k, v in fields["params"].items())
        return f"op {fields['op']}" + (f"({params})" if params else "")
    if node.kind == "module":
        qualified, label = fields["module"]
        lines = [f"module {qualified or label}: {label}"]
        lines += [f"in {tuple(shape)} {dtype}" for shape, dtype in fields["inputs"]]
        lines += [f"out {tuple(shape)} {dtype}" for shape, dtype in fields["outputs"]]
        lines.append(f"parameters {fields['parameters']:,}")
        if fields["grad_norm"] is not None:
            lines.append(f"\u2016grad\u2016 of parameters {fields['grad_norm']:.4g}")
        lines.append("click to unfold")
        return "\n".join(lines)
    if node.kind == "note":
        return node.id
    title = fields["name"] or fields["role"] or "tensor"
    shape = "Python number" if fields["shape"] is None else f"shape {fields['shape']}"
    lines = [f"{title} ({node.id})", f"{shape} {fields['dtype']}",
             f"value {_array_summary(fields['data'])}"]
    lines.append("grad " + ("none" if fields["grad"] is None
                            else _array_summary(fields["grad"])))
    return "\n".join(lines)


def _short(value: Any, limit: int = 40) -> str:
    text = f"array{value.shape}" if isinstance(value, np.ndarray) and value.size > 6 else repr(
        value.tolist() if isinstance(value, np.ndarray) else value)
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"


def to_payload(snapshot: GraphSnapshot, every_module: bool = True) -> dict[str, Any]:
    """The page's data of ``snapshot``: the drawings rendered to SVG by Graphviz's ``dot``,
    the hover texts, which box opens which drawing, the backward order and gradients.

    Without ``every_module`` only the folded drawing is made (each drawing takes a few
    milliseconds of ``dot``, all of them one start of it); a served page asks for the others
    (``module_drawing``) when they are wanted.
    """
    result = _drawings(snapshot.graph, every_module)
    order, grads = _backward_order(snapshot.graph)
    # "*" is the folded drawing itself when nothing folds: each distinct drawing once.
    distinct = list({id(drawing): drawing for drawing in result.variants.values()}.values())
    by_drawing = dict(zip(map(id, distinct), _svgs(distinct)))
    svgs = {key: by_drawing[id(drawing)] for key, drawing in result.variants.items()}
    return {"step": snapshot.step, "svg": svgs, "info": result.info, "unfold": result.unfold,
            "order": order, "grads": grads}


def module_drawing(snapshot: GraphSnapshot, key: str) -> dict[str, Any] | None:
    """The drawing of ``snapshot`` with the module ``key`` unfolded (``"*"``: everything), as
    the page's data (``svg``, ``info``, ``unfold``), or None when no box has that key."""
    boxes = _boxes(fold(snapshot.graph, 1))
    if key != "*" and key not in boxes:
        return None
    result = _Drawings()
    _add(result, key, snapshot.graph if key == "*" else _unfolded(snapshot.graph, boxes[key]))
    return {"svg": _svgs([result.variants[key]])[0], "info": result.info[key],
            "unfold": result.unfold[key]}


def _svgs(drawings: list[Any]) -> list[str]:
    """The SVGs of ``drawings``, from one run of ``dot``; without Graphviz, each an error
    paragraph that says how to install it."""
    try:
        return svg_documents(drawings)
    except GraphvizNotFoundError as error:
        return [f"<p class='error'>{error}</p>"] * len(drawings)
